//! Limits on what one client or one account can ask of the relay, held in
//! memory: events in a sliding window (sign-ups per address, directory
//! lookups per account), and open connections per account and per address.
//! Every map here forgets keys whose count has fallen to nothing, so a crawl
//! from many addresses cannot grow it without bound either.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::RelayError;

/// At most `max` events per key in any `window`; 0 means no limit.
#[derive(Debug)]
pub struct WindowLimiter {
    what: &'static str,
    max: usize,
    window: Duration,
    events: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept before those whose window has passed are swept out.
const SWEEP_AT: usize = 10_000;

impl WindowLimiter {
    /// `what` names the events in the refusal ("sign-ups", "lookups").
    pub fn new(what: &'static str, max: usize, window: Duration) -> Self {
        Self {
            what,
            max,
            window,
            events: Mutex::default(),
        }
    }

    /// Refuses when `key` has used up its events; otherwise counts this one.
    pub fn check(&self, key: &str) -> Result<(), RelayError> {
        if self.max == 0 {
            return Ok(());
        }
        let mut map = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let q = map.entry(key.to_owned()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.window)
        {
            q.pop_front();
        }
        if q.len() >= self.max {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(RelayError::RateLimited {
                what: self.what,
                minutes: wait.as_secs().div_ceil(60).max(1),
            });
        }
        q.push_back(now);
        if map.len() > SWEEP_AT {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= window));
        }
        Ok(())
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
    fn events_are_limited_per_key_unless_the_limit_is_zero() {
        let limiter = WindowLimiter::new("sign-ups", 3, Duration::from_secs(3600));
        for _ in 0..3 {
            limiter.check("1.2.3.4").expect("allowed");
        }
        let Err(e @ RelayError::RateLimited { minutes, .. }) = limiter.check("1.2.3.4") else {
            panic!("the fourth from one key is refused");
        };
        assert!((1..=60).contains(&minutes));
        assert!(e.to_string().starts_with("too many sign-ups"), "{e}");
        limiter.check("5.6.7.8").expect("another key has room");
        let open = WindowLimiter::new("sign-ups", 0, Duration::from_secs(3600));
        for _ in 0..100 {
            open.check("1.2.3.4").expect("no limit");
        }
    }

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
