//! "Erase from this device": after it, a hidden message's text is nowhere in the
//! database's files, and the message can never come back, not even from the relay.
//! Undo send keeps the same promise for a message taken back, and a message
//! that was never sent can be erased like any other.

mod support;

use std::path::Path;
use std::sync::Arc;

use candor_core::{CoreError, Draft, ManualClock, Store};
use chrono::Duration;
use support::{World, start};

const SECRET: &str = "zanzibarquokka";

/// Every file SQLite keeps for the database at `db`, and whether any holds `needle`.
fn files_contain(db: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = db.with_file_name(format!(
            "{}{suffix}",
            db.file_name().expect("name").to_string_lossy()
        ));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            found.push(path.display().to_string());
        }
    }
    found
}

fn visible_count(store: &Store) -> i64 {
    store
        .connection()
        .query_row(
            "SELECT count(*) FROM messages WHERE hidden_at IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("count")
}

fn world_on_disk(dir: &Path) -> World {
    let clock = Arc::new(ManualClock::new(start()));
    let store = Store::open_with_clock(&dir.join("candor.db"), clock.clone()).expect("store");
    World::with_store(store, clock)
}

#[test]
fn erased_text_is_in_no_database_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("candor.db");
    let mut w = world_on_disk(dir.path());
    // Enough around it that pages split and cells move while it is stored.
    for i in 0..300 {
        w.maya_says(&format!("filler message number {i} with some words in it"));
    }
    let secret = w.maya_says(&format!("the code is {SECRET}, keep it"));
    let mine = w.i_say(w.chat, &format!("mine also says {SECRET}"));
    for i in 0..300 {
        w.maya_says(&format!("later message number {i}"));
    }
    assert!(
        !files_contain(&db, SECRET).is_empty(),
        "stored before erasing"
    );

    w.store
        .hide_messages(&[w.local_id_of(&secret), mine])
        .expect("hide");
    assert!(
        !files_contain(&db, SECRET).is_empty(),
        "a hide keeps the text, for Restore"
    );
    let erased = w.store.erase_hidden(w.chat).expect("erase");
    assert_eq!(erased, 2);

    assert_eq!(files_contain(&db, SECRET), Vec::<String>::new());
    assert!(w.store.hidden_messages(w.chat).expect("hidden").is_empty());
    assert!(
        w.store
            .search(SECRET, None, 10)
            .expect("search")
            .hits
            .is_empty()
    );
    // Everything else is still there and still found.
    assert_eq!(visible_count(&w.store), 600);
    let found = w.store.search("filler 137", None, 10).expect("search");
    assert_eq!(found.hits.len(), 1);

    // Reopening finds it erased, and the text is still nowhere.
    let chat = w.chat;
    drop(w);
    let store = Store::open(&db).expect("reopen");
    assert!(store.hidden_messages(chat).expect("hidden").is_empty());
    assert_eq!(visible_count(&store), 600);
    drop(store);
    assert_eq!(files_contain(&db, SECRET), Vec::<String>::new());
}

/// Six hundred messages around whatever a test writes, so that pages split and
/// cells move while it is stored.
fn filler(w: &mut World, i: usize) {
    w.maya_says(&format!("filler message number {i} with some words in it"));
}

#[test]
fn an_undone_message_is_in_no_database_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("candor.db");
    let mut w = world_on_disk(dir.path());
    (0..300).for_each(|i| filler(&mut w, i));
    let waiting = w
        .store
        .compose(
            w.chat,
            Draft {
                text: format!("second thoughts: {SECRET}"),
                card: None,
            },
            Duration::hours(1),
        )
        .expect("send");
    // Found while it waits, like any message.
    assert_eq!(
        w.store.search(SECRET, None, 10).expect("search").hits.len(),
        1
    );
    (300..600).for_each(|i| filler(&mut w, i));
    assert!(
        !files_contain(&db, SECRET).is_empty(),
        "stored while it waits"
    );

    let back = w.store.undo_send(waiting.id).expect("undo");
    assert_eq!(back.text, format!("second thoughts: {SECRET}"));
    // Undo gives the words back to the composer, and only there.
    assert_eq!(
        w.store.draft(w.chat).expect("draft").as_deref(),
        Some(back.text.as_str())
    );
    // The person throws the draft away: now the words are nowhere.
    w.store.save_draft(w.chat, "").expect("clear");
    assert_eq!(files_contain(&db, SECRET), Vec::<String>::new());
    assert!(
        w.store
            .search(SECRET, None, 10)
            .expect("search")
            .hits
            .is_empty()
    );
    assert_eq!(visible_count(&w.store), 600);
}

#[test]
fn a_discarded_message_is_in_no_database_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("candor.db");
    let mut w = world_on_disk(dir.path());
    (0..300).for_each(|i| filler(&mut w, i));
    w.store
        .compose(
            w.chat,
            Draft {
                text: format!("left at quit: {SECRET}"),
                card: None,
            },
            Duration::seconds(30),
        )
        .expect("compose");
    assert!(!files_contain(&db, SECRET).is_empty());
    // "Discard" when quitting with messages waiting.
    assert_eq!(w.store.discard_waiting().expect("discard"), 1);
    assert_eq!(files_contain(&db, SECRET), Vec::<String>::new());
}

#[test]
fn a_message_never_sent_can_be_erased_and_not_retried() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("candor.db");
    let mut w = world_on_disk(dir.path());
    (0..300).for_each(|i| filler(&mut w, i));
    let refused = w
        .store
        .compose(
            w.chat,
            Draft {
                text: format!("refused: {SECRET}"),
                card: None,
            },
            Duration::zero(),
        )
        .expect("compose");
    // The relay refuses it for good: "Not sent", with Retry.
    w.store.mark_failed(refused.id).expect("failed");
    w.store.hide_message(refused.id).expect("hide");
    assert_eq!(w.store.erase_hidden(w.chat).expect("erase"), 1);

    assert_eq!(files_contain(&db, SECRET), Vec::<String>::new());
    assert!(w.store.hidden_messages(w.chat).expect("hidden").is_empty());
    assert!(matches!(
        w.store.retry_send(refused.id),
        Err(CoreError::UnknownMessage(id)) if id == refused.id
    ));
    assert!(w.store.outbox().expect("outbox").is_empty());
}

#[test]
fn erasing_a_message_takes_its_words_out_of_the_replies_that_quote_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("candor.db");
    let mut w = world_on_disk(dir.path());
    (0..300).for_each(|i| filler(&mut w, i));
    let secret = w.maya_says(&format!("the code is {SECRET}"));
    let maya = w.maya.clone();
    let mut reply = w.incoming(w.chat, &maya, "as I said");
    reply.reply = Some(candor_core::protocol::Quote::of(
        maya.id,
        secret.client_id,
        &format!("the code is {SECRET}"),
    ));
    w.store.apply_received(&[reply]).expect("reply");
    let secret_id = w.local_id_of(&secret);
    w.store.hide_message(secret_id).expect("hide");
    assert_eq!(w.store.erase_hidden(w.chat).expect("erase"), 1);

    assert_eq!(files_contain(&db, SECRET), Vec::<String>::new());
    let page = w.store.conversation_page(w.chat, None, 5).expect("page");
    let quote = page.messages[0].reply.as_ref().expect("a reply");
    assert_eq!(quote.state, candor_core::QuotedMessage::Erased);
    assert_eq!(quote.excerpt, "");
    assert_eq!(
        page.messages[0].text, "as I said",
        "the reply's own words stay"
    );
}

#[test]
fn an_erased_message_never_comes_back() {
    let mut w = World::new();
    let m = w.maya_says("gone for good");
    let id = w.local_id_of(&m);
    w.store.hide_message(id).expect("hide");
    w.store.hide_conversation(w.chat).expect("delete chat");
    assert_eq!(w.store.erase_hidden(w.chat).expect("erase"), 1);

    assert!(matches!(
        w.store.unhide_message(id),
        Err(CoreError::Erased(e)) if e == id
    ));
    w.store.unhide_conversation(w.chat).expect("restore chat");
    assert!(w.visible_texts(w.chat).is_empty());
    // The relay delivering it again (catch-up from an old cursor) is a duplicate.
    let outcome = w.store.apply_received(&[m]).expect("re-deliver");
    assert_eq!(outcome.duplicates, 1);
    assert!(w.visible_texts(w.chat).is_empty());
    assert_eq!(w.store.message(id).expect("row stays").text, "");
}

/// A message still in the outbox keeps its text: the send needs it. It is
/// erased by an erase after it has been sent.
#[test]
fn a_message_waiting_to_send_keeps_its_text_until_sent() {
    let mut w = World::new();
    let waiting = w
        .store
        .compose(
            w.chat,
            Draft {
                text: "still in the outbox".into(),
                card: None,
            },
            Duration::seconds(5),
        )
        .expect("compose");
    w.store.hide_message(waiting.id).expect("hide");
    assert_eq!(w.store.erase_hidden(w.chat).expect("erase"), 0);
    let due = w
        .store
        .due_sends(w.clock_now() + Duration::seconds(6))
        .expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(w.store.hidden_messages(w.chat).expect("hidden").len(), 1);
}

#[test]
fn erasing_a_chat_with_nothing_hidden_erases_nothing() {
    let mut w = World::new();
    w.maya_says("visible");
    assert_eq!(w.store.erase_hidden(w.chat).expect("erase"), 0);
    assert_eq!(w.visible_texts(w.chat), ["visible"]);
}
