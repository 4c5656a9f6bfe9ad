//! Which new messages become a desktop notification, and what it may say.
//!
//! A notification is seen by whoever stands at the screen, and on Linux its
//! text is read by the notification server as markup. So: none for a chat
//! that is a Request (a stranger's first message), for someone blocked (in a
//! direct chat, or a group member), for a muted chat or for this account's
//! own message; a reaction to one's own message notifies like a message; and
//! the message text is
//! escaped where it would be read as markup, and it and the sender-chosen
//! title are cut to a length a notification can show.

use chrono::{DateTime, Utc};

use crate::{InboxItem, Message};
use candor_protocol::ConversationId;

/// The most characters of a message a notification shows.
pub const MAX_BODY_CHARS: usize = 160;
/// The most characters of a chat's title a notification shows.
pub const MAX_TITLE_CHARS: usize = 64;

/// One notification: about `chat`, ready to show as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub chat: ConversationId,
    pub title: String,
    pub body: String,
}

/// The notifications for `chats` (rows as a notice carried them) after the
/// messages `added` arrived, and reactions to this account's messages in the
/// chats `reacted`, at `now`. A chat notifies only if one of the messages is
/// someone else's and not from a person this account blocked (a blocked group
/// member's message changes no preview, and must not bring back the
/// notification of the one before it), or someone reacted there and the
/// chat's preview says so.
pub fn alerts(
    chats: &[InboxItem],
    added: &[Message],
    reacted: &[ConversationId],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    chats
        .iter()
        .filter(|c| !c.request && !c.peer_blocked && !c.preview_is_own)
        .filter(|c| {
            reacted.contains(&c.id)
                || added
                    .iter()
                    .any(|m| m.conversation_id == c.id && !m.is_own && !m.sender_blocked)
        })
        .filter(|c| c.muted_until.is_none_or(|until| until <= now))
        .filter_map(|c| {
            let preview = c.preview.as_deref()?;
            Some(Alert {
                chat: c.id,
                // The title (the spec's "summary") is plain text everywhere.
                title: shown(&c.title, MAX_TITLE_CHARS, false),
                body: shown(preview, MAX_BODY_CHARS, MARKUP),
            })
        })
        .collect()
}

/// Whether this platform's notification server reads markup in a
/// notification's body (the freedesktop.org servers of Linux and the BSDs do).
const MARKUP: bool = cfg!(all(unix, not(target_os = "macos")));

/// `text` cut to `max` characters (with an ellipsis), control characters but
/// line breaks made spaces, and escaped if `markup`.
fn shown(text: &str, max: usize, markup: bool) -> String {
    let mut cut: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    if text.chars().count() > max {
        cut.pop();
        cut.push('…');
    }
    if !markup {
        return cut;
    }
    let mut escaped = String::with_capacity(cut.len());
    for c in cut.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConversationKind, DeliveryStatus, MessageCursor};
    use candor_protocol::{MessageId, UserId};

    /// A message someone else wrote in `chat`.
    fn arrived(chat: &InboxItem) -> Message {
        Message {
            photos: Vec::new(),
            id: MessageId::new(),
            conversation_id: chat.id,
            server_id: None,
            seq: Some(1),
            sender_id: UserId::new(),
            sender_name: None,
            is_own: false,
            text: chat.preview.clone().unwrap_or_default(),
            links: Vec::new(),
            reactions: Vec::new(),
            card: None,
            created_at: Utc::now(),
            status: DeliveryStatus::Delivered,
            hidden_at: None,
            cursor: MessageCursor(1),
            send_at: None,
            sender_blocked: false,
            reply: None,
        }
    }

    fn all_arrived(chats: &[InboxItem]) -> Vec<Message> {
        chats.iter().map(arrived).collect()
    }

    fn chat(title: &str, preview: &str) -> InboxItem {
        InboxItem {
            id: ConversationId::new(),
            kind: ConversationKind::Direct,
            title: title.into(),
            pinned: false,
            muted_until: None,
            last_activity_at: Utc::now(),
            preview: Some(preview.into()),
            preview_is_own: false,
            unread_count: 1,
            peer_id: None,
            peer_blocked: false,
            left: false,
            draft: None,
            request: false,
        }
    }

    #[test]
    fn requests_blocked_muted_and_own_messages_do_not_notify() {
        let now = Utc::now();
        let plain = chat("Maya", "lunch?");
        let request = InboxItem {
            request: true,
            ..chat("Stranger", "hey")
        };
        let blocked = InboxItem {
            peer_blocked: true,
            ..chat("Ex", "pls answer")
        };
        let muted = InboxItem {
            muted_until: Some(now + chrono::Duration::hours(1)),
            ..chat("Team", "standup")
        };
        let mute_over = InboxItem {
            muted_until: Some(now - chrono::Duration::seconds(1)),
            ..chat("Team 2", "retro")
        };
        let own = InboxItem {
            preview_is_own: true,
            ..chat("Leo", "sent from my phone")
        };
        let chats = [
            plain.clone(),
            request,
            blocked,
            muted,
            mute_over.clone(),
            own,
        ];
        let shown = alerts(&chats, &all_arrived(&chats), &[], now);
        let chats: Vec<_> = shown.iter().map(|a| a.chat).collect();
        assert_eq!(chats, [plain.id, mute_over.id]);
    }

    /// A group member this account blocked writes: the group's row (whose
    /// preview is still the message before) must not notify again.
    #[test]
    fn a_blocked_group_members_message_does_not_notify() {
        let group = InboxItem {
            kind: ConversationKind::Group,
            ..chat("Trip", "the message before, already notified")
        };
        let from_blocked = Message {
            sender_blocked: true,
            text: String::new(),
            ..arrived(&group)
        };
        assert!(
            alerts(
                std::slice::from_ref(&group),
                &[from_blocked],
                &[],
                Utc::now()
            )
            .is_empty()
        );
        assert!(alerts(std::slice::from_ref(&group), &[], &[], Utc::now()).is_empty());
        assert_eq!(
            alerts(
                std::slice::from_ref(&group),
                &[arrived(&group)],
                &[],
                Utc::now()
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_reaction_to_my_message_notifies_unless_muted() {
        let mut maya = chat("Maya", "Maya reacted ❤️ to: see you at 8");
        // The notice carries my own message (the one reacted to), which alone
        // would not notify.
        let mine = Message {
            is_own: true,
            ..arrived(&maya)
        };
        assert!(
            alerts(
                std::slice::from_ref(&maya),
                std::slice::from_ref(&mine),
                &[],
                Utc::now()
            )
            .is_empty()
        );
        let shown = alerts(
            std::slice::from_ref(&maya),
            std::slice::from_ref(&mine),
            &[maya.id],
            Utc::now(),
        );
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].body, "Maya reacted ❤️ to: see you at 8");
        maya.muted_until = Some(Utc::now() + chrono::Duration::hours(1));
        assert!(alerts(std::slice::from_ref(&maya), &[mine], &[maya.id], Utc::now()).is_empty());
    }

    #[test]
    fn sender_chosen_text_is_escaped_and_cut() {
        let boss = chat("<b>Boss</b> & co", "<a href='x'>click</a>\u{7}");
        let a = &alerts(
            std::slice::from_ref(&boss),
            &[arrived(&boss)],
            &[],
            Utc::now(),
        )[0];
        assert_eq!(a.title, "<b>Boss</b> & co", "a title is plain text");
        if MARKUP {
            assert_eq!(a.body, "&lt;a href=&#39;x&#39;&gt;click&lt;/a&gt; ");
        } else {
            assert_eq!(a.body, "<a href='x'>click</a> ");
        }
        assert_eq!(
            shown("<i>", 10, true),
            "&lt;i&gt;",
            "escaped where markup is read"
        );
        let long = "x".repeat(500);
        let cut = shown(&long, MAX_BODY_CHARS, false);
        assert_eq!(cut.chars().count(), MAX_BODY_CHARS);
        assert!(cut.ends_with('…'));
    }
}
