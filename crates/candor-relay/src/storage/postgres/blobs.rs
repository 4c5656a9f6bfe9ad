//! Photos on PostgreSQL (migration 2): their bytes in `blob_bytes`, since
//! the database is the one store every node shares, and the rows that say
//! who uploaded which and which messages name it, as in the embedded store
//! (`sqlite::blobs`, which says what each rule is for).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use candor_protocol::{BlobId, PhotoKind, PhotoRef, UserId};

use super::PostgresStorage;
use super::db::Db;
use super::rows::{ms, uuid_col};
use crate::storage::blobs::{BlobStore, kind_name, kind_of};
use crate::storage::{NewMessage, Quotas, StorageError};

/// Each (uploader, blob) of a batch's photos: the kind and size uploaded.
pub(super) type Uploads = HashMap<(UserId, BlobId), (PhotoKind, u64)>;

impl BlobStore for PostgresStorage {
    fn put(&self, id: &BlobId, bytes: &[u8]) -> Result<(), StorageError> {
        // One statement, committed on its own: no transaction to wrap it in.
        self.read(|db| {
            db.execute(
                "INSERT INTO blob_bytes (id, bytes) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                &[&id.as_str(), &bytes],
            )?;
            Ok(())
        })
    }

    fn get(&self, id: &BlobId) -> Result<Option<Vec<u8>>, StorageError> {
        self.read(|db| {
            let row = db.query_opt(
                "SELECT bytes FROM blob_bytes WHERE id = $1",
                &[&id.as_str()],
            )?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
    }
}

/// Whether `user`'s quota has room for `more` bytes of `blob` (see
/// `Storage::upload_room`).
pub(super) fn upload_room(
    db: &mut Db,
    quotas: Quotas,
    user: UserId,
    blob: &BlobId,
    more: u64,
) -> Result<(), StorageError> {
    let row = db
        .query_opt(
            "SELECT bytes_stored, EXISTS (SELECT 1 FROM blob_uploads
                                           WHERE blob_id = $2 AND user_id = $1)
             FROM users WHERE id = $1",
            &[&user.to_string(), &blob.as_str()],
        )?
        .ok_or(StorageError::UnknownUser)?;
    if row.try_get(1)? {
        return Ok(());
    }
    let stored = row.try_get::<_, i64>(0)?.max(0) as u64;
    crate::storage::check_bytes(quotas, stored + more)
}

/// Records `user`'s upload (in a transaction), counting its bytes under the
/// lock of the user's row, as a batch counts a message's.
pub(super) fn record_upload(
    db: &mut Db,
    quotas: Quotas,
    user: UserId,
    blob: &BlobId,
    kind: PhotoKind,
    bytes: u64,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    let who = user.to_string();
    let row = db
        .query_opt(
            "SELECT bytes_stored FROM users WHERE id = $1 FOR NO KEY UPDATE",
            &[&who],
        )?
        .ok_or(StorageError::UnknownUser)?;
    let before = db.query_opt(
        "SELECT 1 FROM blob_uploads WHERE blob_id = $1 AND user_id = $2",
        &[&blob.as_str(), &who],
    )?;
    if before.is_some() {
        return Ok(());
    }
    let stored = row.try_get::<_, i64>(0)?.max(0) as u64 + bytes;
    crate::storage::check_bytes(quotas, stored)?;
    db.execute(
        "WITH blob AS (
             INSERT INTO blobs (id, kind, bytes, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING
         ), upload AS (
             UPDATE users SET bytes_stored = $6 WHERE id = $5
         )
         INSERT INTO blob_uploads (blob_id, user_id, at) VALUES ($1, $5, $4)",
        &[
            &blob.as_str(),
            &kind_name(kind),
            &(bytes as i64),
            &ms(at),
            &who,
            &(stored as i64),
        ],
    )?;
    Ok(())
}

/// The blob's kind if `user` may fetch it (see `Storage::readable_blob`).
pub(super) fn readable_by(
    db: &mut Db,
    user: UserId,
    blob: &BlobId,
) -> Result<Option<PhotoKind>, StorageError> {
    let row = db.query_opt(
        "SELECT b.kind FROM blobs b WHERE b.id = $1 AND (
             EXISTS (SELECT 1 FROM blob_uploads u WHERE u.blob_id = b.id AND u.user_id = $2)
          OR EXISTS (SELECT 1 FROM message_blobs mb JOIN member_spans s
                       ON s.conversation_id = mb.conversation_id AND s.user_id = $2
                      AND mb.seq > s.after_seq
                      AND (s.through_seq IS NULL OR mb.seq <= s.through_seq)
                     WHERE mb.blob_id = b.id))",
        &[&blob.as_str(), &user.to_string()],
    )?;
    row.map(|r| kind_of(r.try_get(0)?)).transpose()
}

/// What the batch's senders uploaded of the photos they send (uploads are
/// never taken back, so this needs no lock).
pub(super) fn uploads(db: &mut Db, batch: &[NewMessage]) -> Result<Uploads, StorageError> {
    let (mut blobs, mut users) = (Vec::new(), Vec::new());
    for m in batch {
        for photo in &m.photos {
            blobs.push(photo.blob.to_string());
            users.push(m.sender.to_string());
        }
    }
    if blobs.is_empty() {
        return Ok(Uploads::new());
    }
    let rows = db.query(
        "SELECT u.user_id, b.id, b.kind, b.bytes
         FROM unnest($1::text[], $2::text[]) AS k(blob_id, user_id)
         JOIN blob_uploads u ON u.blob_id = k.blob_id AND u.user_id = k.user_id
         JOIN blobs b ON b.id = u.blob_id",
        &[&blobs, &users],
    )?;
    rows.iter()
        .map(|r| {
            let blob = r
                .try_get::<_, String>(1)?
                .parse()
                .map_err(|e| StorageError::Corrupt(format!("a stored blob id: {e}")))?;
            let kind = kind_of(r.try_get(2)?)?;
            let bytes = r.try_get::<_, i64>(3)?.max(0) as u64;
            Ok(((UserId(uuid_col(r, 0)?), blob), (kind, bytes)))
        })
        .collect()
}

/// As the embedded store's `check_photos`, from what `uploads` read.
pub(super) fn check_photos(
    uploads: &Uploads,
    sender: UserId,
    photos: &[PhotoRef],
) -> Result<(), StorageError> {
    for photo in photos {
        let (kind, bytes) = uploads
            .get(&(sender, photo.blob.clone()))
            .ok_or_else(|| StorageError::PhotoNotUploaded(photo.blob.clone()))?;
        if *kind != photo.kind || *bytes != photo.bytes {
            return Err(StorageError::InvalidPhoto(
                "a photo's kind and size are those of the bytes uploaded".into(),
            ));
        }
    }
    Ok(())
}
