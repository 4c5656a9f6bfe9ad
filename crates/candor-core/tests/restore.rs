//! A relay restored from an older copy of its data, as this device's store
//! sees it: the relay's seqs are the order everyone converges on, what the
//! relay lost is offered again by its sender's device and recognised when it
//! comes back, and no receipt claims a message the store does not hold where
//! the receipt says. Also: the account's read position, shared by its devices.

mod support;

use candor_core::DeliveryStatus;
use candor_core::protocol::frames::EpochKept;
use candor_core::protocol::{MessageId, ServerMessageId};
use chrono::Duration;
use support::{EPOCH, World, at};

fn draft(text: &str) -> candor_core::Draft {
    candor_core::Draft {
        text: text.into(),
        card: None,
    }
}

/// Composes `text` and has the relay acknowledge it at `seq` (cursor = seq).
fn sent(w: &mut World, text: &str, seq: i64) -> MessageId {
    let m = w
        .store
        .compose(w.chat, draft(text), Duration::zero())
        .expect("compose");
    let now = w.clock_now();
    w.store
        .acknowledge(m.id, ServerMessageId::new(), seq, now, at(seq as u64))
        .expect("ack");
    m.id
}

fn status(w: &World, id: MessageId) -> (DeliveryStatus, Option<i64>) {
    let m = w.store.message(id).expect("message");
    (m.status, m.seq)
}

/// Defect 2 of the delivery issue: Maya's message here at seq 1 was lost by
/// the relay, which gave seq 1 to another. The relay's message is stored
/// (before, it was dropped as a "conflict" and still counted as delivered);
/// when Maya's device offers hers again it comes back at a new seq and the
/// row here moves there, not stored twice.
#[test]
fn a_lost_message_offered_again_moves_to_its_new_seq_once() {
    let mut w = World::new();
    let lost = w.maya_says("lost by the relay");
    let maya = w.maya.clone();
    let mut other = w.incoming(w.chat, &maya, "stored after the restore");
    other.seq = 1;
    let outcome = w.store.apply_received(&[other]).expect("apply");
    assert_eq!((outcome.inserted, outcome.displaced), (1, 1));

    let mut again = lost.clone();
    again.server_id = ServerMessageId::new();
    again.seq = 2;
    let outcome = w.store.apply_received(&[again]).expect("offered again");
    assert_eq!(
        (outcome.inserted, outcome.moved),
        (0, 1),
        "the same message"
    );
    assert_eq!(
        w.visible_texts(w.chat),
        ["lost by the relay", "stored after the restore"]
    );
    let row = w
        .store
        .message(w.local_id_of_text("lost by the relay"))
        .expect("row");
    assert_eq!(row.seq, Some(2));
}

/// Defect 3: an ack carrying a seq this device already holds (for one of its
/// own messages the relay lost) broke UNIQUE(conversation, seq), failed the
/// session, and the outbox never drained. Now the acknowledged message takes
/// the seq, and the lost one goes back to the outbox under its wire id.
#[test]
fn an_ack_for_a_reused_seq_is_applied_and_the_lost_message_is_sent_again() {
    let mut w = World::new();
    let first = sent(&mut w, "acknowledged, then lost", 1);
    let second = sent(&mut w, "acknowledged at the same seq", 1);
    assert_eq!(status(&w, second), (DeliveryStatus::Sent, Some(1)));
    assert_eq!(status(&w, first), (DeliveryStatus::Queued, None));
    let due = w.store.due_sends(w.clock_now()).expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].wire_id, first, "offered again under the same id");
    assert!(
        matches!(
            w.store.undo_send(first),
            Err(candor_core::CoreError::TooLate(_))
        ),
        "it was sent once: no undo window opens again"
    );
    // The relay stores it again at seq 2.
    let now = w.clock_now();
    w.store
        .acknowledge(first, ServerMessageId::new(), 2, now, at(2))
        .expect("ack again");
    assert_eq!(status(&w, first), (DeliveryStatus::Sent, Some(2)));
    assert!(w.store.outbox().expect("outbox").is_empty());
}

/// The relay says it holds epoch E only through cursor 2: our messages
/// acknowledged past it go back to the outbox, oldest first; the others stay.
/// A receipt for seqs they used to have moves nothing: no "Seen" for a
/// message the relay does not hold.
#[test]
fn what_the_relay_no_longer_holds_is_offered_again_and_claims_no_receipt() {
    let mut w = World::new();
    let kept = sent(&mut w, "kept", 1);
    let lost_a = sent(&mut w, "lost a", 2 + 1);
    let lost_b = sent(&mut w, "lost b", 4);
    assert_eq!(w.store.acked_epochs(32).expect("epochs"), [EPOCH]);
    let requeued = w
        .store
        .reoffer_lost(&[EpochKept {
            epoch: EPOCH,
            through: Some(2),
        }])
        .expect("re-offer");
    assert_eq!(requeued, [lost_a, lost_b]);
    assert_eq!(status(&w, kept), (DeliveryStatus::Sent, Some(1)));
    assert_eq!(status(&w, lost_a), (DeliveryStatus::Queued, None));

    w.store
        .apply_receipt(w.chat, w.maya.id, 4, 4)
        .expect("receipt");
    assert_eq!(status(&w, kept).0, DeliveryStatus::Read);
    assert_eq!(
        status(&w, lost_b).0,
        DeliveryStatus::Queued,
        "a receipt through seq 4 says nothing of a message no longer there"
    );
    let due = w.store.due_sends(w.clock_now()).expect("due");
    assert_eq!(due[0].wire_id, lost_a, "one job per chat, the oldest first");

    let nothing = w
        .store
        .reoffer_lost(&[EpochKept {
            epoch: EPOCH,
            through: Some(1000),
        }])
        .expect("nothing lost");
    assert!(nothing.is_empty());
}

/// Defect 11: the account's read position comes back from the relay (its
/// answer to this device's report, or another device's read). It moves the
/// position here and counts as reported; a position beyond what the relay
/// holds stays unreported, to be sent again.
#[test]
fn the_accounts_read_position_is_shared_and_reported_only_once_the_relay_holds_it() {
    let mut w = World::new();
    for text in ["one", "two", "three"] {
        w.maya_says(text);
    }
    assert_eq!(w.store.unread_summary().expect("unread").messages, 3);
    assert!(w.store.apply_own_read(w.chat, 2).expect("read elsewhere"));
    assert_eq!(w.store.unread_summary().expect("unread").messages, 1);
    assert!(w.store.unreported_reads().expect("reads").is_empty());
    assert!(!w.store.apply_own_read(w.chat, 1).expect("old news"));

    w.store.mark_read(w.chat, 3).expect("read here");
    assert_eq!(w.store.unreported_reads().expect("reads"), [(w.chat, 3)]);
    w.store
        .apply_own_read(w.chat, 2)
        .expect("the relay holds less");
    assert_eq!(
        w.store.unreported_reads().expect("reads"),
        [(w.chat, 3)],
        "still to report"
    );
    w.store
        .apply_own_read(w.chat, 3)
        .expect("the relay's answer");
    assert!(w.store.unreported_reads().expect("reads").is_empty());
}

/// The client notices holes in a chat's seqs beside what it stores, for the
/// sync engine to fetch: not before the first seq held (the account may have
/// joined later), and a hole longer than one fetch is found again at the
/// edge of what the first fetch filled.
#[test]
fn holes_beside_stored_messages_are_reported_until_filled() {
    let mut w = World::new();
    let maya = w.maya.clone();
    let at_seq = |w: &mut World, seq: i64| {
        let mut m = w.incoming(w.chat, &maya, &format!("seq {seq}"));
        m.seq = seq;
        m
    };
    let first = at_seq(&mut w, 3);
    let outcome = w.store.apply_received(&[first]).expect("apply");
    assert!(
        outcome.gaps.is_empty(),
        "seqs 1-2 may be from before I joined"
    );
    let late = at_seq(&mut w, 1000);
    let outcome = w.store.apply_received(&[late]).expect("apply");
    assert_eq!(outcome.gaps, [(w.chat, 3, 1000)]);
    // A fetch fills 4..=503; the rest of the hole shows at its top edge.
    let filled: Vec<_> = (4..=503).map(|s| at_seq(&mut w, s)).collect();
    let outcome = w.store.apply_received(&filled).expect("fill");
    assert_eq!(outcome.gaps, [(w.chat, 503, 1000)]);
    let rest: Vec<_> = (504..1000).map(|s| at_seq(&mut w, s)).collect();
    let outcome = w.store.apply_received(&rest).expect("fill the rest");
    assert!(outcome.gaps.is_empty(), "{:?}", outcome.gaps);
}
