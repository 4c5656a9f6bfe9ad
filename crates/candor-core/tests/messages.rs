//! Composing, receiving and paging: the outbox, exactly-once apply, keyset paging
//! and typed errors for bad input.

mod support;

use candor_core::protocol::{
    ConversationId, MAX_TEXT_CHARS, MessageId, ServerMessageId, TextError,
};
use candor_core::{CoreError, DeliveryStatus, Draft, ManualClock, Store};
use chrono::Duration;
use std::sync::Arc;
use support::World;

fn draft(text: &str) -> Draft {
    Draft {
        text: text.into(),
        card: None,
    }
}

#[test]
fn compose_writes_the_message_and_its_send_job_together() {
    let mut w = World::new();
    let now = w.clock_now();
    let m = w
        .store
        .compose(w.chat, draft("hello"), Duration::seconds(5))
        .expect("compose");
    assert_eq!(m.status, DeliveryStatus::Queued);
    assert!(m.is_own);
    assert!(m.seq.is_none());
    let outbox = w.store.outbox().expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].message_id, m.id);
    assert_eq!(outbox[0].not_before, now + Duration::seconds(5));
    assert_eq!(w.visible_texts(w.chat), ["hello"]);
    let row = &w.store.inbox_page(None, 10).expect("inbox").items[0];
    assert_eq!(row.preview.as_deref(), Some("hello"));
    assert!(row.preview_is_own);
    assert_eq!(row.unread_count, 0, "own messages are never unread");
}

#[test]
fn queued_message_survives_reopening_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("candor.db");
    let clock = Arc::new(ManualClock::new(support::start()));
    let store = Store::open_with_clock(&path, clock.clone()).expect("open");
    let mut w = World::with_store(store, clock.clone());
    let m = w
        .store
        .compose(w.chat, draft("durable"), Duration::zero())
        .expect("compose");
    drop(w);
    let store = Store::open_with_clock(&path, clock).expect("reopen");
    assert_eq!(store.outbox().expect("outbox")[0].message_id, m.id);
    assert_eq!(
        store.message(m.id).expect("message").status,
        DeliveryStatus::Queued
    );
}

#[test]
fn bad_input_gives_typed_errors() {
    let mut w = World::new();
    let chat = w.chat;
    assert!(matches!(
        w.store.compose(chat, draft(" \n "), Duration::zero()),
        Err(CoreError::InvalidText(TextError::Empty))
    ));
    let long = "x".repeat(MAX_TEXT_CHARS + 1);
    assert!(matches!(
        w.store.compose(chat, draft(&long), Duration::zero()),
        Err(CoreError::InvalidText(TextError::TooLong { chars, max })) if chars == MAX_TEXT_CHARS + 1 && max == MAX_TEXT_CHARS
    ));
    let nowhere = ConversationId::new();
    assert!(matches!(
        w.store.compose(nowhere, draft("hi"), Duration::zero()),
        Err(CoreError::UnknownConversation(id)) if id == nowhere
    ));
    assert!(matches!(
        w.store.conversation_page(nowhere, None, 10),
        Err(CoreError::UnknownConversation(_))
    ));
    let ghost = MessageId::new();
    assert!(
        matches!(w.store.hide_message(ghost), Err(CoreError::UnknownMessage(id)) if id == ghost)
    );
    assert!(matches!(
        w.store.unhide_message(ghost),
        Err(CoreError::UnknownMessage(_))
    ));
    assert!(matches!(
        w.store.hide_conversation(nowhere),
        Err(CoreError::UnknownConversation(_))
    ));
    assert!(matches!(
        w.store.mark_read(nowhere, 1),
        Err(CoreError::UnknownConversation(_))
    ));
    // Nothing was written by the refused calls.
    assert!(w.store.outbox().expect("outbox").is_empty());
    assert!(w.visible_texts(chat).is_empty());
}

#[test]
fn a_message_at_exactly_the_limit_is_accepted() {
    let mut w = World::new();
    let text = "é".repeat(MAX_TEXT_CHARS);
    let m = w
        .store
        .compose(w.chat, draft(&text), Duration::zero())
        .expect("compose");
    assert_eq!(m.text.chars().count(), MAX_TEXT_CHARS);
}

#[test]
fn compose_without_a_profile_is_refused() {
    let clock = Arc::new(ManualClock::new(support::start()));
    let mut store = Store::open_in_memory(clock).expect("store");
    assert!(matches!(
        store.compose(ConversationId::new(), draft("hi"), Duration::zero()),
        Err(CoreError::NotSignedIn)
    ));
}

#[test]
fn applying_the_same_message_twice_stores_it_once() {
    let mut w = World::new();
    let m = w.maya_says("once");
    let outcome = w
        .store
        .apply_received(std::slice::from_ref(&m))
        .expect("again");
    assert_eq!(outcome.duplicates, 1);
    assert_eq!(w.visible_texts(w.chat), ["once"]);
    assert_eq!(w.store.unread_summary().expect("unread").messages, 1);
}

/// The relay's seq is the order: a different message delivered at a taken
/// seq (the relay lost the one here) takes it, and the one here moves after
/// every sequenced message, kept, not dropped.
#[test]
fn a_different_message_at_a_taken_seq_takes_it_and_the_one_here_moves_aside() {
    let mut w = World::new();
    let first = w.maya_says("first");
    let mut other = first.clone();
    other.server_id = candor_core::protocol::ServerMessageId::new();
    other.client_id = MessageId::new();
    other.text = candor_core::protocol::MessageText::new("stored after a restore").expect("text");
    let outcome = w.store.apply_received(&[other]).expect("apply");
    assert_eq!(outcome.displaced, 1);
    assert_eq!(
        w.visible_texts(w.chat),
        ["first", "stored after a restore"],
        "newest first: the moved one after the relay's"
    );
    let moved = w.store.message(w.local_id_of_text("first")).expect("first");
    assert_eq!(moved.seq, None, "no longer in the relay's order");
}

#[test]
fn a_batch_naming_an_unknown_conversation_writes_nothing() {
    let mut w = World::new();
    let maya = w.maya.clone();
    let good = w.incoming(w.chat, &maya, "good");
    let bad = w.incoming(ConversationId::new(), &maya, "bad");
    assert!(matches!(
        w.store.apply_received(&[good, bad]),
        Err(CoreError::UnknownConversation(_))
    ));
    assert!(w.visible_texts(w.chat).is_empty());
}

#[test]
fn the_relays_echo_acknowledges_an_own_message_and_clears_its_send_job() {
    let mut w = World::new();
    let chat = w.chat;
    let id = w.i_say(chat, "sent");
    let m = w.store.message(id).expect("message");
    assert_eq!(m.status, DeliveryStatus::Sent);
    assert_eq!(m.seq, Some(1));
    assert!(w.store.outbox().expect("outbox").is_empty());
    assert_eq!(w.visible_texts(chat), ["sent"]);
}

#[test]
fn pending_messages_sort_after_sequenced_ones_in_the_order_written() {
    let mut w = World::new();
    let chat = w.chat;
    w.store
        .compose(chat, draft("mine 1"), Duration::zero())
        .expect("compose");
    w.store
        .compose(chat, draft("mine 2"), Duration::zero())
        .expect("compose");
    w.maya_says("hers");
    assert_eq!(w.visible_texts(chat), ["mine 2", "mine 1", "hers"]);
}

#[test]
fn paging_walks_the_whole_conversation_once_newest_first() {
    let mut w = World::new();
    for i in 0..23 {
        w.maya_says(&format!("m{i}"));
    }
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = w.store.conversation_page(w.chat, before, 5).expect("page");
        seen.extend(page.messages.into_iter().map(|m| m.text));
        match page.before {
            Some(c) => before = Some(c),
            None => break,
        }
    }
    let expected: Vec<String> = (0..23).rev().map(|i| format!("m{i}")).collect();
    assert_eq!(seen, expected);
}

#[test]
fn keyset_paging_is_stable_while_new_messages_arrive() {
    let mut w = World::new();
    for i in 0..10 {
        w.maya_says(&format!("m{i}"));
    }
    let first = w.store.conversation_page(w.chat, None, 4).expect("page");
    // New messages arrive between page loads.
    w.maya_says("new 1");
    w.maya_says("new 2");
    let second = w
        .store
        .conversation_page(w.chat, first.before, 4)
        .expect("page");
    let texts: Vec<_> = second.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["m5", "m4", "m3", "m2"]);
}

#[test]
fn inbox_is_pinned_first_then_newest_activity_and_pages_without_gaps() {
    let mut w = World::new();
    let mut chats = Vec::new();
    for i in 0..7 {
        let p = support::person(&format!("p{i}"), &format!("Person {i}"));
        let id = ConversationId::new();
        w.store
            .add_conversation(&candor_core::NewConversation::Direct {
                id,
                peer: p.clone(),
            })
            .expect("chat");
        let m = w.incoming(id, &p, "hi");
        w.store.apply_received(&[m]).expect("apply");
        chats.push(id);
    }
    // Pin the oldest one.
    w.store
        .connection()
        .execute(
            "UPDATE conversations SET pinned = 1 WHERE id = ?1",
            [chats[0].to_string()],
        )
        .expect("pin");
    let mut titles = Vec::new();
    let mut after = None;
    loop {
        let page = w.store.inbox_page(after.as_ref(), 3).expect("inbox");
        titles.extend(page.items.into_iter().map(|i| i.title));
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    assert_eq!(
        titles,
        [
            "Person 0", "Person 6", "Person 5", "Person 4", "Person 3", "Person 2", "Person 1",
            "Maya"
        ]
    );
}

#[test]
fn mark_read_clears_unread_up_to_the_seq() {
    let mut w = World::new();
    w.maya_says("1");
    let two = w.maya_says("2");
    w.maya_says("3");
    w.store.mark_read(w.chat, two.seq).expect("mark read");
    assert_eq!(w.store.unread_summary().expect("unread").messages, 1);
    // Marking an older position never moves the read cursor back.
    w.store.mark_read(w.chat, 1).expect("mark read");
    assert_eq!(w.store.unread_summary().expect("unread").messages, 1);
}

/// The relay is the authority on groups: a group it describes is recorded as it
/// is, even with one member left, and describing it again updates its members.
#[test]
fn a_group_described_by_the_relay_is_recorded_and_updated() {
    let mut w = World::new();
    let id = ConversationId::new();
    let sam = support::person("sam", "Sam");
    let group =
        |members: Vec<candor_core::Person>, title: &str| candor_core::NewConversation::Group {
            id,
            title: title.into(),
            members,
            admins: Vec::new(),
        };
    w.store
        .add_conversation(&group(
            vec![w.me.clone(), w.maya.clone(), sam.clone()],
            "Trip",
        ))
        .expect("three members");
    // Maya and Sam left; the relay says so.
    w.store
        .add_conversation(&group(vec![w.me.clone()], "Trip (old)"))
        .expect("a group of one is still a group");
    let members: i64 = w
        .store
        .connection()
        .query_row(
            "SELECT count(*) FROM members WHERE conversation_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(members, 1);
    let titles = w.inbox_titles();
    assert!(titles.contains(&"Trip (old)".to_string()), "{titles:?}");
}

/// A message waiting for a retry holds back the ones written after it: they never
/// overtake it, so the relay gives them seqs in the order they were written.
#[test]
fn a_later_message_never_overtakes_one_waiting_for_a_retry() {
    let mut w = World::new();
    let first = w
        .store
        .compose(w.chat, draft("first"), Duration::zero())
        .expect("compose");
    w.store
        .compose(w.chat, draft("second"), Duration::zero())
        .expect("compose");
    let now = w.clock_now();
    let due: Vec<_> = w
        .store
        .due_sends(now)
        .expect("due")
        .into_iter()
        .map(|s| s.text.as_str().to_owned())
        .collect();
    assert_eq!(due, ["first"], "one job per conversation, the oldest");
    w.store
        .retry_later(first.id, Duration::seconds(5), "relay busy")
        .expect("retry later");
    assert!(
        w.store.due_sends(now).expect("due").is_empty(),
        "second waits for first"
    );
    let later = now + Duration::seconds(6);
    let due: Vec<_> = w
        .store
        .due_sends(later)
        .expect("due")
        .into_iter()
        .map(|s| s.text.as_str().to_owned())
        .collect();
    assert_eq!(due, ["first"]);
}

/// A video card goes with its message (and is stored for the outbox); a card
/// that is not a canonical video link of the platform it names is refused.
#[test]
fn a_card_goes_with_its_message_and_a_bad_card_is_refused() {
    use candor_core::protocol::VideoCard;
    let mut w = World::new();
    let card = |url: &str, provider: &str| VideoCard {
        provider: provider.into(),
        url: url.into(),
        title: Some("Rick <b>Astley</b>".into()),
        author: None,
        thumbnail_jpeg: Some("/9j/4AAQSkZJRg==".into()),
    };
    let draft = |card| candor_core::Draft {
        text: "watch this".into(),
        card: Some(card),
    };
    let good = card("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube");
    let sent = w
        .store
        .compose(w.chat, draft(good.clone()), chrono::Duration::zero())
        .expect("compose");
    assert_eq!(sent.card, Some(good));
    let due = w.store.due_sends(w.clock_now()).expect("due");
    assert_eq!(
        due[0].card.as_ref().map(|c| c.url.as_str()),
        Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    );

    for bad in [
        card("https://youtu.be/dQw4w9WgXcQ", "youtube"),
        card("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "tiktok"),
        card("https://tracker.example/pixel.png", "youtube"),
        VideoCard {
            thumbnail_jpeg: Some("https://tracker.example/pixel.png".into()),
            ..card("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube")
        },
        VideoCard {
            title: Some("x".repeat(301)),
            ..card("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube")
        },
    ] {
        let result = w
            .store
            .compose(w.chat, draft(bad.clone()), chrono::Duration::zero());
        assert!(
            matches!(result, Err(candor_core::CoreError::InvalidCard(_))),
            "{bad:?} was accepted"
        );
    }
    assert_eq!(w.visible_texts(w.chat), ["watch this"]);
}

/// Once the relay has it, an own message shows the relay's time, the one every
/// other member sees, not this device's clock (three minutes slow here); its
/// chat's row moves with it.
#[test]
fn an_acknowledged_message_takes_the_relays_time() {
    let mut w = World::new();
    let m = w
        .store
        .compose(w.chat, draft("on whose clock?"), Duration::zero())
        .expect("compose");
    let relay_time = w.clock_now() + Duration::minutes(3);
    w.store
        .acknowledge(m.id, ServerMessageId::new(), 1, relay_time, support::at(1))
        .expect("ack");
    assert_eq!(
        w.store.message(m.id).expect("message").created_at,
        relay_time
    );
    assert_eq!(
        w.store.inbox_item(w.chat).expect("row").last_activity_at,
        relay_time
    );
}
