//! Live fan-out: which connections are open for which account. The live path is
//! best-effort by design: a connection that cannot keep up is dropped, and the
//! client catches up by cursor when it reconnects. Catch-up is what guarantees
//! delivery; the hub only makes it fast.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::Utf8Bytes;
use candor_protocol::frames::ConversationInfo;
use candor_protocol::{ConversationId, UserId};
use tokio::sync::mpsc;

/// Frames queued for one connection before it is considered too slow.
pub(crate) const QUEUE: usize = 4096;

#[derive(Clone, Debug)]
pub enum Live {
    Conversation(ConversationInfo),
    /// A new message, its `RelayFrame::Message` already encoded: one encoding
    /// serves every member's connections (cloning it shares the bytes).
    Message {
        cursor: u64,
        conversation: ConversationId,
        frame: Utf8Bytes,
    },
    Receipt(crate::storage::Receipt),
    Typing {
        conversation: candor_protocol::ConversationId,
        user: UserId,
    },
}

#[derive(Debug)]
struct Entry {
    id: u64,
    session: Vec<u8>,
    tx: mpsc::Sender<Live>,
}

#[derive(Debug, Default)]
pub struct Hub {
    by_user: Mutex<HashMap<UserId, Vec<Entry>>>,
    next_id: AtomicU64,
}

impl Hub {
    /// Registers a connection of `user` (signed in with the session `session`).
    pub fn register(&self, user: UserId, session: Vec<u8>) -> (u64, mpsc::Receiver<Live>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock()
            .entry(user)
            .or_default()
            .push(Entry { id, session, tx });
        (id, rx)
    }

    pub fn unregister(&self, user: UserId, id: u64) {
        let mut map = self.lock();
        if let Some(list) = map.get_mut(&user) {
            list.retain(|e| e.id != id);
            if list.is_empty() {
                map.remove(&user);
            }
        }
    }

    /// Queues `live` for every open connection of `users`, dropping connections
    /// whose queue is full (they will catch up by cursor).
    pub fn publish(&self, users: &[UserId], live: &Live) {
        self.publish_except(None, users, live);
    }

    /// Tells each member named in `announcement` how the conversation now looks
    /// to them: the one way a conversation change goes out live.
    pub fn announce(&self, announcement: &crate::storage::Announcement) {
        for (member, info) in &announcement.0 {
            self.publish(&[*member], &Live::Conversation(info.clone()));
        }
    }

    /// Like `publish`, leaving out the connection with the id `except`.
    pub fn publish_except(&self, except: Option<u64>, users: &[UserId], live: &Live) {
        let mut map = self.lock();
        for user in users {
            if let Some(list) = map.get_mut(user) {
                list.retain(|e| {
                    Some(e.id) == except
                        || match e.tx.try_send(live.clone()) {
                            Ok(()) => true,
                            Err(mpsc::error::TrySendError::Full(_)) => {
                                tracing::warn!(user = %user, "connection too slow; dropped");
                                false
                            }
                            Err(mpsc::error::TrySendError::Closed(_)) => false,
                        }
                });
            }
        }
    }

    /// Closes every connection of `user` (suspended by the operator).
    pub fn disconnect_user(&self, user: UserId) {
        self.lock().remove(&user);
    }

    /// Closes every connection opened with `session` (after sign-out).
    pub fn disconnect_session(&self, session: &[u8]) {
        for list in self.lock().values_mut() {
            list.retain(|e| e.session != session);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Vec<Entry>>> {
        self.by_user.lock().unwrap_or_else(|e| e.into_inner())
    }
}
