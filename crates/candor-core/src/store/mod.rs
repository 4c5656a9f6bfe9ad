//! The local store: one SQLite file per profile, opened in exactly one place.
//!
//! Durability first: WAL with `synchronous=FULL`, so a message that the UI shows as
//! queued is on disk before the UI shows it. A file that is damaged, unreadable or
//! written by a newer Candor is reported with its path and never modified.

mod chat_settings;
mod clock_steps;
mod compose;
mod conversations;
mod copies;
mod drafts;
mod hide;
mod inbox;
mod migrations;
mod photos;
mod reactions;
mod receive;
mod search;
mod sql;
mod summary;
mod sync_state;
mod undo_send;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use candor_protocol::UserId;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension};

pub use compose::{Composed, MAX_SHARE_CHATS, OutboxEntry};
pub use drafts::MAX_DRAFT_CHARS;
pub use migrations::SCHEMA_VERSION;
pub use sync_state::PendingSend;

use crate::{Clock, CoreError, Profile, StoreError, SystemClock};

/// How long a writer waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The profile's database and the domain operations on it.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    clock: Arc<dyn Clock>,
    /// The clocks as last read for the outbox (see clock_steps).
    clock_seen: std::cell::Cell<clock_steps::Reading>,
    /// The signed-in user, cached from the profile table.
    me: Option<UserId>,
    /// Photos' bytes, beside the database.
    photos: crate::photo::PhotoCache,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to
    /// date. Refuses, without writing, a file that is not a healthy Candor database
    /// or that comes from a newer schema.
    pub fn open(path: &Path) -> Result<Self, CoreError> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, CoreError> {
        let conn = open_connection(path)?;
        Self::from_connection(conn, clock, crate::photo::PhotoCache::beside(path))
    }

    /// An in-memory store, for tests and throwaway use.
    pub fn open_in_memory(clock: Arc<dyn Clock>) -> Result<Self, CoreError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::migrations()
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migration {
                path: PathBuf::from(":memory:"),
                source,
            })?;
        Self::from_connection(conn, clock, crate::photo::PhotoCache::ephemeral())
    }

    fn from_connection(
        conn: Connection,
        clock: Arc<dyn Clock>,
        photos: crate::photo::PhotoCache,
    ) -> Result<Self, CoreError> {
        let seen = clock_steps::Reading::now(clock.as_ref());
        let mut store = Self {
            conn,
            clock,
            clock_seen: std::cell::Cell::new(seen),
            me: None,
            photos,
        };
        store.me = store.profile()?.map(|p| p.user_id);
        store.bound_waits()?;
        Ok(store)
    }

    /// The signed-in profile, if any.
    pub fn profile(&self) -> Result<Option<Profile>, CoreError> {
        self.conn
            .query_row(
                "SELECT user_id, handle, display_name, relay_url FROM profile WHERE id = 1",
                [],
                |r| {
                    Ok(Profile {
                        user_id: sql::id(r, 0)?,
                        handle: r.get(1)?,
                        display_name: r.get(2)?,
                        relay_url: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(Into::into)
    }

    /// Records the account this device is signed in to.
    pub fn set_profile(&mut self, profile: &Profile) -> Result<(), CoreError> {
        self.conn.execute(
            "INSERT INTO profile (id, user_id, handle, display_name, relay_url)
             VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, handle = excluded.handle,
                 display_name = excluded.display_name, relay_url = excluded.relay_url",
            (
                profile.user_id.to_string(),
                &profile.handle,
                &profile.display_name,
                &profile.relay_url,
            ),
        )?;
        self.me = Some(profile.user_id);
        Ok(())
    }

    /// Takes `profile` as this device's account after signing in. A store holds
    /// one account's messages: signing in as someone else here is refused
    /// (they get a profile of their own), and nothing is changed.
    pub fn adopt_profile(&mut self, profile: &Profile) -> Result<(), CoreError> {
        if let Some(held) = self.profile()?
            && held.user_id != profile.user_id
        {
            return Err(CoreError::ProfileOfAnother {
                held: held.handle,
                wanted: profile.handle.clone(),
            });
        }
        self.set_profile(profile)
    }

    fn me(&self) -> Result<UserId, CoreError> {
        self.me.ok_or(CoreError::NotSignedIn)
    }

    /// The raw connection, for benchmarks and tests that compare against bare SQL.
    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The one place a database file is opened.
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let unreadable = |source| StoreError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let corrupt = |source| StoreError::Corrupt {
        path: path.to_owned(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    owner_only(path).map_err(|e| StoreError::Permissions {
        path: path.to_owned(),
        source: e,
    })?;
    let mut conn = Connection::open_with_flags(path, flags).map_err(unreadable)?;

    // Read the header before writing anything: a foreign or damaged file fails here,
    // and a newer schema is refused, both without a single write.
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| classify(e, unreadable, corrupt))?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| classify(e, unreadable, corrupt))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }

    configure(&conn).map_err(|e| classify(e, unreadable, corrupt))?;
    migrations::migrations()
        .to_latest(&mut conn)
        .map_err(|source| StoreError::Migration {
            path: path.to_owned(),
            source,
        })?;
    Ok(conn)
}

/// Creates the database file readable and writable by its owner only, and
/// narrows one an older Candor made world-readable, with its journal files.
/// SQLite gives the journal files it creates the database's own mode, so
/// messages never sit in a file another user of the machine can read.
fn owner_only(path: &Path) -> std::io::Result<()> {
    // An in-memory or URI database has no file of its own here.
    if path.as_os_str().to_string_lossy().starts_with("file:") {
        return Ok(());
    }
    candor_private::database(path)
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Freed space is zeroed, so that text SQLite moves or removes (page splits,
    // status updates, an erase) leaves no stale copy behind in the file.
    conn.pragma_update(None, "secure_delete", true)?;
    Ok(())
}

fn classify(
    e: rusqlite::Error,
    unreadable: impl FnOnce(rusqlite::Error) -> StoreError,
    corrupt: impl FnOnce(rusqlite::Error) -> StoreError,
) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => corrupt(e),
        _ => unreadable(e),
    }
}
