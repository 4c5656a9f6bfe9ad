//! Photos' bytes over HTTP: `PUT /v1/blobs/{id}` uploads one, `GET` fetches
//! it (see `candor_protocol::photo`).
//!
//! What an account holder could try, and what stops it:
//! - fetch a photo of a chat they are not in, by its hash: only the
//!   uploader and members who may read a message naming it get it, and
//!   anyone else gets the same 404 as for a hash that is not here;
//! - name someone else's photo in their own message, to be let fetch it:
//!   a message names only photos its sender uploaded;
//! - upload bytes under a name that is not theirs, or that are not a photo:
//!   the bytes must hash to the id and start as a JPEG or a PNG does;
//! - fill the relay's disk or memory: uploads count against the account's
//!   stored bytes and are rate-limited, a body is read only up to
//!   `MAX_PHOTO_BYTES` and within `TRANSFER_TIME`, and each account has
//!   `TRANSFERS_PER_ACCOUNT` transfers at once. Each transfer holds a photo
//!   in memory until its last byte is sent, so the node serves `UPLOADS`
//!   uploads and `FETCHES` fetches at once (separately: slow uploads do not
//!   starve fetches), and one that waits longer than `TURN_WAIT` for its
//!   turn is told to try again.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use candor_protocol::photo::MAX_PHOTO_BYTES;
use candor_protocol::{BlobId, PhotoKind};

use crate::http::{authenticate, blocking};
use crate::limits::Slot;
use crate::{RelayError, RelayState};

/// Transfers (uploads and fetches) one account may have at once.
pub const TRANSFERS_PER_ACCOUNT: usize = 4;

/// Uploads, and fetches, one node serves at once; more wait their turn.
pub const UPLOADS: usize = 8;
pub const FETCHES: usize = 16;

/// The longest a transfer waits for its turn before it is refused (429).
const TURN_WAIT: Duration = Duration::from_secs(10);

/// The longest an upload's body may take to arrive: 17 MiB at about 150 KiB/s.
const TRANSFER_TIME: Duration = Duration::from_secs(120);

/// Keeps the photo in the request's body as `id`, for the signed-in account.
/// 201 when kept (again, for a photo kept before).
pub async fn upload(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<StatusCode, RelayError> {
    let blob: BlobId = id
        .parse()
        .map_err(|e: candor_protocol::photo::BadBlobId| RelayError::Invalid(e.to_string()))?;
    let (me, _) = authenticate(&state, &headers).await?;
    let _slot = transfer_slot(&state, &me.id.to_string())?;
    let uploads = state.inner.uploads;
    state
        .count(uploads.what, vec![uploads.key(&me.id.to_string())])
        .await?;
    let _turn = turn(&state.inner.upload_turns).await?;
    let bytes = read_body(body).await?;
    let kind = PhotoKind::sniff(&bytes)
        .ok_or_else(|| RelayError::Invalid("a photo is a JPEG or a PNG".into()))?;
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    if BlobId::of_digest(&digest) != blob {
        return Err(RelayError::Invalid(
            "the photo's bytes do not hash to its id".into(),
        ));
    }
    let (storage, now) = (state.storage(), state.now());
    blocking(move || Ok(storage.store_blob(me.id, &blob, kind, &bytes, now)?)).await?;
    Ok(StatusCode::CREATED)
}

/// The photo `id`, to the uploader and to members of a chat that may read
/// a message naming it; 404 to anyone else, as for one not here.
pub async fn fetch(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let not_found = || RelayError::NotFound("no such photo here, or not yours to see".into());
    let blob: BlobId = id.parse().map_err(|_| not_found())?;
    let slot = transfer_slot(&state, &me.id.to_string())?;
    let turn = turn(&state.inner.fetch_turns).await?;
    let storage = state.storage();
    let found = blocking(move || Ok(storage.blob_for(me.id, &blob)?)).await?;
    let (kind, bytes) = found.ok_or_else(not_found)?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(kind.media_type()),
        ),
        // The bytes of a name never change; only this account may keep them.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=31536000, immutable"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        ),
    ];
    // The slot and the turn go with the last chunk: the photo is in memory
    // until it is sent, however slowly the client reads.
    // Each chunk is a view of the one buffer, not a copy of it.
    const CHUNK: usize = 64 * 1024;
    let photo = Bytes::from(bytes);
    let len = photo.len();
    let mut held = Some((slot, turn));
    let stream = futures_util::stream::iter((0..len).step_by(CHUNK).map(move |at| {
        let end = (at + CHUNK).min(len);
        if end == len {
            held.take();
        }
        Ok::<_, std::convert::Infallible>(photo.slice(at..end))
    }));
    Ok((headers, Body::from_stream(stream)).into_response())
}

/// A turn from `turns`, or a refusal to try again if none comes in time.
async fn turn(
    turns: &std::sync::Arc<tokio::sync::Semaphore>,
) -> Result<tokio::sync::OwnedSemaphorePermit, RelayError> {
    match tokio::time::timeout(TURN_WAIT, turns.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(RelayError::TooManyConnections(
            "the relay is moving many photos just now; try again shortly".into(),
        )),
    }
}

fn transfer_slot(state: &RelayState, account: &str) -> Result<Slot, RelayError> {
    state.inner.transfer_slots.take(account).ok_or_else(|| {
        RelayError::TooManyConnections(format!(
            "at most {TRANSFERS_PER_ACCOUNT} photos move at once for one account; \
             try again when one is done"
        ))
    })
}

/// The body, refused past `MAX_PHOTO_BYTES` or `TRANSFER_TIME`.
async fn read_body(body: Body) -> Result<Bytes, RelayError> {
    let too_large = || {
        RelayError::TooLarge(format!(
            "a photo is at most {} MiB",
            MAX_PHOTO_BYTES / (1024 * 1024)
        ))
    };
    let limit = MAX_PHOTO_BYTES as usize;
    match tokio::time::timeout(TRANSFER_TIME, axum::body::to_bytes(body, limit)).await {
        // Said as "try again": a slow link, not a bad photo.
        Err(_) => Err(RelayError::TooManyConnections(format!(
            "the photo did not arrive within {} seconds; try again",
            TRANSFER_TIME.as_secs()
        ))),
        Ok(Err(e)) if is_past_limit(&e) => Err(too_large()),
        Ok(Err(e)) => Err(RelayError::Invalid(format!(
            "the photo's upload broke off: {e}"
        ))),
        Ok(Ok(bytes)) if bytes.is_empty() => {
            Err(RelayError::Invalid("a photo needs some bytes".into()))
        }
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

fn is_past_limit(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}
