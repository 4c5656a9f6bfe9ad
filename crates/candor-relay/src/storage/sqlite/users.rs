//! Accounts: handles, display names, password hashes and the one setting that
//! decides who may start a chat.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::UserId;
use candor_protocol::api::{AccountSettings, UserInfo, WhoCanMessage};

use super::rows::{ms, user_from_row};
use crate::storage::StorageError;

pub(super) fn create(
    tx: &Connection,
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
    let result = tx.execute(
        "INSERT INTO users (id, handle, display_name, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            user.id.to_string(),
            handle,
            display_name,
            password_hash,
            ms(at)
        ],
    );
    match result {
        Ok(_) => Ok(user),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
            Err(StorageError::HandleTaken)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn credentials(
    conn: &Connection,
    handle: &str,
) -> Result<Option<(UserInfo, String)>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT id, handle, display_name, password_hash FROM users WHERE handle = ?1",
            [handle],
            |r| Ok((user_from_row(r)?, r.get(3)?)),
        )
        .optional()?)
}

pub(super) fn by_handle(conn: &Connection, handle: &str) -> Result<Option<UserInfo>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT id, handle, display_name FROM users WHERE handle = ?1",
            [handle],
            user_from_row,
        )
        .optional()?)
}

pub(super) fn exists(conn: &Connection, user: UserId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
        .exists([user.to_string()])
}

pub(super) fn set_display_name(
    tx: &Connection,
    user: UserId,
    display_name: &str,
) -> Result<UserInfo, StorageError> {
    tx.execute(
        "UPDATE users SET display_name = ?2 WHERE id = ?1",
        params![user.to_string(), display_name],
    )?;
    tx.prepare_cached("SELECT id, handle, display_name FROM users WHERE id = ?1")?
        .query_row([user.to_string()], user_from_row)
        .optional()?
        .ok_or(StorageError::UnknownUser)
}

pub(super) fn set_password_hash(
    tx: &Connection,
    user: UserId,
    password_hash: &str,
) -> Result<(), StorageError> {
    let n = tx.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![user.to_string(), password_hash],
    )?;
    if n == 0 {
        return Err(StorageError::UnknownUser);
    }
    Ok(())
}

pub(super) fn settings(conn: &Connection, user: UserId) -> Result<AccountSettings, StorageError> {
    let who: String = conn.query_row(
        "SELECT who_can_message FROM users WHERE id = ?1",
        [user.to_string()],
        |r| r.get(0),
    )?;
    Ok(AccountSettings {
        who_can_message: if who == "contacts" {
            WhoCanMessage::Contacts
        } else {
            WhoCanMessage::Everyone
        },
    })
}

pub(super) fn set_settings(
    tx: &Connection,
    user: UserId,
    settings: &AccountSettings,
) -> Result<(), StorageError> {
    let who = match settings.who_can_message {
        WhoCanMessage::Everyone => "everyone",
        WhoCanMessage::Contacts => "contacts",
    };
    tx.execute(
        "UPDATE users SET who_can_message = ?2 WHERE id = ?1",
        params![user.to_string(), who],
    )?;
    Ok(())
}
