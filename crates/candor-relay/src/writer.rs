//! The one writer of messages: sends from every connection queue here, and each
//! round stores everything waiting in one transaction, so one fsync covers many
//! sends (group commit). Then, in stream order, it queues the new messages for
//! every member's connections and answers each sender. One writer also means one
//! order: live delivery follows the stream.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::RelayError;
use crate::hub::{Hub, Live};
use crate::metrics::Metrics;
use crate::storage::{NewMessage, Storage, Stored};

/// Sends stored per transaction, at most.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<Stored, RelayError>>;

#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<(NewMessage, Reply)>,
}

impl Writer {
    /// Starts the writer task; it ends when every `Writer` handle is dropped.
    pub fn start(storage: Arc<dyn Storage>, hub: Arc<Hub>, metrics: Arc<Metrics>) -> Self {
        let (queue, rx) = mpsc::channel(4096);
        tokio::spawn(run(rx, storage, hub, metrics));
        Self { queue }
    }

    /// Stores `message` durably and returns once it is safe (or refused).
    pub async fn store(&self, message: NewMessage) -> Result<Stored, RelayError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((message, reply))
            .await
            .map_err(|_| RelayError::Internal("the message writer stopped".into()))?;
        answer
            .await
            .map_err(|_| RelayError::Internal("the message writer stopped".into()))?
    }
}

async fn run(
    mut rx: mpsc::Receiver<(NewMessage, Reply)>,
    storage: Arc<dyn Storage>,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (batch, replies): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
        let storage = storage.clone();
        let stored = tokio::task::spawn_blocking(move || storage.store_messages(batch)).await;
        let results: Vec<Result<Stored, RelayError>> = match stored {
            Ok(Ok(results)) => results.into_iter().map(|r| r.map_err(Into::into)).collect(),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "storing a batch of messages failed");
                replies
                    .iter()
                    .map(|_| Err(RelayError::Internal(e.to_string())))
                    .collect()
            }
            Err(e) => replies
                .iter()
                .map(|_| Err(RelayError::Internal(e.to_string())))
                .collect(),
        };
        for (result, reply) in results.into_iter().zip(replies) {
            if let Ok(stored) = &result
                && !stored.duplicate
            {
                metrics.messages_stored.inc();
                for (member, info) in &stored.announce {
                    hub.publish(&[*member], &Live::Conversation(info.clone()));
                }
                let live = Live::Message {
                    cursor: stored.cursor,
                    message: stored.message.clone(),
                };
                hub.publish(&stored.members, &live);
            }
            let _ = reply.send(result);
        }
    }
}
