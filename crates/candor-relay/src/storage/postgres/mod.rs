//! The shared backend: PostgreSQL as the only truth, so that any number of
//! relay nodes can serve the same accounts. Nothing a node decides with is
//! kept in its memory (the embedded store's `Permits` and `Sequences` caches
//! have no counterpart here): another node may have changed it since.
//!
//! Order comes from two row locks taken inside the transaction that stores a
//! batch of sends. The one row of `relay_stream` numbers the stream: cursors
//! are gapless and handed out in commit order, so a catch-up reading past
//! cursor n never skips an n-1 that commits later (a SEQUENCE would). Each
//! conversation's `last_seq` numbers its messages the same way. A batch
//! judges its sends under its chats' and senders' locks, and takes the
//! stream lock last, just before it writes: batches of other nodes judge
//! theirs meanwhile, and take turns only for writing and committing. The
//! batch is the unit that pays for the lock (group commit: one commit, one
//! fsync, for every send in it). Two batches that race for one send (resent
//! through another node) meet at the sender's row, which each locks before
//! it looks for an earlier copy; two that begin one direct chat from both
//! ends meet at its insert, and the later goes on with the chat the earlier
//! made.
//!
//! The `postgres` crate is the blocking face of tokio-postgres, which suits
//! the storage trait: handlers call it from `spawn_blocking` and the writer
//! from its own thread. Connections come from an r2d2 pool, each with the
//! statements it has prepared (see `db`).

use std::sync::{Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use candor_protocol::api::{AccountSettings, UserInfo};
use candor_protocol::frames::ConversationInfo;
use candor_protocol::{
    BlobId, ConversationId, DeliveredMessage, EpochId, PhotoKind, RelayId, SessionId, UserId,
};

use super::blobs::BlobStore;
use super::doorbell::Closing;
use super::{
    Accepted, AccountUsage, Announcement, LiveSession, NewMessage, Quotas, RateKey, Receipt,
    ReceiptRecorded, SessionRow, Storage, StorageError, Stored,
};

mod batch;
mod blobs;
mod conversations;
mod db;
mod doorbell;
mod epochs;
mod link;
mod members;
mod messages;
mod operator;
mod rates;
mod relations;
mod rows;
mod sessions;
mod usage;
mod users;

refinery::embed_migrations!("src/storage/postgres/migrations");

use db::{Db, Manager};
pub use link::DatabaseLink;

type Pool = r2d2::Pool<Manager>;

/// How long a call waits for a connection before the database counts as
/// unreachable: long enough for a busy pool, short enough that a client's
/// send fails (and stays in its outbox) rather than hangs.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections per node: the writer's, and the handlers' reads and changes.
const POOL_SIZE: u32 = 16;

/// How often a transaction that lost a deadlock or a serialization race is
/// run again before its error is returned.
const RETRIES: usize = 3;

pub struct PostgresStorage {
    /// Always Some but while being dropped (see the `Drop` impl).
    pool: Option<Pool>,
    /// This relay, and the epoch of the database server's current run (see
    /// `epochs`); changed when a batch finds the server was restarted.
    identity: RwLock<(RelayId, EpochId)>,
    /// The database's incarnation the current epoch belongs to.
    incarnation: Mutex<epochs::Incarnation>,
    quotas: RwLock<Quotas>,
    /// How this node and the others sharing the database learn of what each
    /// stored (see `doorbell`).
    doorbell: std::sync::Arc<doorbell::PgDoorbell>,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("identity", &self.identity())
            .finish_non_exhaustive()
    }
}

/// Brings the database `link` reaches to the newest schema (`candor-relay
/// migrate`). Returns the versions applied now (empty when it was current).
pub fn migrate(link: &DatabaseLink) -> Result<Vec<i32>, StorageError> {
    let mut client = link
        .connect()
        .map_err(|e| StorageError::Unavailable(super::with_causes(&e)))?;
    let report = migrations::runner()
        .run(&mut client)
        .map_err(|e| StorageError::Unavailable(format!("migrating the database: {e}")))?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| m.version())
        .collect())
}

impl PostgresStorage {
    /// Connects to the database at `url` (on this machine, or reached over
    /// TLS with the system's authorities: see `DatabaseLink`), which `migrate`
    /// must have brought to this relay's schema, and joins the current epoch.
    pub fn open(url: &str) -> Result<Self, StorageError> {
        Self::open_for(&DatabaseLink::new(url, None)?, false)
    }

    /// As `open`, for nodes that a bus keeps informed (see `crate::bus`):
    /// with `bus`, batches commit without ringing the database's doorbell.
    pub fn open_for(link: &DatabaseLink, bus: bool) -> Result<Self, StorageError> {
        let mut link = link.clone();
        let config = link.config_mut();
        config.application_name("candor-relay");
        // Every statement planned for the values it runs with. A plan cached
        // for all values is made from the statistics of the moment, and one
        // made while `messages` was new and small (a seq scan and a hash
        // join) stays in use as it grows, until the next ANALYZE: a send then
        // cost 10 ms at 40,000 messages. Planning is a fraction of that.
        // And a page read at random costs about what one read in order does:
        // what every send touches is in memory. At the default (4x), a batch
        // of a few hundred sends looked for its repeats with a sequential
        // scan of all messages rather than a few hundred index probes.
        config.options("-c plan_cache_mode=force_custom_plan -c random_page_cost=1.1");
        check_schema(&mut link.connect()?)?;
        // A connection is not tested each time it is taken (a round trip
        // per call): one that broke fails its call, and is then dropped.
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(2))
            .test_on_check_out(false)
            .connection_timeout(CONNECT_TIMEOUT)
            .build(Manager { link: link.clone() })
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let doorbell = std::sync::Arc::new(doorbell::PgDoorbell {
            node: uuid::Uuid::now_v7(),
            link,
            pool: pool.clone(),
            bus,
        });
        let mut db = conn_of(&pool)?;
        db.batch_execute("BEGIN")?;
        let (relay, epoch, incarnation) = finish(&mut db, |db| epochs::join(db, Utc::now()))?;
        drop(db);
        Ok(Self {
            pool: Some(pool),
            identity: RwLock::new((relay, epoch)),
            incarnation: Mutex::new(incarnation),
            quotas: RwLock::new(Quotas::default()),
            doorbell,
        })
    }

    /// Under the stream's lock: the epoch of the database's current
    /// incarnation, joined now, if it is not the one this process knows.
    fn join_if_restarted(
        &self,
        tx: &mut Db,
        lock: &epochs::StreamLock,
    ) -> Result<Option<(RelayId, EpochId, epochs::Incarnation)>, StorageError> {
        let known = *self.incarnation.lock().unwrap_or_else(|e| e.into_inner());
        if lock.incarnation == known {
            return Ok(None);
        }
        Ok(Some(epochs::join(tx, Utc::now())?))
    }

    /// Takes up the epoch `join_if_restarted` joined, once committed.
    fn take_up(&self, restarted: Option<(RelayId, EpochId, epochs::Incarnation)>) {
        if let Some((relay, epoch, incarnation)) = restarted {
            *self.identity.write().unwrap_or_else(|e| e.into_inner()) = (relay, epoch);
            *self.incarnation.lock().unwrap_or_else(|e| e.into_inner()) = incarnation;
        }
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, StorageError> {
        conn_of(
            self.pool
                .as_ref()
                .ok_or_else(|| StorageError::Unavailable("the relay is stopping".into()))?,
        )
    }

    /// A pooled connection on which `first` succeeded, and what it returned.
    /// A connection the server has closed since it was last used (a restart
    /// of the database) fails at once, before doing anything, and is
    /// dropped: the next is tried, up to the pool's size, then new ones.
    fn conn_then<T>(
        &self,
        mut first: impl FnMut(&mut Db) -> Result<T, StorageError>,
    ) -> Result<(r2d2::PooledConnection<Manager>, T), StorageError> {
        for _ in 0..=POOL_SIZE {
            let mut conn = self.conn()?;
            match first(&mut conn) {
                Err(StorageError::Postgres(e)) if is_gone(&e) => continue,
                done => return done.map(|value| (conn, value)),
            }
        }
        Err(StorageError::Unavailable(
            "every connection to the database was closed".into(),
        ))
    }

    /// Runs a read on a pooled connection (committed data only).
    fn read<T>(
        &self,
        f: impl FnMut(&mut Db) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        self.conn_then(f).map(|(_, value)| value)
    }

    /// Runs `f` in a transaction, committed if it returns Ok and rolled back
    /// otherwise; run again (from the start) when it lost a deadlock or a
    /// serialization race to another node. Only a transaction that never
    /// began is taken to another connection: one whose connection broke
    /// later may have committed.
    fn write<T>(
        &self,
        mut f: impl FnMut(&mut Db) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let begin = |db: &mut Db| Ok(db.batch_execute("BEGIN")?);
        let (mut conn, ()) = self.conn_then(begin)?;
        let mut attempt = 1;
        loop {
            match finish(&mut conn, &mut f) {
                Err(StorageError::Postgres(e)) if attempt < RETRIES && is_race(&e) => {
                    attempt += 1;
                    conn.batch_execute("BEGIN")?;
                }
                done => return done,
            }
        }
    }

    fn quotas(&self) -> Quotas {
        *self.quotas.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// Each `postgres::Client` runs a small runtime of its own, which may not be
/// dropped on an async task's thread (where the relay lets go of its state);
/// the pool's connections are closed on a thread of their own instead.
impl Drop for PostgresStorage {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let closing = std::thread::spawn(move || drop(pool));
            if tokio::runtime::Handle::try_current().is_err() {
                let _ = closing.join();
            }
        }
    }
}

/// Revokes `user`'s sessions but `keep`, and rings every node to close
/// their connections.
fn revoke_others(
    tx: &mut Db,
    user: UserId,
    keep: &[u8],
    at: DateTime<Utc>,
) -> Result<Vec<Vec<u8>>, StorageError> {
    let revoked = sessions::revoke_others(tx, user, keep, at)?;
    for hash in &revoked {
        doorbell::ring_closed(tx, &Closing::Session(hash.clone()))?;
    }
    Ok(revoked)
}

fn conn_of(pool: &Pool) -> Result<r2d2::PooledConnection<Manager>, StorageError> {
    pool.get()
        .map_err(|e| StorageError::Unavailable(e.to_string()))
}

/// Runs `f` in the transaction begun on `db` and commits it, or rolls it
/// back when it fails (or panics: the connection goes back to the pool
/// outside any transaction).
fn finish<T>(
    db: &mut Db,
    f: impl FnOnce(&mut Db) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    struct Open<'a> {
        db: &'a mut Db,
        done: bool,
    }
    impl Drop for Open<'_> {
        fn drop(&mut self) {
            if !self.done {
                let _ = self.db.batch_execute("ROLLBACK");
            }
        }
    }
    let mut open = Open { db, done: false };
    let value = f(open.db)?;
    open.db.batch_execute("COMMIT")?;
    open.done = true;
    Ok(value)
}

/// The connection is gone: the server closed it (shutting down, restarted)
/// or the link was cut. Used for a first statement (a read, `BEGIN`), which
/// may then simply be sent again on another connection.
fn is_gone(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.is_closed()
        || e.code().is_some_and(|c| {
            *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || c.code().starts_with("08")
        })
}

/// A deadlock or a serialization failure: the other transaction went on,
/// and this one may simply be run again.
fn is_race(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
    })
}

/// Refuses a database whose schema is not this relay's: one never migrated,
/// one behind (run `candor-relay migrate`), or one a newer relay moved on.
fn check_schema(client: &mut postgres::Client) -> Result<(), StorageError> {
    let runner = migrations::runner();
    let newest = runner
        .get_migrations()
        .iter()
        .map(|m| m.version())
        .max()
        .unwrap_or(0);
    let applied = runner
        .get_last_applied_migration(client)
        .map_err(|e| StorageError::Unavailable(format!("reading the schema version: {e}")))?
        .map(|m| m.version());
    match applied {
        Some(v) if v == newest => Ok(()),
        Some(v) if v > newest => Err(StorageError::Corrupt(format!(
            "the database is at schema {v}, newer than this relay's {newest}: update the relay"
        ))),
        Some(v) => Err(StorageError::Corrupt(format!(
            "the database is at schema {v} and this relay needs {newest}: run `candor-relay migrate`"
        ))),
        None => Err(StorageError::Corrupt(
            "the database has no relay schema yet: run `candor-relay migrate`".into(),
        )),
    }
}

impl Storage for PostgresStorage {
    fn create_invited_user(
        &self,
        handle: &str,
        display_name: &str,
        password_hash: &str,
        invite: Option<&[u8]>,
        at: DateTime<Utc>,
    ) -> Result<UserInfo, StorageError> {
        self.write(|tx| {
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
    ) -> Result<Vec<AccountUsage>, StorageError> {
        self.read(|c| operator::accounts(c, handle, now))
    }

    fn set_suspended(
        &self,
        handle: &str,
        suspended: bool,
        at: DateTime<Utc>,
    ) -> Result<UserId, StorageError> {
        self.write(|tx| {
            let user = operator::set_suspended(tx, handle, suspended, at)?;
            if suspended {
                doorbell::ring_closed(tx, &Closing::User(user))?;
            }
            Ok(user)
        })
    }

    fn is_suspended(&self, user: UserId) -> Result<bool, StorageError> {
        self.read(|c| operator::is_suspended(c, user))
    }

    fn count_events(
        &self,
        keys: &[RateKey],
        at: DateTime<Utc>,
    ) -> Result<Option<(usize, Duration)>, StorageError> {
        self.write(|tx| rates::count(tx, keys, at))
    }

    fn uncount_event(&self, key: &RateKey, forget: bool) -> Result<(), StorageError> {
        self.write(|tx| rates::uncount(tx, key, forget))
    }

    fn invite_only(&self) -> Result<bool, StorageError> {
        self.read(operator::invite_only)
    }

    fn set_invite_only(&self, on: bool) -> Result<(), StorageError> {
        self.write(|tx| operator::set_invite_only(tx, on))
    }

    fn create_invite(&self, code_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError> {
        self.write(|tx| operator::create_invite(tx, code_hash, at))
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
        self.write(|tx| sessions::create(tx, user, token_hash, device_name, at))
    }

    fn session(
        &self,
        token_hash: &[u8],
        active_since: DateTime<Utc>,
    ) -> Result<Option<LiveSession>, StorageError> {
        self.read(|c| sessions::live(c, token_hash, active_since))
    }

    fn touch_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError> {
        self.write(|tx| sessions::touch(tx, token_hash, at))
    }

    fn sessions_of(
        &self,
        user: UserId,
        active_since: DateTime<Utc>,
    ) -> Result<Vec<SessionRow>, StorageError> {
        self.read(|c| sessions::of_user(c, user, active_since))
    }

    fn revoke_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<bool, StorageError> {
        self.write(|tx| {
            let revoked = sessions::revoke(tx, token_hash, at)?;
            if revoked {
                doorbell::ring_closed(tx, &Closing::Session(token_hash.to_vec()))?;
            }
            Ok(revoked)
        })
    }

    fn revoke_session_by_id(
        &self,
        user: UserId,
        id: SessionId,
        at: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        self.write(|tx| {
            let revoked = sessions::revoke_by_id(tx, user, id, at)?;
            if let Some(hash) = &revoked {
                doorbell::ring_closed(tx, &Closing::Session(hash.clone()))?;
            }
            Ok(revoked)
        })
    }

    fn revoke_other_sessions(
        &self,
        user: UserId,
        keep: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<Vec<u8>>, StorageError> {
        self.write(|tx| revoke_others(tx, user, keep, at))
    }

    fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<Vec<u8>>, StorageError> {
        self.write(|tx| {
            users::set_password_hash(tx, user, password_hash)?;
            revoke_others(tx, user, keep, at)
        })
    }

    fn store_messages(
        &self,
        batch: Vec<NewMessage>,
    ) -> Result<Vec<Result<Stored, StorageError>>, StorageError> {
        let quotas = self.quotas();
        let (results, restarted) = self.write(|tx| {
            let mut restarted = None;
            // The stream's lock last, once every send is judged: from there
            // to the commit this batch is the only one numbering messages
            // (see the module docs).
            let results = batch::store(tx, quotas, batch.clone(), |tx| {
                let lock = epochs::lock_stream(tx)?;
                restarted = self.join_if_restarted(tx, &lock)?;
                Ok(lock.last_cursor)
            })?;
            // The cursors this batch took (a repeat or a refusal takes none).
            let taken = results
                .iter()
                .filter_map(|r| r.as_ref().ok().filter(|s| !s.duplicate))
                .map(|s| s.cursor);
            if let (Some(first), Some(last)) = (taken.clone().min(), taken.max())
                && !self.doorbell.bus
            {
                doorbell::ring_stored(tx, self.doorbell.node, first, last)?;
            }
            Ok((results, restarted))
        })?;
        self.take_up(restarted);
        Ok(results)
    }

    fn check_epoch(&self) -> Result<(), StorageError> {
        let restarted = self.write(|tx| {
            let lock = epochs::lock_stream(tx)?;
            self.join_if_restarted(tx, &lock)
        })?;
        self.take_up(restarted);
        Ok(())
    }

    fn blob_store(&self) -> &dyn BlobStore {
        self
    }

    fn upload_room(&self, user: UserId, blob: &BlobId, bytes: u64) -> Result<(), StorageError> {
        let quotas = self.quotas();
        self.read(|db| blobs::upload_room(db, quotas, user, blob, bytes))
    }

    fn record_upload(
        &self,
        user: UserId,
        blob: &BlobId,
        kind: PhotoKind,
        bytes: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let quotas = self.quotas();
        self.write(|db| blobs::record_upload(db, quotas, user, blob, kind, bytes, at))
    }

    fn readable_blob(
        &self,
        user: UserId,
        blob: &BlobId,
    ) -> Result<Option<PhotoKind>, StorageError> {
        self.read(|db| blobs::readable_by(db, user, blob))
    }

    fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationInfo>, StorageError> {
        self.read(|c| conversations::views_of(c, user))
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

    fn set_quotas(&self, quotas: Quotas) {
        *self.quotas.write().unwrap_or_else(|e| e.into_inner()) = quotas;
    }

    fn create_group(
        &self,
        creator: UserId,
        title: &str,
        members: &[UserId],
        at: DateTime<Utc>,
    ) -> Result<Announcement, StorageError> {
        self.write(|tx| conversations::create_group(tx, creator, title, members, at))
    }

    fn add_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Announcement, StorageError> {
        self.write(|tx| conversations::add_member(tx, actor, conversation, user, at))
    }

    fn remove_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Announcement, StorageError> {
        self.write(|tx| conversations::remove_member(tx, actor, conversation, user))
    }

    fn make_admin(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Announcement, StorageError> {
        self.write(|tx| conversations::make_admin(tx, actor, conversation, user))
    }

    fn leave(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Announcement, StorageError> {
        self.write(|tx| conversations::leave(tx, user, conversation))
    }

    fn accept(
        &self,
        user: UserId,
        conversation: ConversationId,
        at: DateTime<Utc>,
    ) -> Result<Accepted, StorageError> {
        self.write(|tx| conversations::accept(tx, user, conversation, at))
    }

    fn set_display_name(&self, user: UserId, display_name: &str) -> Result<UserInfo, StorageError> {
        self.write(|tx| users::set_display_name(tx, user, display_name))
    }

    fn settings(&self, user: UserId) -> Result<AccountSettings, StorageError> {
        self.read(|c| users::settings(c, user))
    }

    fn set_settings(&self, user: UserId, settings: &AccountSettings) -> Result<(), StorageError> {
        self.write(|tx| users::set_settings(tx, user, settings))
    }

    fn block(&self, user: UserId, blocked: UserId, at: DateTime<Utc>) -> Result<(), StorageError> {
        self.write(|tx| relations::block(tx, user, blocked, at))
    }

    fn unblock(&self, user: UserId, blocked: UserId) -> Result<(), StorageError> {
        self.write(|tx| relations::unblock(tx, user, blocked))
    }

    fn record_receipt(
        &self,
        user: UserId,
        conversation: ConversationId,
        delivered: Option<i64>,
        read: Option<i64>,
    ) -> Result<ReceiptRecorded, StorageError> {
        self.write(|tx| members::record_receipt(tx, user, conversation, delivered, read))
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
        *self.identity.read().unwrap_or_else(|e| e.into_inner())
    }

    fn healthy(&self) -> Result<(), StorageError> {
        self.read(|db| Ok(db.batch_execute("SELECT 1")?))
    }

    fn doorbell(&self) -> Option<std::sync::Arc<dyn super::doorbell::Doorbell>> {
        Some(self.doorbell.clone())
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
