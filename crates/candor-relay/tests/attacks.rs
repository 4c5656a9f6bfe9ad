//! What an attacker with an account tries against the relay process, and what
//! must still hold after: the relay answers `/healthz`, and two other people
//! still reach each other within a second. The relay runs as its own process,
//! so that its memory can be read from outside.

mod support;

use std::time::{Duration, Instant};

use candor_protocol::frames::{ClientFrame, Recipient, RelayFrame};
use candor_protocol::{ConversationId, MessageId, MessageText, PROTOCOL_VERSION};
use futures_util::{SinkExt, StreamExt};
use support::process::Process;
use support::{Client, Relay};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

impl Process {
    /// What must hold after any attack: the relay is healthy, and a message
    /// between two people who are not the attacker arrives within a second.
    async fn still_serves(
        &self,
        alice: &mut Client,
        bob_id: candor_protocol::UserId,
        bob: &mut Client,
    ) {
        assert_eq!(self.relay.get_text("/healthz").await, "ok");
        let started = Instant::now();
        alice
            .send(&ClientFrame::Send {
                photos: Vec::new(),
                reaction: None,
                client_id: MessageId::new(),
                to: Recipient::Direct { user: bob_id },
                text: MessageText::new("still here?").expect("text"),
                card: None,
                reply: None,
            })
            .await;
        loop {
            match bob.try_next(Duration::from_secs(1)).await {
                Some(RelayFrame::Message { message, .. }) => {
                    assert_eq!(message.text.as_str(), "still here?");
                    break;
                }
                Some(_) => continue,
                None => panic!("Bob got nothing within 1 s of Alice's send"),
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
}

/// The relay process; Alice and Bob, whose messages must keep flowing
/// whatever is tried (Bob caught up, so live messages reach him); and the
/// session of Mallory, who tries it.
struct Scene {
    process: Process,
    alice: Client,
    bob: Client,
    bob_id: candor_protocol::UserId,
    mallory: candor_protocol::api::Session,
}

impl Scene {
    async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// The scene on a relay started with `args` added.
    async fn start_with(args: &[&str]) -> Self {
        let process = Process::start_with(args);
        let relay = &process.relay;
        let (_, alice) = relay.user("alice", "Alice").await;
        let (bob_session, mut bob) = relay.user("bob", "Bob").await;
        caught_up(&mut bob).await;
        relay.sign_up("mallory", "Mallory").await;
        let mallory = relay.sign_in("mallory").await;
        Self {
            process,
            alice,
            bob,
            bob_id: bob_session.user.id,
            mallory,
        }
    }
}

/// Reads what has come for each of `clients` (answering the relay's pings),
/// as an app left open does.
async fn stay_connected(clients: &mut [&mut Client]) {
    for client in clients {
        while client.try_next(Duration::from_millis(1)).await.is_some() {}
    }
}

/// Catches `client` up from the start, so that live messages flow to it.
async fn caught_up(client: &mut Client) {
    client
        .send(&ClientFrame::CatchUp {
            after: None,
            acked_in: Vec::new(),
        })
        .await;
    while !matches!(client.next().await, RelayFrame::CaughtUp { .. }) {}
}

/// Opens a WebSocket as `token`'s account (the upgrade alone: no hello).
async fn open_socket(
    relay: &Relay,
    token: &str,
) -> Result<
    (
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    tokio_tungstenite::tungstenite::Error,
> {
    let mut request = relay.ws_url().into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    tokio_tungstenite::connect_async(request).await
}

/// A raw socket of `token`'s account that said hello.
async fn raw_socket(
    relay: &Relay,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let (mut ws, _) = open_socket(relay, token).await.expect("connect");
    let hello = ClientFrame::Hello {
        protocol_version: PROTOCOL_VERSION,
    };
    ws.send(Message::Text(
        serde_json::to_string(&hello).expect("json").into(),
    ))
    .await
    .expect("hello");
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_frames_for_made_up_chats_do_not_grow_the_relay() {
    // Frames per second lifted: the bound on typing's memory must hold on its
    // own (at the default rate, 100,000 frames take eight minutes to read).
    let Scene {
        process,
        mut alice,
        mut bob,
        bob_id,
        mallory,
    } = Scene::start_with(&["--frames-per-second", "0"]).await;
    let relay = &process.relay;
    process.still_serves(&mut alice, bob_id, &mut bob).await;
    let before = process.resident();

    let (mut to_relay, mut from_relay) = raw_socket(relay, &mallory.token).await.split();
    // Mallory reads what the relay answers (a refusal per frame), so the
    // relay is never held up writing to her.
    let drained = tokio::spawn(async move {
        let mut refused = 0u64;
        while let Some(Ok(m)) = from_relay.next().await {
            if let Message::Text(t) = m
                && t.contains("\"error\"")
            {
                refused += 1;
            }
        }
        refused
    });
    const FRAMES: usize = 100_000;
    for i in 0..FRAMES {
        let frame = ClientFrame::Typing {
            conversation_id: ConversationId::new(),
        };
        let text = serde_json::to_string(&frame).expect("json");
        to_relay
            .feed(Message::Text(text.into()))
            .await
            .expect("feed");
        if i % 256 == 255 {
            to_relay.flush().await.expect("flush");
        }
        if i % 4096 == 4095 {
            stay_connected(&mut [&mut alice, &mut bob]).await;
        }
    }
    to_relay.close().await.expect("close");
    // The relay takes longer than a minute over them on a slower store
    // (PostgreSQL: a round trip each): Alice and Bob answer its pings
    // meanwhile, as any idle app does, or it would rightly close them.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut drained = drained;
    let refused = loop {
        tokio::select! {
            refused = &mut drained => break refused.expect("join"),
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                assert!(Instant::now() < deadline, "the relay answered every frame within 2 minutes");
                stay_connected(&mut [&mut alice, &mut bob]).await;
            }
        }
    };
    assert_eq!(refused, FRAMES as u64, "each made-up chat is refused");

    let grown = process.resident().saturating_sub(before);
    assert!(
        grown < 50 * 1024 * 1024,
        "the relay grew by {} MiB",
        grown / (1024 * 1024)
    );
    process.still_serves(&mut alice, bob_id, &mut bob).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sockets_from_one_account_stop_at_the_cap() {
    let Scene {
        process,
        mut alice,
        mut bob,
        bob_id,
        mallory,
    } = Scene::start().await;
    let relay = &process.relay;

    let (mut open, mut refused) = (Vec::new(), 0);
    for _ in 0..1_000 {
        match open_socket(relay, &mallory.token).await {
            Ok((ws, _)) => open.push(ws),
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 429);
                refused += 1;
            }
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(open.len(), 16, "the account's cap");
    assert_eq!(refused, 1_000 - 16);
    process.still_serves(&mut alice, bob_id, &mut bob).await;
    // Closing one gives its slot back.
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(open_socket(relay, &mallory.token).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_crawl_is_stopped() {
    let Scene {
        process,
        mut alice,
        mut bob,
        bob_id,
        mallory,
    } = Scene::start().await;
    let relay = &process.relay;

    let http = reqwest::Client::new();
    let mut answered = 0;
    let mut refused = 0;
    for i in 0..1_000 {
        let status = http
            .get(relay.http(&format!("/v1/users/guess{i:04}")))
            .bearer_auth(&mallory.token)
            .send()
            .await
            .expect("lookup")
            .status()
            .as_u16();
        match status {
            404 => answered += 1,
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(answered, 100, "the account's lookups in ten minutes");
    assert_eq!(refused, 900);
    // Another account is not held back by Mallory's crawl.
    let status = http
        .get(relay.http("/v1/users/bob"))
        .bearer_auth(&relay.sign_in("alice").await.token)
        .send()
        .await
        .expect("lookup")
        .status();
    assert_eq!(status, 200);
    process.still_serves(&mut alice, bob_id, &mut bob).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_let_go() {
    // Frames per second lifted for the sender: the bound on a slow reader's
    // queue must hold on its own, however fast messages come for it.
    let Scene {
        process,
        mut alice,
        mut bob,
        bob_id,
        mallory,
    } = Scene::start_with(&["--frames-per-second", "0"]).await;
    let relay = &process.relay;
    relay.sign_up("flood", "Flood").await;
    let flood = relay.sign_in("flood").await;
    let before = process.resident();

    // Mallory catches up, then never reads again.
    let mut sink = raw_socket(relay, &mallory.token).await;
    let catch_up = ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    };
    sink.send(Message::Text(
        serde_json::to_string(&catch_up).expect("json").into(),
    ))
    .await
    .expect("catch up");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 10,000 messages to her, from an account whose acks are read.
    let (mut to_relay, mut from_relay) = raw_socket(relay, &flood.token).await.split();
    const MESSAGES: usize = 10_000;
    let acked = tokio::spawn(async move {
        let mut acks = 0;
        while acks < MESSAGES {
            match from_relay.next().await {
                Some(Ok(Message::Text(t))) if t.contains("\"ack\"") => acks += 1,
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        acks
    });
    let to = candor_protocol::frames::Recipient::Direct {
        user: relay.sign_in("mallory").await.user.id,
    };
    for i in 0..MESSAGES {
        let frame = ClientFrame::Send {
            photos: Vec::new(),
            reaction: None,
            client_id: MessageId::new(),
            to: to.clone(),
            text: MessageText::new(format!("flood {i}")).expect("text"),
            card: None,
            reply: None,
        };
        to_relay
            .feed(Message::Text(
                serde_json::to_string(&frame).expect("json").into(),
            ))
            .await
            .expect("feed");
        if i % 64 == 63 {
            to_relay.flush().await.expect("flush");
        }
    }
    to_relay.flush().await.expect("flush");
    let acks = tokio::time::timeout(Duration::from_secs(120), acked)
        .await
        .expect("every send acknowledged within 2 minutes")
        .expect("join");
    assert_eq!(acks, MESSAGES, "every message was stored");

    // Mallory's socket was dropped (too far behind) rather than buffered for
    // ever; what she missed waits for her catch-up.
    let grown = process.resident().saturating_sub(before);
    assert!(
        grown < 50 * 1024 * 1024,
        "the relay grew by {} MiB",
        grown / (1024 * 1024)
    );
    process.still_serves(&mut alice, bob_id, &mut bob).await;
    drop(sink);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_slowloris_connections_do_not_stop_the_relay() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Scene {
        process,
        mut alice,
        mut bob,
        bob_id,
        ..
    } = Scene::start().await;
    let relay = &process.relay;

    // From another loopback address (one host), each connection sends half a
    // request's headers and then nothing.
    let mut held = Vec::new();
    for _ in 0..2_000 {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.2:0".parse().expect("addr"))
            .expect("bind");
        let Ok(mut stream) = socket.connect(relay.addr).await else {
            continue;
        };
        if stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
            .await
            .is_ok()
        {
            held.push(stream);
        }
    }
    // Meanwhile everyone else is served.
    process.still_serves(&mut alice, bob_id, &mut bob).await;

    // And the slow ones are let go once their headers are overdue.
    let started = Instant::now();
    let mut ended = 0;
    for stream in held.iter_mut().take(50) {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut byte)).await;
        if matches!(read, Ok(Ok(0) | Err(_))) {
            ended += 1;
        }
    }
    assert_eq!(
        ended, 50,
        "every connection sampled was closed by the relay"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "closed within the header time limit, not left open: {:?}",
        started.elapsed()
    );
    process.still_serves(&mut alice, bob_id, &mut bob).await;
}

/// A flood of frames from one connection is read at the connection's rate
/// (200 a second, ten seconds' worth at once, by default): the relay answers
/// no more than that, stays healthy, and others' messages flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_frames_is_read_at_the_connections_rate() {
    let Scene {
        process,
        mut alice,
        mut bob,
        bob_id,
        mallory,
    } = Scene::start_with(&["--frames-per-second", "100"]).await;
    let relay = &process.relay;
    let (mut to_relay, mut from_relay) = raw_socket(relay, &mallory.token).await.split();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = answered.clone();
    let drained = tokio::spawn(async move {
        while let Some(Ok(m)) = from_relay.next().await {
            if let Message::Text(t) = m
                && t.contains("\"error\"")
            {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    // Each frame names a made-up chat, so each read is answered: what was
    // answered is what was read.
    let flood = tokio::spawn(async move {
        for i in 0..20_000 {
            let frame = ClientFrame::Typing {
                conversation_id: ConversationId::new(),
            };
            let text = serde_json::to_string(&frame).expect("json");
            if to_relay.feed(Message::Text(text.into())).await.is_err() {
                break;
            }
            if i % 256 == 255 && to_relay.flush().await.is_err() {
                break;
            }
        }
        let _ = to_relay.flush().await;
        to_relay
    });
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let read = answered.load(std::sync::atomic::Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    // Ten seconds' worth at once (1,000), then 100 a second.
    let most = 1_000.0 + 100.0 * (elapsed + 0.5);
    assert!(
        (read as f64) <= most,
        "{read} frames read in {elapsed:.1} s; at most {most:.0} allowed"
    );
    assert!(read >= 100, "the flood is read, at its pace: {read}");
    process.still_serves(&mut alice, bob_id, &mut bob).await;
    flood.abort();
    drained.abort();
}

/// A NUL character is not text, and PostgreSQL refuses it: Mallory's send
/// with one is refused alone (not the batch stored with it, which would
/// fail Alice's too), her group titled with one gets a clear 400, and her
/// device named with one signs in under the name without it.
#[tokio::test]
async fn a_nul_character_is_refused_where_it_comes_in() {
    let Scene {
        process,
        mut alice,
        mut bob,
        bob_id,
        mallory,
    } = Scene::start().await;
    let relay = &process.relay;
    let mut m = Client::connect(relay, &mallory.token)
        .await
        .expect("mallory");
    let bad = MessageId::new();
    m.send(&ClientFrame::Send {
        photos: Vec::new(),
        reaction: None,
        client_id: bad,
        to: Recipient::Direct { user: bob_id },
        text: MessageText::new("hi\0there").expect("text"),
        card: None,
        reply: None,
    })
    .await;
    match m.next().await {
        RelayFrame::Error { error, client_id } => {
            assert_eq!(error.code, candor_protocol::api::ErrorCode::Invalid);
            assert!(error.message.contains("NUL"), "{}", error.message);
            assert_eq!(client_id, Some(bad));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    process.still_serves(&mut alice, bob_id, &mut bob).await;

    let group = reqwest::Client::new()
        .post(relay.http("/v1/groups"))
        .bearer_auth(&mallory.token)
        .json(&candor_protocol::api::NewGroup {
            title: "Trip\0".into(),
            members: vec![bob_id],
        })
        .send()
        .await
        .expect("create group");
    assert_eq!(group.status(), 400);
    let body: candor_protocol::api::ApiError = group.json().await.expect("error body");
    assert!(
        body.message.contains("control characters"),
        "{}",
        body.message
    );

    let signed_in = reqwest::Client::new()
        .post(relay.http("/v1/sessions"))
        .json(&candor_protocol::api::SignIn {
            handle: "mallory".into(),
            password: "orchid-lantern-57".into(),
            device_name: "lap\0top".into(),
        })
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), 200);
    let sessions: Vec<candor_protocol::api::DeviceSession> = reqwest::Client::new()
        .get(relay.http("/v1/sessions"))
        .bearer_auth(&mallory.token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("sessions");
    assert!(
        sessions.iter().any(|s| s.device_name == "laptop"),
        "{sessions:?}"
    );
}
