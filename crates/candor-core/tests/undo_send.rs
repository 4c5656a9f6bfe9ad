//! Undo send, on a clock the test moves: a message waits out its window on this
//! device, Undo inside it deletes the message for real, and after it Undo is
//! refused with TooLate. Order and durability hold.

mod support;

use std::sync::Arc;

use candor_core::protocol::{MessageId, ServerMessageId};
use candor_core::{CoreError, Draft, ManualClock, Store, UndoSendWindow};
use chrono::Duration;
use support::{World, start};

fn write(w: &mut World, text: &str) -> MessageId {
    let window = w.store.undo_send_window().expect("window").duration();
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
        .id
}

fn due_texts(w: &World) -> Vec<String> {
    w.store
        .due_sends(w.clock_now())
        .expect("due")
        .into_iter()
        .map(|p| p.text.as_str().to_owned())
        .collect()
}

fn advance(w: &World, seconds: i64) {
    w.clock.advance(Duration::seconds(seconds));
}

/// The relay took the message: as the sync engine records it.
fn sent(w: &mut World, id: MessageId, seq: i64) {
    w.store
        .acknowledge(
            id,
            ServerMessageId::new(),
            seq,
            w.clock_now(),
            support::at(seq as u64),
        )
        .expect("ack");
}

#[test]
fn the_window_is_five_seconds_unless_changed() {
    let mut w = World::new();
    assert_eq!(
        w.store.undo_send_window().expect("window"),
        UndoSendWindow::FiveSeconds
    );
    for window in UndoSendWindow::ALL {
        w.store.set_undo_send_window(window).expect("set");
        assert_eq!(w.store.undo_send_window().expect("window"), window);
    }
    assert_eq!(UndoSendWindow::from_seconds(7), None);
}

#[test]
fn a_message_waits_out_its_window_then_is_due() {
    let mut w = World::new();
    let id = write(&mut w, "hello");
    let shown = w.store.message(id).expect("message");
    assert_eq!(shown.send_at, Some(w.clock_now() + Duration::seconds(5)));
    advance(&w, 4);
    assert!(due_texts(&w).is_empty(), "not before the window ends");
    advance(&w, 1);
    assert_eq!(due_texts(&w), ["hello"]);
}

#[test]
fn undo_inside_the_window_deletes_the_message_and_gives_back_its_text() {
    let mut w = World::new();
    let id = write(&mut w, "wrong chat, sorry");
    advance(&w, 4);
    let draft = w.store.undo_send(id).expect("undo");
    assert_eq!(draft.text, "wrong chat, sorry");
    assert!(matches!(
        w.store.message(id),
        Err(CoreError::UnknownMessage(_))
    ));
    assert!(w.store.outbox().expect("outbox").is_empty());
    assert!(w.visible_texts(w.chat).is_empty());
    assert!(
        w.store
            .search("wrong", None, 10)
            .expect("search")
            .hits
            .is_empty()
    );
    let inbox = w.store.inbox_page(None, 10).expect("inbox");
    assert_eq!(inbox.items[0].preview, None);
    advance(&w, 10);
    assert!(due_texts(&w).is_empty(), "nothing is ever sent");
}

#[test]
fn undo_after_the_window_is_too_late_and_changes_nothing() {
    let mut w = World::new();
    let id = write(&mut w, "on its way");
    advance(&w, 5);
    assert!(matches!(w.store.undo_send(id), Err(CoreError::TooLate(e)) if e == id));
    sent(&mut w, id, 1);
    assert!(matches!(w.store.undo_send(id), Err(CoreError::TooLate(_))));
    assert_eq!(w.visible_texts(w.chat), ["on its way"]);
    let unknown = MessageId::new();
    assert!(matches!(
        w.store.undo_send(unknown),
        Err(CoreError::UnknownMessage(_))
    ));
}

#[test]
fn a_burst_with_one_undone_leaves_in_the_order_written() {
    let mut w = World::new();
    let one = write(&mut w, "one");
    let two = write(&mut w, "two");
    let three = write(&mut w, "three");
    w.store.undo_send(two).expect("undo two");
    advance(&w, 5);
    // One job per chat at a time, oldest first.
    assert_eq!(due_texts(&w), ["one"]);
    sent(&mut w, one, 1);
    assert_eq!(due_texts(&w), ["three"]);
    sent(&mut w, three, 2);
    assert!(due_texts(&w).is_empty());
    assert_eq!(w.visible_texts(w.chat), ["three", "one"]);
}

#[test]
fn turning_it_off_sends_at_once() {
    let mut w = World::new();
    w.store
        .set_undo_send_window(UndoSendWindow::Off)
        .expect("off");
    let id = write(&mut w, "now");
    assert_eq!(due_texts(&w), ["now"]);
    assert!(matches!(w.store.undo_send(id), Err(CoreError::TooLate(_))));
}

/// A database file in a new directory (kept while the directory lives), and
/// the clock to open it with.
fn on_disk() -> (tempfile::TempDir, std::path::PathBuf, Arc<ManualClock>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("candor.db");
    (dir, db, Arc::new(ManualClock::new(start())))
}

#[test]
fn the_window_survives_a_restart() {
    let (_dir, db, clock) = on_disk();
    let store = Store::open_with_clock(&db, clock.clone()).expect("open");
    let mut w = World::with_store(store, clock.clone());
    let early = write(&mut w, "written first");
    advance(&w, 3);
    let late = write(&mut w, "written later");
    drop(w);

    // Four seconds later (the app was closed): the first window has passed,
    // the second still runs and can still be undone.
    clock.advance(Duration::seconds(4));
    let mut store = Store::open_with_clock(&db, clock.clone()).expect("reopen");
    let due: Vec<_> = store
        .due_sends(clock_now(&clock))
        .expect("due")
        .into_iter()
        .map(|p| p.entry.message_id)
        .collect();
    assert_eq!(due, [early]);
    assert_eq!(store.waiting_to_send().expect("waiting"), [late]);
    assert_eq!(store.undo_send(late).expect("undo").text, "written later");
}

fn clock_now(clock: &ManualClock) -> chrono::DateTime<chrono::Utc> {
    use candor_core::Clock;
    clock.now()
}

#[test]
fn quitting_can_send_now_or_discard_what_waits() {
    let mut w = World::new();
    write(&mut w, "a");
    write(&mut w, "b");
    assert_eq!(w.store.waiting_to_send().expect("waiting").len(), 2);
    assert_eq!(w.store.send_waiting_now().expect("send now"), 2);
    assert!(w.store.waiting_to_send().expect("waiting").is_empty());
    assert_eq!(due_texts(&w), ["a"]);

    let mut w = World::new();
    write(&mut w, "x");
    write(&mut w, "y");
    assert_eq!(w.store.discard_waiting().expect("discard"), 2);
    assert!(w.visible_texts(w.chat).is_empty());
    assert!(w.store.outbox().expect("outbox").is_empty());
}

/// The wall clock is set back an hour while a message waits: it still leaves
/// when its window ends, not an hour later.
#[test]
fn a_clock_set_back_does_not_lengthen_the_window() {
    let mut w = World::new();
    let id = write(&mut w, "on time");
    advance(&w, 2);
    w.clock.step_wall(Duration::hours(-1));
    assert!(due_texts(&w).is_empty(), "still inside its window");
    assert_eq!(w.store.waiting_to_send().expect("waiting"), [id]);
    advance(&w, 3);
    assert_eq!(
        due_texts(&w),
        ["on time"],
        "five seconds after it was written"
    );
}

/// Set forward an hour: the window still runs, and Undo still works in it.
#[test]
fn a_clock_set_forward_keeps_the_undo() {
    let mut w = World::new();
    let id = write(&mut w, "take it back");
    advance(&w, 1);
    w.clock.step_wall(Duration::hours(1));
    assert!(due_texts(&w).is_empty(), "the window has 4 s left");
    let page = w.store.conversation_page(w.chat, None, 10).expect("page");
    let send_at = page.messages[0].send_at.expect("still waiting");
    assert_eq!(
        send_at,
        w.clock_now() + Duration::seconds(4),
        "the countdown shown ends 4 s from the clock's new time"
    );
    assert_eq!(w.store.undo_send(id).expect("undo").text, "take it back");
}

/// Set back while the app was closed, where no monotonic clock can tell: on
/// open, no message waits longer than the longest window.
#[test]
fn a_clock_set_back_while_closed_delays_by_at_most_the_longest_window() {
    let (_dir, db, clock) = on_disk();
    let store = Store::open_with_clock(&db, clock.clone()).expect("open");
    let mut w = World::with_store(store, clock.clone());
    write(&mut w, "written before the clock went back");
    drop(w);

    clock.step_wall(Duration::days(-1));
    let store = Store::open_with_clock(&db, clock.clone()).expect("reopen");
    let longest = UndoSendWindow::ALL
        .iter()
        .map(|w| w.seconds())
        .max()
        .expect("windows");
    clock.advance(Duration::seconds(longest));
    assert_eq!(
        store.due_sends(clock_now(&clock)).expect("due").len(),
        1,
        "due within the longest window, not a day later"
    );
}
