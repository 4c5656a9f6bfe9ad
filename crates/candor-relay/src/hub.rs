//! Live fan-out: which connections are open for which account. The live path is
//! best-effort by design: a connection that cannot keep up is dropped, and the
//! client catches up by cursor when it reconnects. Catch-up is what guarantees
//! delivery; the hub only makes it fast.
//!
//! On a relay of several nodes (see `crate::cluster`) a node's hub holds
//! only that node's connections. What it publishes is also rung for the
//! other nodes, whose hubs deliver it to theirs: receipts, typing and
//! changed chats. Messages and disconnects are not: the store rings those
//! in the transaction that made them (see `crate::cluster`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

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
    /// Where what this hub publishes goes for the other nodes, on a relay
    /// of several.
    others: OnceLock<std::sync::mpsc::SyncSender<crate::cluster::Ring>>,
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

    /// Also rings what this hub publishes on `others` (see the module docs).
    pub fn ring_others(&self, others: std::sync::mpsc::SyncSender<crate::cluster::Ring>) {
        let _ = self.others.set(others);
    }

    /// Rings what `ring` makes, if there are other nodes: with none, it
    /// is not even made.
    fn ring(&self, ring: impl FnOnce() -> crate::cluster::Ring) {
        if let Some(others) = self.others.get()
            && others.try_send(ring()).is_err()
        {
            tracing::warn!("the doorbell is behind; a ring for the other nodes was dropped");
        }
    }

    /// Queues `live` for every open connection of `users`, dropping
    /// connections whose queue is full (they will catch up by cursor). A
    /// receipt or typing goes to the other nodes' connections too; a
    /// message goes out through the writer, a change with `announce`.
    pub fn publish(&self, users: &[UserId], live: &Live) {
        self.publish_except(None, users, live);
    }

    /// Tells each member named in `announcement` how the conversation now looks
    /// to them: the one way a conversation change goes out live.
    pub fn announce(&self, announcement: &crate::storage::Announcement) {
        self.announce_here(announcement);
        if let Some((_, info)) = announcement.0.first() {
            self.ring(|| crate::cluster::Ring::Changed {
                conversation: info.id,
                members: announcement.0.iter().map(|(m, _)| *m).collect(),
            });
        }
    }

    /// `announce` to this node's connections only.
    pub fn announce_here(&self, announcement: &crate::storage::Announcement) {
        for (member, info) in &announcement.0 {
            self.deliver(None, &[*member], &Live::Conversation(info.clone()));
        }
    }

    /// Like `publish`, leaving out the connection with the id `except`.
    pub fn publish_except(&self, except: Option<u64>, users: &[UserId], live: &Live) {
        self.deliver(except, users, live);
        match live {
            Live::Receipt(receipt) => self.ring(|| crate::cluster::Ring::Receipt {
                users: users.to_vec(),
                receipt: *receipt,
            }),
            Live::Typing { conversation, user } => self.ring(|| crate::cluster::Ring::Typing {
                users: users.to_vec(),
                conversation: *conversation,
                user: *user,
            }),
            // A change goes out with `announce`, a message on the stream's
            // own doorbell.
            Live::Conversation(_) | Live::Message { .. } => {}
        }
    }

    /// Queues `live` for this node's connections of `users` only, leaving
    /// out the connection `except`.
    pub fn deliver(&self, except: Option<u64>, users: &[UserId], live: &Live) {
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

    /// Whether `user` has a connection open on this node.
    pub fn is_here(&self, user: UserId) -> bool {
        self.lock().contains_key(&user)
    }

    /// Closes this node's connections of `user` (suspended by the
    /// operator). Other nodes hear of it from the store, which rings them
    /// in the transaction that suspended the account.
    pub fn disconnect_user(&self, user: UserId) {
        self.lock().remove(&user);
    }

    /// Closes this node's connections opened with `session` (after
    /// sign-out); other nodes hear of it from the store, as above.
    pub fn disconnect_session(&self, session: &[u8]) {
        for list in self.lock().values_mut() {
            list.retain(|e| e.session != session);
        }
    }

    /// Closes every connection on this node: it may have missed deliveries,
    /// and its clients catch up when they reconnect.
    pub fn drop_all(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Vec<Entry>>> {
        self.by_user.lock().unwrap_or_else(|e| e.into_inner())
    }
}
