//! The relay as three nodes behind a load balancer, with candor-core
//! devices (store, outbox, sync engine) as the app runs them: people chat
//! across nodes, a group spread over all three sees one order, a node dies
//! mid-burst, the bus goes down and comes back, and the database restarts.
//! Through all of it nothing a device sent is lost or shown twice.
//!
//! Real PostgreSQL, nats-server, HAProxy and relay processes (see
//! `candor_e2e::cluster`); `cargo xtask test` runs it with `--ignored`.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Result;
use candor_core::account::RelayClient;
use candor_core::protocol::ConversationId;
use candor_e2e::cluster::Cluster;
use candor_e2e::sync::{Device, eventually};

/// Long enough for a sync engine's backoff (up to 30 s) after an outage.
const WAIT: Duration = Duration::from_secs(90);

fn texts(d: &Device, chat: ConversationId) -> Vec<String> {
    d.with(|s| s.conversation_page(chat, None, 500))
        .map(|p| p.messages.into_iter().rev().map(|m| m.text).collect())
        .unwrap_or_default()
}

fn outbox_len(d: &Device) -> usize {
    d.with(|s| s.outbox())
        .map(|o| o.len())
        .unwrap_or(usize::MAX)
}

async fn say(d: &Device, chat: ConversationId, text: &str) -> Result<()> {
    d.write(chat, text)?;
    d.outbox_changed().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL, nats-server and HAProxy: cargo xtask test runs it"]
async fn three_nodes_behind_a_load_balancer() -> Result<()> {
    let mut cluster = Cluster::start(3).await?;
    let dir = cluster.dir().to_path_buf();

    // Alice on node 1 and Bob on node 3 chat.
    let mut alice = Device::sign_up(&cluster.node_url(0), &dir, "alice", "Alice").await?;
    let mut bob = Device::sign_up(&cluster.node_url(2), &dir, "bob", "Bob").await?;
    alice.go_online()?;
    bob.go_online()?;
    let chat = alice.open_chat_with(bob.person())?;
    say(&alice, chat, "hello from node one").await?;
    eventually(WAIT, "bob, on node three, has alice's message", || {
        bob.has_message_reading(chat, "hello from node one")
    })
    .await?;
    say(&bob, chat, "hello from node three").await?;
    eventually(WAIT, "alice, on node one, has bob's answer", || {
        alice.has_message_reading(chat, "hello from node three")
    })
    .await?;

    // Twelve people come in through the balancer, which spreads them over
    // the nodes, and make a group.
    let mut members = Vec::new();
    for i in 0..12 {
        let handle = format!("member{i:02}");
        let mut d = Device::sign_up(&cluster.balancer_url(), &dir, &handle, &handle).await?;
        d.go_online()?;
        members.push(d);
    }
    let mut spread = [0.0; 3];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        for (i, n) in spread.iter_mut().enumerate() {
            *n = cluster.metric(i, "candor_relay_connections").await?;
        }
        if spread.iter().sum::<f64>() >= 14.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every device connected: {spread:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        spread[1] >= 2.0,
        "node two serves some of the group: {spread:?}"
    );
    // What the app's first screen asks of a relay holds through the
    // balancer, on nodes with a bus.
    RelayClient::new(&cluster.balancer_url())?.health().await?;
    let others = members[1..].iter().map(|d| d.user.id).collect();
    let group = RelayClient::new(&cluster.balancer_url())?
        .create_group(&members[0].token, "Across three nodes", others)
        .await?
        .id;
    eventually(WAIT, "every member has the group", || {
        members
            .iter()
            .all(|d| d.with(|s| s.conversation_page(group, None, 1)).is_ok())
    })
    .await?;

    // Everyone writes at once; node two is SIGKILLed mid-burst. Its
    // devices come back through the balancer to the other nodes, and their
    // outboxes resend what was not acknowledged.
    const ROUNDS: usize = 5;
    for round in 0..ROUNDS {
        for d in &members {
            say(d, group, &format!("{} {round}", d.user.handle)).await?;
        }
        if round == 1 {
            cluster.kill(1).await?;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = members.len() * ROUNDS;
    eventually(
        WAIT,
        "every member has every message, outboxes empty",
        || {
            members
                .iter()
                .all(|d| texts(d, group).len() >= all && outbox_len(d) == 0)
        },
    )
    .await?;
    let order = texts(&members[0], group);
    assert_eq!(
        order.iter().collect::<HashSet<_>>().len(),
        all,
        "each message once: {order:?}"
    );
    for d in &members {
        assert_eq!(texts(d, group), order, "{} sees one order", d.user.handle);
        let own: Vec<String> = order
            .iter()
            .filter(|t| t.starts_with(&format!("{} ", d.user.handle)))
            .cloned()
            .collect();
        let written: Vec<String> = (0..ROUNDS)
            .map(|r| format!("{} {r}", d.user.handle))
            .collect();
        assert_eq!(
            own, written,
            "{}'s messages in the order written",
            d.user.handle
        );
    }

    // The bus goes down: the nodes say so, serve on, and deliver by
    // looking at the database; then it comes back.
    cluster.bus.kill().await?;
    eventually_metric(&cluster, 0, "candor_relay_bus_connected", 0.0).await?;
    let (status, bus) = cluster.health(0).await?;
    assert_eq!(status, 200, "a node without its bus serves on");
    assert_eq!(bus.as_deref(), Some("down"), "and says so");
    say(&alice, chat, "while the bus is down").await?;
    eventually(WAIT, "bob has it without the bus", || {
        bob.has_message_reading(chat, "while the bus is down")
    })
    .await?;
    cluster.bus.restart().await?;
    for node in [0, 2] {
        eventually_metric(&cluster, node, "candor_relay_bus_connected", 1.0).await?;
    }
    say(&alice, chat, "the bus is back").await?;
    eventually(WAIT, "bob has it over the bus", || {
        bob.has_message_reading(chat, "the bus is back")
    })
    .await?;

    // The database restarts: the nodes say they cannot serve, Alice's
    // messages wait in her outbox, and everything drains once it is back.
    cluster.database("stop").await?;
    for node in [0, 2] {
        let deadline = tokio::time::Instant::now() + WAIT;
        while cluster.health(node).await?.0 == 200 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "node {node} reports the database gone"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for i in 0..3 {
        say(&alice, chat, &format!("held {i}")).await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(outbox_len(&alice), 3, "the outbox holds them");
    assert!(!bob.has_message_reading(chat, "held 0"));
    cluster.database("start").await?;
    eventually(WAIT, "alice's outbox drains to bob", || {
        outbox_len(&alice) == 0
            && (0..3).all(|i| bob.has_message_reading(chat, &format!("held {i}")))
    })
    .await?;
    for node in [0, 2] {
        assert_eq!(
            cluster.health(node).await?.0,
            200,
            "node {node} serves again"
        );
    }
    let conversation = texts(&bob, chat);
    assert_eq!(
        conversation,
        [
            "hello from node one",
            "hello from node three",
            "while the bus is down",
            "the bus is back",
            "held 0",
            "held 1",
            "held 2"
        ],
    );
    assert_eq!(texts(&alice, chat), conversation);

    for d in members.iter_mut().chain([&mut alice, &mut bob]) {
        d.go_offline().await;
    }
    Ok(())
}

/// Waits until node `i`'s metric `name` reads `value`.
async fn eventually_metric(cluster: &Cluster, i: usize, name: &str, value: f64) -> Result<()> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if cluster.metric(i, name).await? == value {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("node {i}'s {name} did not come to {value}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
