//! Photos in the store: which may be shown (named by a message shown here),
//! which wait to be uploaded before their message is sent, and which files
//! go when the messages naming them are erased.

use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::{BlobId, MessageId, PhotoRef};

use super::{Store, sql};
use crate::CoreError;
use crate::photo::{PhotoCache, PreparedPhoto};

/// The messages that name a blob (schema 17's `message_photos`).
const NAMING: &str = "SELECT m.id FROM message_photos p JOIN messages m ON m.id = p.message_id
     WHERE p.blob = ?1";

impl Store {
    /// Where this profile keeps photos' bytes.
    pub fn photo_cache(&self) -> &PhotoCache {
        &self.photos
    }

    /// Keeps a photo prepared for sending, so that it can be shown in the
    /// composer and uploaded when its message is sent (after a restart too).
    pub fn keep_prepared(&self, photo: &PreparedPhoto) -> Result<PhotoRef, CoreError> {
        self.photos
            .put(&photo.blob, &photo.bytes)
            .map_err(|e| CoreError::PhotoFile(e.to_string()))?;
        Ok(photo.reference())
    }

    /// Whether `blob` is a photo of a message this device shows: not deleted
    /// for you, not erased, not from someone blocked.
    pub fn shows_photo(&self, blob: &BlobId) -> Result<bool, CoreError> {
        let sql = format!(
            "SELECT EXISTS ({NAMING} AND m.hidden_at IS NULL AND m.erased_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM users b WHERE b.id = m.sender_id AND b.blocked = 1))"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([blob.as_str()], |r| r.get(0))?)
    }

    /// The photos of message `id` (none for one without, or not here).
    pub fn photos_of(&self, id: MessageId) -> Result<Vec<PhotoRef>, CoreError> {
        let found = self
            .conn
            .prepare_cached("SELECT photos_json FROM messages WHERE id = ?1")?
            .query_row([id.to_string()], |r| read(r, 0))
            .optional()?;
        Ok(found.unwrap_or_default())
    }

    /// The send job `wire_id`'s photos are on the relay: its message may go.
    pub fn photos_uploaded(&mut self, wire_id: MessageId) -> Result<(), CoreError> {
        self.set_photos_uploaded(wire_id, true)
    }

    /// The relay does not hold the photos of send job `wire_id` (it never
    /// had them, or lost them in a restore): they are uploaded again.
    pub fn photos_not_on_relay(&mut self, wire_id: MessageId) -> Result<(), CoreError> {
        self.set_photos_uploaded(wire_id, false)
    }

    fn set_photos_uploaded(&mut self, wire_id: MessageId, up: bool) -> Result<(), CoreError> {
        self.conn.execute(
            "UPDATE outbox SET photos_uploaded = ?3
             WHERE message_id = (SELECT id FROM messages WHERE coalesce(wire_id, id) = ?1
                                   AND sender_id = ?2)",
            params![wire_id.to_string(), self.me()?.to_string(), up],
        )?;
        Ok(())
    }
}

/// The photos of the messages of `conversation` an erase is about to empty.
pub(super) fn of_erased(
    tx: &Connection,
    conversation: &str,
    erasable: &str,
) -> Result<Vec<BlobId>, CoreError> {
    let sql = format!(
        "SELECT DISTINCT json_extract(p.value, '$.blob')
         FROM messages, json_each(messages.photos_json) p
         WHERE conversation_id = ?1 AND photos_json IS NOT NULL AND {erasable}"
    );
    let mut stmt = tx.prepare(&sql)?;
    let blobs = stmt
        .query_map([conversation], |r| r.get::<_, String>(0))?
        .filter_map(|b| b.ok()?.parse().ok())
        .collect();
    Ok(blobs)
}

/// Removes the files of `blobs` that no message left here names (an erased
/// message names nothing: its photos went with its text).
pub(super) fn forget_unnamed(
    conn: &Connection,
    cache: &PhotoCache,
    blobs: &[BlobId],
) -> Result<(), CoreError> {
    let sql = format!("{NAMING} AND m.erased_at IS NULL LIMIT 1");
    let mut named = conn.prepare(&sql)?;
    for blob in blobs {
        let still: Option<String> = named.query_row([blob.as_str()], |r| r.get(0)).optional()?;
        if still.is_none() {
            cache
                .remove(blob)
                .map_err(|e| CoreError::PhotoFile(e.to_string()))?;
        }
    }
    Ok(())
}

/// Records that message `id` names `photos`.
pub(super) fn name_in(tx: &Connection, id: &str, photos: &[PhotoRef]) -> Result<(), CoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO message_photos (blob, message_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for photo in photos {
        insert.execute(params![photo.blob.as_str(), id])?;
    }
    Ok(())
}

/// A send job's photos, as stored.
pub(super) fn read(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Vec<PhotoRef>> {
    Ok(sql::json::<Vec<PhotoRef>>(r, idx)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::NAMING;
    use crate::{Store, SystemClock};

    /// Whether a photo may be shown is asked for every photo on screen: it
    /// is found by the photo, not by reading every message.
    #[test]
    fn a_photos_messages_are_found_by_its_index() {
        let store = Store::open_in_memory(Arc::new(SystemClock)).expect("store");
        let plan: Vec<String> = store
            .connection()
            .prepare(&format!("EXPLAIN QUERY PLAN {NAMING}"))
            .expect("plan")
            .query_map([&"ab".repeat(32)], |r| r.get::<_, String>(3))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("plan rows");
        assert!(
            plan.iter()
                .any(|s| s.contains("SEARCH p USING PRIMARY KEY (blob=?)")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|s| s.starts_with("SCAN")), "{plan:?}");
    }
}
