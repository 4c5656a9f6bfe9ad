//! Reading and writing the column types every table shares: ids stored as
//! text, times as milliseconds since the epoch, and an account's public row.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use candor_protocol::UserId;
use candor_protocol::api::UserInfo;

/// A time as stored: milliseconds since the epoch.
pub(super) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The id in column `idx`, stored as text.
pub(super) fn uuid_col(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let s: String = r.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// An account as others see it, from `id, handle, display_name`.
pub(super) fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserInfo> {
    Ok(UserInfo {
        id: UserId(uuid_col(r, 0)?),
        handle: r.get(1)?,
        display_name: r.get(2)?,
    })
}
