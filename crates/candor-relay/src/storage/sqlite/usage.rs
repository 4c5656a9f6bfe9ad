//! What each account has used against the relay's [`Quotas`]: messages sent
//! today (UTC) and bytes of text, cards and photos stored in all. The writer counts
//! in memory as it stores a batch and writes each sender's counters once, at
//! the end of the batch, inside its transaction; a batch that fails takes its
//! counts with it (see `SqliteStorage::write`, which then forgets them).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use candor_protocol::UserId;

use crate::storage::{Quotas, StorageError};

/// One account's counters, as stored plus what this batch added.
#[derive(Clone, Copy, Debug, Default)]
struct Account {
    /// Days since 1970-01-01 (UTC) that `today` counts.
    day: i64,
    today: u64,
    bytes: u64,
}

#[derive(Debug, Default)]
pub(super) struct Usage {
    quotas: Quotas,
    accounts: HashMap<UserId, Account>,
    /// Accounts whose counters this batch changed.
    dirty: HashSet<UserId>,
}

/// The UTC day of `at`.
pub(super) fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

impl Usage {
    pub(super) fn set_quotas(&mut self, quotas: Quotas) {
        self.quotas = quotas;
    }

    pub(super) fn quotas(&self) -> Quotas {
        self.quotas
    }

    /// Forgets the counters read (after a batch was written or rolled back).
    pub(super) fn clear(&mut self) {
        self.accounts.clear();
        self.dirty.clear();
    }

    /// Counts a message of `bytes` from `sender` at `at`, or refuses it if
    /// that would pass a quota. Nothing is counted for a refused message.
    pub(super) fn admit(
        &mut self,
        conn: &Connection,
        sender: UserId,
        bytes: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        // Counted even with no quota, so that one set later (and the
        // operator's list) starts from what each account really used.
        let quotas = self.quotas;
        let mut account = match self.accounts.get(&sender) {
            Some(a) => *a,
            None => read(conn, sender)?,
        };
        let day = day_of(at);
        if account.day != day {
            account.day = day;
            account.today = 0;
        }
        if quotas.messages_per_day > 0 && account.today >= quotas.messages_per_day {
            return Err(StorageError::QuotaExceeded(format!(
                "you have sent {} messages today, the most this relay takes from one account \
                 in a day; sending works again after midnight UTC",
                quotas.messages_per_day
            )));
        }
        crate::storage::check_bytes(quotas, account.bytes + bytes)?;
        account.today += 1;
        account.bytes += bytes;
        self.accounts.insert(sender, account);
        self.dirty.insert(sender);
        Ok(())
    }

    /// Counts an upload of `bytes` by `user` against the bytes it may
    /// store (not against its messages), or refuses it.
    pub(super) fn admit_upload(
        &mut self,
        conn: &Connection,
        user: UserId,
        bytes: u64,
    ) -> Result<(), StorageError> {
        let mut account = match self.accounts.get(&user) {
            Some(a) => *a,
            None => read(conn, user)?,
        };
        crate::storage::check_bytes(self.quotas, account.bytes + bytes)?;
        account.bytes += bytes;
        self.accounts.insert(user, account);
        self.dirty.insert(user);
        Ok(())
    }

    /// Takes back a count `admit` made for a message that was not stored
    /// after all (a repeat).
    pub(super) fn refund(&mut self, sender: UserId, bytes: u64) {
        if let Some(a) = self.accounts.get_mut(&sender) {
            a.today = a.today.saturating_sub(1);
            a.bytes = a.bytes.saturating_sub(bytes);
        }
    }

    /// Writes the counters this batch changed.
    pub(super) fn flush(&mut self, tx: &Connection) -> Result<(), StorageError> {
        let mut update = tx.prepare_cached(
            "UPDATE users SET usage_day = ?2, messages_today = ?3, bytes_stored = ?4 WHERE id = ?1",
        )?;
        for user in self.dirty.drain() {
            if let Some(a) = self.accounts.get(&user) {
                update.execute(params![
                    user.to_string(),
                    a.day,
                    a.today as i64,
                    a.bytes as i64
                ])?;
            }
        }
        if self.accounts.len() > 100_000 {
            self.accounts.clear();
        }
        Ok(())
    }
}

fn read(conn: &Connection, user: UserId) -> Result<Account, StorageError> {
    let account = conn
        .prepare_cached("SELECT usage_day, messages_today, bytes_stored FROM users WHERE id = ?1")?
        .query_row([user.to_string()], |r| {
            Ok(Account {
                day: r.get(0)?,
                today: r.get::<_, i64>(1)?.max(0) as u64,
                bytes: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
    Ok(account)
}

#[cfg(test)]
mod tests {
    //! Quotas hold across batches and restarts, count a repeat once, and a
    //! new UTC day starts the daily count afresh.

    use candor_protocol::frames::Recipient;
    use candor_protocol::{MessageId, MessageText, UserId};
    use chrono::{Duration, Utc};

    use super::super::test_support::users;
    use crate::storage::{NewMessage, Quotas, SqliteStorage, Storage, StorageError, Stored};

    fn send(
        s: &SqliteStorage,
        from: UserId,
        to: UserId,
        client_id: MessageId,
        text: &str,
        days_later: i64,
    ) -> Result<Stored, StorageError> {
        let message = NewMessage {
            photos: Vec::new(),
            reaction: None,
            sender: from,
            client_id,
            to: Recipient::Direct { user: to },
            text: MessageText::new(text).expect("text"),
            card: None,
            at: Utc::now() + Duration::days(days_later),
            reply: None,
        };
        s.store_messages(vec![message])
            .expect("batch")
            .pop()
            .expect("one")
    }

    #[test]
    fn messages_per_day_hold_across_a_restart_and_end_with_the_day() {
        let dir = tempfile::tempdir().expect("dir");
        let quotas = Quotas {
            messages_per_day: 3,
            stored_bytes: 0,
        };
        let (alice, bob, first) = {
            let s = SqliteStorage::open(dir.path()).expect("open");
            s.set_quotas(quotas);
            let [alice, bob] = users(&s, &["alice", "bob"])[..] else {
                unreachable!()
            };
            let first = MessageId::new();
            send(&s, alice, bob, first, "one", 0).expect("1");
            // A repeat is answered from the first copy and counts nothing.
            let again = send(&s, alice, bob, first, "one", 0).expect("repeat");
            assert!(again.duplicate);
            send(&s, alice, bob, MessageId::new(), "two", 0).expect("2");
            (alice, bob, first)
        };
        let s = SqliteStorage::open(dir.path()).expect("reopen");
        s.set_quotas(quotas);
        send(&s, alice, bob, MessageId::new(), "three", 0).expect("3, after a restart");
        let refused = send(&s, alice, bob, MessageId::new(), "four", 0).expect_err("over");
        let StorageError::QuotaExceeded(why) = refused else {
            panic!("{refused:?}")
        };
        assert!(why.contains("3 messages today"), "{why}");
        assert!(
            send(&s, alice, bob, first, "one", 0)
                .expect("repeat")
                .duplicate,
            "a repeat of a stored message still gets its answer"
        );
        send(&s, bob, alice, MessageId::new(), "Bob has his own", 0).expect("bob");
        send(&s, alice, bob, MessageId::new(), "tomorrow", 1).expect("a new day");
    }

    #[test]
    fn stored_bytes_are_a_ceiling_per_account() {
        let (_dir, s) = super::super::test_support::store();
        s.set_quotas(Quotas {
            messages_per_day: 0,
            stored_bytes: 10,
        });
        let [alice, bob] = users(&s, &["alice", "bob"])[..] else {
            unreachable!()
        };
        send(&s, alice, bob, MessageId::new(), "123456", 0).expect("6 bytes");
        let refused = send(&s, alice, bob, MessageId::new(), "12345", 0).expect_err("11");
        assert!(matches!(refused, StorageError::QuotaExceeded(_)));
        send(&s, alice, bob, MessageId::new(), "1234", 0).expect("exactly 10");
    }
}
