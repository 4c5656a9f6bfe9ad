//! A real relay (in-process, on a loopback port, over a temporary data directory)
//! and devices: a candor-core store in a temporary directory with a running sync
//! engine. Plus a proxy that records every frame a device sends.

mod proxy;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, bail};
use candor_core::account::RelayClient;
use candor_core::protocol::api::UserInfo;
use candor_core::sync::{Heartbeat, SyncHandle};
use candor_core::{Profile, Store};
use std::process::Stdio;
use tokio::process::{Child, Command};

pub use proxy::RecordingProxy;

/// The real `candor-relay` binary as a child process, serving from a data
/// directory that outlives it so that it can be killed and restarted.
#[derive(Debug)]
pub struct Relay {
    pub addr: SocketAddr,
    pub data: PathBuf,
    child: Child,
    /// Serving TLS: its address is `https://localhost:port`.
    tls: bool,
}

/// The relay binary under test (`cargo xtask test` builds it first).
pub fn relay_binary() -> Result<PathBuf> {
    let path = std::env::var_os("CANDOR_RELAY_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target/debug/candor-relay"));
    if !path.is_file() {
        bail!(
            "the relay binary {} does not exist: build it first (cargo build --workspace)",
            path.display()
        );
    }
    Ok(path)
}

impl Relay {
    /// Starts on `addr`; port 0 picks a free one.
    pub async fn start(data: PathBuf, addr: SocketAddr) -> Result<Self> {
        Self::start_binary(&relay_binary()?, data, addr).await
    }

    /// Like `start`, with the relay's clock `seconds` off the system's.
    pub async fn start_with_clock(data: PathBuf, addr: SocketAddr, seconds: i64) -> Result<Self> {
        let offset = format!("--clock-offset-seconds={seconds}");
        Self::start_with_args(&relay_binary()?, data, addr, &[offset.as_str()]).await
    }

    /// Like `start`, serving TLS with the certificate and key in `cert`, `key`
    /// (PEM), for the name `localhost`.
    pub async fn start_tls(
        data: PathBuf,
        addr: SocketAddr,
        cert: &std::path::Path,
        key: &std::path::Path,
    ) -> Result<Self> {
        let (cert, key) = (
            format!("--tls-cert={}", cert.display()),
            format!("--tls-key={}", key.display()),
        );
        let mut relay =
            Self::start_with_args(&relay_binary()?, data, addr, &[cert.as_str(), key.as_str()])
                .await?;
        relay.tls = true;
        Ok(relay)
    }

    /// Asks the relay to read its certificate again (SIGHUP).
    pub fn reload_certificate(&self) -> Result<()> {
        if let Some(pid) = self.child.id() {
            std::process::Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status()?;
        }
        Ok(())
    }

    /// Like `start`, from another relay binary (an installed one).
    pub async fn start_binary(
        binary: &std::path::Path,
        data: PathBuf,
        addr: SocketAddr,
    ) -> Result<Self> {
        Self::start_with_args(binary, data, addr, &[]).await
    }

    /// Like `start_binary`, with `args` added to its command line.
    pub async fn start_with_args(
        binary: &std::path::Path,
        data: PathBuf,
        addr: SocketAddr,
        args: &[&str],
    ) -> Result<Self> {
        let addr = if addr.port() == 0 {
            std::net::TcpListener::bind(addr)?.local_addr()?
        } else {
            addr
        };
        let child = Command::new(binary)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data")
            .arg(&data)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let mut relay = Self {
            addr,
            data,
            child,
            tls: false,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if let Some(status) = relay.child.try_wait()? {
                bail!("the relay exited at start: {status}");
            }
            if tokio::time::Instant::now() > deadline {
                bail!("the relay did not listen on {addr} within 15 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(relay)
    }

    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// SIGTERM: the relay closes its connections and exits.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(pid) = self.child.id() {
            std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()?;
        }
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await??;
        if !status.success() {
            bail!("the relay exited with {status} after SIGTERM");
        }
        Ok(())
    }

    /// SIGKILL: nothing is flushed or closed politely. Whatever the relay
    /// acknowledged must already be on disk.
    pub async fn kill(mut self) -> Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}

/// A person's device: an account on the relay, a store, and (while online) a sync
/// engine.
#[derive(Debug)]
pub struct Device {
    pub user: UserInfo,
    pub token: String,
    pub store: Arc<Mutex<Store>>,
    pub db_path: PathBuf,
    pub engine: Option<SyncHandle>,
    relay_url: String,
}

impl Device {
    /// Signs up and in at `relay_url` and opens a store in `dir`.
    pub async fn sign_up(
        relay_url: &str,
        dir: &std::path::Path,
        handle: &str,
        name: &str,
    ) -> Result<Self> {
        RelayClient::new(relay_url)?
            .sign_up(handle, name, "orchid-lantern-57")
            .await?;
        Self::sign_in(
            relay_url,
            dir.join(format!("{handle}.db")),
            handle,
            "test device",
        )
        .await
    }

    /// The same account signed in on another device, with a store of its own
    /// named `device` in `dir`.
    pub async fn another_device(&self, dir: &std::path::Path, device: &str) -> Result<Self> {
        let db_path = dir.join(format!("{}-{device}.db", self.user.handle));
        Self::sign_in(&self.relay_url, db_path, &self.user.handle, device).await
    }

    /// Signs `handle` in as `device` and opens its store at `db_path`.
    async fn sign_in(
        relay_url: &str,
        db_path: PathBuf,
        handle: &str,
        device: &str,
    ) -> Result<Self> {
        let session = RelayClient::new(relay_url)?
            .sign_in(handle, "orchid-lantern-57", device)
            .await?;
        let mut store = Store::open(&db_path)?;
        store.set_profile(&Profile {
            user_id: session.user.id,
            handle: session.user.handle.clone(),
            display_name: session.user.display_name.clone(),
            relay_url: relay_url.into(),
        })?;
        Ok(Self {
            user: session.user,
            token: session.token,
            store: Arc::new(Mutex::new(store)),
            db_path,
            engine: None,
            relay_url: relay_url.into(),
        })
    }

    /// Starts syncing through `via` with a `heartbeat` of its own (a short one,
    /// to see a dead link found within a test).
    pub fn go_online_with(&mut self, via: &str, heartbeat: Heartbeat) -> Result<()> {
        let relay = RelayClient::new(via)?;
        self.engine = Some(SyncHandle::start_with(
            self.store.clone(),
            relay,
            self.token.clone(),
            tokio::sync::broadcast::channel(candor_core::sync::NOTICES).0,
            heartbeat,
        ));
        Ok(())
    }

    /// Starts syncing through `via` (the relay, or a proxy in front of it).
    pub fn go_online_via(&mut self, via: &str) -> Result<()> {
        let relay = RelayClient::new(via)?;
        self.engine = Some(SyncHandle::start(
            self.store.clone(),
            relay,
            self.token.clone(),
        ));
        Ok(())
    }

    pub fn go_online(&mut self) -> Result<()> {
        let url = self.relay_url.clone();
        self.go_online_via(&url)
    }

    pub async fn go_offline(&mut self) {
        if let Some(engine) = self.engine.take() {
            engine.shutdown().await;
        }
    }

    /// Like a crash: the engine is aborted and the store dropped without ceremony,
    /// then the store is opened again from disk.
    pub async fn crash_and_restart(&mut self) -> Result<()> {
        drop(self.engine.take());
        tokio::task::yield_now().await;
        let store = Store::open(&self.db_path)?;
        self.store = Arc::new(Mutex::new(store));
        Ok(())
    }

    /// This device's account as others' stores know it.
    pub fn person(&self) -> candor_core::Person {
        candor_core::Person {
            id: self.user.id,
            handle: self.user.handle.clone(),
            display_name: self.user.display_name.clone(),
        }
    }

    /// Opens the direct chat with `peer` on this device, as the app does when
    /// starting a chat, and returns its id.
    pub fn open_chat_with(
        &self,
        peer: candor_core::Person,
    ) -> Result<candor_core::protocol::ConversationId> {
        let id = candor_core::protocol::frames::direct_conversation_id(self.user.id, peer.id);
        self.with(|s| s.add_conversation(&candor_core::NewConversation::Direct { id, peer }))?;
        Ok(id)
    }

    /// Writes `text` in `chat` with no undo window; `outbox_changed` sends it at once.
    pub fn write(
        &self,
        chat: candor_core::protocol::ConversationId,
        text: &str,
    ) -> Result<candor_core::Message> {
        Ok(self.with(|s| {
            s.compose(
                chat,
                candor_core::Draft {
                    text: text.into(),
                    card: None,
                },
                chrono::Duration::zero(),
            )
        })?)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut guard = self.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Whether this device holds a message reading `text` among the newest
    /// ten of `chat`.
    pub fn has_message_reading(
        &self,
        chat: candor_core::protocol::ConversationId,
        text: &str,
    ) -> bool {
        self.with(|s| s.conversation_page(chat, None, 10))
            .map(|p| p.messages.iter().any(|m| m.text == text))
            .unwrap_or(false)
    }

    pub async fn outbox_changed(&self) {
        if let Some(engine) = &self.engine {
            engine.outbox_changed().await;
        }
    }
}

/// Polls `check` every 25 ms until it is true, for up to `within`.
pub async fn eventually(
    within: Duration,
    what: &str,
    mut check: impl FnMut() -> bool,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check() {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("timed out after {within:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
