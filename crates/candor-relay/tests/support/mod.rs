//! A real relay on a loopback port with a temporary data directory, and a small
//! client that speaks its HTTP API and WebSocket frames.
#![allow(dead_code)]

pub mod authority;
pub mod flaky;
pub mod nats;
pub mod postgres;
pub mod process;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use candor_protocol::api::{Session, SignIn, SignUp, UserInfo};
use candor_protocol::frames::{ClientFrame, RelayFrame, StreamPosition};
use candor_protocol::{EpochId, PROTOCOL_VERSION};
use candor_relay::{RelayConfig, RelayState, Storage, serve};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The metrics token of every test relay.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";

/// A relay's settings as the tests start it: on the embedded store in
/// `data`, or on a database of its own (see `postgres`).
pub fn config(data: &std::path::Path) -> RelayConfig {
    let mut config = RelayConfig::new(data);
    config.metrics_token = Some(METRICS_TOKEN.into());
    config.database_url = postgres::database_for(data);
    config
}

/// Opens a relay's store off the test's runtime (PostgreSQL's blocking
/// client runs one of its own).
pub async fn open(config: RelayConfig) -> RelayState {
    tokio::task::spawn_blocking(move || RelayState::open(config))
        .await
        .expect("join")
        .expect("open relay")
}

pub struct Relay {
    pub addr: SocketAddr,
    pub data: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

impl Relay {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().to_path_buf();
        let mut relay = Self::start_in(data, None).await;
        relay._dir = Some(dir);
        relay
    }

    /// Starts a relay over an existing data directory (to test restarts).
    pub async fn start_in(data: PathBuf, addr: Option<SocketAddr>) -> Self {
        let state = open(config(&data)).await;
        Self::serve(state, data, addr).await
    }

    /// Starts a relay over an existing data directory (another node of its
    /// relay, on PostgreSQL) with settings changed by `configure`.
    pub async fn start_in_configured(
        data: PathBuf,
        configure: impl FnOnce(&mut RelayConfig),
    ) -> Self {
        let mut config = config(&data);
        configure(&mut config);
        let state = open(config).await;
        Self::serve(state, data, None).await
    }

    /// Starts a relay with settings changed by `configure` (shorter timeouts).
    pub async fn start_configured(configure: impl FnOnce(&mut RelayConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().to_path_buf();
        let mut config = config(&data);
        configure(&mut config);
        let state = open(config).await;
        let mut relay = Self::serve(state, data, None).await;
        relay._dir = Some(dir);
        relay
    }

    /// Starts a relay over `storage` (a store with faults to arm) in a new
    /// data directory.
    pub async fn start_with(storage: impl FnOnce(&std::path::Path) -> Arc<dyn Storage>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().to_path_buf();
        let state = RelayState::new(config(&data), storage(&data));
        let mut relay = Self::serve(state, data, None).await;
        relay._dir = Some(dir);
        relay
    }

    async fn serve(state: RelayState, data: PathBuf, addr: Option<SocketAddr>) -> Self {
        let listener = tokio::net::TcpListener::bind(
            addr.unwrap_or_else(|| "127.0.0.1:0".parse().expect("addr")),
        )
        .await
        .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            data,
            stop: Some(stop),
            task: Some(task),
            _dir: None,
        }
    }

    /// A relay already serving at `addr` (a process of its own), to talk to.
    pub fn at(addr: SocketAddr) -> Self {
        Self {
            addr,
            data: PathBuf::new(),
            stop: None,
            task: None,
            _dir: None,
        }
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The body of a GET of `path` (healthz, metrics, with the metrics token).
    pub async fn get_text(&self, path: &str) -> String {
        reqwest::Client::new()
            .get(self.http(path))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text")
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/v1/ws", self.addr)
    }

    /// Graceful stop; returns the data directory's owner so a restart can reuse it.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("relay stops within 10 s")
                .expect("join")
                .expect("serve");
        }
        self._dir.take()
    }

    pub async fn sign_up(&self, handle: &str, name: &str) -> UserInfo {
        let resp = reqwest::Client::new()
            .post(self.http("/v1/accounts"))
            .json(&SignUp {
                handle: handle.into(),
                display_name: name.into(),
                password: "orchid-lantern-57".into(),
                invite: None,
            })
            .send()
            .await
            .expect("sign up request");
        assert_eq!(resp.status(), 201, "sign up {handle}");
        resp.json().await.expect("user")
    }

    pub async fn sign_in(&self, handle: &str) -> Session {
        let resp = reqwest::Client::new()
            .post(self.http("/v1/sessions"))
            .json(&SignIn {
                handle: handle.into(),
                password: "orchid-lantern-57".into(),
                device_name: "test".into(),
            })
            .send()
            .await
            .expect("sign in request");
        assert_eq!(resp.status(), 200, "sign in {handle}");
        resp.json().await.expect("session")
    }

    /// Signs up and in, and opens a connection that said hello.
    pub async fn user(&self, handle: &str, name: &str) -> (Session, Client) {
        self.sign_up(handle, name).await;
        let session = self.sign_in(handle).await;
        let client = Client::connect(self, &session.token)
            .await
            .expect("connect");
        (session, client)
    }
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The relay's epoch, from its welcome.
    pub epoch: Option<EpochId>,
}

impl Client {
    /// Connects with a bearer token and says hello; returns the welcome's error if any.
    pub async fn connect(relay: &Relay, token: &str) -> Result<Self, String> {
        let mut client = Self::open(relay, Some(token), None).await?;
        client
            .send(&ClientFrame::Hello {
                protocol_version: PROTOCOL_VERSION,
            })
            .await;
        match client.next().await {
            RelayFrame::Welcome { epoch, .. } => {
                client.epoch = Some(epoch);
                Ok(client)
            }
            other => Err(format!("expected welcome, got {other:?}")),
        }
    }

    /// Opens the socket without saying hello.
    pub async fn open(
        relay: &Relay,
        token: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Self, String> {
        let mut request = relay
            .ws_url()
            .into_client_request()
            .map_err(|e| e.to_string())?;
        if let Some(token) = token {
            request.headers_mut().insert(
                "authorization",
                HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())?,
            );
        }
        if let Some(origin) = origin {
            request.headers_mut().insert(
                "origin",
                HeaderValue::from_str(origin).map_err(|e| e.to_string())?,
            );
        }
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self { ws, epoch: None })
    }

    /// `cursor` as a position in this connection's epoch (None for 0: from
    /// the start).
    pub fn at(&self, cursor: u64) -> Option<StreamPosition> {
        (cursor > 0).then(|| StreamPosition {
            epoch: self.epoch.expect("welcomed"),
            cursor,
        })
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_text(&serde_json::to_string(frame).expect("json"))
            .await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    /// The next relay frame (5 s at most).
    pub async fn next(&mut self) -> RelayFrame {
        self.try_next(Duration::from_secs(5))
            .await
            .expect("a frame within 5 s")
    }

    /// The next frame, or None when nothing comes within `wait` or the socket closed.
    pub async fn try_next(&mut self, wait: Duration) -> Option<RelayFrame> {
        loop {
            let msg = tokio::time::timeout(wait, self.ws.next())
                .await
                .ok()??
                .ok()?;
            match msg {
                Message::Text(t) => return Some(serde_json::from_str(&t).expect("relay frame")),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// True if the relay closed the socket (within 5 s).
    pub async fn closed(&mut self) -> bool {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}
