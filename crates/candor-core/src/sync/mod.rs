//! The sync engine: one background task that keeps this device and the relay in
//! step. It connects with the session token, catches up by cursor, applies what
//! arrives exactly once, drains the outbox one send per conversation at a time,
//! and reconnects with capped backoff plus jitter. It reports what happened as
//! [`Notice`]s that carry the rows that changed.
//!
//! The task is shaped like every background task here: it owns its `JoinHandle`
//! and a command channel, and loops on `select!` over commands, the socket and a
//! timer. Everything it writes goes through [`Store`]; a hide is not among the
//! things it reads, so a hide can never become a frame.

mod apply;
mod plan;
mod session;
mod upload;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use candor_protocol::ConversationId;

use crate::account::RelayClient;
use crate::notice::Notice;
use crate::{CoreError, Store};

pub use plan::{Backoff, HEALTHY_SESSION, next_sends};

/// Notices a stream holds for a slow listener before it lags.
pub const NOTICES: usize = 1024;

#[derive(Debug)]
enum Command {
    /// The outbox changed: look for due sends now.
    OutboxChanged,
    /// The user has read further in some chat (the store has the positions):
    /// tell the relay, now or on reconnect.
    ReadChanged,
    /// The user is typing: tell the relay (if connected; never queued).
    Typing {
        conversation: ConversationId,
    },
    Shutdown,
}

/// How the engine tells a live link from a dead one. A link can die without a
/// word (a laptop's Wi-Fi gone, a NAT that forgot the flow): the socket stays
/// "open" and nothing arrives. So the engine pings the relay every `every`,
/// gives up on a link from which nothing at all (a frame, a pong) has come for
/// `silent_after`, and reconnects. (A write the relay does not take within
/// 15 s, and a hello not answered within 15 s, end the link too.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    pub every: Duration,
    pub silent_after: Duration,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(15),
            silent_after: Duration::from_secs(45),
        }
    }
}

/// The running engine. Dropping it without [`SyncHandle::shutdown`] aborts it.
#[derive(Debug)]
pub struct SyncHandle {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Notice>,
    task: Option<JoinHandle<()>>,
}

impl SyncHandle {
    /// Starts syncing `store` with the relay at `relay` using `token`, with a
    /// notice stream of its own.
    pub fn start(store: Arc<Mutex<Store>>, relay: RelayClient, token: String) -> Self {
        Self::start_publishing(store, relay, token, broadcast::channel(NOTICES).0)
    }

    /// Like `start`, publishing on `events`: a [`crate::Client`]'s one stream,
    /// which outlives each session's engine.
    pub fn start_publishing(
        store: Arc<Mutex<Store>>,
        relay: RelayClient,
        token: String,
        events: broadcast::Sender<Notice>,
    ) -> Self {
        Self::start_with(store, relay, token, events, Heartbeat::default())
    }

    /// Like `start_publishing`, with its own `heartbeat` (tests shorten it).
    pub fn start_with(
        store: Arc<Mutex<Store>>,
        relay: RelayClient,
        token: String,
        events: broadcast::Sender<Notice>,
        heartbeat: Heartbeat,
    ) -> Self {
        let (commands, rx) = mpsc::channel(64);
        let engine = session::Engine {
            store,
            relay,
            token,
            commands: rx,
            events: events.clone(),
            heartbeat,
            epoch: None,
        };
        let task = tokio::spawn(engine.run());
        Self {
            commands,
            events,
            task: Some(task),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.events.subscribe()
    }

    /// Tells the engine the outbox has something new. A nudge, never a wait:
    /// the engine reads the whole outbox when it wakes, so if its queue is full
    /// (it is stalled on a dead link) one more nudge adds nothing, and waiting
    /// for room would hang the caller.
    pub async fn outbox_changed(&self) {
        let _ = self.commands.try_send(Command::OutboxChanged);
    }

    /// Tells the engine the user has read further (after `Store::mark_read`): the
    /// other members hear of it now, or when the connection returns. A nudge,
    /// like `outbox_changed`: every unreported read is read from the store.
    pub async fn read_changed(&self) {
        let _ = self.commands.try_send(Command::ReadChanged);
    }

    /// Tells the other members the user is typing, if connected.
    pub async fn typing(&self, conversation: ConversationId) {
        let _ = self.commands.try_send(Command::Typing { conversation });
    }

    /// Closes the connection and waits for the task to end.
    pub async fn shutdown(mut self) {
        let _ = self.commands.send(Command::Shutdown).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Runs `f` on the store off the async threads.
async fn with_store<T: Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| CoreError::CorruptValue(format!("store task stopped: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine stalled on a dead link reads no commands. Nudging it (every
    /// send, every read) must still return at once: the window's commands
    /// wait on these calls.
    #[tokio::test]
    async fn nudges_never_wait_for_a_stalled_engine() {
        let (commands, _stalled) = mpsc::channel(64);
        let handle = SyncHandle {
            commands,
            events: broadcast::channel(NOTICES).0,
            task: None,
        };
        let nudges = async {
            for _ in 0..200 {
                handle.outbox_changed().await;
                handle.read_changed().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), nudges)
            .await
            .expect("nudging a stalled engine hung");
    }
}
