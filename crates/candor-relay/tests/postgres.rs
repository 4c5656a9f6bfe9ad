//! What a relay on PostgreSQL does while its database is down: it says so
//! (`/healthz`), closes its clients' sockets (it can no longer hear what
//! other nodes store) and takes no new ones; once the database is back it
//! takes the held sends, once each, and the clients catch up across the
//! new epoch, which they are welcomed into.
//!
//! And what it does when another node changes a chat while a batch of
//! sends to it waits for the chat's lock, or stores the same send, or begins
//! the same chat, at the same moment.
//!
//! These tests stop and start a server, so they need one of their own:
//! `cargo xtask test` starts it and names it, with a script that stops and
//! starts it (`CANDOR_TEST_POSTGRES`, `CANDOR_TEST_POSTGRES_CTL`). Without
//! those they are not run (`--ignored` runs them, and then they insist).

mod support;

use std::time::{Duration, Instant};

use candor_protocol::frames::{ClientFrame, Recipient, RelayFrame};
use candor_protocol::{MessageId, MessageText};
use support::{Client, Relay};

/// Stops (`stop`) or starts (`start`) the test's own server.
fn server(action: &str) {
    let script = std::env::var("CANDOR_TEST_POSTGRES_CTL")
        .expect("CANDOR_TEST_POSTGRES_CTL: the script that stops and starts the test server");
    let status = std::process::Command::new(script)
        .arg(action)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run the server's script");
    assert!(status.success(), "the test server did not {action}");
}

fn send(id: MessageId, to: candor_protocol::UserId, text: &str) -> ClientFrame {
    ClientFrame::Send {
        photos: Vec::new(),
        reaction: None,
        client_id: id,
        to: Recipient::Direct { user: to },
        text: MessageText::new(text).expect("text"),
        card: None,
        reply: None,
    }
}

/// `/healthz`'s status code.
async fn health(relay: &Relay) -> u16 {
    reqwest::Client::new()
        .get(relay.http("/healthz"))
        .send()
        .await
        .expect("healthz")
        .status()
        .as_u16()
}

#[tokio::test]
#[ignore = "needs a PostgreSQL server of its own: cargo xtask test runs it"]
async fn a_database_restart_holds_every_send_until_it_is_back() {
    assert!(
        support::postgres::server().is_some(),
        "CANDOR_TEST_POSTGRES: the test server"
    );
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let first = MessageId::new();
    a.send(&send(first, bob.user.id, "before")).await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    let bobs_epoch = b.epoch.expect("welcomed");
    b.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    let bobs_cursor = loop {
        if let RelayFrame::CaughtUp { cursor } = b.next().await {
            break cursor;
        }
    };
    assert!(bobs_cursor > 0, "Bob has the first message");
    assert_eq!(health(&relay).await, 200);

    server("stop");
    assert_eq!(health(&relay).await, 503, "the node says it can't serve");
    // Nor does it hear the doorbell, so it could miss what other nodes
    // store: it closes its clients' sockets, and they cannot come back
    // while the database is down. The app keeps its sends in its outbox.
    assert!(a.closed().await, "Alice's socket closes");
    assert!(b.closed().await, "Bob's socket closes");
    assert!(
        Client::connect(&relay, &alice.token).await.is_err(),
        "no socket while the database is down"
    );

    server("start");
    let deadline = Instant::now() + Duration::from_secs(30);
    while health(&relay).await != 200 {
        assert!(Instant::now() < deadline, "healthy again within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Alice's app comes back, welcomed into the new epoch (the node looked
    // at the database's epoch as it began to listen again), and sends what
    // it held, again and again: stored once.
    let held = MessageId::new();
    let mut a = Client::connect(&relay, &alice.token).await.expect("alice");
    assert_ne!(a.epoch, Some(bobs_epoch), "a restart begins an epoch");
    for _ in 0..2 {
        a.send(&send(held, bob.user.id, "held while it was down"))
            .await;
        loop {
            match a.next().await {
                RelayFrame::Ack { client_id, seq, .. } => {
                    assert_eq!((client_id, seq), (held, 2));
                    break;
                }
                RelayFrame::Message { .. } | RelayFrame::Receipt { .. } => {}
                other => panic!("expected the ack, got {other:?}"),
            }
        }
    }

    // Bob comes back with the old epoch's position and catches up with it
    // once.
    let mut phone = Client::connect(&relay, &bob.token).await.expect("bob");
    phone
        .send(&ClientFrame::CatchUp {
            after: Some(candor_protocol::frames::StreamPosition {
                epoch: bobs_epoch,
                cursor: bobs_cursor,
            }),
            acked_in: vec![bobs_epoch],
        })
        .await;
    let mut got = Vec::new();
    loop {
        match phone.next().await {
            RelayFrame::History { kept } => {
                assert_eq!(kept.len(), 1);
                assert_eq!(
                    kept[0].through,
                    Some(bobs_cursor),
                    "the old epoch is kept through what Bob had"
                );
            }
            RelayFrame::Message { message, .. } => got.push(message.text.as_str().to_owned()),
            RelayFrame::CaughtUp { .. } => break,
            RelayFrame::Conversation(_) | RelayFrame::Receipt { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, ["held while it was down"]);
    relay.stop().await;
}

/// Another node takes Bob out of the group and holds the chat's lock while
/// a batch with Bob's send waits for it: the batch then judges by the
/// members as they are after the change (Bob's send is refused), not as
/// they were when it began waiting.
#[test]
#[ignore = "needs a PostgreSQL server of its own: cargo xtask test runs it"]
fn a_batch_waiting_for_a_chat_judges_by_its_members_after_the_wait() {
    use candor_relay::Storage;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = support::postgres::database_for(dir.path()).expect("CANDOR_TEST_POSTGRES");
    let store = std::sync::Arc::new(candor_relay::PostgresStorage::open(&url).expect("open"));
    let now = chrono::Utc::now();
    let user = |h: &str| store.create_user(h, h, "h", now).expect("user").id;
    let (alice, bob, cleo) = (user("alice"), user("bob"), user("cleo"));
    let group = store
        .create_group(alice, "Trip", &[bob, cleo], now)
        .expect("group")
        .0[0]
        .1
        .id;

    // The other node: Bob removed, the chat's row locked until it commits.
    let mut other = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let mut change = other.transaction().expect("begin");
    change
        .execute(
            "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE",
            &[&group.to_string()],
        )
        .expect("lock");
    change
        .execute(
            "DELETE FROM members WHERE conversation_id = $1 AND user_id = $2",
            &[&group.to_string(), &bob.to_string()],
        )
        .expect("remove");

    let sending = {
        let store = store.clone();
        std::thread::spawn(move || {
            store
                .store_messages(vec![candor_relay::storage::NewMessage {
                    photos: Vec::new(),
                    sender: bob,
                    client_id: MessageId::new(),
                    to: Recipient::Conversation { id: group },
                    text: MessageText::new("am I still in?").expect("text"),
                    card: None,
                    reply: None,
                    reaction: None,
                    at: chrono::Utc::now(),
                }])
                .expect("the batch")
        })
    };
    // Until the batch waits on the chat's lock.
    let mut watch = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 = watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .expect("activity")
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the batch never waited for the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    change.commit().expect("commit the removal");
    let results = sending.join().expect("the batch");
    assert!(
        matches!(results[0], Err(candor_relay::StorageError::NotMember)),
        "{:?}",
        results[0].as_ref().map(|s| s.message.seq)
    );
    drop(store);
}

/// Two nodes' batches at the same moment, racing for the same rows: a send
/// resent through the other node (the app's outbox after a failover), and a
/// direct chat begun from both ends. Batches judge before they take the
/// stream's lock, so these meet in the database: each send is stored once,
/// both copies answer with the same message, the chat gets both messages
/// with seqs 1 and 2, and the stream stays gapless.
#[test]
#[ignore = "needs a PostgreSQL server of its own: cargo xtask test runs it"]
fn batches_of_two_nodes_racing_for_one_send_or_one_chat_store_each_once() {
    use candor_relay::Storage;
    use candor_relay::storage::NewMessage;
    use std::sync::{Arc, Barrier};

    let dir = tempfile::tempdir().expect("tempdir");
    let url = support::postgres::database_for(dir.path()).expect("CANDOR_TEST_POSTGRES");
    let nodes = [
        Arc::new(candor_relay::PostgresStorage::open(&url).expect("node one")),
        Arc::new(candor_relay::PostgresStorage::open(&url).expect("node two")),
    ];
    let now = chrono::Utc::now();
    let send = |sender, client_id, user| NewMessage {
        photos: Vec::new(),
        sender,
        client_id,
        to: Recipient::Direct { user },
        text: MessageText::new("hello").expect("text"),
        card: None,
        reply: None,
        reaction: None,
        at: chrono::Utc::now(),
    };
    let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        let user = |h: String| nodes[0].create_user(&h, &h, "h", now).expect("user").id;
        let (alice, bob) = (user(format!("a{round}")), user(format!("b{round}")));
        // Node one: Alice's first message to Bob, and her resent one;
        // node two: Bob's first message to Alice, and the same resent one.
        let resent = MessageId::new();
        let batches = [
            vec![send(alice, MessageId::new(), bob), send(alice, resent, bob)],
            vec![send(bob, MessageId::new(), alice), send(alice, resent, bob)],
        ];
        let start = Arc::new(Barrier::new(2));
        let running: Vec<_> = batches
            .into_iter()
            .zip(nodes.iter().cloned())
            .map(|(batch, node)| {
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    node.store_messages(batch).expect("the batch")
                })
            })
            .collect();
        let results: Vec<_> = running
            .into_iter()
            .flat_map(|t| t.join().expect("a node"))
            .map(|r| r.expect("every send is stored"))
            .collect();
        let (first_a, resent_1, first_b, resent_2) =
            (&results[0], &results[1], &results[2], &results[3]);
        assert_eq!(
            resent_1.message.server_id, resent_2.message.server_id,
            "round {round}: the resent send is one message"
        );
        assert!(
            resent_1.duplicate != resent_2.duplicate,
            "round {round}: one stored it, the other found it"
        );
        assert_eq!(resent_1.cursor, resent_2.cursor, "round {round}");
        assert!(
            first_a.created != first_b.created,
            "round {round}: one node made the chat, and only it announces it"
        );
        for stored in [first_a, first_b, resent_1] {
            let id = stored.message.server_id.to_string();
            let row = db
                .query_one(
                    "SELECT cursor, seq FROM messages WHERE server_id = $1",
                    &[&id],
                )
                .expect("stored");
            let (cursor, seq): (i64, i64) = (row.get(0), row.get(1));
            assert_eq!(
                (cursor as u64, seq),
                (stored.cursor, stored.message.seq),
                "round {round}: answered as stored"
            );
        }
        let mut seqs = vec![
            first_a.message.seq,
            first_b.message.seq,
            resent_1.message.seq,
        ];
        seqs.sort();
        assert_eq!(
            seqs,
            [1, 2, 3],
            "round {round}: one chat, seqs without gaps"
        );
        assert_eq!(
            first_a.message.conversation_id, first_b.message.conversation_id,
            "round {round}"
        );
    }
    let row = db
        .query_one(
            "SELECT count(*), min(cursor), max(cursor) FROM messages",
            &[],
        )
        .expect("the stream");
    let (count, min, max): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(count, 3 * ROUNDS as i64, "each send once");
    assert_eq!((min, max), (1, count), "cursors 1..n, no gaps");
}
