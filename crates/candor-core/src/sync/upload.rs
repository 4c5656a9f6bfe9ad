//! Uploading a send job's photos before its message goes. A photo is up to
//! 17 MiB and the link may be slow, so each job's photos go in a task of its
//! own beside the session: the socket keeps being read and answered, and
//! other chats keep sending. The job's chat waits (a later message never
//! overtakes an earlier one), and the job records that its photos are on the
//! relay, so a reconnect does not upload them again, until the relay says it
//! no longer holds them (`ErrorCode::NotUploaded`, after a restore).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use candor_protocol::api::ErrorCode;
use candor_protocol::{ConversationId, MessageId};

use super::with_store;
use crate::account::{AccountError, RelayClient};
use crate::{PendingSend, Store};

/// How a job's upload ended.
#[derive(Debug)]
pub(super) struct Uploaded {
    pub conversation: ConversationId,
    pub wire_id: MessageId,
    /// The job's failed attempts before this one.
    pub attempts: u32,
    pub outcome: Result<(), Refusal>,
}

/// Why a job's photos did not go up.
#[derive(Debug)]
pub(super) enum Refusal {
    /// Worth trying again later: the relay is out of reach, busy, or failed.
    ForNow(String),
    /// It never will be: the relay refuses the photo, or it is gone from
    /// this device. The message is marked not sent, with the reason.
    ForGood(String),
}

/// The uploads running in this session, one per chat at most.
pub(super) struct Uploads {
    running: HashMap<ConversationId, (MessageId, tokio::task::AbortHandle)>,
    done_tx: mpsc::Sender<Uploaded>,
    pub done: mpsc::Receiver<Uploaded>,
}

impl Uploads {
    pub fn new() -> Self {
        let (done_tx, done) = mpsc::channel(64);
        Self {
            running: HashMap::new(),
            done_tx,
            done,
        }
    }

    /// The chats whose job is uploading.
    pub fn busy(&self) -> impl Iterator<Item = ConversationId> + '_ {
        self.running.keys().copied()
    }

    /// Uploads `job`'s photos, unless its chat is uploading already.
    pub fn start(
        &mut self,
        store: &Arc<Mutex<Store>>,
        relay: &RelayClient,
        token: &str,
        job: &PendingSend,
    ) {
        let conversation = job.entry.conversation_id;
        if self.running.contains_key(&conversation) {
            return;
        }
        let (store, relay, token) = (store.clone(), relay.clone(), token.to_owned());
        let (wire_id, photos, done) = (job.wire_id, job.photos.clone(), self.done_tx.clone());
        let attempts = job.entry.attempts;
        let task = tokio::spawn(async move {
            let mut outcome = Ok(());
            for photo in photos {
                outcome = upload_one(&store, &relay, &token, photo.blob).await;
                if outcome.is_err() {
                    break;
                }
            }
            if outcome.is_ok()
                && let Err(e) = with_store(&store, move |s| s.photos_uploaded(wire_id)).await
            {
                outcome = Err(Refusal::ForNow(e.to_string()));
            }
            let _ = done
                .send(Uploaded {
                    conversation,
                    wire_id,
                    attempts,
                    outcome,
                })
                .await;
        });
        self.running
            .insert(conversation, (job.wire_id, task.abort_handle()));
    }

    /// Forgets an upload that ended.
    pub fn finished(&mut self, done: &Uploaded) {
        if self
            .running
            .get(&done.conversation)
            .is_some_and(|(wire_id, _)| *wire_id == done.wire_id)
        {
            self.running.remove(&done.conversation);
        }
    }
}

/// A session's uploads end with it: the next session starts them again
/// (with its token; after a sign-out, none).
impl Drop for Uploads {
    fn drop(&mut self) {
        for (_, task) in self.running.values() {
            task.abort();
        }
    }
}

async fn upload_one(
    store: &Arc<Mutex<Store>>,
    relay: &RelayClient,
    token: &str,
    blob: candor_protocol::BlobId,
) -> Result<(), Refusal> {
    let wanted = blob.clone();
    let bytes = with_store(store, move |s| {
        s.photo_cache()
            .get(&wanted)
            .map_err(|e| crate::CoreError::PhotoFile(e.to_string()))
    })
    .await
    .map_err(|e| Refusal::ForNow(e.to_string()))?
    .ok_or_else(|| Refusal::ForGood("the photo is no longer on this device".into()))?;
    match relay.upload_blob(token, &blob, bytes).await {
        Ok(()) => Ok(()),
        // Signed out elsewhere: the session ends on it, and the job waits.
        Err(AccountError::Refused(e))
            if !matches!(
                e.code,
                ErrorCode::Internal | ErrorCode::RateLimited | ErrorCode::Unauthorized
            ) =>
        {
            Err(Refusal::ForGood(e.message))
        }
        Err(e) => Err(Refusal::ForNow(e.to_string())),
    }
}
