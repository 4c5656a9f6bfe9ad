//! Reactions in the store: one per person per message, changed or taken back
//! by sending again; sent like messages (a job in the outbox, stored once
//! whatever the wire repeats), but never a message of their own in a page,
//! a search, an unread count or a notice. The newest reaction to one of my
//! messages is the chat's preview.

mod support;

use candor_core::protocol::{DeliveredMessage, MessageId, Reaction};
use candor_core::{CoreError, Draft, NewConversation, Person, ReactionCount};
use chrono::Duration;
use support::{World, person};

/// Maya's reaction `emoji` on `target` (by its author and client id).
fn maya_reacts(
    w: &mut World,
    author: &Person,
    target: MessageId,
    emoji: &str,
    removed: bool,
) -> DeliveredMessage {
    let maya = w.maya.clone();
    let mut m = w.incoming(w.chat, &maya, emoji);
    m.reaction = Some(Reaction {
        author: author.id,
        message: target,
        removed,
    });
    w.store
        .apply_received(std::slice::from_ref(&m))
        .expect("apply");
    m
}

/// The row a delivered reaction is stored as (pages never show it).
fn row_of(w: &World, delivered: &DeliveredMessage) -> MessageId {
    w.store
        .connection()
        .query_row(
            "SELECT id FROM messages WHERE server_id = ?1",
            [delivered.server_id.to_string()],
            |r| r.get::<_, String>(0),
        )
        .expect("stored")
        .parse()
        .expect("an id")
}

fn reactions_of(w: &World, id: MessageId) -> Vec<ReactionCount> {
    w.store.message(id).expect("message").reactions
}

fn count(emoji: &str, people: &[&str], mine: bool) -> ReactionCount {
    ReactionCount {
        emoji: emoji.into(),
        people: people.iter().map(|p| (*p).to_owned()).collect(),
        mine,
    }
}

#[test]
fn my_reaction_is_one_i_can_change_and_take_back_each_sent() {
    let mut w = World::new();
    let hers = w.maya_says("dinner at 8?");
    let id = w.local_id_of(&hers);

    let shown = w.store.react(id, Some("❤️")).expect("react");
    assert_eq!(shown.reactions, [count("❤️", &["You"], true)]);
    let shown = w.store.react(id, Some("👍🏽")).expect("change");
    assert_eq!(
        shown.reactions,
        [count("👍🏽", &["You"], true)],
        "one per person"
    );
    let shown = w.store.react(id, None).expect("take back");
    assert!(shown.reactions.is_empty());
    // Each went out as its own send: the others learn of every change.
    let due = w
        .store
        .due_sends(w.clock_now() + Duration::seconds(1))
        .expect("due");
    assert_eq!(due.len(), 1, "one job at a time per chat");
    assert_eq!(w.store.outbox().expect("outbox").len(), 3);
    let first = &due[0];
    assert_eq!(first.text.as_str(), "❤️");
    assert_eq!(
        first.reaction,
        Some(Reaction {
            author: w.maya.id,
            message: hers.client_id,
            removed: false
        })
    );
    // Taking back when there is nothing to take back sends nothing.
    w.store.react(id, None).expect("nothing to take back");
    assert_eq!(w.store.outbox().expect("outbox").len(), 3);

    // None of it is a message: not in the chat, not found, not unread.
    assert_eq!(w.visible_texts(w.chat), ["dinner at 8?"]);
    assert!(
        w.store
            .search("👍🏽", None, 10)
            .expect("search")
            .hits
            .is_empty()
    );
}

#[test]
fn only_one_emoji_on_a_message_that_has_been_sent() {
    let mut w = World::new();
    let hers = w.maya_says("hi");
    let id = w.local_id_of(&hers);
    assert!(matches!(
        w.store.react(id, Some("love")),
        Err(CoreError::NotAnEmoji(_))
    ));
    assert!(matches!(
        w.store.react(id, Some("❤️❤️")),
        Err(CoreError::NotAnEmoji(_))
    ));
    let waiting = w
        .store
        .compose(
            w.chat,
            Draft {
                text: "still waiting".into(),
                card: None,
            },
            Duration::seconds(5),
        )
        .expect("compose");
    assert!(matches!(
        w.store.react(waiting.id, Some("❤️")),
        Err(CoreError::CantReact(m)) if m == waiting.id
    ));
    w.store.hide_message(id).expect("hide");
    assert!(matches!(
        w.store.react(id, Some("❤️")),
        Err(CoreError::CantReact(_))
    ));
}

#[test]
fn a_reaction_to_my_message_shows_on_it_and_in_the_inbox_but_is_never_unread() {
    let mut w = World::new();
    let me = w.me.clone();
    let mine = w.i_say(
        w.chat,
        "see you at the lighthouse at noon, bring the good camera",
    );
    let wire = w.store.message(mine).expect("mine").id;
    let unread_before = w.store.inbox_item(w.chat).expect("row").unread_count;

    let heart = maya_reacts(&mut w, &me, wire, "❤️", false);
    assert_eq!(reactions_of(&w, mine), [count("❤️", &["Maya"], false)]);
    let row = w.store.inbox_item(w.chat).expect("row");
    assert_eq!(
        row.preview.as_deref(),
        Some("Maya reacted ❤️ to: see you at the lighthouse at noon, bring the good camera")
    );
    assert!(!row.preview_is_own);
    assert_eq!(row.unread_count, unread_before, "a reaction is not unread");
    // The notice for it carries my message, with the reaction on it.
    let noticed = w
        .store
        .visible_messages(&[row_of(&w, &heart)])
        .expect("notice");
    assert_eq!(noticed.len(), 1);
    assert_eq!(noticed[0].id, mine);
    assert_eq!(noticed[0].reactions, [count("❤️", &["Maya"], false)]);

    // The same delivery again (a re-sync) changes nothing.
    let again = w.store.apply_received(&[heart]).expect("again");
    assert_eq!(again.duplicates, 1);
    assert_eq!(reactions_of(&w, mine).len(), 1);

    // She changes it, and then takes it back: the preview follows.
    maya_reacts(&mut w, &me, wire, "😂", false);
    assert_eq!(reactions_of(&w, mine), [count("😂", &["Maya"], false)]);
    assert!(
        w.store
            .inbox_item(w.chat)
            .expect("row")
            .preview
            .expect("p")
            .starts_with("Maya reacted 😂")
    );
    maya_reacts(&mut w, &me, wire, "😂", true);
    assert!(reactions_of(&w, mine).is_empty());
    assert_eq!(
        w.store.inbox_item(w.chat).expect("row").preview.as_deref(),
        Some("see you at the lighthouse at noon, bring the good camera")
    );
}

#[test]
fn a_hidden_message_hides_its_reactions_and_a_blocked_member_reacts_unseen() {
    let mut w = World::new();
    let me = w.me.clone();
    let mine = w.i_say(w.chat, "hello");
    maya_reacts(&mut w, &me, mine, "👍", false);
    w.store.hide_message(mine).expect("hide");
    assert_eq!(
        w.store.inbox_item(w.chat).expect("row").preview,
        None,
        "no preview of a reaction to a message deleted for me"
    );

    // In a group, the reaction of someone I blocked is not shown.
    let leo = person("leo", "Leo");
    let group = w.trip_with(&[&leo]);
    let ours = w.i_say(group, "who's driving?");
    for (who, emoji) in [(&leo, "😡"), (&w.maya.clone(), "🚗")] {
        let mut m = w.incoming(group, who, emoji);
        m.reaction = Some(Reaction {
            author: me.id,
            message: ours,
            removed: false,
        });
        w.store.apply_received(&[m]).expect("apply");
    }
    assert_eq!(reactions_of(&w, ours).len(), 2);
    w.store.set_blocked(leo.id, true).expect("block");
    assert_eq!(reactions_of(&w, ours), [count("🚗", &["Maya"], false)]);
}

#[test]
fn reactions_are_counted_by_emoji_most_given_first() {
    let mut w = World::new();
    let leo = person("leo", "Leo");
    let sam = person("sam", "Sam");
    let group = w.trip_with(&[&leo, &sam]);
    let me = w.me.clone();
    let ours = w.i_say(group, "we leave at 6");
    for (who, emoji) in [(&w.maya.clone(), "😮"), (&leo, "👍"), (&sam, "👍")] {
        let mut m = w.incoming(group, who, emoji);
        m.reaction = Some(Reaction {
            author: me.id,
            message: ours,
            removed: false,
        });
        w.store.apply_received(&[m]).expect("apply");
    }
    assert_eq!(
        reactions_of(&w, ours),
        [
            count("👍", &["Leo", "Sam"], false),
            count("😮", &["Maya"], false)
        ]
    );
}

#[test]
fn only_a_reaction_that_is_the_chats_news_notifies() {
    let mut w = World::new();
    let me = w.me.clone();
    let mine = w.i_say(w.chat, "see you at 8");
    let heart = maya_reacts(&mut w, &me, mine, "❤️", false);
    assert_eq!(
        w.store
            .reactions_to_me(&[row_of(&w, &heart)])
            .expect("news"),
        [w.chat]
    );
    // Changed since (in the same batch, or caught up late): the old one says
    // nothing any more.
    let laugh = maya_reacts(&mut w, &me, mine, "😂", false);
    assert!(
        w.store
            .reactions_to_me(&[row_of(&w, &heart)])
            .expect("news")
            .is_empty()
    );
    assert_eq!(
        w.store
            .reactions_to_me(&[row_of(&w, &laugh)])
            .expect("news"),
        [w.chat]
    );
    // A reaction to a message deleted for me, or taken back, is no news.
    w.store.hide_message(mine).expect("hide");
    assert!(
        w.store
            .reactions_to_me(&[row_of(&w, &laugh)])
            .expect("news")
            .is_empty()
    );
    // From someone blocked, in a group: no news either. (A direct chat
    // with someone blocked notifies of nothing: the alert rules leave it out.)
    let leo = person("leo", "Leo");
    let group = w.trip_with(&[&leo]);
    let ours = w.i_say(group, "who's driving?");
    w.store.set_blocked(leo.id, true).expect("block");
    let mut wave = w.incoming(group, &leo, "👋");
    wave.reaction = Some(Reaction {
        author: me.id,
        message: ours,
        removed: false,
    });
    w.store
        .apply_received(std::slice::from_ref(&wave))
        .expect("apply");
    assert!(
        w.store
            .reactions_to_me(&[row_of(&w, &wave)])
            .expect("news")
            .is_empty()
    );
}

#[test]
fn no_reaction_in_a_request_or_a_group_left() {
    let mut w = World::new();
    let stranger = person("sam", "Sam");
    let request = candor_core::protocol::ConversationId::new();
    w.store
        .add_conversation(&NewConversation::Direct {
            id: request,
            peer: stranger.clone(),
        })
        .expect("chat");
    let hello = w.incoming(request, &stranger, "hello, remember me?");
    w.store.apply_received(&[hello]).expect("apply");
    w.store.set_request(request, true).expect("a request");
    let id = w
        .store
        .conversation_page(request, None, 1)
        .expect("page")
        .messages[0]
        .id;
    assert!(matches!(
        w.store.react(id, Some("❤️")),
        Err(CoreError::CantReact(_))
    ));
}

#[test]
fn a_message_offered_again_after_a_restore_leaves_before_a_waiting_reaction() {
    let mut w = World::new();
    let hers = w.maya_says("hi");
    let hers_id = w.local_id_of(&hers);
    let mine = w.i_say(w.chat, "mine, soon lost");
    w.store.react(hers_id, Some("❤️")).expect("react");
    // The relay, restored from a copy, gives my message's seq to another.
    let maya = w.maya.clone();
    let mut other = w.incoming(w.chat, &maya, "written after the restore");
    other.seq = 2;
    w.store.apply_received(&[other]).expect("apply");
    let due = w
        .store
        .due_sends(w.clock_now() + Duration::seconds(1))
        .expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].entry.message_id, mine, "the lost message first");
    assert_eq!(due[0].reaction, None);
}

#[test]
fn a_waiting_row_with_nothing_to_send_fails_alone() {
    let mut w = World::new();
    let group = w.trip_with(&[]);
    let draft = |t: &str| Draft {
        text: t.into(),
        card: None,
    };
    let broken = w
        .store
        .compose(w.chat, draft("x"), Duration::zero())
        .expect("compose");
    let fine = w
        .store
        .compose(group, draft("fine"), Duration::zero())
        .expect("compose");
    w.store
        .connection()
        .execute(
            "UPDATE messages SET body = '' WHERE id = ?1",
            [broken.id.to_string()],
        )
        .expect("empty it");
    let due = w
        .store
        .due_sends(w.clock_now() + Duration::seconds(1))
        .expect("due");
    assert_eq!(
        due.iter().map(|d| d.entry.message_id).collect::<Vec<_>>(),
        [fine.id]
    );
    assert_eq!(
        w.store.message(broken.id).expect("row").status,
        candor_core::DeliveryStatus::Failed
    );
}
