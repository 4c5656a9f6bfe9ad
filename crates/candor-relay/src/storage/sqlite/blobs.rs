//! Who uploaded which blob, and which messages name it (schema 11): the
//! rows that decide who may send a photo and who may fetch it. The bytes
//! are kept by a `BlobStore`, written before these rows.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::{BlobId, ConversationId, PhotoKind, PhotoRef, UserId};

use super::rows::ms;
use super::usage::Usage;
use crate::storage::blobs::{kind_name, kind_of};
use crate::storage::{Quotas, StorageError};

/// Whether `user`'s quota has room for `more` bytes of `blob` (see
/// `Storage::upload_room`).
pub(super) fn upload_room(
    conn: &Connection,
    quotas: Quotas,
    user: UserId,
    blob: &BlobId,
    more: u64,
) -> Result<(), StorageError> {
    let (stored, before): (i64, bool) = conn
        .prepare_cached(
            "SELECT bytes_stored, EXISTS (SELECT 1 FROM blob_uploads
                                           WHERE blob_id = ?2 AND user_id = ?1)
             FROM users WHERE id = ?1",
        )?
        .query_row(params![user.to_string(), blob.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .ok_or(StorageError::UnknownUser)?;
    if before {
        return Ok(());
    }
    crate::storage::check_bytes(quotas, stored.max(0) as u64 + more)
}

/// Records `user`'s upload of `blob`, counting its bytes against the
/// user's quota the first time only.
pub(super) fn record_upload(
    tx: &Connection,
    usage: &mut Usage,
    user: UserId,
    blob: &BlobId,
    kind: PhotoKind,
    bytes: u64,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    let before: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM blob_uploads WHERE blob_id = ?1 AND user_id = ?2")?
        .query_row(params![blob.as_str(), user.to_string()], |r| r.get(0))
        .optional()?;
    if before.is_some() {
        return Ok(());
    }
    usage.admit_upload(tx, user, bytes)?;
    tx.prepare_cached(
        "INSERT INTO blobs (id, kind, bytes, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        blob.as_str(),
        kind_name(kind),
        bytes as i64,
        ms(at)
    ])?;
    tx.prepare_cached("INSERT INTO blob_uploads (blob_id, user_id, at) VALUES (?1, ?2, ?3)")?
        .execute(params![blob.as_str(), user.to_string(), ms(at)])?;
    usage.flush(tx)
}

/// The blob's kind if `user` may fetch it: they uploaded it, or it is named
/// by a message of a chat at a seq they may read (one of their member
/// spans). None for a blob that is not here, so that who may not fetch it
/// cannot tell whether it is.
pub(super) fn readable_by(
    conn: &Connection,
    user: UserId,
    blob: &BlobId,
) -> Result<Option<PhotoKind>, StorageError> {
    let kind: Option<String> = conn
        .prepare_cached(
            "SELECT b.kind FROM blobs b WHERE b.id = ?1 AND (
                 EXISTS (SELECT 1 FROM blob_uploads u WHERE u.blob_id = b.id AND u.user_id = ?2)
              OR EXISTS (SELECT 1 FROM message_blobs mb JOIN member_spans s
                           ON s.conversation_id = mb.conversation_id AND s.user_id = ?2
                          AND mb.seq > s.after_seq
                          AND (s.through_seq IS NULL OR mb.seq <= s.through_seq)
                         WHERE mb.blob_id = b.id))",
        )?
        .query_row(params![blob.as_str(), user.to_string()], |r| r.get(0))
        .optional()?;
    kind.map(|k| kind_of(&k)).transpose()
}

/// Refuses a message whose photos its sender has not uploaded (after a
/// restore from a backup, the app uploads them again), or whose photo
/// claims another kind or size than the bytes the relay holds.
pub(super) fn check_photos(
    tx: &Connection,
    sender: UserId,
    photos: &[PhotoRef],
) -> Result<(), StorageError> {
    let mut held = tx.prepare_cached(
        "SELECT b.kind, b.bytes FROM blobs b JOIN blob_uploads u ON u.blob_id = b.id
          WHERE b.id = ?1 AND u.user_id = ?2",
    )?;
    for photo in photos {
        let found: Option<(String, i64)> = held
            .query_row(params![photo.blob.as_str(), sender.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (kind, bytes) =
            found.ok_or_else(|| StorageError::PhotoNotUploaded(photo.blob.clone()))?;
        if kind_of(&kind)? != photo.kind || bytes as u64 != photo.bytes {
            return Err(StorageError::InvalidPhoto(
                "a photo's kind and size are those of the bytes uploaded".into(),
            ));
        }
    }
    Ok(())
}

/// Records that the message at `seq` of `conversation` names `photos`.
pub(super) fn name_in_message(
    tx: &Connection,
    conversation: ConversationId,
    seq: i64,
    photos: &[PhotoRef],
) -> Result<(), StorageError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO message_blobs (blob_id, conversation_id, seq) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    for photo in photos {
        insert.execute(params![photo.blob.as_str(), conversation.to_string(), seq])?;
    }
    Ok(())
}
