//! Conversions between the domain's types and their SQL columns.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use rusqlite::types::{FromSqlError, Type};
use uuid::Uuid;

/// Milliseconds since the epoch, the store's time format.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn time(r: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let v: i64 = r.get(idx)?;
    from_ms(v, idx)
}

pub(crate) fn opt_time(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    r.get::<_, Option<i64>>(idx)?
        .map(|v| from_ms(v, idx))
        .transpose()
}

fn from_ms(v: i64, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Integer,
            Box::new(FromSqlError::OutOfRange(v)),
        )
    })
}

/// A UUID-backed id stored as text.
pub(crate) fn id<T: From<Uuid>>(r: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let s: String = r.get(idx)?;
    parse_id(&s, idx)
}

pub(crate) fn opt_id<T: From<Uuid>>(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<T>> {
    r.get::<_, Option<String>>(idx)?
        .map(|s| parse_id(&s, idx))
        .transpose()
}

fn parse_id<T: From<Uuid>>(s: &str, idx: usize) -> rusqlite::Result<T> {
    Uuid::parse_str(s)
        .map(T::from)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(
    r: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    r.get::<_, Option<String>>(idx)?
        .map(|s| {
            serde_json::from_str(&s).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
            })
        })
        .transpose()
}
