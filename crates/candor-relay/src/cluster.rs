//! Several relay nodes over one shared store: the store is the only truth,
//! and its doorbell only says that something happened (see
//! `storage::doorbell`). Each node runs two threads for it:
//!
//! - the listener hears, in the stream's order, every batch any node stored.
//!   This node's own batches it delivers from what its writer already has
//!   (`Stash`, the frames encoded once); another node's it reads back from
//!   the store. So every connection gets its messages in cursor order, which
//!   its client's catch-up position relies on, whichever node stored them.
//!   It also hears what other nodes rang and delivers it to this node's
//!   connections.
//! - the ringer takes what this node's hub publishes (`Ring`) and rings it.
//!
//! The doorbell is the database's own (LISTEN/NOTIFY), or a bus (NATS, see
//! `crate::bus`) that may lose a wake or bring wakes out of order. Either
//! way the listener delivers the stream in cursor order: a wake below what
//! it delivered is old news, cursors between what it delivered and a wake
//! are read back first, and another node's wake from a bus is believed
//! only as far as the stream's head (one sent before a restore may come
//! after it; this node's own come from its writer, after the commit). It
//! also looks at the stream's head every second, and delivers what was
//! committed a look ago and never rung: a lost wake, or a node that rings
//! otherwise (one started without the bus the others use). So a lost wake
//! costs about two seconds of delay, and nothing more.
//!
//! Live delivery is best-effort here as on one node: a listener that loses
//! its connection may have missed batches, so it closes every connection of
//! this node, and their clients catch up by cursor. Until it hears again
//! the node takes no new connections and says so on `/healthz`. Sign-outs
//! and suspensions are not best-effort: the store rings them in the
//! transaction that made them, so a node either hears them or has closed
//! every connection.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Weak};
use std::time::Duration;

use candor_protocol::frames::RelayFrame;
use candor_protocol::{ConversationId, UserId};
use serde::{Deserialize, Serialize};

use crate::hub::{Hub, Live};
use crate::metrics::Metrics;
use crate::storage::doorbell::{Closing, Doorbell, Heard, Listening, NodeId};
use crate::storage::{Receipt, Storage, StorageError};

/// Rings waiting for the ringer, at most; past it they are dropped (live
/// delivery is best-effort).
const RINGS_QUEUED: usize = 4096;

/// Rings sent in one statement, at most.
const RINGS_PER_CALL: usize = 256;

/// Stored batches waiting for their turn on the doorbell, at most (each up
/// to the writer's batch of frames); past it a batch is read back instead.
const STASHED: usize = 8;

/// How long the listener and the ringer wait for anything before they look
/// whether the relay has stopped.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// How long the listener waits for this node's writer to hand over a batch
/// the doorbell says it stored, before reading it back from the store.
const STASH_WAIT: Duration = Duration::from_secs(1);

/// How often the listener looks at the stream's head for batches it was
/// not told of. It delivers those up to the head of its previous look, so
/// that a wake on its way (this node's own, with the frames already
/// encoded) has that long to come first.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Cursors read back in one query, at most: a bus that was down a while
/// leaves a long stretch to read.
const READ_BACK_PAGE: u64 = 1024;

/// What a node's hub tells the other nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ring {
    Receipt {
        users: Vec<UserId>,
        receipt: Receipt,
    },
    Typing {
        users: Vec<UserId>,
        conversation: ConversationId,
        user: UserId,
    },
    /// The conversation changed for `members`: each node tells its
    /// connections of them how it looks to them now.
    Changed {
        conversation: ConversationId,
        members: Vec<UserId>,
    },
}

/// A ring as it goes on the doorbell: who rang it, so that a node skips
/// its own.
#[derive(Serialize, Deserialize)]
struct Rung {
    node: NodeId,
    ring: Ring,
}

/// One batch this node stored, ready to deliver: its cursors, and each new
/// message's frame with who gets it and the connection that sent it (which
/// does not).
#[derive(Debug)]
pub struct Stash {
    pub first: u64,
    pub last: u64,
    pub deliveries: Vec<(Option<u64>, Vec<UserId>, Live)>,
}

/// Where this node's writer hands over what it stored (see `Handoff::stored`).
pub struct Handoff {
    stashes: SyncSender<Stash>,
    /// Weak: the writer may outlive the store a little, and the doorbell
    /// holds connections to it that must close with it (the listener and
    /// the ringer hold it until then).
    doorbell: Weak<dyn Doorbell>,
}

impl Handoff {
    /// This node committed `stash`: its listener delivers it when the
    /// doorbell names it, and a doorbell rung after commits is rung now.
    pub fn stored(&self, stash: Stash) {
        let (first, last) = (stash.first, stash.last);
        if self.stashes.try_send(stash).is_err() {
            // The listener reads the batch back from the store instead.
            tracing::warn!("the cluster's listener is behind; a batch goes out read back");
        }
        if let Some(doorbell) = self.doorbell.upgrade() {
            doorbell.stored(first, last);
        }
    }
}

/// Starts this node's listener and ringer over `doorbell`, and returns
/// where the writer hands over what it stored. Whether the listener hears
/// the doorbell now is `metrics`' `doorbell.hearing`. Both threads
/// end once `storage` is dropped (the hub may outlive it a little, in a
/// task that has yet to run).
pub fn join(
    doorbell: Arc<dyn Doorbell>,
    hub: &Arc<Hub>,
    storage: &Arc<dyn Storage>,
    metrics: &Metrics,
) -> Handoff {
    let gauges = metrics.doorbell.clone().unwrap_or_default();
    let (rings, to_ring) = sync_channel(RINGS_QUEUED);
    hub.ring_others(rings);
    let (stashes, stashed) = sync_channel(STASHED);
    let ringer = doorbell.clone();
    let relay = Arc::downgrade(storage);
    std::thread::Builder::new()
        .name("relay-ringer".into())
        .spawn(move || ring_all(ringer.as_ref(), &to_ring, &relay))
        .expect("start the ringer");
    // The first connection is made before the node serves, so that it
    // answers healthy from the start. On a thread of its own: the blocking
    // client runs a runtime, and this may be called from async code.
    let first = {
        let doorbell = doorbell.clone();
        std::thread::spawn(move || {
            let mut ears = doorbell.listen()?;
            let head = ears.head()?;
            Ok((ears, head))
        })
        .join()
        .unwrap_or_else(|_| Err(StorageError::Unavailable("listening panicked".into())))
    };
    let first = first
        .inspect_err(|e| tracing::warn!(error = %e, "cannot listen for the other nodes yet"))
        .ok();
    let (first, through) = first.map_or((None, 0), |(ears, head)| (Some(ears), head));
    gauges.hearing.set(i64::from(first.is_some()));
    let listener = Listener {
        doorbell: doorbell.clone(),
        hub: Arc::downgrade(hub),
        storage: Arc::downgrade(storage),
        stashed,
        early: None,
        through,
        looked: (std::time::Instant::now(), through),
        gauges,
    };
    std::thread::Builder::new()
        .name("relay-listener".into())
        .spawn(move || listener.run(first))
        .expect("start the listener");
    Handoff {
        stashes,
        doorbell: Arc::downgrade(&doorbell),
    }
}

fn ring_all(doorbell: &dyn Doorbell, to_ring: &Receiver<Ring>, relay: &Weak<dyn Storage>) {
    let node = doorbell.node();
    loop {
        let first = match to_ring.recv_timeout(IDLE_CHECK) {
            Ok(ring) => ring,
            Err(RecvTimeoutError::Timeout) if relay.strong_count() > 0 => continue,
            Err(_) => return,
        };
        let mut rings = vec![first];
        while rings.len() < RINGS_PER_CALL {
            match to_ring.try_recv() {
                Ok(ring) => rings.push(ring),
                Err(_) => break,
            }
        }
        let payloads: Vec<String> = rings
            .into_iter()
            .filter_map(|ring| serde_json::to_string(&Rung { node, ring }).ok())
            .collect();
        if let Err(e) = doorbell.ring(&payloads) {
            tracing::warn!(error = %e, dropped = payloads.len(), "could not ring the other nodes");
        }
    }
}

struct Listener {
    doorbell: Arc<dyn Doorbell>,
    hub: Weak<Hub>,
    storage: Weak<dyn Storage>,
    stashed: Receiver<Stash>,
    /// A batch the writer handed over before the doorbell named it.
    early: Option<Stash>,
    /// The stream is delivered up to here, cursor by cursor: what was
    /// committed when the listener started listening, and every batch
    /// since.
    through: u64,
    /// When the listener last looked at the stream's head, and the head it
    /// saw (`LOOK_EVERY`).
    looked: (std::time::Instant, u64),
    /// Its figures, `hearing` among them (`/healthz` reads it too).
    gauges: crate::metrics::Doorbell,
}

impl Listener {
    fn run(mut self, mut listening: Option<Box<dyn Listening>>) {
        loop {
            let Some(hub) = self
                .hub
                .upgrade()
                .filter(|_| self.storage.strong_count() > 0)
            else {
                return;
            };
            let Some(ears) = listening.as_mut() else {
                let listened = self.doorbell.listen().and_then(|mut ears| {
                    self.through = ears.head()?;
                    self.looked = (std::time::Instant::now(), self.through);
                    Ok(ears)
                });
                match listened {
                    Ok(ears) => {
                        listening = Some(ears);
                        self.heard_again(&hub);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for the other nodes; retrying");
                        drop(hub);
                        std::thread::sleep(IDLE_CHECK);
                    }
                }
                continue;
            };
            let to_look = LOOK_EVERY.saturating_sub(self.looked.0.elapsed());
            let heard = ears
                .next(IDLE_CHECK.min(to_look))
                .and_then(|heard| match heard {
                    Some(Heard::Stored {
                        node,
                        first,
                        last,
                        at,
                    }) => {
                        let others = node != self.doorbell.node();
                        self.deliver_batch(&hub, ears.as_mut(), node, first, last)
                            .map(|rung| {
                                if rung && others {
                                    // By two clocks: as good as their
                                    // agreement.
                                    let lag =
                                        (chrono::Utc::now() - at).to_std().unwrap_or_default();
                                    self.gauges.lag.observe(lag.as_secs_f64());
                                }
                            })
                    }
                    Some(Heard::Closed(Closing::Session(session))) => {
                        hub.disconnect_session(&session);
                        Ok(())
                    }
                    Some(Heard::Closed(Closing::User(user))) => {
                        hub.disconnect_user(user);
                        Ok(())
                    }
                    Some(Heard::Rung(payload)) => {
                        self.deliver_rung(&hub, &payload);
                        Ok(())
                    }
                    None => Ok(()),
                });
            let heard = heard.and_then(|()| self.look_at_head(&hub, ears.as_mut()));
            if let Err(e) = heard {
                tracing::warn!(error = %e, "lost the doorbell; closing this node's connections");
                listening = None;
                self.gauges.hearing.set(0);
                hub.drop_all();
            }
        }
    }

    /// Listening again after a time of not: what was stored meanwhile went
    /// by unheard, so every connection closes and its client catches up.
    /// The database may have restarted meanwhile: the epoch those clients
    /// are welcomed into is looked at first.
    fn heard_again(&mut self, hub: &Hub) {
        self.early = None;
        while self.stashed.try_recv().is_ok() {}
        if let Some(storage) = self.storage.upgrade()
            && let Err(e) = storage.check_epoch()
        {
            tracing::warn!(error = %e, "could not look at the database's epoch");
        }
        self.gauges.hearing.set(1);
        hub.drop_all();
    }

    /// `node` stored `first..=last`: delivered after whatever came before it
    /// that was not (a wake lost or late on a bus), unless it already was.
    /// Whether the wake was news (it delivered something).
    fn deliver_batch(
        &mut self,
        hub: &Hub,
        ears: &mut dyn Listening,
        node: NodeId,
        first: u64,
        last: u64,
    ) -> Result<bool, StorageError> {
        if last <= self.through {
            return Ok(false);
        }
        let own = node == self.doorbell.node();
        // This node's own batches are committed (the writer hands them over
        // after the commit); another's wake is believed as far as the head.
        if self.doorbell.may_miss() && !own && last > ears.head()? {
            // Cursors not committed: a wake from before a restore.
            tracing::warn!(first, last, "a wake for cursors the database does not hold");
            return Ok(false);
        }
        if first > self.through + 1 {
            deliver_stored(hub, ears, self.through + 1, first - 1)?;
        }
        self.through = last;
        if own {
            self.deliver_own(hub, ears, first, last)?;
        } else {
            deliver_stored(hub, ears, first, last)?;
        }
        Ok(true)
    }

    /// Every `LOOK_EVERY`: what was committed a look ago and not rung here
    /// is read back and delivered. A head below what was delivered means
    /// the database went back (a restore) under a connection that did not
    /// break: this node no longer hears it as it is, and starts again.
    fn look_at_head(&mut self, hub: &Hub, ears: &mut dyn Listening) -> Result<(), StorageError> {
        if self.looked.0.elapsed() < LOOK_EVERY {
            return Ok(());
        }
        let head = ears.head()?;
        if head < self.through {
            return Err(StorageError::Unavailable(format!(
                "the stream's head went back from {} to {head}",
                self.through
            )));
        }
        let unrung = self.looked.1.min(head);
        self.looked = (std::time::Instant::now(), head);
        if unrung > self.through {
            tracing::debug!(
                from = self.through + 1,
                to = unrung,
                "delivering what the doorbell did not ring"
            );
            deliver_stored(hub, ears, self.through + 1, unrung)?;
            self.through = unrung;
            self.drop_delivered_stashes();
        }
        Ok(())
    }

    /// Lets go of what the writer handed over for cursors already read
    /// back, so that they neither fill the hand-over nor hold up the next.
    fn drop_delivered_stashes(&mut self) {
        if self.early.as_ref().is_some_and(|s| s.last <= self.through) {
            self.early = None;
        }
        while self.early.is_none() {
            match self.stashed.try_recv() {
                Ok(stash) if stash.last <= self.through => {}
                Ok(stash) => self.early = Some(stash),
                Err(_) => break,
            }
        }
    }

    /// This node stored `first..=last`: its writer has the frames.
    fn deliver_own(
        &mut self,
        hub: &Hub,
        ears: &mut dyn Listening,
        first: u64,
        last: u64,
    ) -> Result<(), StorageError> {
        loop {
            let stash = match self.early.take() {
                Some(stash) => stash,
                None => match self.stashed.recv_timeout(STASH_WAIT) {
                    Ok(stash) => stash,
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                },
            };
            if stash.last < first {
                // Named by a ring missed while the listener reconnected.
                continue;
            }
            if stash.first > last {
                self.early = Some(stash);
                break;
            }
            for (origin, members, live) in &stash.deliveries {
                hub.deliver(*origin, members, live);
            }
            return Ok(());
        }
        // The writer never handed it over (it failed after the commit, or
        // the listener was behind): read it back like another node's.
        deliver_stored(hub, ears, first, last)
    }

    /// What another node rang, for this node's connections.
    fn deliver_rung(&self, hub: &Hub, payload: &str) {
        let Rung { node, ring } = match serde_json::from_str(payload) {
            Ok(rung) => rung,
            Err(e) => {
                tracing::error!(error = %e, "a malformed ring");
                return;
            }
        };
        if node == self.doorbell.node() {
            return;
        }
        match ring {
            Ring::Receipt { users, receipt } => {
                hub.deliver(None, &users, &Live::Receipt(receipt));
            }
            Ring::Typing {
                users,
                conversation,
                user,
            } => hub.deliver(None, &users, &Live::Typing { conversation, user }),
            Ring::Changed {
                conversation,
                members,
            } => {
                let here: Vec<UserId> = members.into_iter().filter(|m| hub.is_here(*m)).collect();
                let Some(storage) = self.storage.upgrade().filter(|_| !here.is_empty()) else {
                    return;
                };
                // Read as it is now, which may be newer than the change
                // rung: never older than what a member was told.
                match storage.announcement_for(conversation, &here) {
                    Ok(announcement) => hub.announce_here(&announcement),
                    Err(e) => tracing::warn!(error = %e, "could not read a changed chat"),
                }
            }
        }
    }
}

/// The messages at `first..=last`, read back on the listening connection
/// a page at a time, delivered to the members who have connections here.
fn deliver_stored(
    hub: &Hub,
    ears: &mut dyn Listening,
    first: u64,
    last: u64,
) -> Result<(), StorageError> {
    let mut from = first;
    while from <= last {
        let to = last.min(from.saturating_add(READ_BACK_PAGE - 1));
        deliver_page(hub, ears, from, to)?;
        from = to + 1;
    }
    Ok(())
}

fn deliver_page(
    hub: &Hub,
    ears: &mut dyn Listening,
    first: u64,
    last: u64,
) -> Result<(), StorageError> {
    for (cursor, message, members) in ears.stored(first, last)? {
        let here: Vec<UserId> = members.into_iter().filter(|m| hub.is_here(*m)).collect();
        if here.is_empty() {
            continue;
        }
        let conversation = message.conversation_id;
        match serde_json::to_string(&RelayFrame::Message { cursor, message }) {
            Ok(json) => hub.deliver(
                None,
                &here,
                &Live::Message {
                    cursor,
                    conversation,
                    frame: json.into(),
                },
            ),
            Err(e) => {
                // A gap below what comes next: they catch up instead.
                tracing::error!(error = %e, "could not encode a message frame");
                for member in here {
                    hub.disconnect_user(member);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_fits_the_doorbell_for_the_largest_group() {
        let users: Vec<UserId> = (0..candor_protocol::MAX_GROUP_MEMBERS)
            .map(|_| UserId::new())
            .collect();
        let ring = Rung {
            node: NodeId::now_v7(),
            ring: Ring::Receipt {
                users,
                receipt: Receipt {
                    conversation: ConversationId::new(),
                    user: UserId::new(),
                    delivered_seq: i64::MAX,
                    read_seq: i64::MAX,
                },
            },
        };
        let json = serde_json::to_string(&ring).expect("json");
        assert!(json.len() <= crate::storage::doorbell::MAX_RING_BYTES);
        let back: Rung = serde_json::from_str(&json).expect("read back");
        assert_eq!(back.ring, ring.ring);
    }
}
