//! Two relay nodes over one PostgreSQL database, as behind a load balancer:
//! each client talks to one node, and what is stored or done through
//! either reaches the other's clients live, in the stream's one order.
//!
//! The nodes are rung by the database (LISTEN/NOTIFY) or over a bus (a real
//! nats-server of the test's own); the same tests run on both.
//!
//! They need the PostgreSQL test server (`CANDOR_TEST_POSTGRES`) and, for
//! the bus, nats-server (`CANDOR_TEST_NATS_SERVER`), which `cargo xtask
//! test` starts and names; without them they are not run (`--ignored` runs
//! them, and then they insist).

mod support;

use std::time::Duration;

use candor_protocol::api::NewGroup;
use candor_protocol::frames::{ClientFrame, ConversationInfo, Recipient, RelayFrame};
use candor_protocol::{MessageId, MessageText, ServerMessageId};
use support::authority::Authority;
use support::nats::Nats;
use support::{Client, Relay};

fn send(to: Recipient, text: &str) -> ClientFrame {
    ClientFrame::Send {
        photos: Vec::new(),
        reaction: None,
        client_id: MessageId::new(),
        to,
        text: MessageText::new(text).expect("text"),
        card: None,
        reply: None,
    }
}

/// A second node of `first`'s relay: the same database.
async fn second_node(first: &Relay) -> Relay {
    assert!(
        support::postgres::server().is_some(),
        "CANDOR_TEST_POSTGRES: nodes share a PostgreSQL database"
    );
    Relay::start_in(first.data.clone(), None).await
}

/// Two nodes of one relay: one database, rung through it or over `bus`.
async fn two_nodes(bus: Option<&Nats>) -> (Relay, Relay) {
    let Some(bus) = bus else {
        let one = Relay::start().await;
        let two = second_node(&one).await;
        return (one, two);
    };
    let url = bus.url();
    let one = Relay::start_configured({
        let url = url.clone();
        move |config| config.nats_url = Some(url)
    })
    .await;
    let two =
        Relay::start_in_configured(one.data.clone(), move |config| config.nats_url = Some(url))
            .await;
    (one, two)
}

/// `handle`'s new connection to `node`, caught up and so receiving live.
async fn on(node: &Relay, handle: &str) -> Client {
    caught_up(node, &node.sign_in(handle).await.token).await.0
}

/// A new connection to `node` with `token`, caught up from the start, and
/// the messages the catch-up brought: (cursor, server id, text).
async fn caught_up(node: &Relay, token: &str) -> (Client, Vec<(u64, ServerMessageId, String)>) {
    let mut client = Client::connect(node, token).await.expect("connect");
    client
        .send(&ClientFrame::CatchUp {
            after: None,
            acked_in: Vec::new(),
        })
        .await;
    let mut got = Vec::new();
    loop {
        match client.next().await {
            RelayFrame::Message { cursor, message } => {
                got.push((cursor, message.server_id, message.text.as_str().to_owned()))
            }
            RelayFrame::CaughtUp { .. } => return (client, got),
            _ => {}
        }
    }
}

/// The messages `client` gets live until `count` have come: (cursor,
/// server id, text), in the order they came.
async fn messages(client: &mut Client, count: usize) -> Vec<(u64, ServerMessageId, String)> {
    let mut got = Vec::new();
    while got.len() < count {
        match client.try_next(Duration::from_secs(10)).await {
            Some(RelayFrame::Message { cursor, message }) => {
                got.push((cursor, message.server_id, message.text.as_str().to_owned()))
            }
            Some(_) => {}
            None => panic!("{} of {count} messages came live", got.len()),
        }
    }
    got
}

#[tokio::test]
#[ignore = "needs the PostgreSQL test server: cargo xtask test runs it"]
async fn clients_on_two_nodes_chat_live_in_one_order() {
    chat_across_nodes(None).await;
}

#[tokio::test]
#[ignore = "needs the PostgreSQL test server and nats-server: cargo xtask test runs it"]
async fn over_a_bus_clients_on_two_nodes_chat_live_in_one_order() {
    let bus = Nats::start();
    chat_across_nodes(Some(&bus)).await;
}

async fn chat_across_nodes(bus: Option<&Nats>) {
    let (one, two) = two_nodes(bus).await;
    let alice = one.sign_up("alice", "Alice").await;
    let bob = one.sign_up("bob", "Bob").await;
    let carol = two.sign_up("carol", "Carol").await;
    let mut a = on(&one, "alice").await;
    let mut b = on(&two, "bob").await;
    // Bob's second device, on the other node.
    let mut b_phone = on(&one, "bob").await;

    // Alice, on node one, opens a chat with Bob, on node two: he hears of
    // the chat, then gets the message.
    a.send(&send(Recipient::Direct { user: bob.id }, "hi from one"))
        .await;
    let info = loop {
        match b.next().await {
            RelayFrame::Conversation(info) => break info,
            RelayFrame::Message { .. } => panic!("a message before its chat"),
            _ => {}
        }
    };
    assert!(info.members.iter().any(|m| m.id == alice.id));
    assert_eq!(messages(&mut b, 1).await[0].2, "hi from one");
    // Bob answers from node two: Alice gets it on node one, and so does
    // his own phone there.
    b.send(&send(
        Recipient::Conversation { id: info.id },
        "hi from two",
    ))
    .await;
    assert_eq!(messages(&mut a, 1).await[0].2, "hi from two");
    let phone = messages(&mut b_phone, 2).await;
    assert_eq!(
        phone.iter().map(|m| m.2.as_str()).collect::<Vec<_>>(),
        ["hi from one", "hi from two"]
    );

    // A group across both nodes, where Alice (one) and Carol (two) send at
    // once: each of Bob's devices gets every message once, in the stream's
    // order, the same as a catch-up from the start reads.
    let alice_token = one.sign_in("alice").await.token;
    let resp = reqwest::Client::new()
        .post(one.http("/v1/groups"))
        .bearer_auth(&alice_token)
        .json(&NewGroup {
            title: "Across nodes".into(),
            members: vec![bob.id, carol.id],
        })
        .send()
        .await
        .expect("create group");
    assert_eq!(resp.status().as_u16(), 201);
    let group: ConversationInfo = resp.json().await.expect("group");
    let mut c = on(&two, "carol").await;
    const EACH: usize = 40;
    let to = Recipient::Conversation { id: group.id };
    for i in 0..EACH {
        a.send(&send(to.clone(), &format!("alice {i}"))).await;
        c.send(&send(to.clone(), &format!("carol {i}"))).await;
    }
    let on_two = messages(&mut b, 2 * EACH).await;
    let on_one = messages(&mut b_phone, 2 * EACH).await;
    assert_eq!(on_two, on_one, "both devices see one order");
    let cursors: Vec<u64> = on_two.iter().map(|m| m.0).collect();
    assert!(
        cursors.windows(2).all(|w| w[0] < w[1]),
        "live delivery follows the stream: {cursors:?}"
    );
    for who in ["alice", "carol"] {
        let texts: Vec<&str> = on_two
            .iter()
            .filter(|m| m.2.starts_with(who))
            .map(|m| m.2.as_str())
            .collect();
        let sent: Vec<String> = (0..EACH).map(|i| format!("{who} {i}")).collect();
        assert_eq!(texts, sent, "{who}'s messages in the order sent");
    }
    let (_, all) = caught_up(&two, &two.sign_in("bob").await.token).await;
    assert_eq!(&all[2..], &on_two[..], "live is what catch-up reads");
    // Each node says it hears, and how long after their commit it
    // delivered the other node's batches it was rung for (not those found
    // by looking, nor those read back below a later wake): at least the
    // one answer sent while nothing else was in flight.
    for node in [&one, &two] {
        let metrics = node.get_text("/metrics").await;
        assert!(
            says(&metrics, "candor_relay_doorbell_hearing 1"),
            "{metrics}"
        );
        assert_eq!(
            says(&metrics, "candor_relay_bus_connected 1"),
            bus.is_some(),
            "{metrics}"
        );
        assert!(batches_heard(&metrics) >= 1, "{metrics}");
    }

    // Alice, on node one, takes Carol out of the group: Carol, on node two,
    // is told she is out.
    let resp = reqwest::Client::new()
        .delete(one.http(&format!("/v1/groups/{}/members/{}", group.id, carol.id)))
        .bearer_auth(&alice_token)
        .send()
        .await
        .expect("remove carol");
    assert!(resp.status().is_success(), "{}", resp.status());
    loop {
        match c.try_next(Duration::from_secs(10)).await {
            Some(RelayFrame::Conversation(info))
                if info.id == group.id && info.members.is_empty() =>
            {
                break;
            }
            Some(_) => {}
            None => panic!("Carol on node two was not told she is out"),
        }
    }
    two.stop().await;
    one.stop().await;
}

/// The batches a node heard rung, by its `/metrics`.
fn batches_heard(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("candor_relay_doorbell_lag_seconds_count "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the doorbell's lag in the metrics")
}

#[tokio::test]
#[ignore = "needs the PostgreSQL test server: cargo xtask test runs it"]
async fn receipts_typing_and_sign_outs_reach_the_other_node() {
    receipts_typing_and_sign_outs(None).await;
}

/// On a bus, receipts and typing go over it (the database does not carry
/// them), and sign-outs through the database still.
#[tokio::test]
#[ignore = "needs the PostgreSQL test server and nats-server: cargo xtask test runs it"]
async fn over_a_bus_receipts_typing_and_sign_outs_reach_the_other_node() {
    let bus = Nats::start();
    receipts_typing_and_sign_outs(Some(&bus)).await;
}

async fn receipts_typing_and_sign_outs(bus: Option<&Nats>) {
    let (one, two) = two_nodes(bus).await;
    one.sign_up("alice", "Alice").await;
    let bob = one.sign_up("bob", "Bob").await;
    let mut a = on(&one, "alice").await;
    let bob_session = two.sign_in("bob").await;
    let (mut b, _) = caught_up(&two, &bob_session.token).await;

    a.send(&send(Recipient::Direct { user: bob.id }, "are you there?"))
        .await;
    let (conversation, seq) = loop {
        if let RelayFrame::Message { message, .. } = b.next().await {
            break (message.conversation_id, message.seq);
        }
    };
    // Bob accepts the request (a change Alice's node announces), reads it
    // and starts typing, all through node two.
    let resp = reqwest::Client::new()
        .post(two.http(&format!("/v1/conversations/{conversation}/accept")))
        .bearer_auth(&bob_session.token)
        .send()
        .await
        .expect("accept");
    assert_eq!(resp.status().as_u16(), 204);
    b.send(&ClientFrame::Read {
        conversation_id: conversation,
        seq,
    })
    .await;
    b.send(&ClientFrame::Typing {
        conversation_id: conversation,
    })
    .await;
    let (mut read, mut typing) = (false, false);
    while !(read && typing) {
        match a.try_next(Duration::from_secs(10)).await {
            Some(RelayFrame::Receipt {
                user_id, read_seq, ..
            }) if user_id == bob.id && read_seq == seq => read = true,
            Some(RelayFrame::Typing { user_id, .. }) => {
                assert_eq!(user_id, bob.id);
                typing = true;
            }
            Some(_) => {}
            None => panic!("on node one: read {read}, typing {typing}"),
        }
    }

    // Bob signs out through node one: his socket on node two closes.
    let resp = reqwest::Client::new()
        .delete(one.http("/v1/sessions/current"))
        .bearer_auth(&bob_session.token)
        .send()
        .await
        .expect("sign out");
    assert!(resp.status().is_success(), "{}", resp.status());
    assert!(b.closed().await, "the signed-out socket on node two closes");
    two.stop().await;
    one.stop().await;
}

/// The name of the nodes' database.
fn database_of(node: &Relay) -> String {
    let url = support::postgres::database_for(&node.data).expect("the nodes' database");
    std::thread::spawn(move || {
        let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        db.query_one("SELECT current_database()", &[])
            .expect("its name")
            .get(0)
    })
    .join()
    .expect("on the database")
}

/// Runs `sql` on the test server's own database, as its superuser, and
/// returns the first column of the first row it returns, if any (off the
/// test's runtime: the blocking client runs one of its own).
fn as_admin(sql: String) -> Option<i64> {
    let server = support::postgres::server().expect("CANDOR_TEST_POSTGRES");
    std::thread::spawn(move || {
        let mut db = postgres::Client::connect(&server, postgres::NoTls).expect("connect");
        let rows = db.simple_query(&sql).expect(&sql);
        rows.iter().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
            _ => None,
        })
    })
    .join()
    .expect("as admin")
}

async fn health(node: &Relay) -> u16 {
    reqwest::get(node.http("/healthz"))
        .await
        .expect("healthz")
        .status()
        .as_u16()
}

/// The doorbell goes silent for a while on node two: its listening
/// connection is cut, and the database takes no new ones, so it cannot
/// listen again. It says so on `/healthz`, closes its clients' sockets (it
/// may have missed batches) and takes no new ones. Its clients go to node
/// one, and what was stored meanwhile reaches them by catch-up. Once the
/// doorbell is back, node two serves live again.
#[tokio::test]
#[ignore = "needs the PostgreSQL test server: cargo xtask test runs it"]
async fn a_silent_doorbell_loses_nothing() {
    let one = Relay::start().await;
    let two = second_node(&one).await;
    let alice = one.sign_up("alice", "Alice").await;
    let bob = one.sign_up("bob", "Bob").await;
    let mut a = on(&one, "alice").await;
    let mut b = on(&two, "bob").await;
    let to_bob = Recipient::Direct { user: bob.id };
    a.send(&send(to_bob.clone(), "before")).await;
    // Its ack, so that each ack awaited below is that of the send before it.
    while !matches!(a.next().await, RelayFrame::Ack { .. }) {}
    let before = messages(&mut b, 1).await[0].0;

    // Node two started listening second.
    let database = database_of(&one);
    as_admin(format!("ALTER DATABASE {database} ALLOW_CONNECTIONS false"));
    let cut = as_admin(format!(
        "SELECT count(pg_terminate_backend(pid)) FROM (
             SELECT pid FROM pg_stat_activity
             WHERE datname = '{database}' AND application_name = 'candor-relay listener'
             ORDER BY backend_start OFFSET 1) two"
    ));
    assert_eq!(cut, Some(1), "node two had one listening connection");
    assert!(b.closed().await, "node two closes its sockets");
    assert_eq!(health(&two).await, 503, "a node that cannot hear says so");
    let metrics = two.get_text("/metrics").await;
    assert!(
        says(&metrics, "candor_relay_doorbell_hearing 0"),
        "{metrics}"
    );
    let bob_token = one.sign_in("bob").await.token;
    assert!(
        Client::connect(&two, &bob_token).await.is_err(),
        "and takes no sockets"
    );
    assert_eq!(health(&one).await, 200, "node one still hears");

    // Meanwhile Alice, on node one, sends three; Bob's app goes to node
    // one, and finds them with its catch-up.
    for i in 0..3 {
        a.send(&send(to_bob.clone(), &format!("unheard {i}"))).await;
        while !matches!(a.next().await, RelayFrame::Ack { .. }) {}
    }
    let mut b = Client::connect(&one, &bob_token).await.expect("bob on one");
    b.send(&ClientFrame::CatchUp {
        after: b.at(before),
        acked_in: Vec::new(),
    })
    .await;
    let mut caught = Vec::new();
    loop {
        match b.next().await {
            RelayFrame::Message { message, .. } => caught.push(message.text.as_str().to_owned()),
            RelayFrame::CaughtUp { .. } => break,
            _ => {}
        }
    }
    assert_eq!(caught, ["unheard 0", "unheard 1", "unheard 2"]);

    // The doorbell is back: node two hears again, says so, and delivers
    // live what node one stores.
    as_admin(format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while health(&two).await != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "node two hears again within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut b = on(&two, "bob").await;
    a.send(&send(to_bob, "heard again")).await;
    assert_eq!(messages(&mut b, 1).await[0].2, "heard again");
    assert_ne!(alice.id, bob.id);
    two.stop().await;
    one.stop().await;
}

/// The bus goes down (nats-server killed) while Alice, on node one, writes
/// to Bob, on node two: the nodes say so, serve on, and Bob still gets
/// every message live, in order, within about two seconds (node two finds
/// them at the stream's head). The bus comes back: wakes ring again, and
/// nothing was lost.
#[tokio::test]
#[ignore = "needs the PostgreSQL test server and nats-server: cargo xtask test runs it"]
async fn a_bus_that_goes_down_loses_nothing() {
    let mut bus = Nats::start();
    let (one, two) = two_nodes(Some(&bus)).await;
    one.sign_up("alice", "Alice").await;
    let bob = one.sign_up("bob", "Bob").await;
    let mut a = on(&one, "alice").await;
    let mut b = on(&two, "bob").await;
    let to_bob = Recipient::Direct { user: bob.id };
    a.send(&send(to_bob.clone(), "before")).await;
    let mut live = messages(&mut b, 1).await;

    bus.kill();
    for node in [&one, &two] {
        until_bus(node, false).await;
    }
    assert_eq!(health(&two).await, 200, "a node without its bus serves on");
    let said = reqwest::get(two.http("/healthz")).await.expect("healthz");
    assert_eq!(
        said.headers().get("candor-bus").map(|v| v.as_bytes()),
        Some(&b"down"[..]),
        "and says its bus is down"
    );
    assert_eq!(said.text().await.expect("body"), "ok", "as apps expect");
    let rung_before = batches_heard(&two.get_text("/metrics").await);
    for i in 0..5 {
        a.send(&send(to_bob.clone(), &format!("unrung {i}"))).await;
    }
    live.extend(messages(&mut b, 5).await);
    assert_eq!(
        batches_heard(&two.get_text("/metrics").await),
        rung_before,
        "found at the stream's head, not rung"
    );

    bus.restart();
    until_bus(&two, true).await;
    // Node one may reconnect a moment later: its wake could be sent before
    // it is back, and then it is found by looking. Either way it comes.
    a.send(&send(to_bob, "after")).await;
    live.extend(messages(&mut b, 1).await);
    let texts: Vec<&str> = live.iter().map(|m| m.2.as_str()).collect();
    let mut sent = vec!["before".to_owned()];
    sent.extend((0..5).map(|i| format!("unrung {i}")));
    sent.push("after".into());
    assert_eq!(texts, sent, "every message once, in order");
    let (_, all) = caught_up(&two, &two.sign_in("bob").await.token).await;
    assert_eq!(all, live, "live is what catch-up reads");
    two.stop().await;
    one.stop().await;
}

/// Whether `metrics` hold the sample `line` ("name value"). A whole line:
/// the metric's HELP line begins with its name too.
fn says(metrics: &str, line: &str) -> bool {
    metrics.lines().any(|l| l == line)
}

/// Waits (10 s at most) until `node` says it is on its bus, or off it.
async fn until_bus(node: &Relay, connected: bool) {
    let said = format!("candor_relay_bus_connected {}", u8::from(connected));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !says(&node.get_text("/metrics").await, &said) {
        assert!(
            std::time::Instant::now() < deadline,
            "a node says `{said}` within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Across a network, what a node says to its database and its bus must be
/// private, and they must be who they say. Here both are on this machine,
/// told to use TLS as they are off it (`sslmode=require`, `tls://`): two
/// nodes chat over checked TLS to both, and every connection the database
/// has from them is encrypted. A node that trusts an authority which did not
/// sign the database's certificate does not start; one that does not trust
/// the bus's never joins it, and serves without it.
#[tokio::test]
#[ignore = "needs the PostgreSQL test server with TLS and nats-server: cargo xtask test runs it"]
async fn a_node_reaches_its_database_and_bus_over_checked_tls() {
    let database_ca: std::path::PathBuf = std::env::var("CANDOR_TEST_POSTGRES_CA")
        .expect("CANDOR_TEST_POSTGRES_CA: the authority of the test server's certificate")
        .into();
    let files = tempfile::tempdir().expect("tempdir");
    let bus_authority = Authority::new(files.path(), "nats");
    let bus = Nats::start_tls(&bus_authority.cert, &bus_authority.key);
    let data = tempfile::tempdir().expect("tempdir");
    let database = support::postgres::database_for(data.path()).expect("a test database");
    let over_tls = {
        let (database, database_ca) = (database.clone(), database_ca.clone());
        let (bus, bus_ca) = (bus.url(), bus_authority.ca.clone());
        move |config: &mut candor_relay::RelayConfig| {
            config.database_url = Some(format!("{database}?sslmode=require"));
            config.database_ca = Some(database_ca.clone());
            config.nats_url = Some(bus.clone());
            config.nats_ca = Some(bus_ca.clone());
        }
    };
    let one = Relay::start_in_configured(data.path().to_owned(), over_tls.clone()).await;
    let two = Relay::start_in_configured(data.path().to_owned(), over_tls.clone()).await;
    until_bus(&one, true).await;
    until_bus(&two, true).await;
    one.sign_up("alice", "Alice").await;
    let bob = one.sign_up("bob", "Bob").await;
    let mut a = on(&one, "alice").await;
    let mut b = on(&two, "bob").await;
    let rung_before = batches_heard(&two.get_text("/metrics").await);
    a.send(&send(Recipient::Direct { user: bob.id }, "sealed"))
        .await;
    let got = messages(&mut b, 1).await;
    assert_eq!(got[0].2, "sealed");
    assert!(
        batches_heard(&two.get_text("/metrics").await) > rung_before,
        "rung over the TLS bus"
    );
    let name = database_of(&one);
    // The relay's own (the test's look-ups above may still be closing).
    let connections = format!(
        "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
         WHERE a.datname = '{name}' AND a.application_name LIKE 'candor-relay%'"
    );
    let encrypted = as_admin(format!("{connections} AND s.ssl")).expect("a count");
    assert!(encrypted >= 2, "both nodes hold connections: {encrypted}");
    assert_eq!(
        as_admin(connections).expect("a count"),
        encrypted,
        "none in plain text"
    );

    // An authority that did not sign the database's certificate.
    let mut wrong = support::config(data.path());
    over_tls(&mut wrong);
    wrong.database_ca = Some(bus_authority.ca.clone());
    let refused = tokio::task::spawn_blocking(move || candor_relay::RelayState::open(wrong))
        .await
        .expect("join")
        .expect_err("a database whose certificate is not trusted");
    assert!(
        refused.to_string().contains("certificate"),
        "says why: {refused}"
    );

    // An authority that did not sign the bus's certificate.
    let three = Relay::start_in_configured(data.path().to_owned(), {
        let over_tls = over_tls.clone();
        let database_ca = database_ca.clone();
        move |config| {
            over_tls(config);
            config.nats_ca = Some(database_ca);
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    until_bus(&three, false).await;
    let said = reqwest::get(three.http("/healthz")).await.expect("healthz");
    assert_eq!(
        said.headers().get("candor-bus").map(|v| v.as_bytes()),
        Some(&b"down"[..]),
        "a node that cannot trust its bus says it is down"
    );
    three.stop().await;
    two.stop().await;
    one.stop().await;
}
