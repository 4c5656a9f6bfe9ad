//! Signed-in devices: each session is kept by the hash of its bearer token,
//! never the token itself.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::UserId;
use candor_protocol::api::UserInfo;

use super::rows::{ms, user_from_row};
use crate::storage::StorageError;

pub(super) fn create(
    tx: &Connection,
    user: UserId,
    token_hash: &[u8],
    device_name: &str,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO sessions (token_hash, user_id, device_name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, user.to_string(), device_name, ms(at)],
    )?;
    Ok(())
}

/// The account of a live session.
pub(super) fn user(conn: &Connection, token_hash: &[u8]) -> Result<Option<UserInfo>, StorageError> {
    Ok(conn
        .prepare_cached(
            "SELECT u.id, u.handle, u.display_name FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.revoked_at IS NULL",
        )?
        .query_row([token_hash], user_from_row)
        .optional()?)
}

/// Revokes a session; false if it was not live.
pub(super) fn revoke(
    tx: &Connection,
    token_hash: &[u8],
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let n = tx.execute(
        "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
        params![token_hash, ms(at)],
    )?;
    Ok(n == 1)
}
