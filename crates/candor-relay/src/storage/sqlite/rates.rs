//! Rate limits kept in the database, so that a restart does not hand an
//! attacker fresh attempts (and, on a shared database, so that every node
//! counts alike). Each (what, key) counts events in a fixed window that
//! starts with the first event after the previous window ended: at most
//! `max` in any window, and at most twice that across a window's edge.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::ms;
use crate::storage::{RateKey, StorageError};

/// Rows whose window ended this long ago are swept out now and then.
const SWEEP_AFTER_MS: i64 = 24 * 3600 * 1000;

/// See `Storage::count_events`.
pub(super) fn count(
    tx: &Connection,
    keys: &[RateKey],
    at: DateTime<Utc>,
) -> Result<Option<(usize, std::time::Duration)>, StorageError> {
    let now = ms(at);
    let mut next = Vec::with_capacity(keys.len());
    for (index, k) in keys.iter().enumerate() {
        let window = k.window.as_millis() as i64;
        let found: Option<(i64, i64)> = tx
            .prepare_cached(
                "SELECT window_start, count FROM rate_windows WHERE what = ?1 AND key = ?2",
            )?
            .query_row(params![k.what, k.key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (start, count) = match found {
            // A window that ended, or one from a clock now behind it.
            Some((start, _)) if now >= start + window || now < start => (now, 0),
            Some(row) => row,
            None => (now, 0),
        };
        if k.max > 0 && count as u64 >= k.max {
            let wait = (start + window - now).max(1) as u64;
            return Ok(Some((index, std::time::Duration::from_millis(wait))));
        }
        next.push((k, start, count + 1));
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO rate_windows (what, key, window_start, count) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (what, key) DO UPDATE SET window_start = excluded.window_start,
                                               count = excluded.count",
    )?;
    for (k, start, count) in next {
        upsert.execute(params![k.what, k.key, start, count])?;
    }
    // Now and then, forget windows long over: a crawl from many addresses
    // leaves a row per address, and none of them need outlive a day.
    if now % 64 == 0 {
        tx.prepare_cached("DELETE FROM rate_windows WHERE window_start < ?1")?
            .execute([now - SWEEP_AFTER_MS])?;
    }
    Ok(None)
}

/// See `Storage::uncount_event`.
pub(super) fn uncount(tx: &Connection, key: &RateKey, forget: bool) -> Result<(), StorageError> {
    if forget {
        tx.prepare_cached("DELETE FROM rate_windows WHERE what = ?1 AND key = ?2")?
            .execute(params![key.what, key.key])?;
    } else {
        tx.prepare_cached(
            "UPDATE rate_windows SET count = max(count - 1, 0) WHERE what = ?1 AND key = ?2",
        )?
        .execute(params![key.what, key.key])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;

    use super::super::test_support::store;
    use crate::storage::{RateKey, SqliteStorage, Storage};

    fn key(what: &'static str, key: &str, max: u64) -> RateKey {
        RateKey {
            what,
            key: key.into(),
            max,
            window: Duration::from_secs(600),
        }
    }

    #[test]
    fn events_are_counted_all_or_none_and_hold_across_a_restart() {
        let dir = tempfile::tempdir().expect("dir");
        let now = Utc::now();
        {
            let s = SqliteStorage::open(dir.path()).expect("open");
            for _ in 0..3 {
                let keys = [key("sign-in", "h:maya", 3), key("sign-in", "a:1.2.3.4", 10)];
                assert_eq!(s.count_events(&keys, now).expect("count"), None);
            }
            // Maya's handle has used its 3: the address is not counted either.
            let keys = [key("sign-in", "h:maya", 3), key("sign-in", "a:1.2.3.4", 10)];
            let (which, wait) = s.count_events(&keys, now).expect("count").expect("refused");
            assert_eq!(which, 0, "the handle's key refused");
            assert!(wait <= Duration::from_secs(600) && wait > Duration::from_secs(590));
        }
        let s = SqliteStorage::open(dir.path()).expect("after a restart");
        assert!(
            s.count_events(&[key("sign-in", "h:maya", 3)], now)
                .expect("count")
                .is_some(),
            "a restart hands out no fresh attempts"
        );
        // The address counted 3 (not the refused 4th): 7 more fit.
        for _ in 0..7 {
            assert_eq!(
                s.count_events(&[key("sign-in", "a:1.2.3.4", 10)], now)
                    .expect("count"),
                None
            );
        }
        assert!(
            s.count_events(&[key("sign-in", "a:1.2.3.4", 10)], now)
                .expect("count")
                .is_some()
        );
        // Once the window has passed, the handle may try again.
        let later = now + chrono::Duration::seconds(601);
        assert_eq!(
            s.count_events(&[key("sign-in", "h:maya", 3)], later)
                .expect("count"),
            None
        );
    }

    #[test]
    fn a_success_gives_its_attempt_back_or_clears_the_key() {
        let (_dir, s) = store();
        let now = Utc::now();
        for _ in 0..10 {
            let keys = [key("sign-in", "h:sam", 3)];
            assert_eq!(s.count_events(&keys, now).expect("count"), None);
            s.uncount_event(&keys[0], true).expect("forget");
        }
        for _ in 0..10 {
            let k = key("sign-in", "a:5.5.5.5", 3);
            assert_eq!(
                s.count_events(std::slice::from_ref(&k), now)
                    .expect("count"),
                None
            );
            s.uncount_event(&k, false).expect("give back");
        }
    }
}
