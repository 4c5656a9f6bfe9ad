//! Devices running candor-core's sync engine against a real relay over real
//! WebSockets on loopback.

use std::time::Duration;

use anyhow::Result;
use candor_core::notice::Notice;
use candor_core::protocol::frames::direct_conversation_id;
use candor_core::protocol::{ConversationId, MessageId};
use candor_core::sync::Heartbeat;
use candor_core::{DeliveryStatus, NewConversation, Person};
use candor_e2e::World;
use candor_e2e::sync::{Device, RecordingProxy, eventually};

const WAIT: Duration = Duration::from_secs(15);

fn person(d: &Device) -> Person {
    Person {
        id: d.user.id,
        handle: d.user.handle.clone(),
        display_name: d.user.display_name.clone(),
    }
}

/// `from` opens the direct chat with `to` locally (as the app does when starting a
/// chat) and returns its id.
fn open_chat(from: &Device, to: &Device) -> ConversationId {
    from.open_chat_with(person(to)).expect("chat")
}

fn write(d: &Device, chat: ConversationId, text: &str) -> MessageId {
    d.write(chat, text).expect("compose").id
}

fn texts(d: &Device, chat: ConversationId) -> Vec<String> {
    d.with(|s| s.conversation_page(chat, None, 500))
        .map(|p| p.messages.into_iter().rev().map(|m| m.text).collect())
        .unwrap_or_default()
}

fn status(d: &Device, id: MessageId) -> DeliveryStatus {
    d.with(|s| s.message(id)).expect("message").status
}

/// The relay has it: sent, or already further along.
fn sent(d: &Device, id: MessageId) -> bool {
    matches!(
        status(d, id),
        DeliveryStatus::Sent | DeliveryStatus::Delivered | DeliveryStatus::Read
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_writes_and_bob_receives() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    alice.go_online()?;
    bob.go_online()?;
    let chat = open_chat(&alice, &bob);
    let id = write(&alice, chat, "hello bob");
    alice.outbox_changed().await;

    eventually(WAIT, "bob has the message", || {
        texts(&bob, chat) == ["hello bob"]
    })
    .await?;
    eventually(WAIT, "alice's message is sent", || sent(&alice, id)).await?;
    // Alice is not Bob's contact: her first message waits in his Requests.
    let bob_row = &bob.with(|s| s.requests_page(None, 10))?.items[0];
    assert_eq!(bob_row.title, "Alice");
    assert_eq!(bob_row.unread_count, 1);
    assert!(bob.with(|s| s.inbox_page(None, 10))?.items.is_empty());
    assert!(
        alice.with(|s| s.outbox())?.is_empty(),
        "the job left the outbox"
    );

    // And back.
    write(&bob, chat, "hi alice");
    bob.outbox_changed().await;
    eventually(WAIT, "alice has the reply", || {
        texts(&alice, chat) == ["hello bob", "hi alice"]
    })
    .await?;
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

/// The next notice of `notices` that `pick` takes, within `WAIT`.
async fn next_notice<T>(
    notices: &mut tokio::sync::broadcast::Receiver<Notice>,
    mut pick: impl FnMut(Notice) -> Option<T>,
) -> Result<T> {
    Ok(tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(notice) = notices.recv().await
                && let Some(found) = pick(notice)
            {
                return found;
            }
        }
    })
    .await?)
}

/// The UI applies notices without asking back, so each must carry the rows as
/// the store now holds them: the message, its chat's row, the unread count; and
/// for the sender, the status its receipt moved to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_carry_the_rows_they_announce() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    alice.go_online()?;
    bob.go_online()?;
    let mut to_bob = bob.engine.as_ref().expect("engine").subscribe();
    let mut to_alice = alice.engine.as_ref().expect("engine").subscribe();
    let chat = open_chat(&alice, &bob);
    let id = write(&alice, chat, "carried, not fetched");
    alice.outbox_changed().await;

    let (messages, chats, unread) = next_notice(&mut to_bob, |n| match n {
        Notice::MessagesAdded {
            messages,
            chats,
            unread,
            ..
        } => Some((messages, chats, unread)),
        _ => None,
    })
    .await?;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].text, "carried, not fetched");
    assert_eq!(
        messages[0],
        bob.with(|s| s.message(messages[0].id))?,
        "as stored"
    );
    assert_eq!(chats, vec![bob.with(|s| s.inbox_item(chat))?]);
    assert_eq!(chats[0].preview.as_deref(), Some("carried, not fetched"));
    assert!(chats[0].request, "a stranger's first message is a request");
    assert_eq!(unread, bob.with(|s| s.unread_summary())?);

    let (stored, row) = next_notice(&mut to_alice, |n| match n {
        Notice::MessageChanged { message, chat } if message.id == id => Some((message, chat)),
        _ => None,
    })
    .await?;
    assert_eq!(stored.status, DeliveryStatus::Sent);
    assert!(row.preview_is_own);

    // For Bob it is a Request from a stranger: his device tells her nothing,
    // not even that it arrived.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(alice.with(|s| s.message(id))?.status, DeliveryStatus::Sent);

    // Bob replies (which accepts the request) and reads it: now "seen".
    let reply = write(&bob, chat, "got it");
    bob.outbox_changed().await;
    eventually(WAIT, "bob's reply is stored", || sent(&bob, reply)).await?;
    let seq = messages[0].seq.expect("numbered");
    bob.with(|s| s.mark_read(chat, seq))?;
    bob.engine.as_ref().expect("engine").read_changed().await;
    let moved = next_notice(&mut to_alice, |n| match n {
        Notice::ReceiptMoved { messages } => messages
            .into_iter()
            .find(|m| m.id == id && m.status == DeliveryStatus::Read),
        _ => None,
    })
    .await?;
    assert_eq!(moved, alice.with(|s| s.message(id))?);
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_device_catches_up_in_order() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    alice.go_online()?;
    let chat = open_chat(&alice, &bob);
    for i in 1..=20 {
        write(&alice, chat, &format!("m{i}"));
    }
    alice.outbox_changed().await;
    eventually(WAIT, "all sent", || {
        alice
            .with(|s| s.outbox())
            .map(|o| o.is_empty())
            .unwrap_or(false)
    })
    .await?;

    bob.go_online()?;
    let expected: Vec<String> = (1..=20).map(|i| format!("m{i}")).collect();
    eventually(WAIT, "bob caught up", || texts(&bob, chat) == expected).await?;
    let seqs: Vec<i64> = bob
        .with(|s| s.conversation_page(chat, None, 100))?
        .messages
        .iter()
        .rev()
        .filter_map(|m| m.seq)
        .collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_queued_while_the_relay_is_down_is_delivered_when_it_returns() -> Result<()> {
    let mut w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    w.kill_relay().await?;

    alice.go_online()?;
    let chat = open_chat(&alice, &bob);
    let id = write(&alice, chat, "sent while the relay was down");
    alice.outbox_changed().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status(&alice, id), DeliveryStatus::Queued);

    w.start_relay_again().await?;
    bob.go_online()?;
    eventually(WAIT, "delivered after the relay returned", || {
        texts(&bob, chat) == ["sent while the relay was down"]
    })
    .await?;
    eventually(WAIT, "marked sent", || sent(&alice, id)).await?;
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_mid_stream_loses_nothing_acknowledged_and_duplicates_nothing() -> Result<()>
{
    let mut w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    alice.go_online()?;
    bob.go_online()?;
    let chat = open_chat(&alice, &bob);
    const BURST: usize = 200;
    for i in 1..=BURST {
        write(&alice, chat, &format!("m{i}"));
    }
    alice.outbox_changed().await;
    // Kill the relay while the burst is in flight (each ack waits for an fsync).
    eventually(WAIT, "some sent", || {
        alice
            .with(|s| s.outbox())
            .map(|o| o.len() < BURST)
            .unwrap_or(false)
    })
    .await?;
    let left = alice.with(|s| s.outbox())?.len();
    println!("killing the relay with {left} of {BURST} messages still queued");
    w.kill_relay().await?;
    w.start_relay_again().await?;

    let expected: Vec<String> = (1..=BURST).map(|i| format!("m{i}")).collect();
    eventually(Duration::from_secs(40), "all arrive once, in order", || {
        texts(&bob, chat) == expected
    })
    .await?;
    eventually(WAIT, "alice's outbox drains", || {
        alice
            .with(|s| s.outbox())
            .map(|o| o.is_empty())
            .unwrap_or(false)
    })
    .await?;
    assert_eq!(texts(&alice, chat), expected);
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

/// A link that drops every session soon after it opens: the device waits
/// longer after each one instead of starting over at the shortest wait when a
/// connection opens, which made it reconnect 4-8 times a second; once the link
/// holds again, what was queued goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_that_fails_every_session_is_retried_ever_more_slowly() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let bob = w.device("bob", "Bob").await?;
    let proxy = RecordingProxy::start(w.relay().addr).await?;
    proxy.cut_each_connection_after(Some(Duration::from_millis(100)));
    alice.go_online_via(&proxy.url())?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Waits of 0.125-0.25 s, then 0.25-0.5, 0.5-1 and 1-2 s between sessions of
    // 0.1 s: at most 5 connections in 4 s. Starting over at every open, a wait
    // is at most 0.25 s, and there are more than 10.
    let tried = proxy.connections();
    assert!(
        (3..=6).contains(&tried),
        "{tried} connections in 4 s through a link that drops each one"
    );

    proxy.cut_each_connection_after(None);
    let chat = open_chat(&alice, &bob);
    let id = write(&alice, chat, "through at last");
    eventually(WAIT, "sent once the link holds", || sent(&alice, id)).await?;
    alice.go_offline().await;
    Ok(())
}

/// A half-open link: the socket stays open and nothing moves. The device
/// hears nothing back from its pings, gives the link up, connects again, and
/// what was sent to it meanwhile arrives. Without heartbeats it would show
/// "Online" and receive nothing, for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_link_is_found_and_replaced() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    let proxy = RecordingProxy::start(w.relay().addr).await?;
    let heartbeat = Heartbeat {
        every: Duration::from_millis(200),
        silent_after: Duration::from_secs(1),
    };
    alice.go_online_with(&proxy.url(), heartbeat)?;
    bob.go_online()?;
    let chat = open_chat(&bob, &alice);
    write(&bob, chat, "before");
    bob.outbox_changed().await;
    eventually(WAIT, "alice has the first", || {
        texts(&alice, chat) == ["before"]
    })
    .await?;
    // (A loaded machine may already have made her connect again once.)
    let before = proxy.connections();

    proxy.stall_open_connections();
    write(&bob, chat, "while the link was dead");
    bob.outbox_changed().await;
    eventually(WAIT, "alice connects again", || {
        proxy.connections() > before
    })
    .await?;
    eventually(WAIT, "and gets what was sent meanwhile", || {
        texts(&alice, chat) == ["before", "while the link was dead"]
    })
    .await?;
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

/// A read position written into a link that has silently died is not taken
/// as reported: once the device notices and connects again, it reports it
/// again, and the sender sees "Seen".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_sent_into_a_dead_link_is_reported_again_after_reconnecting() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    let proxy = RecordingProxy::start(w.relay().addr).await?;
    let heartbeat = Heartbeat {
        every: Duration::from_millis(200),
        silent_after: Duration::from_secs(1),
    };
    alice.go_online_with(&proxy.url(), heartbeat)?;
    bob.go_online()?;
    let chat = open_chat(&bob, &alice);
    let question = write(&bob, chat, "are you there?");
    bob.outbox_changed().await;
    eventually(WAIT, "alice has it", || {
        texts(&alice, chat) == ["are you there?"]
    })
    .await?;
    // Alice answers, so the chat is no request of hers and her reads count.
    let answer = write(&alice, chat, "here");
    alice.outbox_changed().await;
    eventually(WAIT, "her answer is stored", || sent(&alice, answer)).await?;
    // (A Request tells its sender nothing, so it still shows as sent.)
    assert_eq!(status(&bob, question), DeliveryStatus::Sent);

    // The link goes silent; Alice reads, and her report goes nowhere.
    let before = proxy.connections();
    proxy.stall_open_connections();
    let seq = alice
        .with(|s| s.conversation_page(chat, None, 10))?
        .messages
        .iter()
        .filter_map(|m| m.seq)
        .max()
        .expect("sequenced");
    alice.with(|s| s.mark_read(chat, seq))?;
    alice.engine.as_ref().expect("online").read_changed().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        alice.with(|s| s.unreported_reads())?,
        [(chat, seq)],
        "written to the socket is not reported"
    );
    assert_eq!(status(&bob, question), DeliveryStatus::Sent);

    eventually(WAIT, "alice connects again", || {
        proxy.connections() > before
    })
    .await?;
    eventually(WAIT, "bob sees it read", || {
        status(&bob, question) == DeliveryStatus::Read
    })
    .await?;
    eventually(WAIT, "alice has the relay's answer", || {
        alice
            .with(|s| s.unreported_reads())
            .is_ok_and(|r| r.is_empty())
    })
    .await?;
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_crashes_with_a_queued_message_sends_it_once_after_restart() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    let chat = open_chat(&alice, &bob);
    write(&alice, chat, "survives the crash");
    alice.crash_and_restart().await?;
    alice.go_online()?;
    bob.go_online()?;
    eventually(WAIT, "delivered", || {
        texts(&bob, chat) == ["survives the crash"]
    })
    .await?;
    // Restart again with the engine running: the acknowledged message is not resent.
    alice.crash_and_restart().await?;
    alice.go_online()?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(texts(&bob, chat), ["survives the crash"]);
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_send_is_marked_failed_with_the_relays_reason() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let ghost = Person {
        id: candor_core::protocol::UserId::new(),
        handle: "ghost".into(),
        display_name: "Ghost".into(),
    };
    let chat = direct_conversation_id(alice.user.id, ghost.id);
    alice.with(|s| {
        s.add_conversation(&NewConversation::Direct {
            id: chat,
            peer: ghost,
        })
    })?;
    alice.go_online()?;
    let mut events = alice.engine.as_ref().expect("engine").subscribe();
    let id = write(&alice, chat, "anyone there?");
    alice.outbox_changed().await;
    let failure = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(Notice::SendFailed {
                message, reason, ..
            }) = events.recv().await
            {
                return (message, reason);
            }
        }
    })
    .await?;
    assert_eq!(failure.0.id, id);
    assert_eq!(
        failure.0.status,
        DeliveryStatus::Failed,
        "the notice carries the row"
    );
    assert_eq!(failure.1, "no such user");
    assert_eq!(status(&alice, id), DeliveryStatus::Failed);
    assert!(
        alice.with(|s| s.outbox())?.is_empty(),
        "not retried forever"
    );
    alice.go_offline().await;
    Ok(())
}

/// Alice deletes for herself (hide, unhide, delete the chat, restore it, erase):
/// nothing leaves her device, and Bob and the relay keep the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hide_sends_no_frame_and_the_others_keep_the_message() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    let proxy = RecordingProxy::start(w.relay().addr).await?;
    alice.go_online_via(&proxy.url())?;
    bob.go_online()?;
    let chat = open_chat(&alice, &bob);
    let id = write(&alice, chat, "I regret this");
    alice.outbox_changed().await;
    eventually(WAIT, "bob has it", || {
        texts(&bob, chat) == ["I regret this"]
    })
    .await?;
    eventually(WAIT, "sent", || sent(&alice, id)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let before = proxy.sent().len();
    let sent_so_far = proxy.sent().join("\n");
    assert!(
        sent_so_far.contains(r#""type":"send""#) && sent_so_far.contains("I regret this"),
        "the proxy saw the send: {sent_so_far}"
    );
    alice.with(|s| s.hide_message(id))?;
    alice.outbox_changed().await;
    alice.with(|s| s.unhide_message(id))?;
    alice.with(|s| s.hide_message(id))?;
    alice.with(|s| s.hide_conversation(chat))?;
    alice.outbox_changed().await;
    alice.with(|s| s.unhide_conversation(chat))?;
    assert_eq!(
        alice.with(|s| s.erase_hidden(chat))?,
        1,
        "the message is erased"
    );
    alice.with(|s| s.hide_conversation(chat))?;
    alice.outbox_changed().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let after = proxy.sent();
    assert_eq!(
        after.len(),
        before,
        "frames sent during the hides: {:?}",
        &after[before..]
    );
    assert!(texts(&alice, chat).is_empty(), "gone from alice's view");

    // Bob still has it, and a fresh device of Bob's gets it from the relay.
    assert_eq!(texts(&bob, chat), ["I regret this"]);
    let dir = tempfile::tempdir()?;
    let relay = candor_core::account::RelayClient::new(&w.relay().url())?;
    let session = relay
        .sign_in("bob", "orchid-lantern-57", "second device")
        .await?;
    let mut store = candor_core::Store::open(&dir.path().join("bob2.db"))?;
    store.set_profile(&candor_core::Profile {
        user_id: session.user.id,
        handle: session.user.handle.clone(),
        display_name: session.user.display_name.clone(),
        relay_url: w.relay().url(),
    })?;
    let second = std::sync::Arc::new(std::sync::Mutex::new(store));
    let engine = candor_core::sync::SyncHandle::start(second.clone(), relay, session.token);
    eventually(WAIT, "the relay still has it", || {
        second
            .lock()
            .map(|s| {
                s.conversation_page(chat, None, 10)
                    .map(|p| p.messages.len() == 1)
                    .unwrap_or(false)
            })
            .unwrap_or(false)
    })
    .await?;
    engine.shutdown().await;
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

/// Delivered and seen travel back to the sender once Bob has accepted the chat
/// (here by replying); a group of three gets every message in one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_mark_messages_delivered_then_seen() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    alice.go_online()?;
    bob.go_online()?;
    let chat = open_chat(&alice, &bob);
    write(&alice, chat, "first");
    alice.outbox_changed().await;
    eventually(WAIT, "bob has it", || texts(&bob, chat) == ["first"]).await?;
    // For Bob it is a request until he accepts or replies.
    assert!(bob.with(|s| s.inbox_page(None, 10))?.items.is_empty());
    assert_eq!(bob.with(|s| s.requests_page(None, 10))?.items.len(), 1);
    write(&bob, chat, "reply accepts");
    bob.outbox_changed().await;
    eventually(WAIT, "alice has the reply", || {
        texts(&alice, chat).len() == 2
    })
    .await?;
    eventually(WAIT, "the reply moved the chat to bob's inbox", || {
        bob.with(|s| s.requests_page(None, 10))
            .map(|p| p.items.is_empty())
            .unwrap_or(false)
            && bob
                .with(|s| s.inbox_page(None, 10))
                .map(|p| p.items.len() == 1)
                .unwrap_or(false)
    })
    .await?;

    let id = write(&alice, chat, "will be seen");
    alice.outbox_changed().await;
    eventually(WAIT, "delivered", || {
        status(&alice, id) == DeliveryStatus::Delivered
    })
    .await?;
    let seq = bob.with(|s| s.conversation_page(chat, None, 1))?.messages[0]
        .seq
        .expect("seq");
    bob.with(|s| s.mark_read(chat, seq))?;
    bob.engine.as_ref().expect("engine").read_changed().await;
    eventually(WAIT, "seen", || status(&alice, id) == DeliveryStatus::Read).await?;

    // Read while offline: Alice sees it once Bob's app connects again.
    let later = write(&alice, chat, "read on the train");
    alice.outbox_changed().await;
    eventually(WAIT, "delivered", || {
        status(&alice, later) == DeliveryStatus::Delivered
    })
    .await?;
    bob.go_offline().await;
    let seq = bob.with(|s| s.conversation_page(chat, None, 1))?.messages[0]
        .seq
        .expect("seq");
    bob.with(|s| s.mark_read(chat, seq))?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status(&alice, later), DeliveryStatus::Delivered);
    bob.go_online()?;
    eventually(WAIT, "seen after reconnecting", || {
        status(&alice, later) == DeliveryStatus::Read
    })
    .await?;
    assert!(bob.with(|s| s.unreported_reads())?.is_empty());
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_three_sees_one_order() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    let mut carol = w.device("carol", "Carol").await?;
    for d in [&mut alice, &mut bob, &mut carol] {
        d.go_online()?;
    }
    let relay = candor_core::account::RelayClient::new(&w.relay().url())?;
    let group = relay
        .create_group(
            &alice.token,
            "Weekend trip",
            vec![bob.user.id, carol.user.id],
        )
        .await?;
    eventually(WAIT, "everyone has the group", || {
        [&alice, &bob, &carol]
            .iter()
            .all(|d| d.with(|s| s.conversation_page(group.id, None, 1)).is_ok())
    })
    .await?;
    for (d, text) in [(&alice, "a1"), (&bob, "b1"), (&carol, "c1"), (&alice, "a2")] {
        write(d, group.id, text);
        d.outbox_changed().await;
    }
    eventually(WAIT, "all four everywhere", || {
        [&alice, &bob, &carol]
            .iter()
            .all(|d| texts(d, group.id).len() == 4)
    })
    .await?;
    let order = texts(&alice, group.id);
    assert_eq!(texts(&bob, group.id), order);
    assert_eq!(texts(&carol, group.id), order);
    let title = &carol.with(|s| s.inbox_page(None, 10))?.items[0].title;
    assert_eq!(title, "Weekend trip");
    for d in [&mut alice, &mut bob, &mut carol] {
        d.go_offline().await;
    }
    Ok(())
}

/// The core `Client` as the app uses it: adopting the account, starting chats
/// by handle, sending, and one notice stream that outlives a sign-out and a
/// new session. It refuses what it must: a second account in one profile, a
/// chat with yourself, relay calls when signed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_keeps_one_notice_stream_across_sessions() -> Result<()> {
    use candor_core::{Client, CoreError, Draft};
    let w = World::with_relay().await?;
    let mut bob = w.device("bob", "Bob").await?;
    bob.go_online()?;
    let relay = candor_core::account::RelayClient::new(&w.relay().url())?;
    relay.sign_up("alice", "Alice", "orchid-lantern-57").await?;
    let client = Client::open(&w.path().join("alice-client.db"))?;
    let mut notices = client.subscribe();
    client
        .with_store(|s| s.set_undo_send_window(candor_core::UndoSendWindow::Off))
        .await?;
    assert!(matches!(
        client.start_chat("bob").await,
        Err(CoreError::SignInTo("start a chat"))
    ));

    let session = relay
        .sign_in("alice", "orchid-lantern-57", "laptop")
        .await?;
    let profile = client.adopt_account(&relay, &session.user).await?;
    assert_eq!(profile.handle, "alice");
    client.start_session(relay.clone(), session.token).await;
    assert!(matches!(
        client.start_chat("alice").await,
        Err(CoreError::ThatIsYou)
    ));
    let chat = client.start_chat("@bob").await?;
    assert_eq!(chat, direct_conversation_id(profile.user_id, bob.user.id));
    let draft = |text: &str| Draft {
        text: text.into(),
        card: None,
    };
    let composed = client
        .send_from_composer(chat, draft("first session"), None)
        .await?;
    sent_in(&mut notices, composed.message.id).await?;
    eventually(WAIT, "bob has it", || {
        texts(&bob, chat) == ["first session"]
    })
    .await?;

    client.sign_out().await?;
    assert!(matches!(
        client.leave_group(chat).await,
        Err(CoreError::SignInTo("leave a group"))
    ));
    let session = relay
        .sign_in("alice", "orchid-lantern-57", "laptop")
        .await?;
    client.adopt_account(&relay, &session.user).await?;
    client.start_session(relay.clone(), session.token).await;
    let composed = client
        .send_from_composer(chat, draft("second session"), None)
        .await?;
    sent_in(&mut notices, composed.message.id).await?;
    eventually(WAIT, "bob has both", || {
        texts(&bob, chat) == ["first session", "second session"]
    })
    .await?;

    relay
        .sign_up("mallory", "Mallory", "orchid-lantern-57")
        .await?;
    let other = relay
        .sign_in("mallory", "orchid-lantern-57", "laptop")
        .await?;
    assert!(matches!(
        client.adopt_account(&relay, &other.user).await,
        Err(CoreError::ProfileOfAnother { .. })
    ));
    let kept = client.with_store(|s| s.profile()).await?.expect("profile");
    assert_eq!(kept.handle, "alice", "a refused account changes nothing");
    client.shutdown().await;
    bob.go_offline().await;
    Ok(())
}

/// Quitting with messages inside their undo window, "Send now": the client
/// ends the windows and returns once the relay has every one of them; with the
/// relay gone, it returns when its time is up and says how many stay here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_now_at_quit_waits_for_the_relay_and_no_longer() -> Result<()> {
    use candor_core::{Client, Draft, UndoSendWindow};
    let mut w = World::with_relay().await?;
    let bob = w.device("bob", "Bob").await?;
    let relay = candor_core::account::RelayClient::new(&w.relay().url())?;
    relay.sign_up("alice", "Alice", "orchid-lantern-57").await?;
    let client = Client::open(&w.path().join("alice-client.db"))?;
    client
        .with_store(|s| s.set_undo_send_window(UndoSendWindow::ThirtySeconds))
        .await?;
    let session = relay
        .sign_in("alice", "orchid-lantern-57", "laptop")
        .await?;
    client.adopt_account(&relay, &session.user).await?;
    client.start_session(relay.clone(), session.token).await;
    let chat = client.start_chat("bob").await?;
    let draft = |text: &str| Draft {
        text: text.into(),
        card: None,
    };
    let mut ids = Vec::new();
    for text in ["one", "two"] {
        ids.push(
            client
                .send_from_composer(chat, draft(text), None)
                .await?
                .message
                .id,
        );
    }
    assert_eq!(
        client.send_waiting_now(WAIT).await?,
        0,
        "the relay took both"
    );
    for id in ids {
        let status = client.with_store(move |s| s.message(id)).await?.status;
        assert_ne!(status, DeliveryStatus::Queued);
    }

    w.stop_relay().await?;
    client
        .send_from_composer(chat, draft("three"), None)
        .await?;
    assert_eq!(
        client.send_waiting_now(Duration::from_millis(500)).await?,
        1,
        "with no relay, the message stays for the next start"
    );
    client.shutdown().await;
    drop(bob);
    Ok(())
}

/// What changes a person's circle asks the relay first and is kept here only
/// once the relay agreed: a typo among a group's members names itself and
/// makes no group; a refused leave leaves the chat as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_keeps_a_change_to_people_only_once_the_relay_agrees() -> Result<()> {
    use candor_core::protocol::api::{AccountSettings, WhoCanMessage};
    use candor_core::{Client, CoreError};
    let w = World::with_relay().await?;
    let mut bob = w.device("bob", "Bob").await?;
    let carol = w.device("carol", "Carol").await?;
    bob.go_online()?;
    let relay = candor_core::account::RelayClient::new(&w.relay().url())?;
    let alice = relay.sign_up("alice", "Alice", "orchid-lantern-57").await?;
    let client = Client::open(&w.path().join("alice-client.db"))?;
    let session = relay
        .sign_in("alice", "orchid-lantern-57", "laptop")
        .await?;
    client.adopt_account(&relay, &session.user).await?;
    client.start_session(relay.clone(), session.token).await;
    let row = |id: ConversationId| client.with_store(move |s| s.inbox_item(id));

    // Bob is a stranger: his first message is a request until Alice accepts.
    let chat = bob.open_chat_with(alice.clone().into())?;
    write(&bob, chat, "hello alice");
    bob.outbox_changed().await;
    eventually(WAIT, "alice has bob's request", || {
        let store = client.store().lock().expect("store");
        store.inbox_item(chat).is_ok_and(|r| r.request)
    })
    .await?;
    client.accept_request(chat).await?;
    assert!(!row(chat).await?.request, "accepted here");

    // A typo names itself and nothing is made; blanks and repeats are skipped.
    let typo = client
        .start_group("Trip", &["bob".into(), "@nobody_here".into()])
        .await
        .expect_err("no such person");
    assert!(typo.to_string().contains("@nobody_here"), "{typo}");
    assert!(
        client
            .with_store(|s| s.chats_named("Trip", 5))
            .await?
            .is_empty()
    );
    let group = client
        .start_group(
            " Trip ",
            &["bob".into(), "@bob".into(), " ".into(), "carol".into()],
        )
        .await?;
    assert_eq!(row(group).await?.title, "Trip");
    eventually(WAIT, "bob has the group", || {
        bob.with(|s| s.inbox_item(group)).is_ok()
    })
    .await?;

    // Leaving a direct chat is refused by the relay and changes nothing here.
    assert!(matches!(
        client.leave_group(chat).await,
        Err(CoreError::Relay(_))
    ));
    assert!(!row(chat).await?.left);
    client.leave_group(group).await?;
    assert!(row(group).await?.left);

    client.block(bob.user.id, true).await?;
    assert!(row(chat).await?.peer_blocked);
    client.set_display_name("  Ana  ").await?;
    let me = client.with_store(|s| s.profile()).await?.expect("profile");
    assert_eq!(me.display_name, "Ana");
    assert_eq!(
        relay.lookup(&carol.token, "alice").await?.display_name,
        "Ana"
    );
    let contacts_only = AccountSettings {
        who_can_message: WhoCanMessage::Contacts,
    };
    assert_eq!(
        client.set_account_settings(contacts_only.clone()).await?,
        contacts_only
    );
    assert_eq!(client.account_settings().await?, contacts_only);
    client.shutdown().await;
    bob.go_offline().await;
    Ok(())
}

/// Waits on `notices` until one says `id` has left the outbox.
async fn sent_in(
    notices: &mut tokio::sync::broadcast::Receiver<Notice>,
    id: MessageId,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let notice = tokio::time::timeout_at(deadline, notices.recv()).await??;
        if let Notice::MessageChanged { message, .. } = notice
            && message.id == id
            && message.status != DeliveryStatus::Queued
        {
            return Ok(());
        }
    }
}
