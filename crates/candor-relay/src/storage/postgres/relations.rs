//! Who may write to whom: blocks, contacts, and the check a direct message or
//! an invitation to a group passes.

use super::db::Db;
use chrono::{DateTime, Utc};

use candor_protocol::UserId;

use super::rows::ms;
use super::users;
use crate::storage::StorageError;

/// May `sender` write to `recipient` directly? Not if `recipient` does not exist,
/// has blocked `sender`, or takes messages from contacts only and `sender` is
/// not one. One statement answers all three.
pub(super) fn check_direct(
    c: &mut Db,
    sender: UserId,
    recipient: UserId,
) -> Result<(), StorageError> {
    let row = c.query_opt(
        "SELECT u.who_can_message,
                EXISTS (SELECT 1 FROM blocks WHERE user_id = u.id AND blocked_id = $2),
                EXISTS (SELECT 1 FROM contacts WHERE user_id = u.id AND contact_id = $2)
         FROM users u WHERE u.id = $1",
        &[&recipient.to_string(), &sender.to_string()],
    )?;
    let row = match row {
        None => None,
        Some(r) => Some((
            r.try_get::<_, String>(0)?,
            r.try_get::<_, bool>(1)?,
            r.try_get::<_, bool>(2)?,
        )),
    };
    match row {
        None => Err(StorageError::UnknownUser),
        Some((_, true, _)) => Err(StorageError::Blocked),
        Some((who, false, contact)) if who == "contacts" && !contact => {
            Err(StorageError::NotAccepting)
        }
        Some(_) => Ok(()),
    }
}

/// Whether `user` has `other` among their contacts.
pub(super) fn is_contact(c: &mut Db, user: UserId, other: UserId) -> Result<bool, StorageError> {
    Ok(c.query_opt(
        "SELECT 1 FROM contacts WHERE user_id = $1 AND contact_id = $2",
        &[&user.to_string(), &other.to_string()],
    )?
    .is_some())
}

/// Makes `other` one of `user`'s contacts (at `at`, in milliseconds), if not
/// one already.
pub(super) fn add_contact(
    c: &mut Db,
    user: UserId,
    other: UserId,
    at: i64,
) -> Result<(), StorageError> {
    c.execute(
        "INSERT INTO contacts (user_id, contact_id, added_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&user.to_string(), &other.to_string(), &at],
    )?;
    Ok(())
}

/// `user` blocks `blocked` (UnknownUser for no such account, or oneself).
pub(super) fn block(
    c: &mut Db,
    user: UserId,
    blocked: UserId,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    if !users::exists(c, blocked)? || blocked == user {
        return Err(StorageError::UnknownUser);
    }
    c.execute(
        "INSERT INTO blocks (user_id, blocked_id, blocked_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&user.to_string(), &blocked.to_string(), &ms(at)],
    )?;
    Ok(())
}

/// `user` lifts a block of `blocked`, if there was one.
pub(super) fn unblock(c: &mut Db, user: UserId, blocked: UserId) -> Result<(), StorageError> {
    c.execute(
        "DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2",
        &[&user.to_string(), &blocked.to_string()],
    )?;
    Ok(())
}
