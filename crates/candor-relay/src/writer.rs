//! The one writer of messages: sends from every connection queue here, and each
//! round stores everything waiting in one transaction, so one fsync covers many
//! sends (group commit). Then, in stream order, it queues the new messages for
//! every member's connections and answers each sender. One writer also means one
//! order: live delivery follows the stream.
//!
//! A new message goes to every connection of every member except the one that
//! sent it: that one learns all it needs (server id, seq, time) from its ack, and
//! the sender's other devices still get the message.

use std::sync::Arc;

use candor_protocol::frames::RelayFrame;
use tokio::sync::{mpsc, oneshot};

use crate::RelayError;
use crate::hub::{Hub, Live};
use crate::metrics::Metrics;
use crate::storage::{NewMessage, Storage, Stored};

/// Sends stored per transaction, at most.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<Stored, RelayError>>;

/// A send waiting for the writer: the message, the hub id of the connection it
/// came from, and where to answer.
type Job = (NewMessage, Option<u64>, Reply);

#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task; it ends when every `Writer` handle is dropped.
    pub fn start(storage: Arc<dyn Storage>, hub: Arc<Hub>, metrics: Arc<Metrics>) -> Self {
        let (queue, rx) = mpsc::channel(4096);
        tokio::spawn(run(rx, storage, hub, metrics));
        Self { queue }
    }

    /// Stores `message`, sent on the hub connection `origin`, durably and returns
    /// once it is safe (or refused).
    pub async fn store(
        &self,
        message: NewMessage,
        origin: Option<u64>,
    ) -> Result<Stored, RelayError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((message, origin, reply))
            .await
            .map_err(|_| RelayError::Internal("the message writer stopped".into()))?;
        answer
            .await
            .map_err(|_| RelayError::Internal("the message writer stopped".into()))?
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
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
        let mut batch = Vec::with_capacity(jobs.len());
        let mut answers = Vec::with_capacity(jobs.len());
        for (message, origin, reply) in jobs {
            batch.push(message);
            answers.push((origin, reply));
        }
        let storage = storage.clone();
        let stored = tokio::task::spawn_blocking(move || storage.store_messages(batch)).await;
        let results: Vec<Result<Stored, RelayError>> = match stored {
            Ok(Ok(results)) => results.into_iter().map(|r| r.map_err(Into::into)).collect(),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "storing a batch of messages failed");
                answers
                    .iter()
                    .map(|_| Err(RelayError::Internal(e.to_string())))
                    .collect()
            }
            Err(e) => answers
                .iter()
                .map(|_| Err(RelayError::Internal(e.to_string())))
                .collect(),
        };
        for (result, (origin, reply)) in results.into_iter().zip(answers) {
            if let Ok(stored) = &result
                && !stored.duplicate
            {
                metrics.messages_stored.inc();
                for (member, info) in &stored.announce {
                    hub.publish(&[*member], &Live::Conversation(info.clone()));
                }
                let frame = RelayFrame::Message {
                    cursor: stored.cursor,
                    message: stored.message.clone(),
                };
                match serde_json::to_string(&frame) {
                    Ok(json) => hub.publish_except(
                        origin,
                        &stored.members,
                        &Live::Message {
                            cursor: stored.cursor,
                            conversation: stored.message.conversation_id,
                            frame: json.into(),
                        },
                    ),
                    // Stored all the same: members get it on catch-up.
                    Err(e) => tracing::error!(error = %e, "could not encode a message frame"),
                }
            }
            let _ = reply.send(result);
        }
    }
}
