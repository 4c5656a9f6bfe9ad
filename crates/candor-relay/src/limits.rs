//! Limits on what one client or one account can ask of the relay. Events in
//! a window (sign-in attempts, sign-ups per address, directory lookups per
//! account) are counted in the database, so that a restart hands nobody
//! fresh attempts (see `storage::sqlite::rates`). Open connections per
//! account and per address are counted here, in memory: they end with the
//! process anyway. Every map here forgets keys whose count has fallen to
//! nothing, so a crawl from many addresses cannot grow it without bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http::blocking;
use crate::storage::RateKey;
use crate::{RelayError, RelayState};

/// At most `max` events per key in any `window` (0: no limit), counted
/// under `name` in the database.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// The events, as the refusal names them ("sign-ups", "lookups").
    pub what: &'static str,
    name: &'static str,
    max: usize,
    window: Duration,
}

impl Limit {
    pub const fn new(what: &'static str, name: &'static str, max: usize, window: Duration) -> Self {
        Self {
            what,
            name,
            max,
            window,
        }
    }

    /// This limit's counter for `key`.
    pub fn key(&self, key: &str) -> RateKey {
        RateKey {
            what: self.name,
            key: key.to_owned(),
            max: self.max as u64,
            window: self.window,
        }
    }
}

/// Keys the database refused, until their window ends: a flood of attempts
/// that are refused anyway is answered from memory, without a turn at the
/// database's one writer, which every message also waits for.
#[derive(Debug, Default)]
pub struct Refused {
    until: Mutex<HashMap<(&'static str, String), Instant>>,
}

impl Refused {
    /// The wait left for the first of `keys` that is held, if one is.
    fn held(&self, keys: &[RateKey], now: Instant) -> Option<Duration> {
        let map = self.until.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().find_map(|k| {
            map.get(&(k.what, k.key.clone()))
                .filter(|until| **until > now)
                .map(|until| *until - now)
        })
    }

    fn hold(&self, key: &RateKey, until: Instant) {
        let mut map = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= 10_000 {
            let now = Instant::now();
            map.retain(|_, u| *u > now);
        }
        map.insert((key.what, key.key.clone()), until);
    }
}

impl RelayState {
    /// Counts one event under each of `keys`, all or none; refuses, naming
    /// `what` and the wait, when one of them has used up its window.
    pub(crate) async fn count(
        &self,
        what: &'static str,
        keys: Vec<RateKey>,
    ) -> Result<(), RelayError> {
        let keys: Vec<RateKey> = keys.into_iter().filter(|k| k.max > 0).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let refused = |wait: Duration| RelayError::RateLimited {
            what,
            minutes: wait.as_secs().div_ceil(60).max(1),
        };
        let started = Instant::now();
        if let Some(wait) = self.inner.refused.held(&keys, started) {
            return Err(refused(wait));
        }
        let (storage, now) = (self.storage(), self.now());
        let asked = keys.clone();
        let answer = blocking(move || Ok(storage.count_events(&asked, now)?)).await?;
        match answer {
            None => Ok(()),
            Some((which, wait)) => {
                self.inner.refused.hold(&keys[which], started + wait);
                Err(refused(wait))
            }
        }
    }

    /// Takes back an event counted under `key` (or, with `forget`, all).
    /// (A key held in memory was refused, so had no event to give back.)
    pub(crate) async fn give_back(&self, key: RateKey, forget: bool) {
        let storage = self.storage();
        if let Err(e) = blocking(move || Ok(storage.uncount_event(&key, forget)?)).await {
            tracing::warn!(error = %e, "a rate-limit count could not be given back");
        }
    }
}

/// Open connections per key, at most `max` each (0: no limit).
#[derive(Debug)]
pub struct ConnectionSlots {
    max: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open connection's slot; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    key: String,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl ConnectionSlots {
    pub fn new(max: usize) -> Self {
        Self {
            max: if max == 0 { usize::MAX } else { max },
            open: Arc::default(),
        }
    }

    /// A slot for `key`, or None when it has `max` open already.
    pub fn take(&self, key: &str) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(key.to_owned()).or_default();
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Slot {
            key: key.to_owned(),
            open: self.open.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_slots_come_back_when_dropped() {
        let slots = ConnectionSlots::new(2);
        let a = slots.take("maya").expect("first");
        let _b = slots.take("maya").expect("second");
        assert!(slots.take("maya").is_none(), "a third is refused");
        assert!(slots.take("leo").is_some(), "another key has its own");
        drop(a);
        assert!(slots.take("maya").is_some(), "a slot given back is free");
        drop(slots.take("leo"));
        assert!(
            !slots.open.lock().expect("lock").contains_key("leo"),
            "a key with nothing open is forgotten"
        );
    }
}
