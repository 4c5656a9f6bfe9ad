//! The relay's own history: its identity, and one epoch per run of the
//! process on this data directory.
//!
//! Cursors are numbered by SQLite's autoincrement, so a data directory
//! restored from an older copy hands out again the cursors (and seqs) it gave
//! after the copy was taken, to other messages. A client's position is
//! therefore kept with its epoch, and checked here against this directory's
//! history: an epoch this history holds covers the cursors from its start to
//! the start of the next one; an epoch it does not hold, or the part of one
//! past where the next began, was lost.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::{EpochId, RelayId};

use super::messages::stream_end;
use super::rows::{ms, uuid_col};
use crate::storage::StorageError;

/// Records a new epoch starting at the stream's end, durably, before the
/// process stores anything in it; returns the relay's id (made on first use)
/// and the new epoch.
pub(super) fn begin(
    conn: &Connection,
    at: DateTime<Utc>,
) -> Result<(RelayId, EpochId), StorageError> {
    let tx = conn.unchecked_transaction()?;
    let relay = match tx
        .query_row("SELECT relay_id FROM relay_identity", [], |r| {
            uuid_col(r, 0)
        })
        .optional()?
    {
        Some(id) => RelayId(id),
        None => {
            let id = RelayId::new();
            tx.execute(
                "INSERT INTO relay_identity (only_row, relay_id) VALUES (1, ?1)",
                [id.to_string()],
            )?;
            id
        }
    };
    let epoch = EpochId::new();
    tx.execute(
        "INSERT INTO epochs (token, after_cursor, started_at) VALUES (?1, ?2, ?3)",
        params![epoch.to_string(), stream_end(&tx)? as i64, ms(at)],
    )?;
    tx.commit()?;
    Ok((relay, epoch))
}

/// The last cursor of `epoch` this history holds (see the module docs).
pub(super) fn kept_through(conn: &Connection, epoch: EpochId) -> Result<Option<u64>, StorageError> {
    let Some(seq) = conn
        .prepare_cached("SELECT seq FROM epochs WHERE token = ?1")?
        .query_row([epoch.to_string()], |r| r.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(None);
    };
    let next_start: Option<i64> = conn
        .prepare_cached("SELECT after_cursor FROM epochs WHERE seq > ?1 ORDER BY seq LIMIT 1")?
        .query_row([seq], |r| r.get(0))
        .optional()?;
    Ok(Some(match next_start {
        Some(start) => start.max(0) as u64,
        None => stream_end(conn)?,
    }))
}

#[cfg(test)]
mod tests {
    use candor_protocol::EpochId;
    use candor_protocol::frames::Recipient;

    use super::super::test_support::{send, users};
    use crate::storage::{SqliteStorage, Storage};

    /// A directory copied aside, used on, and then put back: positions from
    /// the part of history the copy lacks are recognised as lost.
    #[test]
    fn an_epoch_ends_where_the_next_began_and_a_lost_one_is_unknown() {
        let live = tempfile::tempdir().expect("dir");
        let s = SqliteStorage::open(live.path()).expect("open");
        let [alice, bob] = users(&s, &["alice", "bob"])[..] else {
            unreachable!()
        };
        let (relay, first) = s.identity();
        let one = send(&s, alice, Recipient::Direct { user: bob }).expect("one");
        drop(s);
        let backup = tempfile::tempdir().expect("backup");
        for f in ["relay.db", "relay.db-wal"] {
            if live.path().join(f).exists() {
                std::fs::copy(live.path().join(f), backup.path().join(f)).expect("copy");
            }
        }

        let s = SqliteStorage::open(live.path()).expect("open again");
        let (same_relay, second) = s.identity();
        assert_eq!(same_relay, relay, "the relay keeps its id");
        assert_ne!(second, first, "each run is a new epoch");
        let two = send(&s, alice, Recipient::Direct { user: bob }).expect("two");
        assert_eq!(
            s.epoch_kept_through(first).expect("first"),
            Some(one.cursor)
        );
        assert_eq!(
            s.epoch_kept_through(second).expect("second"),
            Some(two.cursor)
        );
        drop(s);

        let restored = SqliteStorage::open(backup.path()).expect("open the copy");
        assert_eq!(restored.identity().0, relay);
        assert_eq!(
            restored.epoch_kept_through(first).expect("first"),
            Some(one.cursor),
            "the copy holds the first epoch"
        );
        assert_eq!(
            restored.epoch_kept_through(second).expect("second"),
            None,
            "the copy never saw the second"
        );
        assert_eq!(
            restored.epoch_kept_through(EpochId::new()).expect("any"),
            None
        );
        let again = send(&restored, alice, Recipient::Direct { user: bob }).expect("again");
        assert_eq!(
            (again.cursor, again.message.seq),
            (two.cursor, two.message.seq),
            "the copy hands out the lost cursor and seq again: why positions carry epochs"
        );
    }
}
