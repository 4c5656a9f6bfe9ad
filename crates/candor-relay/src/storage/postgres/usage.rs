//! What each account has used against the relay's [`Quotas`]: messages sent
//! today (UTC) and bytes of text, cards and photos stored in all. Several nodes may
//! store messages from one account at once, so nothing is counted in memory
//! between batches: a batch reads its senders' counters under the lock of
//! their `users` rows, counts in [`Account`], and writes them back in its
//! transaction (see `batch`). A batch that fails takes its counts with it.

use chrono::{DateTime, Utc};

use crate::storage::{Quotas, StorageError};

/// The UTC day of `at` (days since 1970-01-01).
pub(super) fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

/// One account's counters, as read plus what the batch added.
#[derive(Clone, Copy, Debug)]
pub(super) struct Account {
    /// The UTC day `today` counts.
    pub(super) day: i64,
    pub(super) today: u64,
    pub(super) bytes: u64,
    /// Whether the batch changed them (to be written back).
    pub(super) moved: bool,
}

impl Account {
    /// Counts a message of `bytes` sent at `at`, or refuses it if that would
    /// pass a quota (0: none). Nothing is counted for a refused message; one
    /// is counted even with no quota, so that one set later (and the
    /// operator's list) starts from what each account really used.
    pub(super) fn admit(
        &mut self,
        quotas: Quotas,
        bytes: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let now = day_of(at);
        let today = if self.day == now { self.today } else { 0 };
        if quotas.messages_per_day > 0 && today >= quotas.messages_per_day {
            return Err(StorageError::QuotaExceeded(format!(
                "you have sent {} messages today, the most this relay takes from one account \
                 in a day; sending works again after midnight UTC",
                quotas.messages_per_day
            )));
        }
        crate::storage::check_bytes(quotas, self.bytes + bytes)?;
        *self = Account {
            day: now,
            today: today + 1,
            bytes: self.bytes + bytes,
            moved: true,
        };
        Ok(())
    }
}
