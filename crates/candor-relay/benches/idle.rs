//! Idle connections: how many open apps one relay node can hold at once.
//! `cargo xtask bench relay --idle 50000` opens that many authenticated
//! WebSockets to one node, each caught up and then quiet as an app in the
//! background, from several loopback source addresses (one address has
//! about 28,000 ephemeral ports). It reports:
//!
//! - memory per connection: the growth of the relay process's resident set
//!   from before the first connection to after the last, divided by their
//!   number (target <= 20 KiB). The relay is the release binary in a
//!   process of its own, on its embedded store, so the figure is its own;
//!   it is user-space memory: the kernel's socket buffers (a few KiB per
//!   idle TCP connection) are not in it;
//! - the latency of a message to one of them while all are connected: from
//!   the send to its arrival on every socket of the account it is for, p99
//!   over the probes (target <= 50 ms).
//!
//! People are fewer than sockets: a sign-up costs an Argon2id hash, so the
//! sockets are shared among CANDOR_BENCH_IDLE_ACCOUNTS accounts (500), each
//! with as many devices (what a relay keeps per account, not per socket, is
//! shared among them). A probe is then delivered to every socket of its
//! account, which is more than "one of them" asks: the figure is an upper
//! bound.
//!
//! Each side of a loopback connection is a file, held by the bench and by
//! the relay: the bench raises its limit of open files (the relay inherits
//! it) to the count, or as near as the hard limit allows, and says so.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use candor_protocol::api::Session;
use candor_protocol::frames::{ClientFrame, Recipient, RelayFrame};
use candor_protocol::{MessageId, MessageText, PROTOCOL_VERSION};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[path = "relay/accounts.rs"]
mod accounts;

/// Sockets per loopback source address, at most (of about 28,000 ports).
const PER_SOURCE: usize = 20_000;

/// Connections being opened at once.
const OPENING: usize = 256;

/// Messages sent to measure latency, one at a time.
const PROBES: usize = 300;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let asked = env_usize("CANDOR_BENCH_IDLE", 50_000);
    let count = open_files_for(asked);
    assert!(
        count >= 100,
        "{count} connections are too few to measure (CANDOR_BENCH_IDLE, or the limit of open files)"
    );
    let accounts = env_usize("CANDOR_BENCH_IDLE_ACCOUNTS", 500).clamp(1, count.max(1));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(bench(count, accounts));
}

/// Files each process needs besides its sockets.
const SPARE_FILES: u64 = 4096;

/// Raises this process's limit of open files (the relay's, started from
/// here, follows) so that `asked` sockets fit, and returns how many do:
/// fewer where the hard limit is lower and cannot be raised (it needs
/// CAP_SYS_RESOURCE), which is said.
fn open_files_for(asked: usize) -> usize {
    use rlimit::Resource;
    let want = asked as u64 + SPARE_FILES;
    if rlimit::setrlimit(Resource::NOFILE, want, want).is_ok() {
        return asked;
    }
    let (_, hard) = rlimit::getrlimit(Resource::NOFILE).expect("the limit of open files");
    rlimit::setrlimit(Resource::NOFILE, hard, hard).expect("raise the soft limit to the hard");
    let fits = hard.saturating_sub(SPARE_FILES) as usize;
    println!(
        "{asked} connections need {want} open files per process; this machine allows {hard} \
         and will not raise it (no CAP_SYS_RESOURCE): measuring {fits}"
    );
    fits.min(asked)
}

/// The relay binary in a process of its own, killed when dropped.
struct Relay {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    count: usize,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Relay {
    async fn start(count: usize) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        Self::start_in(dir, addr, count).await
    }

    /// The relay again, in a new process on the same data: the sign-ups'
    /// Argon2id buffers, which the allocator keeps for reuse, are gone.
    async fn restart(mut self) -> Self {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir"));
        Self::start_in(dir, self.addr, self.count).await
    }

    async fn start_in(dir: tempfile::TempDir, addr: SocketAddr, count: usize) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_candor-relay"))
            .args(["--listen", &addr.to_string(), "--data"])
            .arg(dir.path().join("relay"))
            .args(["--sockets-per-account", &count.to_string()])
            .args(["--sockets-per-address", "0", "--sign-ups-per-hour", "0"])
            // The one sender sends more than a person would.
            .args(["--messages-per-day", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the relay");
        let relay = Self {
            child,
            addr,
            dir,
            count,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the relay answers within 15 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        relay
    }

    /// The relay process's resident set, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the relay's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

async fn bench(count: usize, accounts: usize) {
    let relay = Relay::start(count).await;
    let started = Instant::now();
    let sessions = accounts::accounts(relay.addr, accounts + 1).await;
    let relay = relay.restart().await;
    let (sender, people) = sessions.split_last().expect("a sender");
    println!(
        "{} accounts in {:.0?} (Argon2id each)",
        sessions.len(),
        started.elapsed()
    );
    // The sender, and a first message to each account, so that a probe
    // goes into a chat that exists (as most messages do).
    let mut probe = connect(relay.addr, Ipv4Addr::LOCALHOST, &sender.token).await;
    for person in people {
        send(&mut probe, person, "hello").await;
    }
    // Settle, then the baseline.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = relay.rss_kib();

    let (arrivals, mut arrived) = mpsc::unbounded_channel::<(String, Instant)>();
    let opening = Arc::new(Semaphore::new(OPENING));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    let opened = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for i in 0..count {
        let permit = opening.clone().acquire_owned().await.expect("semaphore");
        let source = Ipv4Addr::new(127, 0, 0, 1 + (i / PER_SOURCE) as u8);
        let token = people[i % accounts].token.clone();
        let arrivals = arrivals.clone();
        let addr = relay.addr;
        let opened = opened.clone();
        tasks.push(tokio::spawn(async move {
            let ws = connect(addr, source, &token).await;
            opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            drop(permit);
            idle(ws, arrivals).await;
        }));
    }
    // Every one of them open and caught up.
    let _ = opening
        .acquire_many(OPENING as u32)
        .await
        .expect("all opened");
    assert_eq!(
        opened.load(std::sync::atomic::Ordering::Relaxed),
        count,
        "every connection opened and caught up"
    );
    println!("{count} connections open in {:.0?}", started.elapsed());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = relay.rss_kib();
    let per_connection = (after.saturating_sub(before)) as f64 / count as f64;

    // Probes: one at a time, each to an account in turn; its time is when
    // the last of that account's sockets has it.
    let sockets_each = count / accounts;
    let mut times = Vec::with_capacity(PROBES);
    for k in 0..PROBES {
        let to = (k * 7919) % accounts;
        let text = format!("probe {k}");
        let sent = Instant::now();
        send(&mut probe, &people[to], &text).await;
        let mut got = 0;
        let mut last = sent;
        while got < sockets_each + usize::from(to < count % accounts) {
            let (said, at) = tokio::time::timeout(Duration::from_secs(30), arrived.recv())
                .await
                .expect("a probe arrives within 30 s")
                .expect("arrivals");
            if said == text {
                got += 1;
                last = last.max(at);
            }
        }
        times.push(last - sent);
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "\nidle connections: {count} to one node, from {} loopback addresses",
        count.div_ceil(PER_SOURCE)
    );
    println!(
        "relay resident set {:.1} MiB before, {:.1} MiB with them: {per_connection:.1} KiB per connection (target <= 20)",
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
    println!(
        "a message to an account of {sockets_each} of them: p50 {:?}, p99 {:?}, max {:?} (target p99 <= 50 ms)",
        p(0.50),
        p(0.99),
        times[times.len() - 1]
    );
    for task in tasks {
        task.abort();
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A connection from `source` with `token`, said hello and caught up, as an
/// app opens one.
async fn connect(relay: SocketAddr, source: Ipv4Addr, token: &str) -> Socket {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(IpAddr::V4(source), 0))
        .expect("bind a source address");
    let stream = socket.connect(relay).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut request = format!("ws://{relay}/v1/ws")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    // Small buffers: the bench's side of 50,000 sockets is in this process.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
        .await
        .expect("websocket");
    let hello = ClientFrame::Hello {
        protocol_version: PROTOCOL_VERSION,
    };
    ws.send(text(&hello)).await.expect("hello");
    let catch_up = ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    };
    ws.send(text(&catch_up)).await.expect("catch up");
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Ok(RelayFrame::CaughtUp { .. }) = serde_json::from_str(&t) {
                    return ws;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("no catch-up: {other:?}"),
        }
    }
}

/// Quiet, as an app in the background: reads (answering pings), and says
/// when a message came.
async fn idle(mut ws: Socket, arrivals: mpsc::UnboundedSender<(String, Instant)>) {
    while let Some(Ok(frame)) = ws.next().await {
        if let Message::Text(t) = frame
            && let Ok(RelayFrame::Message { message, .. }) = serde_json::from_str(&t)
        {
            let _ = arrivals.send((message.text.as_str().to_owned(), Instant::now()));
        }
    }
}

fn text(frame: &ClientFrame) -> Message {
    Message::Text(serde_json::to_string(frame).expect("json").into())
}

/// Sends `text` to `to` and waits for its ack.
async fn send(ws: &mut Socket, to: &Session, text_: &str) {
    let frame = ClientFrame::Send {
        photos: Vec::new(),
        reaction: None,
        client_id: MessageId::new(),
        to: Recipient::Direct { user: to.user.id },
        text: MessageText::new(text_).expect("text"),
        card: None,
        reply: None,
    };
    ws.send(text(&frame)).await.expect("send");
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Ok(RelayFrame::Ack { .. }) = serde_json::from_str(&t) {
                    return;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("no ack: {other:?}"),
        }
    }
}
