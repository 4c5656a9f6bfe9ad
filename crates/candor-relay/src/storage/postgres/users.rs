//! Accounts: handles, display names, password hashes and the one setting that
//! decides who may start a chat.

use super::db::Db;
use chrono::{DateTime, Utc};
use postgres::error::SqlState;

use candor_protocol::UserId;
use candor_protocol::api::{AccountSettings, UserInfo, WhoCanMessage};

use super::rows::{ms, user_from_row};
use crate::storage::StorageError;

/// Makes an account; HandleTaken if another has `handle` already.
pub(super) fn create(
    c: &mut Db,
    handle: &str,
    display_name: &str,
    password_hash: &str,
    at: DateTime<Utc>,
) -> Result<UserInfo, StorageError> {
    let user = UserInfo {
        id: UserId::new(),
        handle: handle.to_owned(),
        display_name: display_name.to_owned(),
    };
    let result = c.execute(
        "INSERT INTO users (id, handle, display_name, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &user.id.to_string(),
            &handle,
            &display_name,
            &password_hash,
            &ms(at),
        ],
    );
    match result {
        Ok(_) => Ok(user),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(StorageError::HandleTaken),
        Err(e) => Err(e.into()),
    }
}

/// The account called `handle`, with its password hash.
pub(super) fn credentials(
    c: &mut Db,
    handle: &str,
) -> Result<Option<(UserInfo, String)>, StorageError> {
    c.query_opt(
        "SELECT id, handle, display_name, password_hash FROM users WHERE handle = $1",
        &[&handle],
    )?
    .map(|r| Ok((user_from_row(&r)?, r.try_get(3)?)))
    .transpose()
}

/// The account called `handle`.
pub(super) fn by_handle(c: &mut Db, handle: &str) -> Result<Option<UserInfo>, StorageError> {
    c.query_opt(
        "SELECT id, handle, display_name FROM users WHERE handle = $1",
        &[&handle],
    )?
    .map(|r| user_from_row(&r))
    .transpose()
}

/// Whether there is an account `user`.
pub(super) fn exists(c: &mut Db, user: UserId) -> Result<bool, StorageError> {
    Ok(
        c.query_opt("SELECT 1 FROM users WHERE id = $1", &[&user.to_string()])?
            .is_some(),
    )
}

/// Renames `user`, returning the account as others now see it.
pub(super) fn set_display_name(
    c: &mut Db,
    user: UserId,
    display_name: &str,
) -> Result<UserInfo, StorageError> {
    c.execute(
        "UPDATE users SET display_name = $2 WHERE id = $1",
        &[&user.to_string(), &display_name],
    )?;
    c.query_opt(
        "SELECT id, handle, display_name FROM users WHERE id = $1",
        &[&user.to_string()],
    )?
    .map(|r| user_from_row(&r))
    .transpose()?
    .ok_or(StorageError::UnknownUser)
}

/// Replaces `user`'s password hash (UnknownUser if there is no such account).
pub(super) fn set_password_hash(
    c: &mut Db,
    user: UserId,
    password_hash: &str,
) -> Result<(), StorageError> {
    let n = c.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        &[&user.to_string(), &password_hash],
    )?;
    if n == 0 {
        return Err(StorageError::UnknownUser);
    }
    Ok(())
}

/// `user`'s settings.
pub(super) fn settings(c: &mut Db, user: UserId) -> Result<AccountSettings, StorageError> {
    let who: String = c
        .query_one(
            "SELECT who_can_message FROM users WHERE id = $1",
            &[&user.to_string()],
        )?
        .try_get(0)?;
    Ok(AccountSettings {
        who_can_message: if who == "contacts" {
            WhoCanMessage::Contacts
        } else {
            WhoCanMessage::Everyone
        },
    })
}

/// Stores `user`'s settings.
pub(super) fn set_settings(
    c: &mut Db,
    user: UserId,
    settings: &AccountSettings,
) -> Result<(), StorageError> {
    let who = match settings.who_can_message {
        WhoCanMessage::Everyone => "everyone",
        WhoCanMessage::Contacts => "contacts",
    };
    c.execute(
        "UPDATE users SET who_can_message = $2 WHERE id = $1",
        &[&user.to_string(), &who],
    )?;
    Ok(())
}
