//! What the relay's operator reads and changes (`candor-relay admin`): each
//! account's use of its quotas, suspensions, invite-only sign-up and its
//! invite codes.

use super::db::Db;
use chrono::{DateTime, Utc};

use candor_protocol::UserId;

use super::rows::{ms, uuid_col};
use super::usage::day_of;
use crate::storage::{AccountUsage, StorageError};

/// Every account (or the one called `handle`), by handle, with what it uses
/// as of `now`: messages counted on a day before today count as none.
pub(super) fn accounts(
    c: &mut Db,
    handle: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<AccountUsage>, StorageError> {
    c.query(
        "SELECT u.handle, u.display_name, u.created_at, u.suspended_at IS NOT NULL,
                (SELECT count(*) FROM sessions s
                 WHERE s.user_id = u.id AND s.revoked_at IS NULL),
                CASE WHEN u.usage_day = $1 THEN u.messages_today ELSE 0 END,
                u.bytes_stored
         FROM users u WHERE $2::TEXT IS NULL OR u.handle = $2::TEXT ORDER BY u.handle",
        &[&day_of(now), &handle],
    )?
    .iter()
    .map(|r| {
        Ok(AccountUsage {
            handle: r.try_get(0)?,
            display_name: r.try_get(1)?,
            created_at: DateTime::from_timestamp_millis(r.try_get(2)?).unwrap_or_default(),
            suspended: r.try_get(3)?,
            sessions: r.try_get::<_, i64>(4)?.max(0) as u64,
            messages_today: r.try_get::<_, i64>(5)?.max(0) as u64,
            bytes_stored: r.try_get::<_, i64>(6)?.max(0) as u64,
        })
    })
    .collect()
}

/// Suspends (or lets back) the account called `handle`; a suspension ends
/// every session of it. Returns the account's id (UnknownUser if none).
pub(super) fn set_suspended(
    c: &mut Db,
    handle: &str,
    suspended: bool,
    at: DateTime<Utc>,
) -> Result<UserId, StorageError> {
    let user = c
        .query_opt(
            "UPDATE users
             SET suspended_at = CASE WHEN $2::BOOLEAN THEN coalesce(suspended_at, $3::BIGINT) END
             WHERE handle = $1 RETURNING id",
            &[&handle, &suspended, &ms(at)],
        )?
        .map(|r| uuid_col(&r, 0))
        .transpose()?
        .map(UserId)
        .ok_or(StorageError::UnknownUser)?;
    if suspended {
        c.execute(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            &[&user.to_string(), &ms(at)],
        )?;
    }
    Ok(user)
}

/// Whether `user` is suspended (false for no such account).
pub(super) fn is_suspended(c: &mut Db, user: UserId) -> Result<bool, StorageError> {
    Ok(c.query_opt(
        "SELECT 1 FROM users WHERE id = $1 AND suspended_at IS NOT NULL",
        &[&user.to_string()],
    )?
    .is_some())
}

/// Whether new accounts need an invite code.
pub(super) fn invite_only(c: &mut Db) -> Result<bool, StorageError> {
    Ok(c.query_one("SELECT invite_only FROM relay_settings", &[])?
        .try_get(0)?)
}

/// Turns invite-only sign-up on or off.
pub(super) fn set_invite_only(c: &mut Db, on: bool) -> Result<(), StorageError> {
    c.execute("UPDATE relay_settings SET invite_only = $1", &[&on])?;
    Ok(())
}

/// Stores a new, unspent invite code by its hash.
pub(super) fn create_invite(
    c: &mut Db,
    code_hash: &[u8],
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    c.execute(
        "INSERT INTO invites (code_hash, created_at) VALUES ($1, $2)",
        &[&code_hash, &ms(at)],
    )?;
    Ok(())
}

/// On an invite-only relay, refuses a sign-up without an unspent invite
/// code; asked before the account is made, so that a refused sign-up learns
/// nothing (not even whether the handle is taken). On an open relay, asks
/// for nothing. Returns whether there is an invite to spend.
///
/// The invite's row is locked until the sign-up's transaction ends, so two
/// sign-ups on different nodes cannot both spend one code: the second waits,
/// then finds it used.
pub(super) fn check_invite(c: &mut Db, code_hash: Option<&[u8]>) -> Result<bool, StorageError> {
    if !invite_only(c)? {
        return Ok(false);
    }
    let Some(hash) = code_hash else {
        return Err(StorageError::InviteNeeded(
            "this relay takes new accounts by invitation only: ask its operator for an invite code"
                .into(),
        ));
    };
    let unspent = c
        .query_opt(
            "SELECT 1 FROM invites WHERE code_hash = $1 AND used_by IS NULL FOR UPDATE",
            &[&hash],
        )?
        .is_some();
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
    c: &mut Db,
    code_hash: &[u8],
    user: UserId,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    c.execute(
        "UPDATE invites SET used_by = $2, used_at = $3 WHERE code_hash = $1 AND used_by IS NULL",
        &[&code_hash, &user.to_string(), &ms(at)],
    )?;
    Ok(())
}
