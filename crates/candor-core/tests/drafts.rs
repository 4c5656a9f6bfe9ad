//! Drafts: the text left in a chat's composer is kept per chat, shown in the
//! inbox row, cleared by sending, put back by Undo send, and never touched by
//! Delete for me or Erase.

mod support;

use std::sync::Arc;

use candor_core::protocol::ConversationId;
use candor_core::{CoreError, Draft, MAX_DRAFT_CHARS, ManualClock, NewConversation, Store};
use chrono::Duration;
use support::{World, person, start};

/// Writes `text` in the world's direct chat.
fn compose_here(w: &mut World, text: &str, window: Duration) -> candor_core::Message {
    w.store
        .compose(
            w.chat,
            Draft {
                text: text.into(),
                card: None,
            },
            window,
        )
        .expect("compose")
}

/// A second chat, with Leo.
fn chat_with_leo(w: &mut World) -> ConversationId {
    let other = ConversationId::new();
    w.store
        .add_conversation(&NewConversation::Direct {
            id: other,
            peer: person("leo", "Leo"),
        })
        .expect("second chat");
    other
}

fn inbox_draft(w: &World, chat: ConversationId) -> Option<String> {
    w.store.inbox_item(chat).expect("row").draft
}

#[test]
fn each_chat_keeps_its_own_draft_and_the_inbox_row_shows_it() {
    let mut w = World::new();
    let other = chat_with_leo(&mut w);

    w.store.save_draft(w.chat, "See you at").expect("save");
    w.store.save_draft(other, "Did you watch").expect("save");

    assert_eq!(
        w.store.draft(w.chat).expect("draft").as_deref(),
        Some("See you at")
    );
    assert_eq!(inbox_draft(&w, other).as_deref(), Some("Did you watch"));
    let page = w.store.inbox_page(None, 50).expect("inbox");
    let drafts: Vec<_> = page.items.iter().map(|i| i.draft.clone()).collect();
    assert_eq!(drafts.len(), 2);
    assert!(drafts.contains(&Some("See you at".into())));
    assert!(drafts.contains(&Some("Did you watch".into())));

    // Saving again replaces; blank text is no draft.
    w.store.save_draft(w.chat, "See you at 8").expect("save");
    assert_eq!(inbox_draft(&w, w.chat).as_deref(), Some("See you at 8"));
    w.store.save_draft(w.chat, "  \n ").expect("blank");
    assert_eq!(w.store.draft(w.chat).expect("draft"), None);
    assert_eq!(inbox_draft(&w, other).as_deref(), Some("Did you watch"));
}

#[test]
fn a_draft_survives_closing_and_opening_the_store() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("candor.db");
    let clock = Arc::new(ManualClock::new(start()));
    let chat = {
        let mut w = World::with_store(
            Store::open_with_clock(&path, clock.clone()).expect("open"),
            clock.clone(),
        );
        w.store.save_draft(w.chat, "half a thought").expect("save");
        w.chat
    };
    let store = Store::open_with_clock(&path, clock).expect("reopen");
    assert_eq!(
        store.draft(chat).expect("draft").as_deref(),
        Some("half a thought")
    );
}

#[test]
fn sending_clears_the_draft_of_that_chat_only() {
    let mut w = World::new();
    let other = chat_with_leo(&mut w);
    w.store.save_draft(w.chat, "Lunch tomorrow?").expect("save");
    w.store.save_draft(other, "Not sent yet").expect("save");

    compose_here(&mut w, "Lunch tomorrow?", Duration::seconds(5));

    assert_eq!(w.store.draft(w.chat).expect("draft"), None);
    assert_eq!(inbox_draft(&w, w.chat), None);
    assert_eq!(
        w.store.draft(other).expect("draft").as_deref(),
        Some("Not sent yet")
    );
}

#[test]
fn undo_send_puts_the_text_back_ahead_of_what_was_typed_since() {
    let mut w = World::new();
    let sent = compose_here(&mut w, "Running late", Duration::seconds(5));
    w.store.save_draft(w.chat, "sorry").expect("typed since");

    let back = w.store.undo_send(sent.id).expect("undo");

    assert_eq!(back.text, "Running late");
    assert_eq!(
        w.store.draft(w.chat).expect("draft").as_deref(),
        Some("Running late\nsorry")
    );
    // With nothing typed since, the draft is the message's text.
    w.store.save_draft(w.chat, "").expect("clear");
    let sent = compose_here(&mut w, "Second try", Duration::seconds(5));
    w.store.undo_send(sent.id).expect("undo");
    assert_eq!(inbox_draft(&w, w.chat).as_deref(), Some("Second try"));
}

#[test]
fn discarding_waiting_messages_at_quit_makes_no_draft() {
    let mut w = World::new();
    compose_here(&mut w, "Never mind", Duration::seconds(5));
    assert_eq!(w.store.discard_waiting().expect("discard"), 1);
    assert_eq!(w.store.draft(w.chat).expect("draft"), None);
}

#[test]
fn a_shared_video_neither_clears_nor_becomes_a_draft() {
    let mut w = World::new();
    w.store.save_draft(w.chat, "typing here").expect("save");
    let ids = w
        .store
        .share(
            &[w.chat],
            Draft {
                text: "watch https://vimeo.com/76979871".into(),
                card: None,
            },
            Duration::seconds(5),
        )
        .expect("share");
    assert_eq!(
        w.store.draft(w.chat).expect("draft").as_deref(),
        Some("typing here")
    );
    w.store.undo_send(ids[0]).expect("undo the share");
    assert_eq!(
        w.store.draft(w.chat).expect("draft").as_deref(),
        Some("typing here")
    );
}

#[test]
fn delete_for_me_and_erase_leave_the_draft_alone() {
    let mut w = World::new();
    let m = w.maya_says("secret plan");
    let id = w.local_id_of(&m);
    w.store.save_draft(w.chat, "about the plan").expect("save");

    w.store.hide_messages(&[id]).expect("hide");
    w.store.erase_hidden(w.chat).expect("erase");
    assert_eq!(
        w.store.draft(w.chat).expect("draft").as_deref(),
        Some("about the plan")
    );

    w.store.hide_conversation(w.chat).expect("delete chat");
    assert_eq!(
        w.store.draft(w.chat).expect("draft").as_deref(),
        Some("about the plan")
    );
}

#[test]
fn a_draft_is_not_found_by_search() {
    let mut w = World::new();
    w.store.save_draft(w.chat, "zebracrossing").expect("save");
    let found = w.store.search("zebracrossing", None, 20).expect("search");
    assert!(found.hits.is_empty(), "{found:?}");
}

#[test]
fn bad_drafts_are_refused_with_a_clear_error_and_keep_the_old_one() {
    let mut w = World::new();
    w.store.save_draft(w.chat, "kept").expect("save");

    let long = "a".repeat(MAX_DRAFT_CHARS + 1);
    match w.store.save_draft(w.chat, &long) {
        Err(CoreError::DraftTooLong { chars, max }) => {
            assert_eq!((chars, max), (MAX_DRAFT_CHARS + 1, MAX_DRAFT_CHARS));
        }
        other => panic!("expected DraftTooLong, got {other:?}"),
    }
    let unknown = ConversationId::new();
    assert!(matches!(
        w.store.save_draft(unknown, "hello"),
        Err(CoreError::UnknownConversation(c)) if c == unknown
    ));
    assert_eq!(
        w.store.draft(w.chat).expect("draft").as_deref(),
        Some("kept")
    );
    // At the limit is fine.
    w.store
        .save_draft(w.chat, &"é".repeat(MAX_DRAFT_CHARS))
        .expect("at the limit");
}
