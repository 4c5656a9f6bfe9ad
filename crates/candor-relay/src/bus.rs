//! NATS as the doorbell of a relay's nodes, in place of the database's
//! LISTEN/NOTIFY (see `crate::cluster`). PostgreSQL stays the only truth: a
//! wake on the bus only says that a node committed the cursors
//! `first..=last`, and whoever hears it reads them back from the database.
//!
//! Why a bus at all, when the database can ring: a NOTIFY in a batch's
//! transaction queues under a lock every notifying commit shares, so each
//! batch of every node pays for it; and typing, receipts and the like are
//! no business of the database. On the bus a batch commits without a
//! notification, and what is only live (typing above all) is never stored.
//!
//! What a bus may do that the database's doorbell does not: lose a wake (it
//! keeps nothing for a subscriber it cannot reach, and a node drops what it
//! cannot send: while disconnected, or when it is far behind), bring wakes
//! of different nodes in any order, and bring one late. So a node's
//! listener numbers nothing by the wakes: it delivers the stream in cursor
//! order, reading back any cursors below a wake that it had not heard of,
//! believes another node's wake only as far as the stream's head, and finds
//! the wakes that never came by looking at the head every second (see
//! `crate::cluster`). A node's own wakes go straight to its own listener
//! (the writer hands them over after the commit), and their echo from the
//! bus is dropped. A lost wake delays delivery by about two seconds;
//! nothing is lost, and nothing is delivered twice.
//!
//! A node subscribes once, when it connects: the client subscribes again
//! by itself after a reconnection, and a listener that starts over (its
//! database connection broke) takes the wakes from then on, without a
//! call that would wait for a bus that is down.
//!
//! One subject carries the wakes, not one per account: a node reads a
//! batch back once, whichever of its accounts it reaches, and the order
//! across a group's members is the stream's. Sign-outs and suspensions
//! still ring in the database, in the transaction that makes them: a node
//! that is listening cannot miss them, which a bus could not promise.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use prometheus_client::metrics::gauge::Gauge;

use crate::outbound_tls::{client_config, is_this_machine};
use crate::storage::StorageError;
use crate::storage::doorbell::{
    Doorbell, Fanned, Heard, Listening, MAX_RING_BYTES, NodeId, parse_stored, stored_payload,
};

/// What the nodes committed: `stored_payload`.
const STORED: &str = "candor.stored";
/// What a node rang for the others (receipts, typing, changed chats).
const LIVE: &str = "candor.live";

/// Wakes and rings waiting to go on the bus, at most; past it they are
/// dropped (the listeners' look at the head finds what they named).
const OUTBOX: usize = 8192;

/// What a listener has heard and not yet taken, at most.
const HEARD: usize = 8192;

/// How often a listener waiting on the bus looks for closings on the
/// database's connection too.
const CLOSINGS_EVERY: Duration = Duration::from_millis(100);

/// Why the bus could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// (The address is not repeated: it may hold a password.)
    #[error("the NATS address is not valid: {0}")]
    Address(String),
    #[error("the bus's TLS (--nats-ca): {0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("subscribing on NATS: {0}")]
    Subscribe(String),
}

impl From<BusError> for StorageError {
    fn from(e: BusError) -> Self {
        StorageError::Unavailable(e.to_string())
    }
}

/// A node's connection to the bus. It connects, and reconnects, in the
/// background: a node whose bus is down serves all the same, and hears
/// what the others store by looking at the database.
#[derive(Debug)]
pub struct Bus {
    client: async_nats::Client,
    outbox: tokio::sync::mpsc::Sender<(&'static str, Bytes)>,
    /// Where the wakes heard go: the listener's, once it listens.
    ears: Ears,
    /// This node, once known (`doorbell`): its own wakes come back from the
    /// bus, and are not listened to (its listener heard them at once).
    node: Arc<OnceLock<NodeId>>,
    /// 1 while connected, else 0 (`/metrics`, `/healthz`).
    pub connected: Gauge,
}

type Ears = Arc<Mutex<Option<SyncSender<Heard>>>>;

/// Whether any of `servers` is off this machine: then the bus is TLS or
/// nothing, whatever the server offers.
fn needs_tls(servers: &[async_nats::ServerAddr]) -> bool {
    servers.iter().any(|s| !is_this_machine(s.host()))
}

/// The servers `url` names, separated by commas: `nats://` or `tls://`
/// (or a bare `host:port`). Not `ws://` or `wss://`: this build speaks
/// NATS over TCP only, and would take either for plain TCP.
fn servers(url: &str) -> Result<Vec<async_nats::ServerAddr>, BusError> {
    url.split(',')
        .map(|one| {
            let server: async_nats::ServerAddr = one
                .trim()
                .parse()
                .map_err(|e: std::io::Error| BusError::Address(e.to_string()))?;
            match server.scheme() {
                "nats" | "tls" => Ok(server),
                other => Err(BusError::Address(format!(
                    "{other}:// is not a bus this relay speaks; use nats:// or tls://"
                ))),
            }
        })
        .collect()
}

impl Bus {
    /// Connects to the NATS servers at `url` (`nats://host:port`, several
    /// separated by commas), on the current tokio runtime, and subscribes to
    /// the wakes. Servers off this machine are reached over TLS, checked
    /// against the authorities in `ca` or else the system's (see
    /// `crate::outbound_tls`). Fails only if `url` or `ca` cannot be used; a
    /// server that is down is connected to once it is up.
    pub async fn connect(url: &str, ca: Option<&Path>) -> Result<Self, BusError> {
        let servers = servers(url)?;
        // Only the servers named: one a server advertises could be
        // anywhere, and would be reached as the named ones are.
        let mut options = async_nats::ConnectOptions::new().ignore_discovered_servers();
        let required = needs_tls(&servers);
        if required || ca.is_some() {
            options = options
                .require_tls(required)
                .tls_client_config(client_config(ca)?);
        }
        let connected = Gauge::default();
        let watch = connected.clone();
        let client = options
            .name("candor-relay")
            .retry_on_initial_connect()
            .max_reconnects(None)
            // Back within a second of the server, not the default's growing
            // wait: until then delivery between nodes runs on polling.
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis((attempts as u64 * 100).min(1000))
            })
            .event_callback(move |event| {
                let watch = watch.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            watch.set(1);
                            tracing::info!("connected to the bus");
                        }
                        async_nats::Event::Disconnected | async_nats::Event::Closed => {
                            watch.set(0);
                            tracing::warn!("lost the bus; the nodes poll the database meanwhile");
                        }
                        other => tracing::warn!(event = %other, "the bus"),
                    }
                }
            })
            .connect(servers)
            .await
            .map_err(|e| BusError::Address(e.to_string()))?;
        if client.connection_state() == async_nats::connection::State::Connected {
            connected.set(1);
        }
        let (outbox, mut to_send) = tokio::sync::mpsc::channel::<(&'static str, Bytes)>(OUTBOX);
        let sender = client.clone();
        tokio::spawn(async move {
            while let Some((subject, payload)) = to_send.recv().await {
                if let Err(e) = sender.publish(subject, payload).await {
                    tracing::warn!(error = %e, "could not put a wake on the bus");
                }
            }
        });
        let subscriber = client
            .subscribe("candor.*")
            .await
            .map_err(|e| BusError::Subscribe(e.to_string()))?;
        let ears = Ears::default();
        let node = Arc::new(OnceLock::new());
        tokio::spawn(hear(subscriber, ears.clone(), node.clone()));
        Ok(Self {
            client,
            outbox,
            ears,
            node,
            connected,
        })
    }

    /// The doorbell of a node whose database's own doorbell is `store`
    /// (opened for a bus: it carries only the closings).
    pub fn doorbell(self, store: Arc<dyn Doorbell>) -> BusDoorbell {
        let _ = self.node.set(store.node());
        BusDoorbell { bus: self, store }
    }

    /// Sends, unless the bus is down: what would be sent once it is back is
    /// stale by then (a typing ring), or found without it (a wake).
    fn put(&self, subject: &'static str, payload: String) {
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return;
        }
        match self.outbox.try_send((subject, Bytes::from(payload))) {
            Ok(()) => {}
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("the bus is behind; a wake was dropped");
            }
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// The bus and the database together as one doorbell (see the module docs).
pub struct BusDoorbell {
    bus: Bus,
    store: Arc<dyn Doorbell>,
}

impl std::fmt::Debug for BusDoorbell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusDoorbell")
            .field("bus", &self.bus)
            .finish_non_exhaustive()
    }
}

impl Doorbell for BusDoorbell {
    fn node(&self) -> NodeId {
        self.store.node()
    }

    fn may_miss(&self) -> bool {
        true
    }

    fn stored(&self, first: u64, last: u64) {
        let node = self.node();
        self.bus.put(STORED, stored_payload(node, first, last));
        // This node's own listener hears it at once, not after a trip
        // through the bus (whose echo it then skips as old news).
        let ears = self.bus.ears.lock().unwrap_or_else(|e| e.into_inner());
        let heard = Heard::Stored {
            node,
            first,
            last,
            at: chrono::Utc::now(),
        };
        if let Some(Err(TrySendError::Full(_))) = ears.as_ref().map(|ear| ear.try_send(heard)) {
            // Found at the stream's head instead.
            tracing::warn!("the listener is behind; this node's own wake was dropped");
        }
    }

    fn listen(&self) -> Result<Box<dyn Listening>, StorageError> {
        let store = self.store.listen()?;
        let (heard, wakes) = sync_channel(HEARD);
        // From now on the wakes come here; the ears before are let go.
        *self.bus.ears.lock().unwrap_or_else(|e| e.into_inner()) = Some(heard);
        Ok(Box::new(BusListening { store, wakes }))
    }

    fn ring(&self, rings: &[String]) -> Result<(), StorageError> {
        for ring in rings {
            if ring.len() > MAX_RING_BYTES {
                tracing::error!(bytes = ring.len(), "a ring too long for the doorbell");
                continue;
            }
            self.bus.put(LIVE, ring.clone());
        }
        Ok(())
    }
}

/// Hands each wake heard to the listener, if one listens (and keeps up):
/// not this node's own, which its listener heard at once. (Coming back
/// late, after a restore, one could name cursors the database no longer
/// holds, and the listener believes its own.)
async fn hear(mut subscriber: async_nats::Subscriber, ears: Ears, node: Arc<OnceLock<NodeId>>) {
    while let Some(message) = subscriber.next().await {
        let Some(wake) = wake_of(message.subject.as_str(), &message.payload) else {
            tracing::error!(subject = %message.subject, "a malformed wake on the bus");
            continue;
        };
        if let Heard::Stored { node: from, .. } = &wake
            && node.get() == Some(from)
        {
            continue;
        }
        let ears = ears.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Err(TrySendError::Full(_))) = ears.as_ref().map(|ear| ear.try_send(wake)) {
            tracing::warn!("the listener is behind; a wake from the bus was dropped");
        }
    }
}

/// What a message on the bus says, if it is well formed.
fn wake_of(subject: &str, payload: &[u8]) -> Option<Heard> {
    let payload = std::str::from_utf8(payload).ok()?;
    match subject {
        STORED => parse_stored(payload),
        LIVE => Some(Heard::Rung(payload.to_owned())),
        _ => None,
    }
}

/// A listener's ears: the bus's wakes, and the database's connection for
/// the closings and the read-backs.
struct BusListening {
    store: Box<dyn Listening>,
    wakes: Receiver<Heard>,
}

impl Listening for BusListening {
    fn next(&mut self, wait: Duration) -> Result<Option<Heard>, StorageError> {
        let until = Instant::now() + wait;
        loop {
            // Closings first: they are rare, and must not wait behind wakes.
            if let Some(closing) = self.store.next(Duration::ZERO)? {
                return Ok(Some(closing));
            }
            let left = until.saturating_duration_since(Instant::now());
            match self.wakes.recv_timeout(left.min(CLOSINGS_EVERY)) {
                Ok(wake) => return Ok(Some(wake)),
                Err(RecvTimeoutError::Timeout) if left.is_zero() => return Ok(None),
                Err(RecvTimeoutError::Timeout) => {}
                // Another listener took the wakes (not while this one
                // lives), or the relay is stopping.
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(StorageError::Unavailable(
                        "no longer hearing the bus".into(),
                    ));
                }
            }
        }
    }

    fn stored(&mut self, first: u64, last: u64) -> Result<Vec<Fanned>, StorageError> {
        self.store.stored(first, last)
    }

    fn head(&mut self) -> Result<u64, StorageError> {
        self.store.head()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_is_read_only_from_its_own_subject() {
        let node = NodeId::now_v7();
        let payload = stored_payload(node, 3, 5);
        assert!(matches!(
            wake_of(STORED, payload.as_bytes()),
            Some(Heard::Stored {
                first: 3,
                last: 5,
                ..
            })
        ));
        assert_eq!(
            wake_of(LIVE, b"{\"node\":1}"),
            Some(Heard::Rung("{\"node\":1}".into()))
        );
        assert_eq!(wake_of("candor.other", payload.as_bytes()), None);
        assert_eq!(wake_of(STORED, b"\xff\xfe"), None);
        assert_eq!(wake_of(STORED, b"7 9"), None);
    }

    #[test]
    fn a_bus_off_this_machine_is_tls_or_nothing() {
        for url in [
            "nats://127.0.0.1:4222",
            "localhost:4222",
            "nats://[::1]:4222",
        ] {
            assert!(!needs_tls(&servers(url).unwrap()), "{url}");
        }
        for url in [
            "nats://10.0.0.5:4222",
            "nats.example.com",
            "nats://127.0.0.1:4222, nats://nats.example.com:4222",
        ] {
            assert!(needs_tls(&servers(url).unwrap()), "{url}");
        }
        for url in [
            "http://user:secret@10.0.0.5",
            "wss://user:secret@nats.example.com",
        ] {
            let refused = servers(url).unwrap_err().to_string();
            assert!(!refused.contains("secret"), "{refused}");
        }
    }
}
