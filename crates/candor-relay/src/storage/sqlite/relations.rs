//! Who may write to whom: blocks, contacts, and the check a direct message or
//! an invitation to a group passes.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::UserId;

use super::rows::ms;
use super::users;
use crate::storage::StorageError;

/// May `sender` write to `recipient` directly? Not if `recipient` does not exist,
/// has blocked `sender`, or takes messages from contacts only and `sender` is
/// not one. One statement answers all three.
pub(super) fn check_direct(
    conn: &Connection,
    sender: UserId,
    recipient: UserId,
) -> Result<(), StorageError> {
    let row = conn
        .prepare_cached(
            "SELECT u.who_can_message,
                    EXISTS (SELECT 1 FROM blocks WHERE user_id = u.id AND blocked_id = ?2),
                    EXISTS (SELECT 1 FROM contacts WHERE user_id = u.id AND contact_id = ?2)
             FROM users u WHERE u.id = ?1",
        )?
        .query_row([recipient.to_string(), sender.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })
        .optional()?;
    match row {
        None => Err(StorageError::UnknownUser),
        Some((_, true, _)) => Err(StorageError::Blocked),
        Some((who, false, contact)) if who == "contacts" && !contact => {
            Err(StorageError::NotAccepting)
        }
        Some(_) => Ok(()),
    }
}

pub(super) fn is_contact(conn: &Connection, user: UserId, other: UserId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM contacts WHERE user_id = ?1 AND contact_id = ?2")?
        .exists([user.to_string(), other.to_string()])
}

pub(super) fn add_contact(
    tx: &Connection,
    user: UserId,
    other: UserId,
    at: i64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO contacts (user_id, contact_id, added_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![user.to_string(), other.to_string(), at])?;
    Ok(())
}

pub(super) fn block(
    tx: &Connection,
    user: UserId,
    blocked: UserId,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    if !users::exists(tx, blocked)? || blocked == user {
        return Err(StorageError::UnknownUser);
    }
    tx.execute(
        "INSERT INTO blocks (user_id, blocked_id, blocked_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![user.to_string(), blocked.to_string(), ms(at)],
    )?;
    Ok(())
}

pub(super) fn unblock(tx: &Connection, user: UserId, blocked: UserId) -> Result<(), StorageError> {
    tx.execute(
        "DELETE FROM blocks WHERE user_id = ?1 AND blocked_id = ?2",
        [user.to_string(), blocked.to_string()],
    )?;
    Ok(())
}
