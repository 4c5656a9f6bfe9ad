//! Replies on this device: the quote a reply is sent with (taken here from
//! the original), and how a received reply's quote is shown: the original's
//! own text when this device shows it, "deleted for you" when it was hidden
//! here, and the replier's excerpt, marked as theirs, when it is not here.

mod support;

use candor_core::{CoreError, Draft, QuotedMessage};
use candor_protocol::{MessageId, Quote};
use support::World;

fn draft(text: &str) -> Draft {
    Draft {
        text: text.into(),
        card: None,
    }
}

#[test]
fn a_reply_is_sent_with_a_quote_of_the_original_taken_here() {
    let mut w = World::new();
    let asked = w.maya_says("dinner on friday? the place on 5th street");
    let original = w.local_id_of(&asked);
    let chat = w.chat;
    let sent = w
        .store
        .send_from_composer(chat, draft("yes, 8pm"), Some(original))
        .expect("reply");
    let reply = sent.message.reply.expect("a reply");
    assert_eq!(reply.state, QuotedMessage::Shown);
    assert_eq!(reply.original, Some(original));
    assert_eq!(reply.author_id, w.maya.id);
    assert_eq!(reply.excerpt, "dinner on friday? the place on 5th street");

    w.store
        .set_undo_send_window(candor_core::UndoSendWindow::Off)
        .expect("no wait");
    let due = w
        .store
        .due_sends(chrono::Utc::now() + chrono::Duration::minutes(1))
        .expect("due");
    let quote = due[0].reply.clone().expect("sent with its quote");
    assert_eq!(
        quote,
        Quote::of(
            w.maya.id,
            asked.client_id,
            "dinner on friday? the place on 5th street"
        ),
        "the key every device knows the original by: Maya's own client id"
    );

    // A message deleted for you is not replied to.
    w.store.hide_messages(&[original]).expect("hide");
    assert!(matches!(
        w.store
            .send_from_composer(chat, draft("again"), Some(original)),
        Err(CoreError::ReplyToUnknown(_))
    ));
}

#[test]
fn a_received_quote_shows_the_original_or_says_where_it_went() {
    let mut w = World::new();
    let mine = w.i_say(w.chat, "the long version of what I said, here in full");
    let chat = w.chat;
    let me = w.me.clone();
    let maya = w.maya.clone();
    let my_wire = mine;

    // Maya quotes it (her device cut the excerpt).
    let mut shown = w.incoming(chat, &maya, "agreed");
    shown.reply = Some(Quote::of(me.id, my_wire, "the long version"));
    // She quotes a message this device never had.
    let mut missing = w.incoming(chat, &maya, "and this one?");
    missing.reply = Some(Quote::of(
        maya.id,
        MessageId::new(),
        "an old message of hers",
    ));
    w.store
        .apply_received(&[shown.clone(), missing.clone()])
        .expect("apply");

    let reply_of = |w: &World, m: &candor_protocol::DeliveredMessage| {
        let id = w.local_id_of(m);
        w.store
            .conversation_page(chat, None, 50)
            .expect("page")
            .messages
            .into_iter()
            .find(|x| x.id == id)
            .and_then(|x| x.reply)
            .expect("a reply")
    };
    let r = reply_of(&w, &shown);
    assert_eq!(r.state, QuotedMessage::Shown);
    assert_eq!(
        r.excerpt, "the long version of what I said, here in full",
        "the original's own words, not the replier's cut"
    );
    assert_eq!(r.original, Some(mine));

    let r = reply_of(&w, &missing);
    assert_eq!(r.state, QuotedMessage::NotOnDevice);
    assert_eq!(
        r.excerpt, "an old message of hers",
        "her excerpt, marked as hers"
    );
    assert_eq!(r.original, None);

    w.store.hide_messages(&[mine]).expect("hide mine");
    let r = reply_of(&w, &shown);
    assert_eq!(r.state, QuotedMessage::HiddenForYou);
    assert_eq!(
        r.original,
        Some(mine),
        "still here, to come back if restored"
    );
    assert_eq!(r.quoted_excerpt, "the long version");
    assert_eq!(
        r.excerpt, "the long version",
        "what she quoted, not the hidden text"
    );
}
