//! What the relay's operator reads and changes (`candor-relay admin`): each
//! account's use of its quotas, suspensions, invite-only sign-up and its
//! invite codes.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::UserId;

use super::rows::{ms, uuid_col};
use super::usage::day_of;
use crate::storage::{AccountUsage, StorageError};

/// Every account (or the one called `handle`), by handle, with what it uses
/// as of `now`.
pub(super) fn accounts(
    conn: &Connection,
    handle: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<AccountUsage>, StorageError> {
    let rows = conn
        .prepare_cached(
            "SELECT u.handle, u.display_name, u.created_at, u.suspended_at IS NOT NULL,
                    (SELECT count(*) FROM sessions s
                     WHERE s.user_id = u.id AND s.revoked_at IS NULL),
                    CASE WHEN u.usage_day = ?1 THEN u.messages_today ELSE 0 END,
                    u.bytes_stored
             FROM users u WHERE ?2 IS NULL OR u.handle = ?2 ORDER BY u.handle",
        )?
        .query_map(params![day_of(now), handle], |r| {
            Ok(AccountUsage {
                handle: r.get(0)?,
                display_name: r.get(1)?,
                created_at: DateTime::from_timestamp_millis(r.get(2)?).unwrap_or_default(),
                suspended: r.get(3)?,
                sessions: r.get::<_, i64>(4)?.max(0) as u64,
                messages_today: r.get::<_, i64>(5)?.max(0) as u64,
                bytes_stored: r.get::<_, i64>(6)?.max(0) as u64,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Suspends (or lets back) the account called `handle`; a suspension ends
/// every session of it. Returns the account's id (UnknownUser if none).
pub(super) fn set_suspended(
    tx: &Connection,
    handle: &str,
    suspended: bool,
    at: DateTime<Utc>,
) -> Result<UserId, StorageError> {
    let user = tx
        .prepare_cached(
            "UPDATE users SET suspended_at = CASE WHEN ?2 THEN coalesce(suspended_at, ?3) END
             WHERE handle = ?1 RETURNING id",
        )?
        .query_row(params![handle, suspended, ms(at)], |r| uuid_col(r, 0))
        .optional()?
        .map(UserId)
        .ok_or(StorageError::UnknownUser)?;
    if suspended {
        tx.prepare_cached(
            "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
        )?
        .execute(params![user.to_string(), ms(at)])?;
    }
    Ok(user)
}

pub(super) fn is_suspended(conn: &Connection, user: UserId) -> Result<bool, StorageError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM users WHERE id = ?1 AND suspended_at IS NOT NULL")?
        .exists([user.to_string()])?)
}

pub(super) fn invite_only(conn: &Connection) -> Result<bool, StorageError> {
    Ok(conn
        .prepare_cached("SELECT invite_only FROM relay_settings")?
        .query_row([], |r| r.get(0))?)
}

pub(super) fn set_invite_only(tx: &Connection, on: bool) -> Result<(), StorageError> {
    tx.execute("UPDATE relay_settings SET invite_only = ?1", [on])?;
    Ok(())
}

pub(super) fn create_invite(
    tx: &Connection,
    code_hash: &[u8],
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO invites (code_hash, created_at) VALUES (?1, ?2)",
        params![code_hash, ms(at)],
    )?;
    Ok(())
}

/// On an invite-only relay, refuses a sign-up without an unspent invite
/// code; asked before the account is made, so that a refused sign-up learns
/// nothing (not even whether the handle is taken). On an open relay, asks
/// for nothing. Returns whether there is an invite to spend.
pub(super) fn check_invite(
    tx: &Connection,
    code_hash: Option<&[u8]>,
) -> Result<bool, StorageError> {
    if !invite_only(tx)? {
        return Ok(false);
    }
    let Some(hash) = code_hash else {
        return Err(StorageError::InviteNeeded(
            "this relay takes new accounts by invitation only: ask its operator for an invite code"
                .into(),
        ));
    };
    let unspent = tx
        .prepare_cached("SELECT 1 FROM invites WHERE code_hash = ?1 AND used_by IS NULL")?
        .exists([hash])?;
    if !unspent {
        return Err(StorageError::InviteNeeded(
            "that invite code is not one this relay gave out, or it was used already".into(),
        ));
    }
    Ok(true)
}

/// Spends the invite `code_hash` on `user`, just made in the same
/// transaction as [`check_invite`] found it unspent.
pub(super) fn spend_invite(
    tx: &Connection,
    code_hash: &[u8],
    user: UserId,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE invites SET used_by = ?2, used_at = ?3 WHERE code_hash = ?1 AND used_by IS NULL",
        params![code_hash, user.to_string(), ms(at)],
    )?;
    Ok(())
}
