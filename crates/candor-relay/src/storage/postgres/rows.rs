//! Reading the column types every table shares: ids stored as text, times as
//! milliseconds since the epoch, and an account's public row. Text rather
//! than PostgreSQL's uuid type keeps the rows the embedded store's, so that
//! an operator can move a relay from one to the other with plain SQL.

use uuid::Uuid;

use candor_protocol::UserId;
use candor_protocol::api::UserInfo;

use crate::storage::StorageError;

/// A time as stored: milliseconds since the epoch.
pub(super) fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// The id in column `idx`, stored as text.
pub(super) fn uuid_col(r: &postgres::Row, idx: usize) -> Result<Uuid, StorageError> {
    let s: &str = r.try_get(idx)?;
    Uuid::parse_str(s)
        .map_err(|e| StorageError::Corrupt(format!("an id that is not one: {s}: {e}")))
}

/// An account as others see it, from `id, handle, display_name`.
pub(super) fn user_from_row(r: &postgres::Row) -> Result<UserInfo, StorageError> {
    Ok(UserInfo {
        id: UserId(uuid_col(r, 0)?),
        handle: r.try_get(1)?,
        display_name: r.try_get(2)?,
    })
}
