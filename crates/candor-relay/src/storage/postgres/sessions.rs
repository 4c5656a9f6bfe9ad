//! Signed-in devices: each session is kept by the hash of its bearer token,
//! never the token itself, and named in the account's list by a public id.
//! A session is live until it is revoked or goes unheard from for longer than
//! the caller's idle limit (`active_since`).

use super::db::Db;
use chrono::{DateTime, Utc};

use candor_protocol::{SessionId, UserId};

use super::rows::{ms, user_from_row, uuid_col};
use crate::storage::{LiveSession, SessionRow, StorageError};

/// The time in column `idx`, stored as milliseconds since the epoch.
fn time(r: &postgres::Row, idx: usize) -> Result<DateTime<Utc>, StorageError> {
    let at: i64 = r.try_get(idx)?;
    Ok(DateTime::from_timestamp_millis(at).unwrap_or_default())
}

/// Starts a session of `user` on the device `device_name`, kept by the hash
/// of its token.
pub(super) fn create(
    c: &mut Db,
    user: UserId,
    token_hash: &[u8],
    device_name: &str,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    c.execute(
        "INSERT INTO sessions (token_hash, user_id, device_name, created_at, id, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $4)",
        &[
            &token_hash,
            &user.to_string(),
            &device_name,
            &ms(at),
            &SessionId::new().to_string(),
        ],
    )?;
    Ok(())
}

/// The live session of `token_hash`, with its account.
pub(super) fn live(
    c: &mut Db,
    token_hash: &[u8],
    active_since: DateTime<Utc>,
) -> Result<Option<LiveSession>, StorageError> {
    c.query_opt(
        "SELECT u.id, u.handle, u.display_name, s.id, s.last_seen_at
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.last_seen_at >= $2
           AND u.suspended_at IS NULL",
        &[&token_hash, &ms(active_since)],
    )?
    .map(|r| {
        Ok(LiveSession {
            user: user_from_row(&r)?,
            id: SessionId(uuid_col(&r, 3)?),
            last_seen_at: time(&r, 4)?,
        })
    })
    .transpose()
}

/// Records that the session was heard from at `at`.
pub(super) fn touch(c: &mut Db, token_hash: &[u8], at: DateTime<Utc>) -> Result<(), StorageError> {
    c.execute(
        "UPDATE sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE token_hash = $1",
        &[&token_hash, &ms(at)],
    )?;
    Ok(())
}

/// `user`'s live sessions, the most recently seen first.
pub(super) fn of_user(
    c: &mut Db,
    user: UserId,
    active_since: DateTime<Utc>,
) -> Result<Vec<SessionRow>, StorageError> {
    c.query(
        "SELECT id, device_name, created_at, last_seen_at, token_hash FROM sessions
         WHERE user_id = $1 AND revoked_at IS NULL AND last_seen_at >= $2
         ORDER BY last_seen_at DESC, created_at DESC",
        &[&user.to_string(), &ms(active_since)],
    )?
    .iter()
    .map(|r| {
        Ok(SessionRow {
            id: SessionId(uuid_col(r, 0)?),
            device_name: r.try_get(1)?,
            signed_in_at: time(r, 2)?,
            last_seen_at: time(r, 3)?,
            token_hash: r.try_get(4)?,
        })
    })
    .collect()
}

/// Revokes a session; false if it was not live.
pub(super) fn revoke(
    c: &mut Db,
    token_hash: &[u8],
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let n = c.execute(
        "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
        &[&token_hash, &ms(at)],
    )?;
    Ok(n == 1)
}

/// Revokes `user`'s session `id`, returning its token hash; None if `user`
/// has no live session of that id (another account's is not theirs to end).
pub(super) fn revoke_by_id(
    c: &mut Db,
    user: UserId,
    id: SessionId,
    at: DateTime<Utc>,
) -> Result<Option<Vec<u8>>, StorageError> {
    Ok(c.query_opt(
        "UPDATE sessions SET revoked_at = $3
             WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING token_hash",
        &[&id.to_string(), &user.to_string(), &ms(at)],
    )?
    .map(|r| r.try_get(0))
    .transpose()?)
}

/// Revokes every live session of `user` but `keep`, returning their hashes.
pub(super) fn revoke_others(
    c: &mut Db,
    user: UserId,
    keep: &[u8],
    at: DateTime<Utc>,
) -> Result<Vec<Vec<u8>>, StorageError> {
    Ok(c.query(
        "UPDATE sessions SET revoked_at = $3
             WHERE user_id = $1 AND token_hash != $2 AND revoked_at IS NULL RETURNING token_hash",
        &[&user.to_string(), &keep, &ms(at)],
    )?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<Vec<_>, _>>()?)
}
