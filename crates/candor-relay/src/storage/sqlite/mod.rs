//! The embedded backend: one SQLite file in the data directory, WAL with
//! `synchronous=FULL`, one writer at a time.
//!
//! Every change goes through one [`Db`] behind one lock: the writing
//! connection and the writer's two memories of it ([`Permits`] and
//! [`Sequences`]), so no call can see one without the others and there is no
//! lock order to keep. [`SqliteStorage::write`] runs a change in a
//! transaction, forgets what a change to members, blocks or settings may have
//! made untrue, forgets everything when a transaction fails, and tells the
//! checkpointer. Reads go through [`SqliteStorage::read`], on a connection of
//! their own: in WAL mode a reader never waits for the writer, so a catch-up
//! reading pages of a long backlog holds up nobody's acks.
//!
//! One module per table or concern, each a set of functions over a
//! `Connection`; none of them imports this one, and `messages` (the hot path)
//! sits above `permits` and `sequences`, never beside them.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction};

use candor_protocol::api::{AccountSettings, UserInfo};
use candor_protocol::frames::ConversationInfo;
use candor_protocol::{
    BlobId, ConversationId, DeliveredMessage, EpochId, PhotoKind, RelayId, SessionId, UserId,
};

use super::blobs::{BlobStore, FileBlobs};
use super::{
    Accepted, Announcement, LiveSession, NewMessage, Receipt, ReceiptRecorded, SessionRow, Storage,
    StorageError, Stored,
};

mod blobs;
mod checkpointer;
mod conversations;
mod dir_lock;
mod epochs;
mod members;
mod messages;
mod migrations;
mod operator;
mod permits;
#[cfg(test)]
mod private;
mod rates;
mod relations;
mod rows;
mod sequences;
mod sessions;
#[cfg(test)]
mod test_support;
mod usage;
mod users;

use checkpointer::Checkpointer;
use dir_lock::DirLock;
use permits::Permits;
use sequences::Sequences;

#[derive(Debug)]
pub struct SqliteStorage {
    db: Mutex<Db>,
    /// The connection reads use (committed data only).
    reader: Mutex<Connection>,
    /// Copies the log into the database file, off the writer's path.
    checkpointer: Checkpointer,
    /// Photos' bytes, as files beside the database.
    blobs: FileBlobs,
    /// This relay, and this run of it.
    identity: (RelayId, EpochId),
    /// This process's hold on the data directory; declared last, so that it
    /// is let go only after the database is closed.
    _dir_lock: DirLock,
}

/// The connection and what the writer remembers of it, always taken together.
#[derive(Debug)]
struct Db {
    conn: Connection,
    /// Who may write where, as last read.
    permits: Permits,
    /// Each chat's last seq, as last written.
    sequences: Sequences,
}

/// What a write may change beyond its own rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// Messages, sessions, receipts, accounts: nothing `Permits` remembers.
    Rows,
    /// Members, blocks, contacts or settings: who may write where.
    Permits,
}

impl SqliteStorage {
    /// Opens (creating if needed) `relay.db` in `data_dir`, which no other
    /// relay may have open ([`StorageError::InUse`]).
    pub fn open(data_dir: &Path) -> Result<Self, StorageError> {
        let open_err = |reason: String| StorageError::Open {
            path: data_dir.display().to_string(),
            reason,
        };
        candor_private::create_dir(data_dir).map_err(|e| open_err(e.to_string()))?;
        let dir_lock = DirLock::take(data_dir)?;
        let path = data_dir.join("relay.db");
        candor_private::database(&path).map_err(|e| open_err(e.to_string()))?;
        let mut conn = Connection::open(&path).map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .map_err(|e| open_err(e.to_string()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "wal_autocheckpoint", checkpointer::BACKSTOP_PAGES)?;
        // 64 MiB of page cache (the default is 2 MiB): the indexes every send
        // touches stay in memory as the message table grows.
        conn.pragma_update(None, "cache_size", -65536)?;
        // Every query here is prepared once and cached; the default 16 would
        // evict some of the 23 on a busy relay and prepare them again.
        conn.set_prepared_statement_cache_capacity(64);
        migrations::migrations()
            .to_latest(&mut conn)
            .map_err(|e| open_err(e.to_string()))?;
        let identity = epochs::begin(&conn, Utc::now())?;
        let reader = Connection::open(&path).map_err(|e| open_err(e.to_string()))?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        reader.pragma_update(None, "query_only", true)?;
        reader.pragma_update(None, "cache_size", -65536)?;
        reader.set_prepared_statement_cache_capacity(64);
        let checkpointer = Checkpointer::start(&path).map_err(|e| open_err(e.to_string()))?;
        Ok(Self {
            identity,
            reader: Mutex::new(reader),
            db: Mutex::new(Db {
                conn,
                permits: Permits::default(),
                sequences: Sequences::default(),
            }),
            checkpointer,
            blobs: FileBlobs::in_data_dir(data_dir),
            _dir_lock: dir_lock,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a read on the reading connection.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        f(&self.reader.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The one way to change the database: `f` runs in a transaction that is
    /// committed if it returns Ok and rolled back otherwise. A `Change::Permits`
    /// makes the writer forget who may write where before it runs; a failed
    /// transaction makes it forget everything, since what it learned inside
    /// may have been rolled back.
    fn write<T>(
        &self,
        change: Change,
        f: impl FnOnce(&Transaction<'_>, &mut Permits, &mut Sequences) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut db = self.lock();
        let Db {
            conn,
            permits,
            sequences,
        } = &mut *db;
        if change == Change::Permits {
            permits.clear();
        }
        let done = conn
            .transaction()
            .map_err(StorageError::from)
            .and_then(|tx| {
                let value = f(&tx, permits, sequences)?;
                tx.commit()?;
                Ok(value)
            });
        self.checkpointer.committed();
        if done.is_err() {
            permits.clear();
            sequences.clear();
        }
        done
    }
}

impl Storage for SqliteStorage {
    fn create_invited_user(
        &self,
        handle: &str,
        display_name: &str,
        password_hash: &str,
        invite: Option<&[u8]>,
        at: DateTime<Utc>,
    ) -> Result<UserInfo, StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            let spend = operator::check_invite(tx, invite)?;
            let user = users::create(tx, handle, display_name, password_hash, at)?;
            if let (true, Some(code)) = (spend, invite) {
                operator::spend_invite(tx, code, user.id, at)?;
            }
            Ok(user)
        })
    }

    fn accounts(
        &self,
        handle: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<super::AccountUsage>, StorageError> {
        self.read(|c| operator::accounts(c, handle, now))
    }

    fn set_suspended(
        &self,
        handle: &str,
        suspended: bool,
        at: DateTime<Utc>,
    ) -> Result<UserId, StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            operator::set_suspended(tx, handle, suspended, at)
        })
    }

    fn is_suspended(&self, user: UserId) -> Result<bool, StorageError> {
        self.read(|c| operator::is_suspended(c, user))
    }

    fn invite_only(&self) -> Result<bool, StorageError> {
        self.read(operator::invite_only)
    }

    fn count_events(
        &self,
        keys: &[super::RateKey],
        at: DateTime<Utc>,
    ) -> Result<Option<(usize, std::time::Duration)>, StorageError> {
        self.write(Change::Rows, |tx, _, _| rates::count(tx, keys, at))
    }

    fn uncount_event(&self, key: &super::RateKey, forget: bool) -> Result<(), StorageError> {
        self.write(Change::Rows, |tx, _, _| rates::uncount(tx, key, forget))
    }

    fn set_invite_only(&self, on: bool) -> Result<(), StorageError> {
        self.write(Change::Rows, |tx, _, _| operator::set_invite_only(tx, on))
    }

    fn create_invite(&self, code_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            operator::create_invite(tx, code_hash, at)
        })
    }

    fn credentials(&self, handle: &str) -> Result<Option<(UserInfo, String)>, StorageError> {
        self.read(|c| users::credentials(c, handle))
    }

    fn user_by_handle(&self, handle: &str) -> Result<Option<UserInfo>, StorageError> {
        self.read(|c| users::by_handle(c, handle))
    }

    fn create_session(
        &self,
        user: UserId,
        token_hash: &[u8],
        device_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            sessions::create(tx, user, token_hash, device_name, at)
        })
    }

    fn session(
        &self,
        token_hash: &[u8],
        active_since: DateTime<Utc>,
    ) -> Result<Option<LiveSession>, StorageError> {
        self.read(|c| sessions::live(c, token_hash, active_since))
    }

    fn touch_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError> {
        self.write(Change::Rows, |tx, _, _| sessions::touch(tx, token_hash, at))
    }

    fn sessions_of(
        &self,
        user: UserId,
        active_since: DateTime<Utc>,
    ) -> Result<Vec<SessionRow>, StorageError> {
        self.read(|c| sessions::of_user(c, user, active_since))
    }

    fn revoke_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<bool, StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            sessions::revoke(tx, token_hash, at)
        })
    }

    fn revoke_session_by_id(
        &self,
        user: UserId,
        id: SessionId,
        at: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            sessions::revoke_by_id(tx, user, id, at)
        })
    }

    fn revoke_other_sessions(
        &self,
        user: UserId,
        keep: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<Vec<u8>>, StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            sessions::revoke_others(tx, user, keep, at)
        })
    }

    fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<Vec<u8>>, StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            users::set_password_hash(tx, user, password_hash)?;
            sessions::revoke_others(tx, user, keep, at)
        })
    }

    fn store_messages(
        &self,
        batch: Vec<NewMessage>,
    ) -> Result<Vec<Result<Stored, StorageError>>, StorageError> {
        self.write(Change::Rows, |tx, permits, seqs| {
            let mut results = Vec::with_capacity(batch.len());
            for m in batch {
                // A refusal comes before a message writes anything (see
                // `store_one`), so it costs only that message; a database error
                // fails the whole batch, which is rolled back.
                match messages::store_one(tx, permits, seqs, m) {
                    Ok(stored) => results.push(Ok(stored)),
                    Err(e) if e.is_refusal() => results.push(Err(e)),
                    Err(e) => return Err(e),
                }
            }
            permits.usage.flush(tx)?;
            Ok(results)
        })
    }

    fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationInfo>, StorageError> {
        self.read(|c| conversations::views_of(c, user))
    }

    fn blob_store(&self) -> &dyn BlobStore {
        &self.blobs
    }

    fn upload_room(&self, user: UserId, blob: &BlobId, bytes: u64) -> Result<(), StorageError> {
        let quotas = self.lock().permits.usage.quotas();
        self.read(|c| blobs::upload_room(c, quotas, user, blob, bytes))
    }

    fn record_upload(
        &self,
        user: UserId,
        blob: &BlobId,
        kind: PhotoKind,
        bytes: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.write(Change::Rows, |tx, permits, _| {
            blobs::record_upload(tx, &mut permits.usage, user, blob, kind, bytes, at)
        })
    }

    fn readable_blob(
        &self,
        user: UserId,
        blob: &BlobId,
    ) -> Result<Option<PhotoKind>, StorageError> {
        self.read(|c| blobs::readable_by(c, user, blob))
    }

    fn conversation_for(
        &self,
        conversation: ConversationId,
        viewer: UserId,
    ) -> Result<ConversationInfo, StorageError> {
        self.read(|c| conversations::view_for_member(c, conversation, viewer))
    }

    fn announcement_for(
        &self,
        conversation: ConversationId,
        tell: &[UserId],
    ) -> Result<Announcement, StorageError> {
        self.read(|c| conversations::announcement(c, conversation, tell))
    }

    fn set_quotas(&self, quotas: super::Quotas) {
        self.lock().permits.usage.set_quotas(quotas);
    }

    fn create_group(
        &self,
        creator: UserId,
        title: &str,
        members: &[UserId],
        at: DateTime<Utc>,
    ) -> Result<Announcement, StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            conversations::create_group(tx, creator, title, members, at)
        })
    }

    fn add_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Announcement, StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            conversations::add_member(tx, actor, conversation, user, at)
        })
    }

    fn remove_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Announcement, StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            conversations::remove_member(tx, actor, conversation, user)
        })
    }

    fn make_admin(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Announcement, StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            conversations::make_admin(tx, actor, conversation, user)
        })
    }

    fn leave(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Announcement, StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            conversations::leave(tx, user, conversation)
        })
    }

    fn accept(
        &self,
        user: UserId,
        conversation: ConversationId,
        at: DateTime<Utc>,
    ) -> Result<Accepted, StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            conversations::accept(tx, user, conversation, at)
        })
    }

    fn settings(&self, user: UserId) -> Result<AccountSettings, StorageError> {
        self.read(|c| users::settings(c, user))
    }

    fn set_display_name(&self, user: UserId, display_name: &str) -> Result<UserInfo, StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            users::set_display_name(tx, user, display_name)
        })
    }

    fn set_settings(&self, user: UserId, settings: &AccountSettings) -> Result<(), StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            users::set_settings(tx, user, settings)
        })
    }

    fn block(&self, user: UserId, blocked: UserId, at: DateTime<Utc>) -> Result<(), StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            relations::block(tx, user, blocked, at)
        })
    }

    fn unblock(&self, user: UserId, blocked: UserId) -> Result<(), StorageError> {
        self.write(Change::Permits, |tx, _, _| {
            relations::unblock(tx, user, blocked)
        })
    }

    fn record_receipt(
        &self,
        user: UserId,
        conversation: ConversationId,
        delivered: Option<i64>,
        read: Option<i64>,
    ) -> Result<ReceiptRecorded, StorageError> {
        self.write(Change::Rows, |tx, _, _| {
            members::record_receipt(tx, user, conversation, delivered, read)
        })
    }

    fn receipts_for(&self, user: UserId) -> Result<Vec<Receipt>, StorageError> {
        self.read(|c| members::receipts_for(c, user))
    }

    fn audience_of(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Vec<UserId>, StorageError> {
        self.read(|c| members::audience_if_member(c, user, conversation))
    }

    fn messages_between(
        &self,
        user: UserId,
        conversation: ConversationId,
        after: i64,
        before: i64,
    ) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
        self.read(|c| messages::between(c, user, conversation, after, before))
    }

    fn identity(&self) -> (RelayId, EpochId) {
        self.identity
    }

    fn healthy(&self) -> Result<(), StorageError> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    fn epoch_kept_through(&self, epoch: EpochId) -> Result<Option<u64>, StorageError> {
        self.read(|c| epochs::kept_through(c, epoch))
    }

    fn stream_after(
        &self,
        user: UserId,
        cursor: u64,
        limit: u32,
    ) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
        self.read(|c| messages::stream_after(c, user, cursor, limit))
    }
}
