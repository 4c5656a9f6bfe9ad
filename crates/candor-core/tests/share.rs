//! Sharing a video to several chats at once (one window, one Undo for all), and
//! a chat's Videos view.

mod support;

use candor_core::protocol::{ConversationId, VideoCard};
use candor_core::{CoreError, Draft, NewConversation};
use chrono::Duration;
use support::{World, person};

fn video_draft(note: &str) -> Draft {
    Draft {
        text: format!("{note} https://youtu.be/dQw4w9WgXcQ"),
        card: Some(VideoCard {
            provider: "youtube".into(),
            url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into(),
            title: Some("Never Gonna Give You Up".into()),
            author: None,
            thumbnail_jpeg: None,
        }),
    }
}

/// Maya's chat and two more.
fn three_chats(w: &mut World) -> Vec<ConversationId> {
    let mut chats = vec![w.chat];
    for handle in ["sam", "lee"] {
        let id = ConversationId::new();
        w.store
            .add_conversation(&NewConversation::Direct {
                id,
                peer: person(handle, handle),
            })
            .expect("chat");
        chats.push(id);
    }
    chats
}

#[test]
fn a_share_writes_one_message_in_each_chat_with_one_window() {
    let mut w = World::new();
    let chats = three_chats(&mut w);
    let ids = w
        .store
        .share(&chats, video_draft("look"), Duration::seconds(5))
        .expect("share");
    assert_eq!(ids.len(), 3);
    let windows: Vec<_> = ids
        .iter()
        .map(|id| w.store.message(*id).expect("message").send_at)
        .collect();
    assert!(windows.iter().all(|t| t.is_some() && *t == windows[0]));
    for chat in &chats {
        assert_eq!(w.store.videos(*chat, 10).expect("videos").len(), 1);
    }
    w.clock.advance(Duration::seconds(5));
    assert_eq!(w.store.due_sends(w.clock_now()).expect("due").len(), 3);
}

#[test]
fn undo_on_any_message_of_a_share_takes_back_all_of_it() {
    let mut w = World::new();
    let chats = three_chats(&mut w);
    let ids = w
        .store
        .share(&chats, video_draft("look"), Duration::seconds(5))
        .expect("share");
    w.clock.advance(Duration::seconds(2));
    let draft = w.store.undo_send(ids[1]).expect("undo");
    assert_eq!(draft.text, "look https://youtu.be/dQw4w9WgXcQ");
    assert!(draft.card.is_some());
    assert!(w.store.outbox().expect("outbox").is_empty());
    for chat in &chats {
        assert!(w.store.videos(*chat, 10).expect("videos").is_empty());
    }
    assert!(matches!(
        w.store.undo_send(ids[0]),
        Err(CoreError::UnknownMessage(_))
    ));
}

#[test]
fn a_share_is_too_late_to_undo_once_its_window_has_passed() {
    let mut w = World::new();
    let chats = three_chats(&mut w);
    let ids = w
        .store
        .share(&chats, video_draft("look"), Duration::seconds(5))
        .expect("share");
    w.clock.advance(Duration::seconds(5));
    assert!(matches!(
        w.store.undo_send(ids[2]),
        Err(CoreError::TooLate(_))
    ));
    assert_eq!(w.store.outbox().expect("outbox").len(), 3);
}

#[test]
fn a_share_goes_to_one_to_thirty_two_chats() {
    let mut w = World::new();
    assert!(matches!(
        w.store.share(&[], video_draft("x"), Duration::zero()),
        Err(CoreError::ShareSize(0))
    ));
    let many = vec![w.chat; 33];
    assert!(matches!(
        w.store.share(&many, video_draft("x"), Duration::zero()),
        Err(CoreError::ShareSize(33))
    ));
    // An unknown chat among them: nothing is written anywhere.
    let result = w.store.share(
        &[w.chat, ConversationId::new()],
        video_draft("x"),
        Duration::zero(),
    );
    assert!(matches!(result, Err(CoreError::UnknownConversation(_))));
    assert!(w.store.outbox().expect("outbox").is_empty());
}

#[test]
fn the_videos_view_lists_visible_videos_newest_first() {
    let mut w = World::new();
    let chat = w.chat;
    let first = w
        .store
        .compose(chat, video_draft("first"), Duration::zero())
        .expect("first");
    w.tick();
    w.store
        .compose(chat, video_draft("second"), Duration::zero())
        .expect("second");
    w.maya_says("no video here");
    let texts = |w: &World| -> Vec<String> {
        w.store
            .videos(chat, 10)
            .expect("videos")
            .into_iter()
            .map(|m| m.text)
            .collect()
    };
    assert_eq!(
        texts(&w),
        [
            "second https://youtu.be/dQw4w9WgXcQ",
            "first https://youtu.be/dQw4w9WgXcQ"
        ]
    );
    // Deleted for you: gone from Videos too.
    w.store.hide_message(first.id).expect("hide");
    assert_eq!(texts(&w), ["second https://youtu.be/dQw4w9WgXcQ"]);
}
