//! Who has a copy of a message (the Info view): each member with when this
//! device learned they held it and read it, the relay, and this device's own
//! state. Receipt times are never earlier than the receipt that says so, and a
//! seq the relay gave to another message after a restore claims nothing.

mod support;

use candor_core::protocol::ConversationId;
use candor_core::{CopyHere, Draft, MemberCopy, Store};
use chrono::Duration;
use support::{World, person};

fn member<'a>(info: &'a candor_core::MessageInfo, handle: &str) -> &'a MemberCopy {
    info.members
        .iter()
        .find(|m| m.person.handle == handle)
        .unwrap_or_else(|| panic!("{handle} is not listed: {:?}", info.members))
}

fn seq_of(store: &Store, chat: ConversationId, text: &str) -> i64 {
    store
        .conversation_page(chat, None, 100)
        .expect("page")
        .messages
        .into_iter()
        .find(|m| m.text == text)
        .and_then(|m| m.seq)
        .expect("sequenced")
}

#[test]
fn a_direct_message_shows_when_it_was_delivered_and_seen() {
    let mut w = World::new();
    let first = w.i_say(w.chat, "first");
    let second = w.i_say(w.chat, "second");
    let info = w.store.message_info(first).expect("info");
    assert!(info.is_own && info.on_relay);
    assert_eq!(info.here, CopyHere::Shown);
    assert_eq!(info.relay_url, "ws://127.0.0.1:1");
    assert_eq!(info.members.len(), 1, "only Maya: not me");
    let maya = member(&info, "maya");
    assert!(!maya.wrote_it && !maya.delivered && !maya.seen);

    // Maya's devices hold the first; later they hold both and she reads them.
    w.tick();
    let t1 = w.clock_now();
    w.store
        .apply_receipt(w.chat, w.maya.id, seq_of(&w.store, w.chat, "first"), 0)
        .expect("receipt");
    w.clock.advance(Duration::minutes(5));
    let t2 = w.clock_now();
    let second_seq = seq_of(&w.store, w.chat, "second");
    w.store
        .apply_receipt(w.chat, w.maya.id, second_seq, second_seq)
        .expect("receipt");

    let info = w.store.message_info(first).expect("info");
    let maya = member(&info, "maya");
    assert!(maya.delivered && maya.seen);
    assert_eq!(
        maya.delivered_by,
        Some(t1),
        "the earliest receipt that covers it"
    );
    assert_eq!(maya.seen_by, Some(t2));
    let info = w.store.message_info(second).expect("info");
    let maya = member(&info, "maya");
    assert_eq!((maya.delivered_by, maya.seen_by), (Some(t2), Some(t2)));

    // A receipt that goes back (a device behind the others) changes nothing.
    w.store
        .apply_receipt(w.chat, w.maya.id, 1, 0)
        .expect("receipt");
    let info = w.store.message_info(second).expect("info");
    assert_eq!(member(&info, "maya").delivered_by, Some(t2));
}

#[test]
fn a_received_message_lists_its_writer_and_a_waiting_one_is_on_this_device_only() {
    let mut w = World::new();
    let hers = w.maya_says("from maya");
    let info = w.store.message_info(w.local_id_of(&hers)).expect("info");
    assert!(!info.is_own && info.on_relay);
    assert!(member(&info, "maya").wrote_it);

    let waiting = w
        .store
        .compose(
            w.chat,
            Draft {
                text: "not yet".into(),
                card: None,
            },
            Duration::seconds(5),
        )
        .expect("compose");
    let info = w.store.message_info(waiting.id).expect("info");
    assert!(!info.on_relay, "still in the outbox");
    let maya = member(&info, "maya");
    assert!(!maya.delivered && maya.delivered_by.is_none());
}

#[test]
fn hidden_and_erased_are_this_devices_state() {
    let mut w = World::new();
    let m = w.maya_says("soon hidden");
    let id = w.local_id_of(&m);
    w.store.hide_message(id).expect("hide");
    assert_eq!(
        w.store.message_info(id).expect("info").here,
        CopyHere::HiddenForYou
    );
    w.store.erase_hidden(w.chat).expect("erase");
    assert_eq!(
        w.store.message_info(id).expect("info").here,
        CopyHere::Erased
    );
}

#[test]
fn in_a_group_each_member_has_their_own_receipts() {
    let mut w = World::new();
    let leo = person("leo", "Leo");
    let group = w.trip_with(&[&leo]);
    let mine = w.i_say(group, "who's driving?");
    let seq = seq_of(&w.store, group, "who's driving?");
    w.tick();
    let t = w.clock_now();
    w.store
        .apply_receipt(group, leo.id, seq, seq)
        .expect("receipt");
    let info = w.store.message_info(mine).expect("info");
    let names: Vec<&str> = info
        .members
        .iter()
        .map(|m| m.person.handle.as_str())
        .collect();
    assert_eq!(names, ["leo", "maya"]);
    let leo_copy = member(&info, "leo");
    assert_eq!(
        (leo_copy.delivered_by, leo_copy.seen_by),
        (Some(t), Some(t))
    );
    let maya = member(&info, "maya");
    assert!(
        !maya.delivered && !maya.seen,
        "Leo's receipt says nothing of Maya's copy"
    );
}

#[test]
fn after_a_restore_a_seq_given_to_another_message_claims_no_receipt() {
    let mut w = World::new();
    let leo = person("leo", "Leo");
    let group = w.trip_with(&[&leo]);
    let kept = w.i_say(group, "kept");
    let lost = w.i_say(group, "lost in the restore");
    let lost_seq = seq_of(&w.store, group, "lost in the restore");
    w.tick();
    let t = w.clock_now();
    w.store
        .apply_receipt(group, leo.id, lost_seq, lost_seq)
        .expect("receipt");

    // The relay, restored from a backup, gives that seq to a message of
    // Maya's, which Leo's devices have not said they hold.
    let maya = w.maya.clone();
    let mut hers = w.incoming(group, &maya, "written after the restore");
    hers.seq = lost_seq;
    w.store.apply_received(&[hers.clone()]).expect("apply");
    let info = w.store.message_info(w.local_id_of(&hers)).expect("info");
    assert!(member(&info, "maya").wrote_it);
    let leo_copy = member(&info, "leo");
    assert!(
        !leo_copy.delivered && !leo_copy.seen,
        "Leo's old receipt was about the message that was there before"
    );
    // Ours went back to the outbox, and claims nothing now.
    let info = w.store.message_info(lost).expect("info");
    assert!(!info.on_relay);
    assert!(!member(&info, "leo").delivered);
    // The message below keeps its receipt and its time.
    let info = w.store.message_info(kept).expect("info");
    let leo_copy = member(&info, "leo");
    assert_eq!(
        (leo_copy.delivered_by, leo_copy.seen_by),
        (Some(t), Some(t))
    );
}
