//! What each account has used against the relay's [`Quotas`]: messages sent
//! today (UTC) and bytes of text and cards stored in all. Several nodes may
//! store messages from one account at once, so nothing is counted in memory:
//! each message reads and writes its sender's counters in the transaction
//! that stores it, under the lock of the sender's `users` row. A batch that
//! fails takes its counts with it.

use super::db::Db;
use chrono::{DateTime, Utc};

use candor_protocol::UserId;

use crate::storage::{Quotas, StorageError};

/// The UTC day of `at` (days since 1970-01-01).
pub(super) fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

/// Counts a message of `bytes` from `sender` at `at`, or refuses it if
/// that would pass a quota. Nothing is counted for a refused message. The
/// sender's row stays locked until the caller's transaction ends, so that
/// two nodes cannot both admit the last message a quota allows.
pub(super) fn admit(
    c: &mut Db,
    quotas: Quotas,
    sender: UserId,
    bytes: u64,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    // Counted even with no quota, so that one set later (and the operator's
    // list) starts from what each account really used.
    let id = sender.to_string();
    let row = c.query_one(
        "SELECT usage_day, messages_today, bytes_stored FROM users WHERE id = $1 FOR UPDATE",
        &[&id],
    )?;
    let mut day: i64 = row.try_get(0)?;
    let mut today = row.try_get::<_, i64>(1)?.max(0) as u64;
    let stored = row.try_get::<_, i64>(2)?.max(0) as u64;
    let now = day_of(at);
    if day != now {
        day = now;
        today = 0;
    }
    if quotas.messages_per_day > 0 && today >= quotas.messages_per_day {
        return Err(StorageError::QuotaExceeded(format!(
            "you have sent {} messages today, the most this relay takes from one account \
             in a day; sending works again after midnight UTC",
            quotas.messages_per_day
        )));
    }
    if quotas.stored_bytes > 0 && stored + bytes > quotas.stored_bytes {
        return Err(StorageError::QuotaExceeded(format!(
            "your messages fill the {} MiB this relay keeps for one account; \
             it takes no more from you",
            quotas.stored_bytes.div_ceil(1024 * 1024)
        )));
    }
    c.execute(
        "UPDATE users SET usage_day = $2, messages_today = $3, bytes_stored = $4 WHERE id = $1",
        &[&id, &day, &((today + 1) as i64), &((stored + bytes) as i64)],
    )?;
    Ok(())
}
