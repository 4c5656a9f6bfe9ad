//! "Delete for me" is a local hide. Each rule from the design has a test here.

mod support;

use candor_core::protocol::ConversationId;
use candor_core::{NewConversation, UnreadSummary};
use support::{World, person};

#[test]
fn hidden_message_is_gone_from_the_conversation_page() {
    let mut w = World::new();
    w.maya_says("one");
    let two = w.maya_says("two");
    w.maya_says("three");
    let id = w.local_id_of(&two);
    w.store.hide_message(id).expect("hide");
    assert_eq!(w.visible_texts(w.chat), ["three", "one"]);
    let hidden = w.store.hidden_messages(w.chat).expect("hidden list");
    assert_eq!(hidden.len(), 1);
    assert_eq!(hidden[0].text, "two");
    assert!(hidden[0].hidden_at.is_some());
}

#[test]
fn inbox_preview_shows_the_newest_visible_message() {
    let mut w = World::new();
    w.maya_says("older");
    let newest = w.maya_says("newest");
    let preview = |w: &World| {
        w.store.inbox_page(None, 10).expect("inbox").items[0]
            .preview
            .clone()
    };
    assert_eq!(preview(&w).as_deref(), Some("newest"));
    w.store.hide_message(w.local_id_of(&newest)).expect("hide");
    assert_eq!(preview(&w).as_deref(), Some("older"));
}

#[test]
fn hidden_message_does_not_count_as_unread() {
    let mut w = World::new();
    w.maya_says("a");
    let b = w.maya_says("b");
    assert_eq!(
        w.store.unread_summary().expect("unread"),
        UnreadSummary {
            conversations: 1,
            messages: 2
        }
    );
    w.store.hide_message(w.local_id_of(&b)).expect("hide");
    assert_eq!(
        w.store.inbox_page(None, 10).expect("inbox").items[0].unread_count,
        1
    );
    assert_eq!(
        w.store.unread_summary().expect("unread"),
        UnreadSummary {
            conversations: 1,
            messages: 1
        }
    );
    // Restoring it makes it unread again, as it never was read.
    w.store.unhide_message(w.local_id_of(&b)).expect("unhide");
    assert_eq!(w.store.unread_summary().expect("unread").messages, 2);
}

#[test]
fn hidden_conversation_leaves_the_inbox_and_the_unread_counts() {
    let mut w = World::new();
    w.maya_says("hello");
    assert_eq!(w.inbox_titles(), ["Maya"]);
    w.store.hide_conversation(w.chat).expect("hide chat");
    assert!(w.inbox_titles().is_empty());
    assert_eq!(
        w.store.unread_summary().expect("unread"),
        UnreadSummary::default()
    );
    let hidden = w.store.hidden_conversations().expect("hidden chats");
    assert_eq!(hidden.len(), 1);
    assert_eq!(hidden[0].title, "Maya");
}

#[test]
fn new_message_brings_a_hidden_conversation_back_with_only_new_messages() {
    let mut w = World::new();
    w.maya_says("before 1");
    let chat = w.chat;
    w.i_say(chat, "before 2");
    w.store.hide_conversation(w.chat).expect("hide chat");
    w.maya_says("after");
    assert_eq!(w.inbox_titles(), ["Maya"]);
    assert_eq!(w.visible_texts(w.chat), ["after"]);
    let row = &w.store.inbox_page(None, 10).expect("inbox").items[0];
    assert_eq!(row.preview.as_deref(), Some("after"));
    assert_eq!(row.unread_count, 1);
    assert!(w.store.hidden_conversations().expect("hidden").is_empty());
}

#[test]
fn resync_never_unhides_a_message() {
    let mut w = World::new();
    let m = w.maya_says("regret");
    w.store.hide_message(w.local_id_of(&m)).expect("hide");
    // The relay delivers it again (reconnect, catch-up from an older cursor).
    let outcome = w
        .store
        .apply_received(&[m.clone(), m.clone()])
        .expect("re-apply");
    assert_eq!(outcome.duplicates, 2);
    assert_eq!(outcome.inserted, 0);
    assert!(w.visible_texts(w.chat).is_empty());
    assert_eq!(w.store.unread_summary().expect("unread").messages, 0);
}

#[test]
fn resync_never_brings_a_hidden_conversation_back() {
    let mut w = World::new();
    let a = w.maya_says("a");
    let b = w.maya_says("b");
    w.store.hide_conversation(w.chat).expect("hide chat");
    w.store.apply_received(&[a, b]).expect("re-apply");
    assert!(w.inbox_titles().is_empty());
}

#[test]
fn restoring_a_chat_restores_what_was_hidden_with_it_only() {
    let mut w = World::new();
    let one = w.maya_says("one");
    w.maya_says("two");
    w.store.hide_message(w.local_id_of(&one)).expect("hide one");
    w.store.hide_conversation(w.chat).expect("hide chat");
    w.store.unhide_conversation(w.chat).expect("restore chat");
    assert_eq!(w.visible_texts(w.chat), ["two"]);
    assert_eq!(w.inbox_titles(), ["Maya"]);
}

#[test]
fn hiding_is_idempotent_and_keeps_the_first_time() {
    let mut w = World::new();
    let m = w.maya_says("x");
    let id = w.local_id_of(&m);
    w.store.hide_message(id).expect("hide");
    let first = w.store.message(id).expect("message").hidden_at;
    w.tick();
    w.store.hide_message(id).expect("hide again");
    assert_eq!(w.store.message(id).expect("message").hidden_at, first);
}

/// A hide writes nothing the sync engine reads: no outbox job and no cursor.
#[test]
fn hiding_sends_nothing() {
    let mut w = World::new();
    let chat = w.chat;
    let mine = w.i_say(chat, "mine");
    let theirs = w.maya_says("theirs");
    let snapshot = |w: &World| -> (i64, i64) {
        let conn = w.store.connection();
        let outbox = conn
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .expect("outbox count");
        let cursors = conn
            .query_row("SELECT count(*) FROM sync_cursors", [], |r| r.get(0))
            .expect("cursor count");
        (outbox, cursors)
    };
    let before = snapshot(&w);
    w.store.hide_message(mine).expect("hide mine");
    w.store
        .hide_message(w.local_id_of(&theirs))
        .expect("hide theirs");
    w.store.unhide_message(mine).expect("unhide");
    w.store.hide_conversation(chat).expect("hide chat");
    w.store.unhide_conversation(chat).expect("restore chat");
    w.store.hide_message(mine).expect("hide mine again");
    w.store.erase_hidden(chat).expect("erase");
    assert_eq!(snapshot(&w), before);
    assert_eq!(before.0, 0, "the acknowledged message left the outbox");
}

#[test]
fn hides_in_one_chat_do_not_touch_another() {
    let mut w = World::new();
    let sam = person("sam", "Sam");
    let other = ConversationId::new();
    w.store
        .add_conversation(&NewConversation::Direct {
            id: other,
            peer: sam.clone(),
        })
        .expect("chat with sam");
    let m = w.incoming(other, &sam, "from sam");
    w.store.apply_received(&[m]).expect("apply");
    w.maya_says("from maya");
    w.store.hide_conversation(w.chat).expect("hide maya chat");
    assert_eq!(w.inbox_titles(), ["Sam"]);
    assert_eq!(w.visible_texts(other), ["from sam"]);
}

#[test]
fn hidden_message_stays_hidden_after_reopening_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("candor.db");
    let clock = std::sync::Arc::new(candor_core::ManualClock::new(support::start()));
    let store = candor_core::Store::open_with_clock(&path, clock.clone()).expect("open");
    let mut w = World::with_store(store, clock.clone());
    let m = w.maya_says("secret");
    w.store.hide_message(w.local_id_of(&m)).expect("hide");
    let chat = w.chat;
    drop(w);
    let store = candor_core::Store::open_with_clock(&path, clock).expect("reopen");
    let page = store.conversation_page(chat, None, 50).expect("page");
    assert!(page.messages.is_empty());
    assert_eq!(store.hidden_messages(chat).expect("hidden").len(), 1);
}

#[test]
fn hidden_messages_and_chats_stay_hidden_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let open = || {
        let clock = std::sync::Arc::new(candor_core::ManualClock::new(support::start()));
        let store =
            candor_core::Store::open_with_clock(&dir.path().join("candor.db"), clock.clone())
                .expect("open");
        (store, clock)
    };
    let (store, clock) = open();
    let mut w = World::with_store(store, clock);
    w.maya_says("kept");
    let gone = w.maya_says("gone");
    w.store.hide_message(w.local_id_of(&gone)).expect("hide");
    let group = ConversationId::new();
    w.store
        .add_conversation(&NewConversation::Group {
            id: group,
            title: "Trip".into(),
            members: vec![w.me.clone(), w.maya.clone()],
            admins: Vec::new(),
        })
        .expect("group");
    w.store.hide_conversation(group).expect("hide group");
    let chat = w.chat;
    drop(w);

    let (store, _) = open();
    let page = store.conversation_page(chat, None, 10).expect("page");
    let texts: Vec<_> = page.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["kept"]);
    let inbox = store.inbox_page(None, 10).expect("inbox");
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(
        store.hidden_conversations().expect("hidden")[0].title,
        "Trip"
    );
}
