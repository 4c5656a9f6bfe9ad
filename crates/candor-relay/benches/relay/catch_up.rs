//! The catch-up part of `cargo xtask bench relay`: a device offline while
//! 100,000 messages (CANDOR_BENCH_CATCH_UP) arrived across 500 chats comes
//! back. How long until CaughtUp, and, while it reads its backlog, how long
//! do other people's sends wait for their acks (target p99 <= 50 ms)? The
//! device behaves like the app: it reports Delivered as it goes, so the relay
//! must keep reading its socket while the pages go out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use candor_protocol::api::NewGroup;
use candor_protocol::frames::{ClientFrame, ConversationInfo, Recipient, RelayFrame};
use candor_protocol::{MessageId, MessageText};
use candor_relay::{RelayConfig, RelayState, serve};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::{accounts, connect_raw, connect_relay, env_usize};

/// Chats the backlog is spread over.
const CHATS: usize = 500;
/// Pairs of other people sending while the catch-up runs.
const SENDERS: usize = 10;
/// Sends in flight while filling the backlog.
const FILL_WINDOW: usize = 256;

pub async fn run() {
    let total = env_usize("CANDOR_BENCH_CATCH_UP", 100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = RelayConfig::new(dir.path().join("relay"));
    config.sign_ups_per_hour = 0;
    // A few writers send the whole backlog as fast as they can: no daily
    // quota, no frames-per-second limit.
    config.quotas = candor_relay::storage::Quotas::default();
    config.frames_per_second = 0;
    // It makes hundreds of groups in a moment.
    config.group_changes_per_hour = 0;
    let state = RelayState::open(config).expect("relay");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(serve(listener, state, std::future::pending()));
    let sessions = accounts(addr, 2 + 2 * SENDERS).await;
    let (writer, reader) = (&sessions[0], &sessions[1]);

    let http = reqwest::Client::new();
    let mut chats = Vec::with_capacity(CHATS);
    for i in 0..CHATS {
        let info: ConversationInfo = http
            .post(format!("http://{addr}/v1/groups"))
            .bearer_auth(&writer.token)
            .json(&NewGroup {
                title: format!("chat {i}"),
                members: vec![reader.user.id],
            })
            .send()
            .await
            .expect("group")
            .json()
            .await
            .expect("group info");
        chats.push(info.id);
    }
    let filled = Instant::now();
    fill(addr, &writer.token, &chats, total).await;
    println!(
        "\ncatch-up backlog: {total} messages in {CHATS} chats, stored in {:.1?}",
        filled.elapsed()
    );

    // Other people keep writing while the reader catches up.
    let done = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for pair in sessions[2..].chunks(2) {
        let (from, to) = (pair[0].token.clone(), pair[1].user.id);
        let done = done.clone();
        senders.push(tokio::spawn(async move {
            ack_latencies(addr, &from, to, &done).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let took = catch_up(addr, &reader.token, total).await;
    done.store(true, Ordering::SeqCst);
    let mut acks: Vec<u64> = Vec::new();
    for s in senders {
        acks.extend(s.await.expect("sender"));
    }
    acks.sort_unstable();
    let at = |p: usize| acks.get((acks.len() * p / 100).min(acks.len().saturating_sub(1)));
    let p99 = Duration::from_micros(at(99).copied().unwrap_or(0));
    println!(
        "catch-up: CaughtUp after {took:.2?} ({:.0} messages/s); {} acks to others meanwhile: p50 {:?}, p99 {p99:?}, max {:?}",
        total as f64 / took.as_secs_f64(),
        acks.len(),
        Duration::from_micros(at(50).copied().unwrap_or(0)),
        Duration::from_micros(acks.last().copied().unwrap_or(0)),
    );
    println!(
        "{} ack p99 for others during a {total}-message catch-up {p99:?} (target <= 50 ms)",
        if p99 <= Duration::from_millis(50) && !acks.is_empty() {
            "PASS"
        } else {
            "MISS"
        }
    );
}

/// `total` messages from the writer, spread evenly over `chats`.
async fn fill(
    addr: SocketAddr,
    token: &str,
    chats: &[candor_protocol::ConversationId],
    total: usize,
) {
    let mut ws = connect_relay(addr, token).await;
    let (mut sent, mut acked) = (0, 0);
    while acked < total {
        while sent < total && sent - acked < FILL_WINDOW {
            let frame = ClientFrame::Send {
                photos: Vec::new(),
                reaction: None,
                client_id: MessageId::new(),
                to: Recipient::Conversation {
                    id: chats[sent % chats.len()],
                },
                text: MessageText::new(format!("backlog {sent}")).expect("text"),
                card: None,
                reply: None,
            };
            ws.feed(Message::Text(
                serde_json::to_string(&frame).expect("json").into(),
            ))
            .await
            .expect("send");
            sent += 1;
        }
        ws.flush().await.expect("flush");
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Ok(RelayFrame::Ack { .. }) = serde_json::from_str::<RelayFrame>(&t) {
                    acked += 1;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("filling: {other:?}"),
        }
    }
}

/// Catches up from the start like the app: Delivered for the newest message
/// of each run of frames read, until CaughtUp. Returns how long it took.
async fn catch_up(addr: SocketAddr, token: &str, total: usize) -> Duration {
    let mut ws = connect_raw(addr, token).await;
    let started = Instant::now();
    let frame = ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    };
    ws.send(Message::Text(
        serde_json::to_string(&frame).expect("json").into(),
    ))
    .await
    .expect("catch up");
    let mut got = 0;
    loop {
        let text = match ws.next().await {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(_)) => continue,
            other => panic!("catching up: {other:?}"),
        };
        match serde_json::from_str::<RelayFrame>(&text) {
            Ok(RelayFrame::Message { message, .. }) => {
                got += 1;
                if got % 256 == 0 {
                    let delivered = ClientFrame::Delivered {
                        conversation_id: message.conversation_id,
                        seq: message.seq,
                    };
                    ws.send(Message::Text(
                        serde_json::to_string(&delivered).expect("json").into(),
                    ))
                    .await
                    .expect("delivered");
                }
            }
            Ok(RelayFrame::CaughtUp { .. }) => break,
            _ => {}
        }
    }
    assert_eq!(got, total, "every message of the backlog");
    started.elapsed()
}

/// One message at a time from `token` to `to`, until `done`: each send's
/// wait for its ack, in µs.
async fn ack_latencies(
    addr: SocketAddr,
    token: &str,
    to: candor_protocol::UserId,
    done: &AtomicBool,
) -> Vec<u64> {
    let mut ws = connect_relay(addr, token).await;
    let mut out = Vec::new();
    while !done.load(Ordering::SeqCst) {
        let frame = ClientFrame::Send {
            photos: Vec::new(),
            reaction: None,
            client_id: MessageId::new(),
            to: Recipient::Direct { user: to },
            text: MessageText::new("meanwhile").expect("text"),
            card: None,
            reply: None,
        };
        let sent = Instant::now();
        ws.send(Message::Text(
            serde_json::to_string(&frame).expect("json").into(),
        ))
        .await
        .expect("send");
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(RelayFrame::Ack { .. }) = serde_json::from_str::<RelayFrame>(&t) {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("sender: {other:?}"),
            }
        }
        out.push(sent.elapsed().as_micros() as u64);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    out
}
