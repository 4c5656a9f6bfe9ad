//! The relay's own history on PostgreSQL: its identity, and one epoch per
//! incarnation of the database.
//!
//! The embedded store starts an epoch each time the relay process opens its
//! data directory, because restoring a copy of that directory means
//! restarting the process. Here the relay nodes come and go while the
//! database stays, and a restore either restarts the server (a base backup,
//! a point in time) or makes the database anew (pg_restore into a new one,
//! which gets a new oid); so an epoch belongs to an [`Incarnation`]. The
//! first node to see a new one records the epoch, with the stream's end at
//! that moment; the others join it. A database restored from an older copy
//! hands out again the cursors it gave after the copy was taken: the epoch
//! the clients name for those is either missing from the restored history
//! or ends where the new one began, which is what `kept_through` reports.

use super::db::Db;
use chrono::{DateTime, Utc};

use candor_protocol::{EpochId, RelayId};

use super::rows::{ms, uuid_col};
use crate::storage::StorageError;

/// When the server started and which database this is: what changes when the
/// database is restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Incarnation {
    server_started: DateTime<Utc>,
    database: i64,
}

/// The stream's row, locked for the rest of the transaction, and the
/// database's incarnation.
pub(super) struct StreamLock {
    pub(super) last_cursor: u64,
    pub(super) incarnation: Incarnation,
}

pub(super) fn lock_stream(c: &mut Db) -> Result<StreamLock, StorageError> {
    let row = c.query_one(
        "SELECT last_cursor, pg_postmaster_start_time(),
                (SELECT oid FROM pg_database WHERE datname = current_database())::bigint
         FROM relay_stream FOR UPDATE",
        &[],
    )?;
    Ok(StreamLock {
        last_cursor: row.try_get::<_, i64>(0)?.max(0) as u64,
        incarnation: Incarnation {
            server_started: row.try_get(1)?,
            database: row.try_get(2)?,
        },
    })
}

/// Joins the epoch of the database's current incarnation, recording it (and the
/// relay's id, on first use) if no node has yet. Takes the stream's lock, so
/// the epoch starts exactly where the stream stood: `c` must be a
/// transaction, which holds it to the commit. Returns the relay, the epoch
/// and the incarnation it belongs to.
pub(super) fn join(
    c: &mut Db,
    at: DateTime<Utc>,
) -> Result<(RelayId, EpochId, Incarnation), StorageError> {
    let StreamLock {
        last_cursor,
        incarnation: now,
    } = lock_stream(c)?;
    c.execute(
        "INSERT INTO relay_identity (only_row, relay_id) VALUES (1, $1) ON CONFLICT DO NOTHING",
        &[&RelayId::new().to_string()],
    )?;
    let relay = RelayId(uuid_col(
        &c.query_one("SELECT relay_id FROM relay_identity", &[])?,
        0,
    )?);
    c.execute(
        "INSERT INTO epochs (token, after_cursor, started_at, server_started_at, database_oid)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (server_started_at, database_oid) DO NOTHING",
        &[
            &EpochId::new().to_string(),
            &(last_cursor as i64),
            &ms(at),
            &now.server_started,
            &now.database,
        ],
    )?;
    let epoch = EpochId(uuid_col(
        &c.query_one(
            "SELECT token FROM epochs WHERE server_started_at = $1 AND database_oid = $2",
            &[&now.server_started, &now.database],
        )?,
        0,
    )?);
    Ok((relay, epoch, now))
}

/// The last cursor of `epoch` this history holds: up to where the next epoch
/// began, or the stream's end for the current one; None if it holds no such
/// epoch.
pub(super) fn kept_through(c: &mut Db, epoch: EpochId) -> Result<Option<u64>, StorageError> {
    let Some(row) = c.query_opt(
        "SELECT coalesce(
             (SELECT n.after_cursor FROM epochs n WHERE n.seq > e.seq ORDER BY n.seq LIMIT 1),
             (SELECT last_cursor FROM relay_stream))
         FROM epochs e WHERE e.token = $1",
        &[&epoch.to_string()],
    )?
    else {
        return Ok(None);
    };
    let through: i64 = row.try_get(0)?;
    Ok(Some(through.max(0) as u64))
}
