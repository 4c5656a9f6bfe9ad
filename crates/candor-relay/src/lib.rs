//! The Candor relay: accounts, sessions, conversations and durable delivery.
//!
//! The relay is a library (`router`, `serve`) with a thin binary around it, so that
//! tests start a real relay on port 0 in-process. It keeps every message for every
//! member: there is no delete or unsend anywhere in it, because Candor's "Delete
//! for me" never leaves the device.
//!
//! Storage sits behind [`Storage`]: the embedded SQLite store for one
//! process, or PostgreSQL, which any number of relay nodes can share (see
//! `cluster` for how each delivers live what another stored).

pub mod admin;
mod auth;
pub mod bus;
mod client_addr;
mod cluster;
mod config;
mod conversations;
mod error;
mod http;
mod hub;
mod limits;
mod metrics;
mod outbound_tls;
mod photos;
mod serving;
mod sessions;
pub mod storage;
pub mod tls;
mod writer;
mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, patch, post, put};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{DEFAULT_QUOTAS, DEFAULT_SIGN_UPS_PER_HOUR, RelayConfig};
pub use error::RelayError;
pub use storage::{PostgresStorage, SqliteStorage, Storage, StorageError};

/// Shared by every request and connection.
#[derive(Clone)]
pub struct RelayState {
    inner: Arc<Inner>,
}

struct Inner {
    config: RelayConfig,
    storage: Arc<dyn Storage>,
    hub: Arc<hub::Hub>,
    sign_ups: limits::Limit,
    /// Directory lookups per account: the directory cannot be harvested.
    lookups: limits::Limit,
    /// Group changes per account: requests cannot be sprayed, nor rows piled up.
    group_changes: limits::Limit,
    /// Photos uploaded per account: each is kept for good.
    uploads: limits::Limit,
    /// Photos moving (up or down) per account, and the turns of uploads and
    /// fetches on this node: each holds a photo in memory (see `photos`).
    transfer_slots: limits::ConnectionSlots,
    upload_turns: Arc<tokio::sync::Semaphore>,
    fetch_turns: Arc<tokio::sync::Semaphore>,
    /// Rate-limit keys refused, held in memory until their window ends.
    refused: limits::Refused,
    /// Open WebSockets per account and per client address.
    sockets_per_account: limits::ConnectionSlots,
    sockets_per_address: limits::ConnectionSlots,
    metrics: Arc<metrics::Metrics>,
    writer: writer::Writer,
    /// Flips to true when the relay shuts down; open WebSockets close on it.
    shutdown: watch::Receiver<bool>,
    shutdown_tx: watch::Sender<bool>,
}

impl std::fmt::Debug for RelayState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayState")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl RelayState {
    /// Must be called within a tokio runtime: it starts the message writer.
    pub fn new(config: RelayConfig, storage: Arc<dyn Storage>) -> Self {
        Self::with_bus(config, storage, None)
    }

    /// As `new`, with the nodes rung over `bus` rather than by the store
    /// (which must then have been opened for a bus).
    pub fn with_bus(config: RelayConfig, storage: Arc<dyn Storage>, bus: Option<bus::Bus>) -> Self {
        storage.set_quotas(config.quotas);
        let (shutdown_tx, shutdown) = watch::channel(false);
        let hub = Arc::new(hub::Hub::default());
        let connected = bus.as_ref().map(|bus| bus.connected.clone());
        let doorbell = storage.doorbell().map(|store| match bus {
            Some(bus) => Arc::new(bus.doorbell(store)) as Arc<dyn storage::doorbell::Doorbell>,
            None => store,
        });
        let metrics = Arc::new(metrics::Metrics::new(doorbell.is_some(), connected));
        // A store that other nodes may share rings a doorbell: this node
        // joins them (see `cluster`).
        let cluster = doorbell.map(|doorbell| cluster::join(doorbell, &hub, &storage, &metrics));
        let writer = writer::Writer::start(storage.clone(), hub.clone(), metrics.clone(), cluster);
        let sign_ups = limits::Limit::new(
            "sign-ups",
            "sign-up:address",
            config.sign_ups_per_hour,
            std::time::Duration::from_secs(3600),
        );
        let lookups = limits::Limit::new(
            "directory lookups",
            "lookup:account",
            config.lookups_per_ten_minutes,
            std::time::Duration::from_secs(600),
        );
        let group_changes = limits::Limit::new(
            "group changes",
            "group:account",
            config.group_changes_per_hour,
            std::time::Duration::from_secs(3600),
        );
        let uploads = limits::Limit::new(
            "photo uploads",
            "upload:account",
            config.uploads_per_hour,
            std::time::Duration::from_secs(3600),
        );
        let sockets_per_account = limits::ConnectionSlots::new(config.sockets_per_account);
        let sockets_per_address = limits::ConnectionSlots::new(config.sockets_per_address);
        Self {
            inner: Arc::new(Inner {
                config,
                storage,
                hub,
                sign_ups,
                lookups,
                group_changes,
                uploads,
                transfer_slots: limits::ConnectionSlots::new(photos::TRANSFERS_PER_ACCOUNT),
                upload_turns: Arc::new(tokio::sync::Semaphore::new(photos::UPLOADS)),
                fetch_turns: Arc::new(tokio::sync::Semaphore::new(photos::FETCHES)),
                refused: limits::Refused::default(),
                sockets_per_account,
                sockets_per_address,
                metrics,
                writer,
                shutdown,
                shutdown_tx,
            }),
        }
    }

    /// Opens the relay's store: the PostgreSQL database of
    /// `config.database_url`, or else the embedded SQLite store in
    /// `config.data_dir`; with `config.nats_url`, the bus too (and then it
    /// must run within a tokio runtime). It blocks: from async code, call
    /// it through `spawn_blocking`.
    pub fn open(config: RelayConfig) -> Result<Self, StorageError> {
        let bus = match (&config.nats_url, &config.database_url) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(StorageError::Unavailable(
                    "a bus rings the nodes of a shared database: give --database-url too".into(),
                ));
            }
            (Some(url), Some(_)) => Some(
                tokio::runtime::Handle::current()
                    .block_on(bus::Bus::connect(url, config.nats_ca.as_deref()))?,
            ),
        };
        let storage: Arc<dyn Storage> = match &config.database_url {
            Some(url) => {
                let link = storage::DatabaseLink::new(url, config.database_ca.as_deref())?;
                Arc::new(PostgresStorage::open_for(&link, bus.is_some())?)
            }
            None => Arc::new(SqliteStorage::open(&config.data_dir)?),
        };
        Ok(Self::with_bus(config, storage, bus))
    }

    fn storage(&self) -> Arc<dyn Storage> {
        self.inner.storage.clone()
    }

    /// On a relay of several nodes: refused while this node cannot hear
    /// the others, as it could not deliver what they store.
    fn hears_others(&self) -> Result<(), RelayError> {
        match &self.inner.metrics.doorbell {
            Some(doorbell) if doorbell.hearing.get() == 0 => Err(StorageError::Unavailable(
                "this node does not hear the others (the database's doorbell)".into(),
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// Whether this node's bus is connected; None without one.
    fn bus_connected(&self) -> Option<bool> {
        self.inner.metrics.bus.as_ref().map(|bus| bus.get() == 1)
    }

    /// The key the limits count this request's client under (see
    /// [`client_addr`]).
    fn client_key(&self, peer: SocketAddr, headers: &axum::http::HeaderMap) -> String {
        let trusted = &self.inner.config.trusted_proxies;
        if peer.ip().is_loopback() && !trusted.contains(&peer.ip()) {
            client_addr::warn_untrusted_proxy(peer.ip(), headers);
        }
        let ip = client_addr::client_ip(peer.ip(), headers, trusted);
        client_addr::limit_key(ip)
    }

    /// The relay's wall-clock time (see [`RelayConfig::clock_offset`]).
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.inner.config.clock_offset
    }
}

/// Every route of the relay.
pub fn router(state: RelayState) -> Router {
    Router::new()
        .route("/healthz", get(http::healthz))
        .route("/metrics", get(metrics::render_with_token))
        .route("/v1/relay", get(http::relay_info))
        .route("/v1/accounts", post(http::sign_up))
        .route("/v1/accounts/me", patch(http::update_profile))
        .route("/v1/sessions", post(http::sign_in).get(sessions::list))
        .route("/v1/sessions/current", delete(http::sign_out))
        .route("/v1/sessions/others", delete(sessions::sign_out_others))
        .route("/v1/sessions/{id}", delete(sessions::sign_out_one))
        .route("/v1/accounts/me/password", put(sessions::change_password))
        .route("/v1/users/{handle}", get(http::lookup_user))
        .route("/v1/groups", post(conversations::create_group))
        .route("/v1/groups/{id}/members", post(conversations::add_member))
        .route("/v1/groups/{id}/members/me", delete(conversations::leave))
        .route(
            "/v1/groups/{id}/members/{user}",
            delete(conversations::remove_member),
        )
        .route("/v1/groups/{id}/admins", post(conversations::make_admin))
        .route("/v1/conversations/{id}/accept", post(conversations::accept))
        .route(
            "/v1/settings",
            get(conversations::get_settings).put(conversations::put_settings),
        )
        .route(
            "/v1/blocks/{user}",
            put(conversations::block).delete(conversations::unblock),
        )
        .route(
            "/v1/blobs/{id}",
            put(photos::upload)
                .get(photos::fetch)
                // The body is read (and bounded) by the handler, once the
                // sender is known.
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/v1/ws", get(ws::upgrade))
        .with_state(state)
}

/// Serves `GET /metrics` alone, with no token, on `listener` (an address only
/// the operator's monitoring can reach), until `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    state: RelayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics::render))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves the relay on `listener` until `shutdown` completes, then closes open
/// WebSockets and returns once every connection has ended.
pub async fn serve(
    listener: TcpListener,
    state: RelayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Frames are small and a person waits on each: send them at once rather than
    // let Nagle's algorithm hold one behind a delayed ACK for up to 40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    serve_on(listener, state, shutdown).await
}

/// Like [`serve`], over TLS with `certificates` (see [`tls`]).
pub async fn serve_tls(
    listener: TcpListener,
    certificates: Arc<tls::Certificates>,
    state: RelayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // TCP_NODELAY is set as each connection is accepted, before its handshake.
    let listener = tls::TlsListener::new(listener, certificates)?.tap_io(|_| {});
    serve_on(listener, state, shutdown).await
}

async fn serve_on<L, F>(
    listener: axum::serve::TapIo<L, F>,
    state: RelayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    F: FnMut(&mut L::Io) + Send + 'static,
{
    let app = router(state.clone());
    serving::run(listener, app, state, shutdown).await
}
