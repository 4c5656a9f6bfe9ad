//! Rate limits kept in the database, so that a restart does not hand an
//! attacker fresh attempts, and so that every node sharing the database
//! counts alike. Each (what, key) counts events in a fixed window that
//! starts with the first event after the previous window ended: at most
//! `max` in any window, and at most twice that across a window's edge.

use super::db::Db;
use chrono::{DateTime, Utc};

use super::rows::ms;
use crate::storage::{RateKey, StorageError};

/// Rows whose window ended this long ago are swept out now and then.
const SWEEP_AFTER_MS: i64 = 24 * 3600 * 1000;

/// See `Storage::count_events`.
///
/// Several nodes may count the same key at once, so each key's row is
/// locked before it is read, and stays locked until the transaction ends: a
/// second node's count waits for the first's and then reads what it wrote,
/// so no count is lost. A key with no row yet gets one first (count 0, which
/// reads as no row would), since a row that does not exist cannot be locked;
/// a placeholder this call made is taken out again if the events are
/// refused. The rows are locked in the order of (what, key), whatever the
/// order of `keys`, so that two counts never wait on each other in a cycle;
/// the keys are still judged, and a refusal reported, in the order given.
pub(super) fn count(
    c: &mut Db,
    keys: &[RateKey],
    at: DateTime<Utc>,
) -> Result<Option<(usize, std::time::Duration)>, StorageError> {
    let now = ms(at);
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| (keys[a].what, &keys[a].key).cmp(&(keys[b].what, &keys[b].key)));
    // Per key (by its index in `keys`): its row as locked, if any.
    let mut found: Vec<Option<(i64, i64)>> = vec![None; keys.len()];
    // Placeholders this call inserted, to take out if refused.
    let mut placed: Vec<usize> = Vec::new();
    for &i in &order {
        let k = &keys[i];
        let inserted = c
            .query_opt(
                "INSERT INTO rate_windows (what, key, window_start, count) VALUES ($1, $2, $3, 0)
                 ON CONFLICT (what, key) DO NOTHING RETURNING 1",
                &[&k.what, &k.key, &now],
            )?
            .is_some();
        if inserted {
            placed.push(i);
        }
        found[i] = c
            .query_opt(
                "SELECT window_start, count FROM rate_windows WHERE what = $1 AND key = $2
                 FOR UPDATE",
                &[&k.what, &k.key],
            )?
            .map(|r| Ok::<_, StorageError>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?;
    }
    let mut next = Vec::with_capacity(keys.len());
    for (index, k) in keys.iter().enumerate() {
        let window = k.window.as_millis() as i64;
        let (start, count) = match found[index] {
            // A window that ended, or one from a clock now behind it.
            Some((start, _)) if now >= start + window || now < start => (now, 0),
            Some(row) => row,
            None => (now, 0),
        };
        if k.max > 0 && count as u64 >= k.max {
            for &i in &placed {
                c.execute(
                    "DELETE FROM rate_windows WHERE what = $1 AND key = $2 AND count = 0",
                    &[&keys[i].what, &keys[i].key],
                )?;
            }
            let wait = (start + window - now).max(1) as u64;
            return Ok(Some((index, std::time::Duration::from_millis(wait))));
        }
        next.push((k, start, count + 1));
    }
    for (k, start, count) in next {
        c.execute(
            "INSERT INTO rate_windows (what, key, window_start, count) VALUES ($1, $2, $3, $4)
             ON CONFLICT (what, key) DO UPDATE SET window_start = excluded.window_start,
                                                   count = excluded.count",
            &[&k.what, &k.key, &start, &count],
        )?;
    }
    // Now and then, forget windows long over: a crawl from many addresses
    // leaves a row per address, and none of them need outlive a day.
    if now % 64 == 0 {
        c.execute(
            "DELETE FROM rate_windows WHERE window_start < $1",
            &[&(now - SWEEP_AFTER_MS)],
        )?;
    }
    Ok(None)
}

/// See `Storage::uncount_event`.
pub(super) fn uncount(c: &mut Db, key: &RateKey, forget: bool) -> Result<(), StorageError> {
    if forget {
        c.execute(
            "DELETE FROM rate_windows WHERE what = $1 AND key = $2",
            &[&key.what, &key.key],
        )?;
    } else {
        c.execute(
            "UPDATE rate_windows SET count = greatest(count - 1, 0) WHERE what = $1 AND key = $2",
            &[&key.what, &key.key],
        )?;
    }
    Ok(())
}
