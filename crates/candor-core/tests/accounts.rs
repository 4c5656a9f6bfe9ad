//! The account rules a device keeps on its own: one account per profile, and
//! no chat with yourself.

mod support;

use candor_core::protocol::frames::direct_conversation_id;
use candor_core::{CoreError, Profile};
use support::{World, person};

fn profile_of(p: &candor_core::Person) -> Profile {
    Profile {
        user_id: p.id,
        handle: p.handle.clone(),
        display_name: p.display_name.clone(),
        relay_url: "http://127.0.0.1:1".into(),
    }
}

#[test]
fn a_profile_keeps_one_account_and_refuses_another_without_change() {
    let mut w = World::new();
    let renamed = Profile {
        display_name: "Ana Lima".into(),
        relay_url: "http://relay.example".into(),
        ..profile_of(&w.me)
    };
    w.store
        .adopt_profile(&renamed)
        .expect("the same account again");
    assert_eq!(w.store.profile().expect("read"), Some(renamed.clone()));

    let other = profile_of(&person("mallory", "Mallory"));
    match w.store.adopt_profile(&other) {
        Err(e @ CoreError::ProfileOfAnother { .. }) => {
            let said = e.to_string();
            assert!(said.contains("@ana") && said.contains("@mallory"), "{said}");
        }
        other => panic!("expected ProfileOfAnother, got {other:?}"),
    }
    assert_eq!(
        w.store.profile().expect("read"),
        Some(renamed),
        "nothing changed"
    );
}

#[test]
fn a_new_device_adopts_its_first_account() {
    let clock = std::sync::Arc::new(candor_core::ManualClock::new(support::start()));
    let mut store = candor_core::Store::open_in_memory(clock).expect("store");
    let ana = profile_of(&person("ana", "Ana"));
    store.adopt_profile(&ana).expect("first account");
    assert_eq!(store.profile().expect("read"), Some(ana));
}

#[test]
fn opening_a_direct_chat_uses_the_shared_id_and_refuses_yourself() {
    let mut w = World::new();
    let leo = person("leo", "Leo");
    let id = w.store.open_direct_chat(leo.clone()).expect("chat");
    assert_eq!(id, direct_conversation_id(w.me.id, leo.id));
    assert_eq!(
        w.store.open_direct_chat(leo).expect("again"),
        id,
        "opening it again is the same chat"
    );
    assert!(matches!(
        w.store.open_direct_chat(w.me.clone()),
        Err(CoreError::ThatIsYou)
    ));
}
