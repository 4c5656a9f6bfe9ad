//! What a relay on PostgreSQL does while its database is down: it says so
//! (`/healthz`, a typed error for each send, never an ack), holds on to
//! its clients, and once the database is back it takes the same sends
//! again, once each, and the clients catch up across the new epoch.
//!
//! These tests stop and start a server, so they need one of their own:
//! `cargo xtask test` starts it and names it, with a script that stops and
//! starts it (`CANDOR_TEST_POSTGRES`, `CANDOR_TEST_POSTGRES_CTL`). Without
//! those they are not run (`--ignored` runs them, and then they insist).

mod support;

use std::time::{Duration, Instant};

use candor_protocol::api::ErrorCode;
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
    let (_, mut a) = relay.user("alice", "Alice").await;
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
    // A send while it is down is refused with a reason, never acked: the
    // app keeps it in its outbox.
    let held = MessageId::new();
    a.send(&send(held, bob.user.id, "while it was down")).await;
    // (After the pool's wait for a connection, 5 s.)
    match a
        .try_next(Duration::from_secs(15))
        .await
        .expect("an answer")
    {
        RelayFrame::Error { error, client_id } => {
            assert_eq!(client_id, Some(held));
            assert_eq!(error.code, ErrorCode::Internal, "{}", error.message);
        }
        other => panic!("expected an error for the held send, got {other:?}"),
    }

    server("start");
    let deadline = Instant::now() + Duration::from_secs(30);
    while health(&relay).await != 200 {
        assert!(Instant::now() < deadline, "healthy again within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The app sends it again (same id), and again: stored once.
    for _ in 0..2 {
        a.send(&send(held, bob.user.id, "while it was down")).await;
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

    // Bob, connected through it all, gets it live; and a device of his that
    // comes back with the old epoch's position catches up with it once.
    let live = loop {
        match b.try_next(Duration::from_secs(5)).await {
            Some(RelayFrame::Message { message, .. }) => break message,
            Some(_) => continue,
            None => panic!("Bob got nothing live after the restart"),
        }
    };
    assert_eq!(live.client_id, held);
    let bob_again = relay.sign_in("bob").await;
    let mut phone = Client::connect(&relay, &bob_again.token)
        .await
        .expect("bob");
    assert_ne!(phone.epoch, Some(bobs_epoch), "a restart begins an epoch");
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
    assert_eq!(got, ["while it was down"]);
    relay.stop().await;
}
