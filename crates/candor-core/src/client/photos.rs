//! Photos as the window handles them: prepared from what the person picked
//! (and kept, to be shown in the composer and uploaded later), sent with a
//! caption, and handed back by blob when a message comes into view, from
//! this device's folder or else fetched from the relay, never from anywhere
//! else. A blob is handed out only if a message shown here names it, or it
//! was prepared here this run and not sent yet: an erased or hidden
//! message's photos, and anything the page makes up, get nothing.
//!
//! Preparing decodes a photo of up to 120 MP, so photos are prepared one at
//! a time; and a grid of nine asks for nine photos at once, so at most
//! `FETCHES_AT_ONCE` go to the relay at a time (it allows each account four
//! transfers at once, for all its devices), and one it answers "busy" is
//! asked again.

use std::time::Duration;

use candor_protocol::api::ErrorCode;
use candor_protocol::{BlobId, ConversationId, MessageId, PhotoKind, PhotoRef};

use super::Client;
use crate::account::AccountError;
use crate::photo::{self, PreparedPhoto};
use crate::{Composed, CoreError, Draft, Photo, Undone};

/// Photos fetched from the relay at once, by this device.
pub(super) const FETCHES_AT_ONCE: usize = 2;

/// How often a fetch the relay answers "busy" is asked again, and after how long.
const FETCH_TRIES: usize = 4;
const FETCH_AGAIN_AFTER: Duration = Duration::from_millis(750);

impl Client {
    /// Makes the picked file's `bytes` fit to send (see `photo::prepare`)
    /// and keeps the result here. Returns it as a message shows it.
    pub async fn prepare_photo(&self, bytes: Vec<u8>) -> Result<Photo, CoreError> {
        let _turn = self.photo_turns.preparing.acquire().await;
        let prepared: PreparedPhoto = tokio::task::spawn_blocking(move || photo::prepare(&bytes))
            .await
            .map_err(|e| CoreError::CorruptValue(format!("the photo task stopped: {e}")))??;
        let reference = self.with_store(move |s| s.keep_prepared(&prepared)).await?;
        self.prepared_here()
            .insert(reference.blob.clone(), reference.clone());
        Ok(photo::shown(reference))
    }

    /// Sends the photos prepared here as `blobs` (in that order) with
    /// `caption` into `conversation`; they are uploaded when the message
    /// leaves. A blob not prepared here is refused: what a message says of
    /// a photo (its size, its preview) comes from this device, not the page.
    pub async fn send_photos(
        &self,
        conversation: ConversationId,
        caption: String,
        blobs: Vec<BlobId>,
        reply_to: Option<MessageId>,
    ) -> Result<Composed, CoreError> {
        let photos = {
            let prepared = self.prepared_here();
            blobs
                .iter()
                .map(|b| prepared.get(b).cloned().ok_or(CoreError::PhotoNotShown))
                .collect::<Result<Vec<PhotoRef>, _>>()?
        };
        let draft = Draft {
            text: caption,
            card: None,
        };
        let composed = self
            .with_store(move |s| s.send_with_photos(conversation, draft, photos, reply_to))
            .await?;
        // Sent: from now on shown as its message's (hidden, erased or
        // undone with it), no longer as prepared here.
        {
            let mut prepared = self.prepared_here();
            for blob in &blobs {
                prepared.remove(blob);
            }
        }
        self.outbox_changed().await;
        Ok(composed)
    }

    /// Takes back a message inside its undo-send window (see
    /// `Store::undo_send`): its words, card and photos go back to the
    /// composer, the photos as prepared here again.
    pub async fn undo_send(&self, id: MessageId) -> Result<Undone, CoreError> {
        let (draft, photos) = self
            .with_store(move |s| {
                let photos = s.photos_of(id)?;
                Ok((s.undo_send(id)?, photos))
            })
            .await?;
        let mut prepared = self.prepared_here();
        for photo in &photos {
            prepared.insert(photo.blob.clone(), photo.clone());
        }
        Ok(Undone {
            text: draft.text,
            card: draft.card,
            photos: photos.into_iter().map(photo::shown).collect(),
        })
    }

    /// The photo `blob`'s kind and bytes, if a message shown here names it
    /// or it was prepared here: from this device, or fetched from the relay
    /// (checked to be the bytes the name hashes to, and a photo) and kept.
    pub async fn photo(&self, blob: BlobId) -> Result<(PhotoKind, Vec<u8>), CoreError> {
        let prepared = self.prepared_here().contains_key(&blob);
        let wanted = blob.clone();
        let held = self
            .with_store(move |s| {
                if !prepared && !s.shows_photo(&wanted)? {
                    return Err(CoreError::PhotoNotShown);
                }
                s.photo_cache()
                    .get(&wanted)
                    .map_err(|e| CoreError::PhotoFile(e.to_string()))
            })
            .await?;
        if let Some(bytes) = held {
            return Ok((photo::check_received(&bytes)?, bytes));
        }
        let (relay, token) = self.relay_session("see this photo").await?;
        let bytes = {
            let _turn = self.photo_turns.fetching.acquire().await;
            let mut tries = 0;
            loop {
                tries += 1;
                match relay.fetch_blob(&token, &blob).await {
                    Err(AccountError::Refused(e))
                        if e.code == ErrorCode::RateLimited && tries < FETCH_TRIES =>
                    {
                        tokio::time::sleep(FETCH_AGAIN_AFTER * tries as u32).await;
                    }
                    done => break done?,
                }
            }
        };
        if !photo::hashes_to(&blob, &bytes) {
            return Err(CoreError::Photo(photo::PhotoError::Corrupt {
                reason: "the relay sent other bytes than the photo's".into(),
            }));
        }
        let kind = photo::check_received(&bytes)?;
        let keep = bytes.clone();
        let kept = self
            .with_store(move |s| {
                // Erased or hidden meanwhile: not kept.
                if s.shows_photo(&blob)? {
                    s.photo_cache()
                        .put(&blob, &keep)
                        .map_err(|e| CoreError::PhotoFile(e.to_string()))?;
                }
                Ok(())
            })
            .await;
        // The photo is here and good; only keeping it failed (it is fetched
        // again next time).
        if let Err(e) = kept {
            tracing::warn!(error = %e, "a fetched photo could not be kept");
        }
        Ok((kind, bytes))
    }

    fn prepared_here(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<BlobId, PhotoRef>> {
        self.prepared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Turns for preparing and fetching photos (see the module docs).
#[derive(Debug)]
pub(super) struct PhotoTurns {
    preparing: tokio::sync::Semaphore,
    fetching: tokio::sync::Semaphore,
}

impl Default for PhotoTurns {
    fn default() -> Self {
        Self {
            preparing: tokio::sync::Semaphore::new(1),
            fetching: tokio::sync::Semaphore::new(FETCHES_AT_ONCE),
        }
    }
}
