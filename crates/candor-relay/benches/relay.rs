//! Relay benchmark: durable delivery against a floor in the same run.
//!
//! N clients on loopback send M messages, in direct chats (pairs) and in groups of
//! 32, through the real relay (storage, auth, fan-out, fsync), and through a floor:
//! a bare tokio-tungstenite forwarder with no storage and no auth, driven by the same
//! load. The floor's clients do the same work as the relay's: they encode a frame
//! per send, and decode a `RelayFrame::Message` per delivery and a
//! `RelayFrame::Ack` per send, so the ratio isolates what the relay itself costs.
//! Both sides use the same WebSocket settings, and TCP_NODELAY on every socket as
//! the relay and the app do. It prints delivered messages per
//! second and send-to-deliver latency for both, the fsync p99 of this disk, and
//! the ratios. `cargo xtask bench relay`.
//!
//! Each shape runs in rounds, relay then floor, and the ratios compare the
//! medians: on a shared 2-core machine one short run of either side can be off
//! by a third, and interleaving the rounds puts both sides through the same
//! spells of noise. The relay's store keeps growing over the rounds, so its
//! later rounds are, if anything, slower.
//! CANDOR_BENCH_CLIENTS (default 100), CANDOR_BENCH_MESSAGES (per run, default
//! 20000) and CANDOR_BENCH_ROUNDS (default 3) change the size.
//!
//! With CANDOR_BENCH_POSTGRES naming a PostgreSQL server (`cargo xtask bench
//! relay --backend postgres` starts one, durable as in service), the same
//! relay on it runs in every round too, and its figures are compared with
//! the embedded store's in the same run, and its latency at moderate load
//! with that server's commit p99.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use candor_protocol::api::{NewGroup, Session};
use candor_protocol::frames::{
    ClientFrame, ConversationInfo, Recipient, RelayFrame, StreamPosition,
};
use candor_protocol::{DeliveredMessage, MessageId, MessageText, PROTOCOL_VERSION};
use candor_relay::{RelayConfig, RelayState, serve};

use accounts::accounts;

#[path = "relay/accounts.rs"]
mod accounts;
#[path = "relay/catch_up.rs"]
mod catch_up;
#[path = "relay/postgres.rs"]
mod postgres;
#[path = "relay/tls.rs"]
mod tls;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Sends a client keeps in flight (waiting for their ack) at once.
const WINDOW: usize = 4;

/// The WebSocket settings of every socket in the bench, the relay's own
/// included (its read buffer is 4 KiB too).
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4 * 1024)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    Pairs,
    Groups,
}

/// Per client: who it writes to (relay recipient, and the floor's target list).
/// Clients with no recipient sit this shape out (those beyond the last full group).
struct Plan {
    to: Vec<Option<Recipient>>,
    floor_targets: Vec<Vec<usize>>,
    fanout: Vec<usize>,
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    delivered: u64,
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let clients = env_usize("CANDOR_BENCH_CLIENTS", 100).max(64);
    let messages = env_usize("CANDOR_BENCH_MESSAGES", 20_000);
    let rounds = env_usize("CANDOR_BENCH_ROUNDS", 3).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let fsync = fsync_p99(dir.path());
    println!(
        "clients {clients}, messages {messages} per run, window {WINDOW}, {rounds} rounds per shape"
    );
    println!("fsync p50 {:?}, p99 {:?} on this disk\n", fsync.0, fsync.1);

    // The real relay, in-process on a loopback port.
    let state = RelayState::open(limited(dir.path().join("relay"))).expect("relay");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let relay_addr = listener.local_addr().expect("addr");
    tokio::spawn(serve(listener, state.clone(), std::future::pending()));
    // The same relay on a second address, serving TLS.
    let tls = tls::Tls::new(dir.path());
    let tls_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let tls_target = Target {
        addr: tls_listener.local_addr().expect("addr"),
        tls: Some(tls.client.clone()),
    };
    tokio::spawn(candor_relay::serve_tls(
        tls_listener,
        tls.certificates.clone(),
        state,
        std::future::pending(),
    ));
    let sessions = accounts(relay_addr, clients).await;
    let plain_target = Target::from(relay_addr);
    // A second relay with the per-send limits off (no quotas, no frames per
    // second), for what the limits cost.
    let mut bare = RelayConfig::new(dir.path().join("relay-no-limits"));
    bare.sign_ups_per_hour = 0;
    bare.sockets_per_address = 0;
    bare.tcp_per_address = 0;
    bare.frames_per_second = 0;
    bare.group_changes_per_hour = 0;
    bare.quotas = candor_relay::storage::Quotas::default();
    let bare_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let bare_addr = bare_listener.local_addr().expect("addr");
    tokio::spawn(serve(
        bare_listener,
        RelayState::open(bare).expect("relay"),
        std::future::pending(),
    ));
    let bare_sessions = accounts(bare_addr, clients).await;
    let bare_plan = plan(bare_addr, &bare_sessions, Shape::Pairs).await;
    let bare_target = Target::from(bare_addr);
    let mut bare_runs = Vec::new();
    let postgres = match std::env::var("CANDOR_BENCH_POSTGRES") {
        Ok(server) if !server.is_empty() => Some(
            postgres::Relay::start(
                &server,
                |node| limited(dir.path().join(format!("relay-pg-{node}"))),
                env_usize("CANDOR_BENCH_NODES", 3).max(1),
                clients,
            )
            .await,
        ),
        _ => None,
    };

    let floor_addr = start_floor().await;
    if postgres.is_some() {
        match std::env::var("CANDOR_BENCH_NATS") {
            Ok(bus) if !bus.is_empty() => println!("PostgreSQL nodes rung over NATS ({bus})"),
            _ => println!("PostgreSQL nodes rung by the database (LISTEN/NOTIFY)"),
        }
    }
    println!(
        "{:<28} {:>12} {:>10} {:>10} {:>10}",
        "run", "delivered/s", "p50", "p99", "max"
    );
    let mut rows = Vec::new();
    let mut tls_pairs = None;
    let mut pg_rows = Vec::new();
    let mut pg_node_rows = Vec::new();
    for shape in [Shape::Pairs, Shape::Groups] {
        let plan = plan(relay_addr, &sessions, shape).await;
        let pg_plan = match &postgres {
            Some(pg) => Some(self::plan(pg.addr, &pg.sessions, shape).await),
            None => None,
        };
        let (mut relays, mut floors, mut tlss) = (Vec::new(), Vec::new(), Vec::new());
        let (mut pgs, mut pg_nodes) = (Vec::new(), Vec::new());
        for round in 1..=rounds {
            let relay = run_relay(&plain_target, &sessions, &plan, messages).await;
            print_row(&format!("relay  {shape:?} #{round}"), &relay);
            if let (Some(pg), Some(pg_plan)) = (&postgres, &pg_plan) {
                let on_pg = run_relay(&pg.addr.into(), &pg.sessions, pg_plan, messages).await;
                print_row(&format!("relay  {shape:?} PostgreSQL #{round}"), &on_pg);
                pgs.push(on_pg);
                if pg.nodes.len() > 1 {
                    let targets: Vec<Target> = pg.nodes.iter().map(|a| Target::from(*a)).collect();
                    let on_nodes = run_on_nodes(&targets, &pg.sessions, pg_plan, messages).await;
                    let name = format!(
                        "relay  {shape:?} PostgreSQL {} nodes #{round}",
                        targets.len()
                    );
                    print_row(&name, &on_nodes);
                    pg_nodes.push(on_nodes);
                }
            }
            let floor = run_floor(floor_addr, &plan, messages).await;
            print_row(&format!("floor  {shape:?} #{round}"), &floor);
            if let Shape::Pairs = shape {
                let over_tls = run_relay(&tls_target, &sessions, &plan, messages).await;
                print_row(&format!("relay  {shape:?} TLS #{round}"), &over_tls);
                tlss.push(over_tls);
                let no_limits = run_relay(&bare_target, &bare_sessions, &bare_plan, messages).await;
                print_row(&format!("relay  {shape:?} no limits #{round}"), &no_limits);
                bare_runs.push(no_limits);
            }
            relays.push(relay);
            floors.push(floor);
        }
        let (relay, floor) = (median(relays), median(floors));
        print_row(&format!("relay  {shape:?} median"), &relay);
        if !pgs.is_empty() {
            let on_pg = median(pgs);
            print_row(&format!("relay  {shape:?} PostgreSQL median"), &on_pg);
            if !pg_nodes.is_empty() {
                let on_nodes = median(pg_nodes);
                print_row(
                    &format!("relay  {shape:?} PostgreSQL nodes median"),
                    &on_nodes,
                );
                pg_node_rows.push((shape, on_nodes, on_pg));
            }
            pg_rows.push((shape, on_pg, relay));
        }
        print_row(&format!("floor  {shape:?} median"), &floor);
        if !tlss.is_empty() {
            let over_tls = median(tlss);
            print_row(&format!("relay  {shape:?} TLS median"), &over_tls);
            tls_pairs = Some((over_tls, floor));
        }
        rows.push((shape, relay, floor));
    }
    // Latency at moderate load: one client pair at a time, one message in flight.
    let moderate = run_moderate(&plain_target, &sessions).await;
    print_row("relay  moderate (1 pair)", &moderate);
    println!();
    for (shape, relay, floor) in &rows {
        let ratio = relay.0 / floor.0;
        println!(
            "{} durable throughput {shape:?}: {ratio:.2}x the floor (target >= 0.5)",
            if ratio >= 0.5 { "PASS" } else { "MISS" }
        );
    }
    if let Some((_, relay, _)) = rows.iter().find(|(s, _, _)| matches!(s, Shape::Pairs)) {
        let bare = median(bare_runs);
        let ratio = relay.0 / bare.0;
        println!(
            "{} limits (quotas, frames per second) keep {:.0}% of Pairs throughput: {:.0}/s against {:.0}/s without (target >= 90%)",
            if ratio >= 0.9 { "PASS" } else { "MISS" },
            ratio * 100.0,
            relay.0,
            bare.0
        );
    }
    if let Some((over_tls, floor)) = tls_pairs {
        let ratio = over_tls.0 / floor.0;
        println!(
            "{} durable throughput Pairs over TLS: {ratio:.2}x the plaintext floor (target >= 0.4)",
            if ratio >= 0.4 { "PASS" } else { "MISS" }
        );
    }
    for (shape, on_pg, on_sqlite) in &pg_rows {
        let ratio = on_pg.0 / on_sqlite.0;
        println!(
            "{} durable throughput {shape:?} on PostgreSQL, 1 node: {ratio:.2}x the embedded store (target >= 0.5)",
            if ratio >= 0.5 { "PASS" } else { "MISS" }
        );
    }
    if let Some(pg) = &postgres {
        for (shape, on_nodes, on_one) in &pg_node_rows {
            let ratio = on_nodes.0 / on_one.0;
            println!(
                "{} durable throughput {shape:?} on PostgreSQL, {} nodes: {ratio:.2}x 1 node (target >= 0.8)",
                if ratio >= 0.8 { "PASS" } else { "MISS" },
                pg.nodes.len()
            );
        }
        let commit_p99 = pg.commit_p99().await;
        let moderate = run_moderate(&pg.addr.into(), &pg.sessions).await;
        print_row("relay  moderate PostgreSQL", &moderate);
        let budget = commit_p99 + Duration::from_millis(5);
        let p99 = Duration::from_micros(moderate.2);
        println!(
            "{} p99 send->deliver at moderate load on PostgreSQL {p99:?} (target <= commit p99 {:?} + 5 ms = {budget:?})",
            if p99 <= budget { "PASS" } else { "MISS" },
            commit_p99
        );
    }
    catch_up::run().await;
    let budget = fsync.1 + Duration::from_millis(5);
    let p99 = Duration::from_micros(moderate.2);
    println!(
        "{} p99 send->deliver at moderate load {p99:?} (target <= fsync p99 + 5 ms = {budget:?})",
        if p99 <= budget { "PASS" } else { "MISS" }
    );
}

/// The relay's settings in the bench: the limits of service, set where they
/// cost what they cost but refuse nothing the bench does.
fn limited(data: std::path::PathBuf) -> RelayConfig {
    let mut config = RelayConfig::new(data);
    // A hundred accounts and their sockets from one address: lift the limits
    // that count per address.
    config.sign_ups_per_hour = 0;
    config.sockets_per_address = 0;
    config.tcp_per_address = 0;
    // Quotas and frames per second checked on every send, as in service, but
    // set beyond what the bench sends: their cost is measured, not their
    // refusals.
    config.frames_per_second = 10_000_000;
    config.group_changes_per_hour = 0;
    config.quotas = candor_relay::storage::Quotas {
        messages_per_day: u64::MAX / 2,
        stored_bytes: u64::MAX / 2,
    };
    config
}

/// Each figure's median over the rounds (throughput, p50, p99 and max apart).
fn median(runs: Vec<(f64, u64, u64, u64)>) -> (f64, u64, u64, u64) {
    let mid = runs.len() / 2;
    let mut rate: Vec<f64> = runs.iter().map(|r| r.0).collect();
    rate.sort_by(f64::total_cmp);
    let pick = |f: fn(&(f64, u64, u64, u64)) -> u64| {
        let mut v: Vec<u64> = runs.iter().map(f).collect();
        v.sort_unstable();
        v[mid]
    };
    (rate[mid], pick(|r| r.1), pick(|r| r.2), pick(|r| r.3))
}

fn print_row(name: &str, (rate, p50, p99, max): &(f64, u64, u64, u64)) {
    println!(
        "{name:<28} {rate:>12.0} {:>10?} {:>10?} {:>10?}",
        Duration::from_micros(*p50),
        Duration::from_micros(*p99),
        Duration::from_micros(*max)
    );
}

/// p50 and p99 of writing 4 KiB and fsyncing it, 300 times.
fn fsync_p99(dir: &std::path::Path) -> (Duration, Duration) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("fsync-probe")).expect("probe");
    let block = [7u8; 4096];
    let mut times: Vec<Duration> = (0..300)
        .map(|_| {
            let t = Instant::now();
            f.write_all(&block).expect("write");
            f.sync_all().expect("fsync");
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[150], times[296])
}

async fn plan(addr: SocketAddr, sessions: &[Session], shape: Shape) -> Plan {
    let n = sessions.len();
    match shape {
        Shape::Pairs => {
            let partner = |i: usize| {
                if i.is_multiple_of(2) {
                    (i + 1) % n
                } else {
                    i - 1
                }
            };
            Plan {
                to: (0..n)
                    .map(|i| {
                        Some(Recipient::Direct {
                            user: sessions[partner(i)].user.id,
                        })
                    })
                    .collect(),
                floor_targets: (0..n).map(|i| vec![partner(i)]).collect(),
                fanout: vec![1; n],
            }
        }
        Shape::Groups => {
            let http = reqwest::Client::new();
            let groups = n / 32;
            let mut to = Vec::new();
            let mut floor_targets = Vec::new();
            let mut fanout = Vec::new();
            let mut infos: Vec<ConversationInfo> = Vec::new();
            for g in 0..groups {
                let members: Vec<_> = (g * 32 + 1..g * 32 + 32)
                    .map(|i| sessions[i].user.id)
                    .collect();
                let info: ConversationInfo = http
                    .post(format!("http://{addr}/v1/groups"))
                    .bearer_auth(&sessions[g * 32].token)
                    .json(&NewGroup {
                        title: format!("group {g}"),
                        members,
                    })
                    .send()
                    .await
                    .expect("group")
                    .json()
                    .await
                    .expect("info");
                infos.push(info);
            }
            for i in 0..n {
                let g = i / 32;
                if g < groups {
                    to.push(Some(Recipient::Conversation { id: infos[g].id }));
                    floor_targets.push((g * 32..g * 32 + 32).filter(|m| *m != i).collect());
                    fanout.push(31);
                } else {
                    to.push(None);
                    floor_targets.push(Vec::new());
                    fanout.push(0);
                }
            }
            Plan {
                to,
                floor_targets,
                fanout,
            }
        }
    }
}

type Shared = Arc<Mutex<Stats>>;

fn summarize(stats: &Shared, took: Duration) -> (f64, u64, u64, u64) {
    let mut s = stats.lock().expect("stats");
    s.latencies_us.sort_unstable();
    let l = &s.latencies_us;
    let at = |p: usize| {
        l.get((l.len() * p / 100).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    (
        s.delivered as f64 / took.as_secs_f64(),
        at(50),
        at(99),
        l.last().copied().unwrap_or(0),
    )
}

/// Text carrying its send time, in µs since `epoch`.
fn stamp(epoch: Instant) -> String {
    format!("t{}", epoch.elapsed().as_micros())
}

fn record(stats: &Shared, epoch: Instant, text: &str) {
    if let Some(sent) = text.strip_prefix('t').and_then(|t| t.parse::<u128>().ok()) {
        let now = epoch.elapsed().as_micros();
        let mut s = stats.lock().expect("stats");
        s.latencies_us.push((now.saturating_sub(sent)) as u64);
        s.delivered += 1;
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Where the bench's clients connect: the relay's plain address, or its TLS
/// one with the configuration that trusts the bench's certificate.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl From<SocketAddr> for Target {
    fn from(addr: SocketAddr) -> Self {
        Self { addr, tls: None }
    }
}

/// A connection that said hello and caught up to the end of the stream.
async fn connect_relay(target: impl Into<Target>, token: &str) -> Socket {
    let (mut ws, epoch) = hello(target.into(), token).await;
    // From the end of the stream: the bench measures live traffic.
    let catch_up = serde_json::to_string(&ClientFrame::CatchUp {
        after: Some(StreamPosition {
            epoch,
            cursor: u64::MAX / 2,
        }),
        acked_in: Vec::new(),
    })
    .expect("json");
    ws.send(Message::Text(catch_up.into()))
        .await
        .expect("catch up");
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m
            && matches!(
                serde_json::from_str::<RelayFrame>(&t),
                Ok(RelayFrame::CaughtUp { .. })
            )
        {
            break;
        }
    }
    ws
}

/// A connection that said hello, and has not asked to catch up.
async fn connect_raw(addr: SocketAddr, token: &str) -> Socket {
    hello(addr.into(), token).await.0
}

async fn hello(target: Target, token: &str) -> (Socket, candor_protocol::EpochId) {
    let url = match &target.tls {
        Some(_) => format!("wss://localhost:{}/v1/ws", target.addr.port()),
        None => format!("ws://{}/v1/ws", target.addr),
    };
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
        req,
        Some(ws_config()),
        true,
        target.tls.map(tokio_tungstenite::Connector::Rustls),
    )
    .await
    .expect("connect");
    let hello = serde_json::to_string(&ClientFrame::Hello {
        protocol_version: PROTOCOL_VERSION,
    })
    .expect("json");
    ws.send(Message::Text(hello.into())).await.expect("hello");
    let epoch = loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Ok(RelayFrame::Welcome { epoch, .. }) = serde_json::from_str(&t) {
                    break epoch;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("no welcome: {other:?}"),
        }
    };
    (ws, epoch)
}

/// Every client sends its share (WINDOW in flight); returns when every delivery
/// has arrived.
async fn run_relay(
    target: &Target,
    sessions: &[Session],
    plan: &Plan,
    messages: usize,
) -> (f64, u64, u64, u64) {
    run_on_nodes(std::slice::from_ref(target), sessions, plan, messages).await
}

/// `run_relay` with the clients spread over the nodes of one relay, client
/// i on node i mod n (as a load balancer would spread them).
async fn run_on_nodes(
    nodes: &[Target],
    sessions: &[Session],
    plan: &Plan,
    messages: usize,
) -> (f64, u64, u64, u64) {
    let stats: Shared = Arc::default();
    let mut sockets = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        sockets.push(connect_relay(nodes[i % nodes.len()].clone(), &s.token).await);
    }
    let senders = plan.to.iter().filter(|t| t.is_some()).count();
    let per_client = messages / senders;
    let expected: u64 = plan.fanout.iter().map(|f| (*f * per_client) as u64).sum();
    let epoch = Instant::now();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, ws) in sockets.into_iter().enumerate() {
        let (mut tx, mut rx) = ws.split();
        let to = plan.to[i].clone();
        let sends = if to.is_some() { per_client } else { 0 };
        let me = sessions[i].user.id;
        let stats = stats.clone();
        let window = Arc::new(Semaphore::new(WINDOW));
        let w = window.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..sends {
                w.acquire().await.expect("sem").forget();
                let Some(to) = to.clone() else { break };
                let frame = ClientFrame::Send {
                    photos: Vec::new(),
                    reaction: None,
                    client_id: MessageId::new(),
                    to,
                    text: MessageText::new(stamp(epoch)).expect("text"),
                    card: None,
                    reply: None,
                };
                tx.send(Message::Text(
                    serde_json::to_string(&frame).expect("json").into(),
                ))
                .await
                .expect("send");
            }
            // Keep the socket open until the run ends (the task is aborted then).
            std::future::pending::<()>().await;
        }));
        tasks.push(tokio::spawn(async move {
            while let Some(Ok(m)) = rx.next().await {
                let Message::Text(t) = m else { continue };
                match serde_json::from_str::<RelayFrame>(&t) {
                    Ok(RelayFrame::Ack { .. }) => window.add_permits(1),
                    // A copy of one's own message would not be a delivery.
                    Ok(RelayFrame::Message { message, .. }) if message.sender_id != me => {
                        record(&stats, epoch, message.text.as_str());
                    }
                    Ok(RelayFrame::Error { error, .. }) => {
                        panic!("relay refused: {}", error.message)
                    }
                    _ => {}
                }
            }
        }));
    }
    wait_for(&stats, expected, Duration::from_secs(120)).await;
    let took = start.elapsed();
    for t in tasks {
        t.abort();
    }
    summarize(&stats, took)
}

async fn wait_for(stats: &Shared, at_least: u64, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let got = stats.lock().expect("stats").delivered;
        if got >= at_least {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries stalled at {got} of {at_least}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One pair, one message in flight: the latency a person sees on a quiet relay.
async fn run_moderate(target: &Target, sessions: &[Session]) -> (f64, u64, u64, u64) {
    let stats: Shared = Arc::default();
    let mut a = connect_relay(target.clone(), &sessions[0].token).await;
    let mut b = connect_relay(target.clone(), &sessions[1].token).await;
    let epoch = Instant::now();
    let start = Instant::now();
    for _ in 0..500 {
        let frame = ClientFrame::Send {
            photos: Vec::new(),
            reaction: None,
            client_id: MessageId::new(),
            to: Recipient::Direct {
                user: sessions[1].user.id,
            },
            text: MessageText::new(stamp(epoch)).expect("text"),
            card: None,
            reply: None,
        };
        a.send(Message::Text(
            serde_json::to_string(&frame).expect("json").into(),
        ))
        .await
        .expect("send");
        loop {
            let t = match b.next().await {
                Some(Ok(Message::Text(t))) => t,
                // The relay's pings: the socket answers them by itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                _ => panic!("closed"),
            };
            if let Ok(RelayFrame::Message { message, .. }) = serde_json::from_str::<RelayFrame>(&t)
            {
                record(&stats, epoch, message.text.as_str());
                break;
            }
        }
        // Drain alice's ack (the sending connection gets no copy of its message).
        loop {
            let t = match a.next().await {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                _ => panic!("closed"),
            };
            if let Ok(RelayFrame::Ack { .. }) = serde_json::from_str::<RelayFrame>(&t) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    summarize(&stats, start.elapsed())
}

// ---- The floor: a bare forwarder, no storage, no auth ----

type Peers = Arc<Mutex<HashMap<usize, tokio::sync::mpsc::UnboundedSender<String>>>>;

/// Frames are `targets|frame` (targets comma-separated); the forwarder sends
/// `frame` to each target and an ack frame back to the sender.
// The handshake callback's error type is tungstenite's, not ours to shrink.
#[allow(clippy::result_large_err)]
async fn start_floor() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let peers: Peers = Arc::default();
    // An ack as the relay words it; a bare forwarder has nothing to put in it.
    let ack = serde_json::to_string(&RelayFrame::Ack {
        client_id: MessageId::new(),
        server_id: candor_protocol::ServerMessageId::new(),
        conversation_id: candor_protocol::ConversationId::new(),
        seq: 1,
        sent_at: chrono::Utc::now(),
        cursor: 1,
    })
    .expect("json");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(true).expect("nodelay");
            let peers = peers.clone();
            let ack = ack.clone();
            tokio::spawn(async move {
                let mut id = None;
                let ws = tokio_tungstenite::accept_hdr_async_with_config(
                    stream,
                    |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
                        id = req
                            .uri()
                            .query()
                            .and_then(|q| q.strip_prefix("id="))
                            .and_then(|v| v.parse::<usize>().ok());
                        Ok(resp)
                    },
                    Some(ws_config()),
                )
                .await
                .expect("accept");
                let id = id.expect("id");
                let (mut tx, mut rx) = ws.split();
                let (out, mut inbox) = tokio::sync::mpsc::unbounded_channel::<String>();
                peers.lock().expect("peers").insert(id, out.clone());
                tokio::spawn(async move {
                    while let Some(text) = inbox.recv().await {
                        if tx.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                    }
                });
                while let Some(Ok(Message::Text(t))) = rx.next().await {
                    let Some((targets, text)) = t.split_once('|') else {
                        continue;
                    };
                    {
                        let map = peers.lock().expect("peers");
                        for target in targets.split(',').filter_map(|x| x.parse::<usize>().ok()) {
                            if let Some(p) = map.get(&target) {
                                let _ = p.send(text.to_owned());
                            }
                        }
                    }
                    let _ = out.send(ack.clone());
                }
            });
        }
    });
    addr
}

async fn run_floor(addr: SocketAddr, plan: &Plan, messages: usize) -> (f64, u64, u64, u64) {
    let n = plan.to.len();
    let stats: Shared = Arc::default();
    let senders = plan.to.iter().filter(|t| t.is_some()).count();
    let per_client = messages / senders;
    let expected: u64 = plan.fanout.iter().map(|f| (*f * per_client) as u64).sum();
    let mut sockets = Vec::new();
    for i in 0..n {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(
            format!("ws://{addr}/?id={i}"),
            Some(ws_config()),
            true,
        )
        .await
        .expect("connect");
        sockets.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let epoch = Instant::now();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, ws) in sockets.into_iter().enumerate() {
        let (mut tx, mut rx) = ws.split();
        let targets = plan.floor_targets[i]
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let sends = if plan.to[i].is_some() { per_client } else { 0 };
        let conversation_id = candor_protocol::ConversationId::new();
        let sender_id = candor_protocol::UserId::new();
        let stats = stats.clone();
        let window = Arc::new(Semaphore::new(WINDOW));
        let w = window.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..sends {
                w.acquire().await.expect("sem").forget();
                // What the relay would deliver, encoded by the sender instead.
                let frame = RelayFrame::Message {
                    cursor: 1,
                    message: DeliveredMessage {
                        photos: Vec::new(),
                        reaction: None,
                        server_id: candor_protocol::ServerMessageId::new(),
                        client_id: MessageId::new(),
                        conversation_id,
                        seq: 1,
                        sender_id,
                        text: MessageText::new(stamp(epoch)).expect("text"),
                        card: None,
                        sent_at: chrono::Utc::now(),
                        reply: None,
                    },
                };
                let frame = format!("{targets}|{}", serde_json::to_string(&frame).expect("json"));
                tx.send(Message::Text(frame.into())).await.expect("send");
            }
            std::future::pending::<()>().await;
        }));
        tasks.push(tokio::spawn(async move {
            while let Some(Ok(message)) = rx.next().await {
                // Pings from the relay are answered by the socket itself.
                let Message::Text(t) = message else { continue };
                match serde_json::from_str::<RelayFrame>(&t) {
                    Ok(RelayFrame::Ack { .. }) => window.add_permits(1),
                    Ok(RelayFrame::Message { message, .. }) => {
                        record(&stats, epoch, message.text.as_str());
                    }
                    _ => {}
                }
            }
        }));
    }
    wait_for(&stats, expected, Duration::from_secs(120)).await;
    let took = start.elapsed();
    for t in tasks {
        t.abort();
    }
    summarize(&stats, took)
}
