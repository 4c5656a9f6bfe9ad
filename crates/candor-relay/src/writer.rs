//! The one writer of messages: sends from every connection queue here, and each
//! round stores everything waiting in one transaction, so one fsync covers many
//! sends (group commit). Then, in stream order, it queues the new messages for
//! every member's connections and answers each sender. One writer also means one
//! order: live delivery follows the stream.
//!
//! A new message goes to every connection of every member except the one that
//! sent it: that one learns all it needs (server id, seq, time) from its ack, and
//! the sender's other devices still get the message.
//!
//! Announcing a stored batch (fan-out and acks) is a second task's work, so the
//! writer starts on the next batch at once: the writer is the relay's one serial
//! stage, and it does nothing there that can happen beside it. The announcer
//! takes the batches in the order they were stored, which keeps the one order.
//!
//! On a relay of several nodes the other nodes' batches interleave with
//! this one's in the stream, so the announcer hands the new messages to
//! the cluster's listener, which delivers every node's batches in stream
//! order (see `crate::cluster`). Acks go out at once either way.

use std::sync::Arc;

use candor_protocol::frames::RelayFrame;
use tokio::sync::{mpsc, oneshot};

use crate::RelayError;
use crate::cluster::{Handoff, Stash};
use crate::hub::{Hub, Live};
use crate::metrics::Metrics;
use crate::storage::{NewMessage, Storage, Stored};

/// Sends stored per transaction, at most.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<Stored, RelayError>>;

/// Stored batches waiting to be announced before the writer waits too.
const STORED_BATCHES: usize = 4;

/// A stored batch: each send's result, with the connection it came from and
/// where to answer.
type Round = Vec<(Result<Stored, RelayError>, Option<u64>, Reply)>;

/// A send waiting for the writer: the message, the hub id of the connection it
/// came from, and where to answer.
type Job = (NewMessage, Option<u64>, Reply);

#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task; it ends when every `Writer` handle is dropped.
    pub fn start(
        storage: Arc<dyn Storage>,
        hub: Arc<Hub>,
        metrics: Arc<Metrics>,
        cluster: Option<Handoff>,
    ) -> Self {
        let (queue, rx) = mpsc::channel(4096);
        let (stored, announce) = mpsc::channel(STORED_BATCHES);
        // The writer's loop blocks on SQLite from one batch to the next, so it has
        // a blocking thread to itself: no hop between a task and the blocking
        // pool per batch.
        tokio::task::spawn_blocking(move || run(rx, storage.as_ref(), &stored));
        tokio::spawn(announce_all(announce, hub, metrics, cluster));
        Self { queue }
    }

    /// Queues `message`, sent on the hub connection `origin`, for the writer
    /// (waiting while the queue is full) and returns the future of its
    /// answer: the stored message once it is durable, or the refusal. A connection queues its sends one
    /// after another with this, so they are stored in the order they came,
    /// however their answers are then awaited.
    pub async fn submit(
        &self,
        message: NewMessage,
        origin: Option<u64>,
    ) -> impl Future<Output = Result<Stored, RelayError>> + Send + 'static {
        let stopped = || RelayError::Internal("the message writer stopped".into());
        let (reply, answer) = oneshot::channel();
        let queued = self.queue.send((message, origin, reply)).await;
        async move {
            queued.map_err(|_| stopped())?;
            answer.await.map_err(|_| stopped())?
        }
    }
}

fn run(mut rx: mpsc::Receiver<Job>, storage: &dyn Storage, stored: &mpsc::Sender<Round>) {
    while let Some(first) = rx.blocking_recv() {
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
        let results: Vec<Result<Stored, RelayError>> = match storage.store_messages(batch) {
            Ok(results) => results.into_iter().map(|r| r.map_err(Into::into)).collect(),
            Err(e) => {
                tracing::error!(error = %e, "storing a batch of messages failed");
                answers
                    .iter()
                    .map(|_| Err(RelayError::Internal(e.to_string())))
                    .collect()
            }
        };
        let round = results
            .into_iter()
            .zip(answers)
            .map(|(result, (origin, reply))| (result, origin, reply))
            .collect();
        if stored.blocking_send(round).is_err() {
            break;
        }
    }
}

/// Fans each stored message out to its members' connections and answers each
/// sender, batch after batch in the order they were stored. With `cluster`,
/// the messages go out from the cluster's listener instead.
async fn announce_all(
    mut stored: mpsc::Receiver<Round>,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
    cluster: Option<Handoff>,
) {
    while let Some(round) = stored.recv().await {
        let mut stash = Stash {
            first: u64::MAX,
            last: 0,
            deliveries: Vec::new(),
        };
        for (result, origin, reply) in round {
            if let Ok(stored) = &result
                && !stored.duplicate
            {
                metrics.messages_stored.inc();
                hub.announce(&stored.announcement);
                let frame = RelayFrame::Message {
                    cursor: stored.cursor,
                    message: stored.message.clone(),
                };
                match serde_json::to_string(&frame) {
                    Ok(json) => {
                        let live = Live::Message {
                            cursor: stored.cursor,
                            conversation: stored.message.conversation_id,
                            frame: json.into(),
                        };
                        if cluster.is_some() {
                            stash.first = stash.first.min(stored.cursor);
                            stash.last = stash.last.max(stored.cursor);
                            stash
                                .deliveries
                                .push((origin, stored.members.clone(), live));
                        } else {
                            hub.deliver(origin, &stored.members, &live);
                        }
                    }
                    // Stored all the same, and a gap below what comes next:
                    // the members' connections close, and they catch up.
                    Err(e) => {
                        tracing::error!(error = %e, "could not encode a message frame");
                        for member in &stored.members {
                            hub.disconnect_user(*member);
                        }
                    }
                }
            }
            let _ = reply.send(result);
        }
        if let Some(cluster) = &cluster
            && !stash.deliveries.is_empty()
        {
            cluster.stored(stash);
        }
    }
}
