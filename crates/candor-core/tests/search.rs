//! Search finds what this device shows, and nothing it hides; paging stays
//! stable while messages arrive.

mod support;

use candor_core::protocol::ConversationId;
use candor_core::{Draft, NewConversation};
use support::{World, person};

fn found(w: &World, query: &str, chat: Option<ConversationId>) -> Vec<String> {
    w.store
        .search(query, chat, 50)
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.message.text)
        .collect()
}

/// A second chat, with Sam, holding one message.
fn chat_with_sam(w: &mut World, text: &str) -> ConversationId {
    let sam = person("sam", "Sam");
    let chat = ConversationId::new();
    w.store
        .add_conversation(&NewConversation::Direct {
            id: chat,
            peer: sam.clone(),
        })
        .expect("chat");
    let m = w.incoming(chat, &sam, text);
    w.store.apply_received(&[m]).expect("apply");
    chat
}

#[test]
fn finds_words_and_prefixes_newest_first_across_chats_or_in_one() {
    let mut w = World::new();
    w.maya_says("pizza tonight?");
    w.maya_says("no, the cinema");
    w.i_say(w.chat, "Pizza it is");
    let sam = chat_with_sam(&mut w, "pizzeria on 5th is good");
    assert_eq!(
        found(&w, "pizz", None),
        ["pizzeria on 5th is good", "Pizza it is", "pizza tonight?"]
    );
    // Every word must appear; the last one may be unfinished.
    assert_eq!(found(&w, "pizza ton", None), ["pizza tonight?"]);
    assert_eq!(found(&w, "pizz", Some(sam)), ["pizzeria on 5th is good"]);
    assert_eq!(found(&w, "pizz", Some(w.chat)).len(), 2);
    let results = w.store.search("Pizza  TON", None, 50).expect("search");
    assert_eq!(results.terms, ["pizza", "ton"]);
    assert_eq!(results.hits[0].conversation_title, "Maya");
    assert!(found(&w, "sushi", None).is_empty());
}

#[test]
fn accents_and_case_do_not_matter() {
    let mut w = World::new();
    w.maya_says("Meet at the Café Noir");
    assert_eq!(found(&w, "cafe noir", None), ["Meet at the Café Noir"]);
    assert_eq!(found(&w, "CAFÉ", None), ["Meet at the Café Noir"]);
}

#[test]
fn what_people_type_is_never_read_as_search_syntax() {
    let mut w = World::new();
    w.maya_says("a \"quoted\" word and NEAR(this)");
    for q in [
        "\"", "NEAR(", "a OR", "-x", "col:y", "*", "AND", "\"quoted", "(", ")",
    ] {
        w.store.search(q, None, 10).expect("no syntax error");
    }
    assert_eq!(found(&w, "\"quoted\"", None).len(), 1);
    assert!(found(&w, "   ", None).is_empty(), "no words, no results");
}

#[test]
fn search_never_returns_hidden_messages() {
    let mut w = World::new();
    let secret = w.maya_says("the secret plan");
    w.maya_says("another plan");
    let sam = chat_with_sam(&mut w, "sam's plan");
    assert_eq!(found(&w, "plan", None).len(), 3);

    // A message hidden for me.
    let id = w.local_id_of(&secret);
    w.store.hide_message(id).expect("hide");
    assert_eq!(found(&w, "plan", None), ["sam's plan", "another plan"]);
    assert!(found(&w, "secret", None).is_empty());
    w.store.unhide_message(id).expect("restore");
    assert_eq!(found(&w, "secret", None), ["the secret plan"]);

    // A whole chat hidden: none of its messages, until it is restored.
    w.store.hide_conversation(w.chat).expect("hide chat");
    assert_eq!(found(&w, "plan", None), ["sam's plan"]);
    // A new message brings the chat back with only the new message.
    w.maya_says("new plan after the hide");
    assert_eq!(
        found(&w, "plan", None),
        ["new plan after the hide", "sam's plan"]
    );
    assert!(found(&w, "plan", Some(sam)).len() == 1);
}

#[test]
fn a_queued_message_is_found_as_soon_as_it_is_written() {
    let mut w = World::new();
    w.store
        .compose(
            w.chat,
            Draft {
                text: "written offline".into(),
                card: None,
            },
            chrono::Duration::zero(),
        )
        .expect("compose");
    assert_eq!(found(&w, "offline", None), ["written offline"]);
}

#[test]
fn paging_up_is_stable_while_new_messages_arrive() {
    let mut w = World::new();
    for i in 0..30 {
        w.maya_says(&format!("m{i:02}"));
    }
    let first = w.store.conversation_page(w.chat, None, 10).expect("page");
    let texts = |p: &candor_core::MessagePage| -> Vec<String> {
        p.messages.iter().map(|m| m.text.clone()).collect()
    };
    assert_eq!(texts(&first)[0], "m29");
    // New messages, received and written, arrive between the two pages.
    for i in 0..5 {
        w.maya_says(&format!("new{i}"));
    }
    w.i_say(w.chat, "mine");
    w.store
        .compose(
            w.chat,
            Draft {
                text: "queued".into(),
                card: None,
            },
            chrono::Duration::zero(),
        )
        .expect("compose");
    let second = w
        .store
        .conversation_page(w.chat, first.before, 10)
        .expect("page");
    let third = w
        .store
        .conversation_page(w.chat, second.before, 10)
        .expect("page");
    let all: Vec<String> = [texts(&first), texts(&second), texts(&third)].concat();
    let expected: Vec<String> = (0..30).rev().map(|i| format!("m{i:02}")).collect();
    assert_eq!(all, expected, "no gap, no repeat");
    assert_eq!(third.before, None, "the oldest page says so");

    // And down again from a message, as opening a search result does.
    let from = second.messages.last().expect("m10").cursor;
    let newer = w.store.newer_messages(w.chat, from, 25).expect("newer");
    assert_eq!(newer.messages[0].text, "m11");
    assert!(newer.more);
    let rest = w
        .store
        .newer_messages(w.chat, newer.messages.last().expect("last").cursor, 25)
        .expect("rest");
    assert!(!rest.more);
    assert_eq!(
        rest.messages.last().map(|m| m.text.as_str()),
        Some("queued"),
        "the queued message comes last"
    );
}

#[test]
fn inbox_paging_is_stable_while_chats_move() {
    let mut w = World::new();
    let mut chats = Vec::new();
    for i in 0..12 {
        let p = person(&format!("p{i}"), &format!("P{i:02}"));
        let chat = ConversationId::new();
        w.store
            .add_conversation(&NewConversation::Direct {
                id: chat,
                peer: p.clone(),
            })
            .expect("chat");
        let m = w.incoming(chat, &p, "hi");
        w.store.apply_received(&[m]).expect("apply");
        chats.push((chat, p));
    }
    let first = w.store.inbox_page(None, 5).expect("page");
    // A chat from the second page gets a new message and moves to the top: the
    // pages that follow neither repeat nor skip the others.
    let (moved, who) = chats[3].clone();
    let m = w.incoming(moved, &who, "bump");
    w.store.apply_received(&[m]).expect("apply");
    let mut seen: Vec<String> = first.items.iter().map(|i| i.title.clone()).collect();
    let mut after = first.next;
    while let Some(cursor) = after {
        let page = w.store.inbox_page(Some(&cursor), 5).expect("page");
        seen.extend(page.items.iter().map(|i| i.title.clone()));
        after = page.next;
    }
    // The moved chat is now above the first page, so it is not met again; the
    // world's empty chat with Maya comes last.
    let mut expected: Vec<String> = (0..12)
        .rev()
        .filter(|i| *i != 3)
        .map(|i| format!("P{i:02}"))
        .collect();
    expected.push("Maya".into());
    assert_eq!(seen, expected);
}

#[test]
fn any_chat_has_its_row_for_opening_it_from_search() {
    let mut w = World::new();
    w.maya_says("hello there");
    let item = w.store.inbox_item(w.chat).expect("row");
    assert_eq!(item.title, "Maya");
    assert_eq!(item.preview.as_deref(), Some("hello there"));
    assert_eq!(item.unread_count, 1);
    assert!(matches!(
        w.store.inbox_item(ConversationId::new()),
        Err(candor_core::CoreError::UnknownConversation(_))
    ));
}

#[test]
fn chats_are_found_by_name_or_handle_and_settings_stick() {
    let mut w = World::new();
    w.maya_says("hi");
    let sam = chat_with_sam(&mut w, "yo");
    let names = |w: &World, q: &str| -> Vec<String> {
        w.store
            .chats_named(q, 10)
            .expect("chats")
            .into_iter()
            .map(|i| i.title)
            .collect()
    };
    assert_eq!(names(&w, "MAY"), ["Maya"]);
    assert_eq!(names(&w, "sam"), ["Sam"], "by handle too");
    assert!(names(&w, "%").is_empty(), "LIKE wildcards are only text");
    assert!(names(&w, "  ").is_empty());

    // Pin moves a chat first; mute and block show on its row.
    w.store.set_pinned(w.chat, true).expect("pin");
    let until = w.clock_now() + chrono::Duration::hours(8);
    w.store.set_muted_until(sam, Some(until)).expect("mute");
    let maya_id = w.maya.id;
    w.store.set_blocked(maya_id, true).expect("block");
    let items = w.store.inbox_page(None, 10).expect("inbox").items;
    assert_eq!(items[0].title, "Maya");
    assert!(items[0].pinned && items[0].peer_blocked);
    assert_eq!(items[0].peer_id, Some(maya_id));
    assert_eq!(items[1].muted_until, Some(until));
    w.store.set_muted_until(sam, None).expect("unmute");
    assert_eq!(w.store.inbox_item(sam).expect("row").muted_until, None);

    assert!(w.store.notifications_enabled().expect("pref"));
    w.store.set_notifications_enabled(false).expect("off");
    assert!(!w.store.notifications_enabled().expect("pref"));
}

#[test]
fn a_group_left_stays_readable_until_the_relay_adds_us_back() {
    let mut w = World::new();
    let sam = person("sam", "Sam");
    let group = ConversationId::new();
    let trip = NewConversation::Group {
        id: group,
        title: "Trip".into(),
        members: vec![w.maya.clone(), sam],
        admins: Vec::new(),
    };
    w.store.add_conversation(&trip).expect("group");
    let m = w.incoming(group, &w.maya.clone(), "who's driving?");
    w.store.apply_received(&[m]).expect("apply");
    assert!(!w.store.inbox_item(group).expect("row").left);
    w.store.set_left(group).expect("leave");
    let row = w.store.inbox_item(group).expect("row");
    assert!(row.left);
    assert_eq!(
        row.preview.as_deref(),
        Some("who's driving?"),
        "still readable"
    );
    // A direct chat cannot be left.
    w.store.set_left(w.chat).expect("no-op");
    assert!(!w.store.inbox_item(w.chat).expect("row").left);
    // Added back: the relay describes the group again.
    w.store.add_conversation(&trip).expect("again");
    assert!(!w.store.inbox_item(group).expect("row").left);
}
