//! Which senders this device tells that their messages arrived and were read.
//! A receipt says "this account is here, and reading": a stranger whose chat
//! is still a Request, and someone this account blocked, are told nothing.

mod support;

use support::World;

#[test]
fn a_request_gets_no_receipts_until_it_is_accepted() {
    let mut w = World::new();
    w.maya_says("hi, we met at the conference");
    w.store.set_request(w.chat, true).expect("a request");
    w.store.mark_read(w.chat, 1).expect("read");

    assert!(w.store.may_acknowledge([w.chat]).expect("ask").is_empty());
    assert!(w.store.unreported_reads().expect("reads").is_empty());

    // Accepted: the read position, kept meanwhile, goes out now.
    w.store.set_request(w.chat, false).expect("accept");
    assert_eq!(w.store.may_acknowledge([w.chat]).expect("ask"), [w.chat]);
    assert_eq!(w.store.unreported_reads().expect("reads"), [(w.chat, 1)]);
}

#[test]
fn someone_blocked_gets_no_receipts() {
    let mut w = World::new();
    w.maya_says("are you there?");
    w.store.mark_read(w.chat, 1).expect("read");
    let maya = w.maya.id;
    w.store.set_blocked(maya, true).expect("block");

    assert!(w.store.may_acknowledge([w.chat]).expect("ask").is_empty());
    assert!(w.store.unreported_reads().expect("reads").is_empty());

    w.store.set_blocked(maya, false).expect("unblock");
    assert_eq!(w.store.may_acknowledge([w.chat]).expect("ask"), [w.chat]);
    assert_eq!(w.store.unreported_reads().expect("reads"), [(w.chat, 1)]);
}

#[test]
fn an_unknown_chat_is_not_acknowledged() {
    let w = World::new();
    let unknown = candor_core::protocol::ConversationId::new();
    assert_eq!(
        w.store.may_acknowledge([unknown, w.chat]).expect("ask"),
        [w.chat]
    );
}
