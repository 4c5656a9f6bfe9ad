//! Relay settings, with the defaults the binary documents.

use std::path::PathBuf;
use std::time::Duration;

use crate::storage::Quotas;

#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Where the embedded store lives (created on first start), and the
    /// operator's admin.json.
    pub data_dir: PathBuf,
    /// A PostgreSQL database (`postgres://…`) to keep everything in instead
    /// of the embedded store, shared by every node of the relay; brought to
    /// the relay's schema by `candor-relay migrate`.
    pub database_url: Option<String>,
    /// The authorities (PEM) that sign the database server's certificate,
    /// when not the system's. Used only off this machine (see
    /// `storage::DatabaseLink`).
    pub database_ca: Option<PathBuf>,
    /// A NATS server (`nats://host:port`) that rings the nodes sharing
    /// `database_url` in place of the database's LISTEN/NOTIFY (see
    /// `crate::bus`).
    pub nats_url: Option<String>,
    /// The authorities (PEM) that sign the NATS server's certificate, when
    /// not the system's (see `crate::bus`).
    pub nats_ca: Option<PathBuf>,
    /// Browser origins allowed to open a WebSocket. Native clients send no Origin
    /// header and are always allowed; a browser page from any other origin is not.
    pub allowed_origins: Vec<String>,
    /// New accounts allowed per client address per hour; 0 means no limit.
    pub sign_ups_per_hour: usize,
    /// How often each connection is pinged.
    pub ping_every: Duration,
    /// A connection from which nothing (a frame, a pong) has come for this long
    /// is dead: a half-open link, a client gone without a word. It is closed,
    /// and what it held (a hub slot, buffers) is let go.
    pub silent_after: Duration,
    /// Added to the system clock for every time the relay records (message
    /// times, sign-ups, sessions). Zero in service; the fault-injection tests
    /// step it to show that no delivery decision rests on the wall clock.
    pub clock_offset: chrono::Duration,
    /// The bearer token that `GET /metrics` on the main address asks for.
    /// Without one, the main address does not serve metrics at all: they say
    /// how busy the relay is, which is nobody else's business. (A separate
    /// metrics address, see `serve_metrics`, asks for no token.)
    pub metrics_token: Option<String>,
    /// A session the relay has not heard from for this long is signed out
    /// ([`candor_protocol::api::SESSION_IDLE_DAYS`] by default).
    pub session_idle: chrono::Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (see
    /// `client_addr`); from anyone else the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Directory lookups (`GET /v1/users/{handle}`) per account in ten
    /// minutes; 0 means no limit. A person starts a few chats; a crawler asks
    /// for thousands of handles.
    pub lookups_per_ten_minutes: usize,
    /// Groups made and members added, removed or made admin, per account per
    /// hour; 0 means no limit. Each is a request for someone, or rows the
    /// relay keeps for good: a person runs a few groups; a spammer runs
    /// thousands.
    pub group_changes_per_hour: usize,
    /// Photos uploaded per account per hour; 0 means no limit. A person
    /// sends a few albums of nine; each upload is kept for good.
    pub uploads_per_hour: usize,
    /// Open WebSockets per account (a person has a few devices).
    pub sockets_per_account: usize,
    /// Open WebSockets per client address (a household or an office shares one).
    pub sockets_per_address: usize,
    /// TCP connections one address may hold open at once, counted before a
    /// byte is read (trusted proxies are not counted); 0 means no limit.
    pub tcp_per_address: usize,
    /// What one account may send (see [`Quotas`]).
    pub quotas: Quotas,
    /// Frames a connection may send per second, with ten seconds' worth at
    /// once; past it the relay reads its frames more slowly (0: no limit).
    pub frames_per_second: u32,
}

/// The default quotas: far beyond what a person writes (10,000 messages a
/// day; 1 GiB is 250,000 messages of the longest kind), far below what fills
/// a disk.
pub const DEFAULT_QUOTAS: Quotas = Quotas {
    messages_per_day: 10_000,
    stored_bytes: 1024 * 1024 * 1024,
};

/// The default of [`RelayConfig::sign_ups_per_hour`]: a household or an office
/// behind one address can sign up; a script cannot fill the directory.
pub const DEFAULT_SIGN_UPS_PER_HOUR: usize = 20;

impl RelayConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database_url: None,
            database_ca: None,
            nats_url: None,
            nats_ca: None,
            allowed_origins: Vec::new(),
            sign_ups_per_hour: DEFAULT_SIGN_UPS_PER_HOUR,
            ping_every: Duration::from_secs(20),
            silent_after: Duration::from_secs(60),
            clock_offset: chrono::Duration::zero(),
            metrics_token: None,
            session_idle: chrono::Duration::days(candor_protocol::api::SESSION_IDLE_DAYS),
            trusted_proxies: Vec::new(),
            lookups_per_ten_minutes: 100,
            group_changes_per_hour: 60,
            uploads_per_hour: 300,
            sockets_per_account: 16,
            sockets_per_address: 64,
            tcp_per_address: 256,
            quotas: DEFAULT_QUOTAS,
            frames_per_second: 200,
        }
    }
}
