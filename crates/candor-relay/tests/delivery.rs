//! Messages over real WebSockets: durable, idempotent, ordered, caught up by
//! cursor, and only for members.

mod support;

use std::time::Duration;

use candor_protocol::api::ErrorCode;
use candor_protocol::frames::{ClientFrame, Recipient, RelayFrame, direct_conversation_id};
use candor_protocol::{MAX_TEXT_CHARS, MessageId, MessageText, PROTOCOL_VERSION, UserId};
use support::flaky::FlakyStorage;
use support::{Client, Relay};

fn send(to: Recipient, text: &str) -> (MessageId, ClientFrame) {
    let id = MessageId::new();
    (
        id,
        ClientFrame::Send {
            photos: Vec::new(),
            reaction: None,
            client_id: id,
            to,
            text: MessageText::new(text).expect("text"),
            card: None,
            reply: None,
        },
    )
}

fn direct(user: UserId) -> Recipient {
    Recipient::Direct { user }
}

/// Catches up from `after` and returns the message texts in order and the cursor.
async fn catch_up(client: &mut Client, after: u64) -> (Vec<(i64, String)>, u64) {
    let after = client.at(after);
    client
        .send(&ClientFrame::CatchUp {
            after,
            acked_in: Vec::new(),
        })
        .await;
    let mut out = Vec::new();
    loop {
        match client.next().await {
            RelayFrame::Conversation(_) | RelayFrame::History { .. } => {}
            RelayFrame::Message { message, .. } => {
                out.push((message.seq, message.text.as_str().to_owned()))
            }
            RelayFrame::CaughtUp { cursor } => return (out, cursor),
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

#[tokio::test]
async fn alice_to_bob_live_with_an_ack_after_storage() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    assert!(catch_up(&mut b, 0).await.0.is_empty());

    let (id, frame) = send(direct(bob.user.id), "hi bob");
    a.send(&frame).await;
    let RelayFrame::Ack {
        client_id,
        seq,
        conversation_id,
        ..
    } = a.next().await
    else {
        panic!("expected an ack");
    };
    assert_eq!(client_id, id);
    assert_eq!(seq, 1);
    assert_eq!(
        conversation_id,
        direct_conversation_id(alice.user.id, bob.user.id)
    );

    let RelayFrame::Conversation(info) = b.next().await else {
        panic!("conversation first")
    };
    assert_eq!(info.members.len(), 2);
    let RelayFrame::Message { message, .. } = b.next().await else {
        panic!("then the message")
    };
    assert_eq!(message.text.as_str(), "hi bob");
    assert_eq!(message.sender_id, alice.user.id);
    assert_eq!(message.client_id, id);
    relay.stop().await;
}

#[tokio::test]
async fn the_senders_other_devices_get_the_message_and_the_sending_one_its_ack() {
    let relay = Relay::start().await;
    let (_alice, mut laptop) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let phone_session = relay.sign_in("alice").await;
    let mut phone = support::Client::connect(&relay, &phone_session.token)
        .await
        .expect("phone");
    for client in [&mut laptop, &mut phone, &mut b] {
        assert!(catch_up(client, 0).await.0.is_empty());
    }

    let (id, frame) = send(direct(bob.user.id), "from the laptop");
    laptop.send(&frame).await;
    // The new chat's description may come before the ack.
    loop {
        match laptop.next().await {
            RelayFrame::Conversation(_) => {}
            RelayFrame::Ack { client_id, .. } if client_id == id => break,
            other => panic!("expected the ack, got {other:?}"),
        }
    }
    // The phone hears of the new chat, then gets the message itself.
    assert!(matches!(phone.next().await, RelayFrame::Conversation(_)));
    let RelayFrame::Message { message, .. } = phone.next().await else {
        panic!("the phone gets the message")
    };
    assert_eq!(message.client_id, id);
    assert!(matches!(b.next().await, RelayFrame::Conversation(_)));
    assert!(matches!(b.next().await, RelayFrame::Message { .. }));
    // The laptop had its ack: no copy of its own message follows.
    while let Some(frame) = laptop.try_next(Duration::from_millis(300)).await {
        assert!(
            matches!(frame, RelayFrame::Conversation(_)),
            "the sending connection got {frame:?}"
        );
    }
    relay.stop().await;
}

#[tokio::test]
async fn offline_member_catches_up_in_order_and_resumes_from_a_cursor() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    relay.sign_up("bob", "Bob").await;
    let bob = relay.sign_in("bob").await;
    for text in ["one", "two", "three"] {
        a.send(&send(direct(bob.user.id), text).1).await;
        assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    }
    let mut b = Client::connect(&relay, &bob.token)
        .await
        .expect("bob connects");
    let (got, cursor) = catch_up(&mut b, 0).await;
    assert_eq!(
        got,
        [(1, "one".into()), (2, "two".into()), (3, "three".into())]
    );
    drop(b);

    a.send(&send(direct(bob.user.id), "four").1).await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    let mut b = Client::connect(&relay, &bob.token)
        .await
        .expect("bob reconnects");
    let (got, _) = catch_up(&mut b, cursor).await;
    assert_eq!(got, [(4, "four".into())], "only what came after the cursor");
    relay.stop().await;
}

#[tokio::test]
async fn a_repeated_client_id_gets_the_same_ack_and_is_stored_once() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    catch_up(&mut b, 0).await;
    let (_, frame) = send(direct(bob.user.id), "once");
    a.send(&frame).await;
    let first = a.next().await;
    a.send(&frame).await;
    let second = a.next().await;
    assert_eq!(first, second);
    assert!(matches!(b.next().await, RelayFrame::Conversation(_)));
    assert!(matches!(b.next().await, RelayFrame::Message { .. }));
    assert!(
        b.try_next(Duration::from_millis(300)).await.is_none(),
        "delivered once"
    );
    let (got, _) = catch_up(&mut b, 0).await;
    assert_eq!(got.len(), 1);
    relay.stop().await;
}

#[tokio::test]
async fn concurrent_senders_share_one_gapless_sequence() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let to_bob = direct(bob.user.id);
    let to_alice = direct(alice.user.id);
    let sends_a = async {
        for i in 0..40 {
            a.send(&send(to_bob.clone(), &format!("a{i}")).1).await;
            assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
        }
    };
    let sends_b = async {
        for i in 0..40 {
            b.send(&send(to_alice.clone(), &format!("b{i}")).1).await;
            // Bob is not subscribed yet, so only acks arrive.
            assert!(matches!(b.next().await, RelayFrame::Ack { .. }));
        }
    };
    tokio::join!(sends_a, sends_b);
    let mut c = Client::connect(&relay, &relay.sign_in("bob").await.token)
        .await
        .expect("connect");
    let (got, _) = catch_up(&mut c, 0).await;
    let seqs: Vec<i64> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (1..=80).collect::<Vec<_>>());
    // Each sender's own messages keep the order they were sent in.
    let a_texts: Vec<_> = got
        .iter()
        .filter(|(_, t)| t.starts_with('a'))
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(
        a_texts,
        (0..40).map(|i| format!("a{i}")).collect::<Vec<_>>()
    );
    relay.stop().await;
}

#[tokio::test]
async fn non_members_can_neither_post_nor_read() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, _b) = relay.user("bob", "Bob").await;
    let (_, mut carol) = relay.user("carol", "Carol").await;
    a.send(&send(direct(bob.user.id), "private").1).await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));

    let chat = direct_conversation_id(alice.user.id, bob.user.id);
    let (id, frame) = send(Recipient::Conversation { id: chat }, "let me in");
    carol.send(&frame).await;
    let RelayFrame::Error { error, client_id } = carol.next().await else {
        panic!("refused")
    };
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert_eq!(client_id, Some(id));
    let (got, _) = catch_up(&mut carol, 0).await;
    assert!(got.is_empty(), "carol reads nothing of alice and bob");
    relay.stop().await;
}

#[tokio::test]
async fn sending_to_an_unknown_user_is_refused_with_the_client_id() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    let (id, frame) = send(direct(UserId::new()), "hello?");
    a.send(&frame).await;
    let RelayFrame::Error { error, client_id } = a.next().await else {
        panic!("refused")
    };
    assert_eq!(error.code, ErrorCode::NotFound);
    assert_eq!(client_id, Some(id));
    relay.stop().await;
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_connection_stays_up() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    let (bob, _) = relay.user("bob", "Bob").await;
    a.send_text("{this is not json").await;
    let RelayFrame::Error { error, .. } = a.next().await else {
        panic!("error frame")
    };
    assert_eq!(error.code, ErrorCode::Malformed);

    a.send_text(r#"{"type":"warp_drive"}"#).await;
    let RelayFrame::Error { error, .. } = a.next().await else {
        panic!("error frame")
    };
    assert_eq!(error.code, ErrorCode::Invalid);

    // Text over the limit is refused with the send's client id.
    let id = MessageId::new();
    let long = serde_json::json!({
        "type": "send", "client_id": id,
        "to": {"kind": "direct", "user": bob.user.id},
        "text": "x".repeat(MAX_TEXT_CHARS + 1), "card": null
    });
    a.send_text(&long.to_string()).await;
    let RelayFrame::Error { error, client_id } = a.next().await else {
        panic!("error frame")
    };
    assert_eq!(error.code, ErrorCode::Invalid);
    assert_eq!(client_id, Some(id));
    assert!(error.message.contains("4000"), "{}", error.message);

    // Still connected: a good send works.
    a.send(&send(direct(bob.user.id), "fine").1).await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    relay.stop().await;
}

#[tokio::test]
async fn an_oversized_frame_is_refused_and_the_connection_closed() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    a.send_text(&"x".repeat(candor_protocol::frames::MAX_FRAME_BYTES + 10))
        .await;
    assert!(a.closed().await);
    relay.stop().await;
}

/// Says `hello` (raw JSON, as a client of any version sends it) and returns
/// the relay's refusal, once the connection has closed.
async fn refused_hello(hello: &str) -> candor_protocol::api::ApiError {
    let relay = Relay::start().await;
    relay.sign_up("alice", "Alice").await;
    let session = relay.sign_in("alice").await;
    let mut c = Client::open(&relay, Some(&session.token), None)
        .await
        .expect("open");
    c.send_text(hello).await;
    let RelayFrame::Error { error, .. } = c.next().await else {
        panic!("error frame")
    };
    assert!(c.closed().await);
    relay.stop().await;
    error
}

#[tokio::test]
async fn a_protocol_version_mismatch_gets_an_error_then_a_close() {
    let newer = format!(
        r#"{{"type":"hello","protocol_version":{}}}"#,
        PROTOCOL_VERSION + 1
    );
    let error = refused_hello(&newer).await;
    assert_eq!(error.code, ErrorCode::VersionMismatch);
    assert!(
        error.message.contains("the relay needs an update"),
        "{}",
        error.message
    );
}

/// A protocol 1 client (before epochs) is told plainly to update, not left
/// to fail in silence.
#[tokio::test]
async fn a_protocol_1_client_is_told_to_update_candor() {
    let error = refused_hello(r#"{"type":"hello","protocol_version":1}"#).await;
    assert_eq!(error.code, ErrorCode::VersionMismatch);
    assert!(
        error.message.contains("please update Candor"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn the_upgrade_needs_a_valid_token_and_no_foreign_origin() {
    let relay = Relay::start().await;
    relay.sign_up("alice", "Alice").await;
    let session = relay.sign_in("alice").await;
    let none = Client::open(&relay, None, None)
        .await
        .err()
        .expect("no token");
    assert!(none.contains("401"), "{none}");
    let forged = Client::open(&relay, Some("forged"), None)
        .await
        .err()
        .expect("bad token");
    assert!(forged.contains("401"), "{forged}");
    let page = Client::open(&relay, Some(&session.token), Some("https://evil.example"))
        .await
        .err()
        .expect("foreign origin");
    assert!(page.contains("403"), "{page}");
    relay.stop().await;
}

#[tokio::test]
async fn acknowledged_messages_survive_a_relay_restart() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    relay.sign_up("bob", "Bob").await;
    let bob = relay.sign_in("bob").await;
    a.send(&send(direct(bob.user.id), "kept").1).await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    let data = relay.data.clone();
    let dir = relay.stop().await;
    let relay = Relay::start_in(data, None).await;
    let mut b = Client::connect(&relay, &bob.token)
        .await
        .expect("session survives too");
    let (got, _) = catch_up(&mut b, 0).await;
    assert_eq!(got, [(1, "kept".into())]);
    relay.stop().await;
    drop(dir);
}

/// Copies the relay's data directory (stopped) to `to`, as a backup.
///
/// Waits first for the relay to let go of the directory (its lock file comes
/// free when the store closes): a WebSocket task still ending can hold the
/// store open a moment after `stop`, and SQLite folds and deletes its
/// journal files when it closes, which a copy made meanwhile would miss.
fn back_up(from: &std::path::Path, to: &std::path::Path) {
    if support::postgres::server().is_some() {
        return support::postgres::copy(from, to);
    }
    let lock = std::fs::File::open(from.join("relay.lock")).expect("the relay's lock file");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while lock.try_lock().is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the stopped relay kept its directory for 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(lock);
    for entry in std::fs::read_dir(from).expect("read data dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "lock") {
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

/// Defect 1 of the delivery issue: a relay restored from an older copy, then
/// k messages stored. A device that caught up past the copy before the
/// restore, and was offline through it, still gets all k: its position names
/// an epoch whose tail the copy lacks, so catch-up starts where both
/// histories agree. (Before, it started at min(cursor, stream end) and
/// skipped up to k of them.) Its History says so too.
#[tokio::test]
async fn after_a_restore_every_new_message_reaches_a_device_that_was_ahead() {
    let backup = tempfile::tempdir().expect("backup dir");
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, _) = relay.user("bob", "Bob").await;
    let to_bob = || direct(bob.user.id);
    a.send(&send(to_bob(), "in the backup").1).await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    let data = relay.data.clone();
    let dir = relay.stop().await;
    back_up(&data, backup.path());

    // The live relay goes on: Bob reads three more, then the disk is lost.
    let relay = Relay::start_in(data.clone(), None).await;
    let mut a = Client::connect(&relay, &alice.token).await.expect("alice");
    for i in 0..3 {
        a.send(&send(to_bob(), &format!("lost {i}")).1).await;
        assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    }
    let mut b = Client::connect(&relay, &bob.token).await.expect("bob");
    let lost_epoch = b.epoch.expect("epoch");
    let (got, bobs_cursor) = catch_up(&mut b, 0).await;
    assert_eq!(got.len(), 4);
    relay.stop().await;
    drop(dir);

    // Restored from the backup; k = 2 new messages, with the cursors and seqs
    // the lost ones had.
    let relay = Relay::start_in(backup.path().to_path_buf(), None).await;
    let mut a = Client::connect(&relay, &alice.token).await.expect("alice");
    for text in ["after the restore 1", "after the restore 2"] {
        a.send(&send(to_bob(), text).1).await;
        assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    }
    let mut b = Client::connect(&relay, &bob.token).await.expect("bob");
    b.send(&ClientFrame::CatchUp {
        after: Some(candor_protocol::frames::StreamPosition {
            epoch: lost_epoch,
            cursor: bobs_cursor,
        }),
        acked_in: vec![lost_epoch],
    })
    .await;
    // The embedded store begins an epoch each time the relay opens its data,
    // so the copy never saw the one the lost messages went into. On
    // PostgreSQL an epoch is the database's, and the copy holds it through
    // the first message (cursor 1), which Bob has: he gets what follows.
    let on_postgres = support::postgres::server().is_some();
    let (kept_through, from_seq) = if on_postgres { (Some(1), 1) } else { (None, 0) };
    let mut got = Vec::new();
    loop {
        match b.next().await {
            RelayFrame::History { kept } => {
                assert_eq!(kept.len(), 1);
                assert_eq!(kept[0].epoch, lost_epoch);
                assert_eq!(
                    kept[0].through, kept_through,
                    "how much of it the copy holds"
                );
            }
            RelayFrame::Conversation(_) | RelayFrame::Receipt { .. } => {}
            RelayFrame::Message { message, .. } => {
                got.push((message.seq, message.text.as_str().to_owned()))
            }
            RelayFrame::CaughtUp { .. } => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    let all: [(i64, String); 3] = [
        (1, "in the backup".into()),
        (2, "after the restore 1".into()),
        (3, "after the restore 2".into()),
    ];
    assert_eq!(
        got,
        all.iter()
            .filter(|(seq, _)| *seq > from_seq)
            .cloned()
            .collect::<Vec<_>>(),
        "from where both histories agree"
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_cursor_beyond_the_stream_end_still_gets_new_messages() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let (_, cursor) = catch_up(&mut b, u64::MAX / 2).await;
    assert_eq!(cursor, 0, "the relay says where its stream really ends");
    a.send(&send(direct(bob.user.id), "new").1).await;
    assert!(matches!(b.next().await, RelayFrame::Conversation(_)));
    assert!(matches!(b.next().await, RelayFrame::Message { .. }));
    relay.stop().await;
}

/// Defect 9 of the delivery issue: the relay kept reading nothing while it
/// sent a catch-up, so a device with a long backlog that also sends (acks to
/// wait for, receipts) could fill both sockets' buffers. Now the client's
/// frames are served between pages: a send made right after asking to catch
/// up is acknowledged before the catch-up ends, and every message still
/// arrives once, in order, with nothing live lost around the end.
#[tokio::test]
async fn a_long_catch_up_keeps_serving_the_clients_frames() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    relay.sign_up("bob", "Bob").await;
    let bob = relay.sign_in("bob").await;
    // Long enough that the catch-up cannot fit in the two sockets' buffers
    // (loopback buffers grow to several MiB): Bob's slow reading below then
    // holds the relay's writes back, and the catch-up lasts.
    const BACKLOG: usize = 4000;
    let text = |i: usize| format!("m{i} {}", "x".repeat(3_000));
    for i in 0..BACKLOG {
        a.send(&send(direct(bob.user.id), &text(i)).1).await;
    }
    for _ in 0..BACKLOG {
        assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    }

    let mut b = Client::connect(&relay, &bob.token).await.expect("bob");
    b.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    let (mine, frame) = send(direct(alice.user.id), "sent while catching up");
    b.send(&frame).await;
    // Alice writes during the catch-up too: live, or in a later page.
    a.send(&send(direct(bob.user.id), "live during the catch-up").1)
        .await;
    let (mut got, mut acked_at) = (Vec::new(), None);
    loop {
        if acked_at.is_none() {
            // Bob reads slowly until his ack comes: with more backlog than
            // the buffers hold, the catch-up lasts seconds, long enough for
            // the send to be stored however slow the disk. A relay that read
            // nothing while catching up would still answer only after
            // `caught_up`.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        match b.next().await {
            RelayFrame::Message { message, .. } => got.push(message.text.as_str().to_owned()),
            RelayFrame::Ack { client_id, .. } if client_id == mine => acked_at = Some(got.len()),
            RelayFrame::CaughtUp { .. } => break,
            _ => {}
        }
    }
    let acked_at = acked_at.expect("the send was acknowledged before the catch-up ended");
    assert!(
        acked_at < BACKLOG,
        "acknowledged after {acked_at} of {BACKLOG} messages"
    );
    if !got.iter().any(|t| t == "live during the catch-up") {
        // Alice's last one came after the last page: it follows live.
        loop {
            if let RelayFrame::Message { message, .. } = b.next().await {
                got.push(message.text.as_str().to_owned());
                break;
            }
        }
    }
    // Bob's own message may come in a page (his stream holds it); the app
    // knows it by its id.
    got.retain(|t| t != "sent while catching up");
    let mut want: Vec<String> = (0..BACKLOG).map(text).collect();
    want.push("live during the catch-up".into());
    assert!(
        got == want,
        "{} messages, {} expected; first difference at {:?}",
        got.len(),
        want.len(),
        got.iter().zip(&want).position(|(g, w)| g != w)
    );
    relay.stop().await;
}

/// A storage error in the middle of catch-up ends the connection, after an
/// error frame, instead of leaving it open and deaf (no `caught_up`, live
/// frames dropped); the client connects again and gets everything.
#[tokio::test]
async fn a_storage_error_during_catch_up_closes_the_connection() {
    let mut flaky = None;
    let relay = Relay::start_with(|data| {
        let store = std::sync::Arc::new(FlakyStorage::open(data));
        flaky = Some(store.clone());
        store
    })
    .await;
    let flaky = flaky.expect("the store");
    let (_, mut a) = relay.user("alice", "Alice").await;
    relay.sign_up("bob", "Bob").await;
    let bob = relay.sign_in("bob").await;
    // More than one catch-up page (500 messages).
    const SENT: usize = 520;
    for i in 0..SENT {
        a.send(&send(direct(bob.user.id), &format!("m{i}")).1).await;
    }
    for _ in 0..SENT {
        assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    }

    // The first page is read, the second fails.
    flaky.fail_stream_read_after(1);
    let mut b = Client::connect(&relay, &bob.token)
        .await
        .expect("bob connects");
    b.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    let mut got = 0;
    loop {
        match b.next().await {
            RelayFrame::Conversation(_) | RelayFrame::History { .. } => {}
            RelayFrame::Message { .. } => got += 1,
            RelayFrame::Error { .. } => break,
            other => panic!("expected messages then an error, got {other:?}"),
        }
    }
    assert_eq!(got, 500, "the first page came before the error");
    assert!(
        b.closed().await,
        "the relay left the connection open after the error"
    );

    let mut b = Client::connect(&relay, &bob.token)
        .await
        .expect("bob reconnects");
    let (all, _) = catch_up(&mut b, 0).await;
    assert_eq!(all.len(), SENT, "a second catch-up gets everything");
    relay.stop().await;
}

/// A client that goes silent (a half-open link, a device gone without a word)
/// is pinged, and its connection closed once nothing has come back for
/// `silent_after`, instead of holding its hub slot and buffers for ever.
#[tokio::test]
async fn a_connection_that_goes_silent_is_closed() {
    let relay = Relay::start_configured(|c| {
        c.ping_every = Duration::from_millis(100);
        c.silent_after = Duration::from_millis(500);
    })
    .await;
    let (_, a) = relay.user("alice", "Alice").await;
    let connections = || async {
        let body = relay.get_text("/metrics").await;
        body.lines()
            .find_map(|l| l.strip_prefix("candor_relay_connections "))
            .and_then(|n| n.trim().parse::<i64>().ok())
            .expect("the connections gauge")
    };
    assert_eq!(connections().await, 1);
    // `a` is never read from again, so its pongs are never written: from the
    // relay's side, the link has gone quiet.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while connections().await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay kept a silent connection open for 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(a);
    relay.stop().await;
}

/// A device that finds a hole in a chat's seqs asks for it: it gets the
/// messages in the hole, as Found (no stream position), then Fetched. Someone
/// who is not in the chat gets nothing, not even a sign that it exists; a
/// range out of bounds is refused with a clear error.
#[tokio::test]
async fn a_fetch_fills_a_hole_for_members_only() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let (_, mut mallory) = relay.user("mallory", "Mallory").await;
    let mut chat = None;
    for i in 1..=5 {
        a.send(&send(direct(bob.user.id), &format!("m{i}")).1).await;
        if let RelayFrame::Ack {
            conversation_id, ..
        } = a.next().await
        {
            chat = Some(conversation_id);
        }
    }
    let chat = chat.expect("the chat");
    let fetch = ClientFrame::Fetch {
        conversation_id: chat,
        after_seq: 1,
        before_seq: 5,
    };
    b.send(&fetch).await;
    let mut found = Vec::new();
    loop {
        match b.next().await {
            RelayFrame::Found { message } => {
                found.push((message.seq, message.text.as_str().to_owned()))
            }
            RelayFrame::Fetched {
                after_seq,
                before_seq,
                ..
            } => {
                assert_eq!((after_seq, before_seq), (1, 5));
                break;
            }
            RelayFrame::Conversation(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        found,
        [(2, "m2".into()), (3, "m3".into()), (4, "m4".into())]
    );

    mallory.send(&fetch).await;
    match mallory.next().await {
        RelayFrame::Fetched { .. } => {}
        other => panic!("an outsider gets an empty answer, not {other:?}"),
    }
    let too_wide = ClientFrame::Fetch {
        conversation_id: chat,
        after_seq: 0,
        before_seq: 10_000,
    };
    b.send(&too_wide).await;
    let RelayFrame::Error { error, .. } = b.next().await else {
        panic!("a fetch of 10,000 seqs is refused")
    };
    assert_eq!(error.code, ErrorCode::Invalid);
    relay.stop().await;
}

/// Defect 7 of the internet-ready relay issue: nothing was ever deleted and
/// nothing bounded what one account stored, so one account could fill the
/// relay's disk. Past its daily quota a send is refused with a typed error
/// that names the quota, against that sender alone.
#[tokio::test]
async fn a_send_past_the_daily_quota_is_refused_with_a_sentence() {
    let relay = Relay::start_configured(|c| {
        c.quotas = candor_relay::storage::Quotas {
            messages_per_day: 5,
            stored_bytes: 0,
        }
    })
    .await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    for i in 0..5 {
        a.send(&send(direct(bob.user.id), &format!("m{i}")).1).await;
        assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    }
    let (over, frame) = send(direct(bob.user.id), "one too many");
    a.send(&frame).await;
    let RelayFrame::Error { error, client_id } = a.next().await else {
        panic!("refused")
    };
    assert_eq!(client_id, Some(over));
    assert_eq!(error.code, ErrorCode::QuotaExceeded);
    assert!(
        error.message.contains("5 messages today"),
        "{}",
        error.message
    );
    // Bob's quota is his own.
    b.send(&send(direct(alice.user.id), "still here").1).await;
    loop {
        match b.next().await {
            RelayFrame::Ack { .. } => break,
            RelayFrame::Error { error, .. } => panic!("Bob refused: {error:?}"),
            _ => {}
        }
    }
    relay.stop().await;
}

/// A reply carries its quote (author, client id, the replier's excerpt) to
/// every member and through catch-up; a quote of a message from another chat
/// is refused, so a reply cannot lift words out of a conversation.
#[tokio::test]
async fn a_reply_carries_its_quote_and_quotes_only_its_own_chat() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let (carol, _) = relay.user("carol", "Carol").await;
    let (original, frame) = send(direct(bob.user.id), "lunch at noon?");
    a.send(&frame).await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    let quote = candor_protocol::Quote::of(alice.user.id, original, "lunch at noon?");
    let reply = ClientFrame::Send {
        photos: Vec::new(),
        reaction: None,
        client_id: MessageId::new(),
        to: direct(alice.user.id),
        text: MessageText::new("yes!").expect("text"),
        card: None,
        reply: Some(quote.clone()),
    };
    b.send(&reply).await;
    loop {
        match b.next().await {
            RelayFrame::Ack { .. } => break,
            RelayFrame::Error { error, .. } => panic!("refused: {error:?}"),
            _ => {}
        }
    }
    a.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    let mut replies = Vec::new();
    loop {
        match a.next().await {
            RelayFrame::Message { message, .. } => replies.push(message.reply),
            RelayFrame::CaughtUp { .. } => break,
            _ => {}
        }
    }
    assert_eq!(
        replies,
        [None, Some(quote.clone())],
        "the quote as Bob sent it"
    );

    // Bob quotes Alice's message to him in a chat with Carol.
    let lifted = ClientFrame::Send {
        photos: Vec::new(),
        reaction: None,
        client_id: MessageId::new(),
        to: direct(carol.user.id),
        text: MessageText::new("look what Alice said").expect("text"),
        card: None,
        reply: Some(quote),
    };
    b.send(&lifted).await;
    let code = loop {
        match b.next().await {
            RelayFrame::Error { error, .. } => break error.code,
            RelayFrame::Ack { .. } => panic!("a quote from another chat was stored"),
            _ => {}
        }
    };
    assert_eq!(code, ErrorCode::Invalid);
    relay.stop().await;
}

/// A reaction Bob sends to `to`: `emoji` on `message` by `author`.
fn reaction(to: Recipient, author: UserId, message: MessageId, emoji: &str) -> ClientFrame {
    ClientFrame::Send {
        photos: Vec::new(),
        client_id: MessageId::new(),
        to,
        text: MessageText::new(emoji).expect("text"),
        card: None,
        reply: None,
        reaction: Some(candor_protocol::Reaction {
            author,
            message,
            removed: false,
        }),
    }
}

/// The relay's answer to a send: stored, or refused with a code.
async fn answer(client: &mut Client) -> Result<(), ErrorCode> {
    loop {
        match client.next().await {
            RelayFrame::Ack { .. } => return Ok(()),
            RelayFrame::Error { error, .. } => return Err(error.code),
            _ => {}
        }
    }
}

/// A reaction travels as a message of its chat (stored, delivered, caught
/// up, with its emoji and what it is on), and only as one emoji, in a chat
/// that exists, on a message of that chat that is not itself a reaction.
#[tokio::test]
async fn a_reaction_is_one_emoji_on_a_message_of_its_own_chat() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let (carol, mut c) = relay.user("carol", "Carol").await;
    let to_alice = direct(alice.user.id);
    let (lunch, frame) = send(direct(bob.user.id), "lunch at noon?");
    a.send(&frame).await;
    answer(&mut a).await.expect("stored");

    // A reaction never makes a chat (Bob and Carol have none): it is told to
    // come again (after a restore, the chat's first message is on its way).
    b.send(&reaction(direct(carol.user.id), alice.user.id, lunch, "❤️"))
        .await;
    assert_eq!(answer(&mut b).await, Err(ErrorCode::NotYet));
    b.send(&send(to_alice.clone(), "sure").1).await;
    answer(&mut b).await.expect("answered");

    let heart = reaction(to_alice.clone(), alice.user.id, lunch, "❤️");
    b.send(&heart).await;
    answer(&mut b).await.expect("a reaction is stored");
    a.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    let mut got = Vec::new();
    loop {
        match a.next().await {
            RelayFrame::Message { message, .. } => {
                got.push((message.text.as_str().to_owned(), message.reaction))
            }
            RelayFrame::CaughtUp { .. } => break,
            _ => {}
        }
    }
    let ClientFrame::Send { reaction: sent, .. } = &heart else {
        unreachable!()
    };
    assert_eq!(
        got,
        [
            ("lunch at noon?".to_owned(), None),
            ("sure".to_owned(), None),
            ("❤️".to_owned(), sent.clone()),
        ]
    );

    // Not one emoji; on a reaction; on a message of another chat.
    for refused in [
        reaction(to_alice.clone(), alice.user.id, lunch, "love it"),
        reaction(to_alice.clone(), alice.user.id, lunch, "❤️❤️"),
        reaction(
            to_alice.clone(),
            bob.user.id,
            match &heart {
                ClientFrame::Send { client_id, .. } => *client_id,
                _ => unreachable!(),
            },
            "😂",
        ),
    ] {
        b.send(&refused).await;
        assert_eq!(answer(&mut b).await, Err(ErrorCode::Invalid));
    }
    let (to_carol, frame) = send(direct(carol.user.id), "hi carol");
    a.send(&frame).await;
    answer(&mut a).await.expect("stored");
    c.send(&send(direct(alice.user.id), "hi alice").1).await;
    answer(&mut c).await.expect("stored");
    b.send(&reaction(to_alice, alice.user.id, to_carol, "👍"))
        .await;
    assert_eq!(
        answer(&mut b).await,
        Err(ErrorCode::Invalid),
        "a reaction in Bob's chat on a message of Alice and Carol's"
    );
    relay.stop().await;
}
