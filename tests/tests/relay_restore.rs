//! Sync protocol 2 end to end, with a real relay process and candor-core
//! devices: a relay restored from an older copy of its data, and one account
//! on two devices.

use std::time::Duration;

use anyhow::Result;
use candor_core::protocol::ConversationId;
use candor_core::{DeliveryStatus, Message};
use candor_e2e::World;
use candor_e2e::sync::{Device, eventually};

const WAIT: Duration = Duration::from_secs(30);

/// The chat's messages on `d`, oldest first.
fn messages(d: &Device, chat: ConversationId) -> Vec<Message> {
    d.with(|s| s.conversation_page(chat, None, 500))
        .map(|p| p.messages.into_iter().rev().collect())
        .unwrap_or_default()
}

fn texts(d: &Device, chat: ConversationId) -> Vec<String> {
    messages(d, chat).into_iter().map(|m| m.text).collect()
}

fn outbox_empty(d: &Device) -> bool {
    d.with(|s| s.outbox())
        .map(|o| o.is_empty())
        .unwrap_or(false)
}

/// Each message `d` shows, as (seq, text).
fn placed(d: &Device, chat: ConversationId) -> Vec<(Option<i64>, String)> {
    messages(d, chat)
        .into_iter()
        .map(|m| (m.seq, m.text))
        .collect()
}

/// The relay is restored from a backup taken after the first message. What
/// it lost (two of Alice's, one of Bob's, all acknowledged and two already
/// "Seen") comes back from the senders' devices; a message stored after the
/// restore reaches Bob, who was offline through it and whose position points
/// into the lost history (defect 1); the reused seqs do not stall either
/// device (defects 2 and 3). In the end both hold every message once, in one
/// order with no gaps, outboxes empty, and no "Seen" for a message the other
/// side does not hold at that place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restore_every_acknowledged_message_comes_back_in_one_order() -> Result<()> {
    let mut w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut bob = w.device("bob", "Bob").await?;
    let chat = alice.open_chat_with(bob.person())?;
    bob.open_chat_with(alice.person())?;
    alice.go_online()?;
    bob.go_online()?;
    alice.write(chat, "a1")?;
    alice.outbox_changed().await;
    eventually(WAIT, "bob has a1", || texts(&bob, chat) == ["a1"]).await?;

    w.stop_relay().await?;
    let backup = w.path().join("relay-backup");
    w.back_up_relay(&backup)?;
    w.start_relay_again().await?;

    for text in ["a2", "a3"] {
        alice.write(chat, text)?;
    }
    alice.outbox_changed().await;
    eventually(WAIT, "bob has a3", || texts(&bob, chat).len() == 3).await?;
    bob.write(chat, "b1")?;
    bob.outbox_changed().await;
    eventually(WAIT, "alice has b1", || texts(&alice, chat).len() == 4).await?;
    bob.with(|s| s.mark_read(chat, 3))?;
    bob.engine.as_ref().expect("online").read_changed().await;
    eventually(WAIT, "alice sees Seen", || {
        messages(&alice, chat)
            .iter()
            .filter(|m| m.status == DeliveryStatus::Read)
            .count()
            == 3
    })
    .await?;
    bob.go_offline().await;

    // The disk is lost; the relay comes back from the backup.
    w.kill_relay().await?;
    w.restore_relay(&backup)?;
    w.start_relay_again().await?;
    // Read before the restore, then offered again and stored anew: Sent.
    let a3 = messages(&alice, chat)
        .into_iter()
        .find(|m| m.text == "a3")
        .expect("a3");
    eventually(WAIT, "alice offers a2 and a3 again", || {
        alice
            .with(|s| s.message(a3.id))
            .is_ok_and(|m| m.status == DeliveryStatus::Sent)
    })
    .await?;
    alice.write(chat, "after the restore")?;
    alice.outbox_changed().await;
    eventually(WAIT, "stored", || outbox_empty(&alice)).await?;

    bob.go_online()?;
    let want = ["a1", "a2", "a3", "after the restore", "b1"];
    let converged = eventually(WAIT, "both converge", || {
        texts(&bob, chat) == want && texts(&alice, chat) == want
    })
    .await;
    if converged.is_err() {
        eprintln!(
            "alice: {:?}\nbob: {:?}",
            placed(&alice, chat),
            placed(&bob, chat)
        );
    }
    converged?;
    eventually(WAIT, "outboxes drain", || {
        outbox_empty(&alice) && outbox_empty(&bob)
    })
    .await?;
    let seqs: Vec<Option<i64>> = (1..=5).map(Some).collect();
    for d in [&alice, &bob] {
        let got: Vec<_> = placed(d, chat).into_iter().map(|(s, _)| s).collect();
        assert_eq!(got, seqs, "gapless, one order");
    }
    assert_eq!(placed(&alice, chat), placed(&bob, chat));
    // No receipt claims more than Bob's store holds: a "Seen" or "Delivered"
    // on Alice's side is for a message Bob holds at the same seq.
    let bobs = placed(&bob, chat);
    for m in messages(&alice, chat) {
        if matches!(m.status, DeliveryStatus::Read | DeliveryStatus::Delivered) {
            assert!(bobs.contains(&(m.seq, m.text.clone())), "{m:?}");
        }
    }
    alice.go_offline().await;
    bob.go_offline().await;
    Ok(())
}

/// Defect 11: read on one device, the account's other device follows (its
/// unread count drops), and the reading device counts the position as
/// reported only once the relay answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_read_on_one_device_is_read_on_the_other() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut laptop = w.device("bob", "Bob").await?;
    let mut phone = laptop.another_device(w.path(), "phone").await?;
    // Bob starts the chat, so that Alice's messages are no request for him.
    let chat = laptop.open_chat_with(alice.person())?;
    alice.open_chat_with(laptop.person())?;
    laptop.write(chat, "hi")?;
    for d in [&mut alice, &mut laptop, &mut phone] {
        d.go_online()?;
    }
    for text in ["one", "two", "three"] {
        alice.write(chat, text)?;
    }
    alice.outbox_changed().await;
    let unread = |d: &Device| {
        d.with(|s| s.unread_summary())
            .map(|u| u.messages)
            .unwrap_or(0)
    };
    eventually(WAIT, "both devices have 3 unread", || {
        unread(&laptop) == 3 && unread(&phone) == 3
    })
    .await?;

    // "hi" is seq 1, Alice's three are 2 to 4.
    laptop.with(|s| s.mark_read(chat, 4))?;
    assert_eq!(laptop.with(|s| s.unreported_reads())?, [(chat, 4)]);
    laptop.engine.as_ref().expect("online").read_changed().await;
    eventually(WAIT, "the phone follows", || unread(&phone) == 0).await?;
    eventually(WAIT, "the relay's answer counts it reported", || {
        laptop
            .with(|s| s.unreported_reads())
            .map(|r| r.is_empty())
            .unwrap_or(false)
    })
    .await?;
    // A device that comes online later gets the account's position too.
    let mut tablet = laptop.another_device(w.path(), "tablet").await?;
    tablet.go_online()?;
    eventually(WAIT, "the tablet has the messages, read", || {
        texts(&tablet, chat).len() == 4 && unread(&tablet) == 0
    })
    .await?;
    for d in [&mut alice, &mut laptop, &mut phone, &mut tablet] {
        d.go_offline().await;
    }
    Ok(())
}

/// Defect 5: Bob leaves a group on his laptop while his phone is offline.
/// The phone, back online, still gets what was said while he was in (it had
/// not synced it), is told he left, and gets nothing said after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leavers_other_device_keeps_the_history_and_learns_he_left() -> Result<()> {
    let w = World::with_relay().await?;
    let mut alice = w.device("alice", "Alice").await?;
    let mut laptop = w.device("bob", "Bob").await?;
    let mut phone = laptop.another_device(w.path(), "phone").await?;
    let cleo = w.device("cleo", "Cleo").await?;
    let relay = candor_core::account::RelayClient::new(&w.relay().url())?;
    let group = relay
        .create_group(
            &alice.token,
            "trip",
            vec![laptop.person().id, cleo.person().id],
        )
        .await?
        .id;
    alice.go_online()?;
    laptop.go_online()?;
    eventually(WAIT, "alice and the laptop know the group", || {
        alice.with(|s| s.inbox_item(group)).is_ok() && laptop.with(|s| s.inbox_item(group)).is_ok()
    })
    .await?;
    for text in ["before 1", "before 2"] {
        alice.write(group, text)?;
    }
    alice.outbox_changed().await;
    eventually(WAIT, "sent", || outbox_empty(&alice)).await?;

    relay.leave_group(&laptop.token, group).await?;
    laptop.with(|s| s.set_left(group))?;
    alice.write(group, "after bob left")?;
    alice.outbox_changed().await;
    eventually(WAIT, "sent", || outbox_empty(&alice)).await?;

    phone.go_online()?;
    eventually(WAIT, "the phone has the history and knows bob left", || {
        texts(&phone, group) == ["before 1", "before 2"]
            && phone.with(|s| s.inbox_item(group)).is_ok_and(|c| c.left)
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(texts(&phone, group), ["before 1", "before 2"]);
    for d in [&mut alice, &mut laptop, &mut phone] {
        d.go_offline().await;
    }
    Ok(())
}
