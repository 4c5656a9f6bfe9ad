//! The domain as the app sees it: pages of the inbox and of a conversation, and the
//! records inside them. These types cross IPC to the UI (see [`crate::bindings`]), so
//! they carry display-ready facts (a title, a preview) and opaque cursors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use candor_protocol::{ConversationId, MessageId, ServerMessageId, UserId, VideoCard};

/// The account this device is signed in to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Profile {
    pub user_id: UserId,
    pub handle: String,
    pub display_name: String,
    pub relay_url: String,
}

/// Someone this device knows about: a contact, or a member of one of its chats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Person {
    pub id: UserId,
    pub handle: String,
    pub display_name: String,
}

/// A member of a group, as its members list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct GroupMember {
    pub person: Person,
    /// Removes members, makes admins, adds back who left.
    pub admin: bool,
    /// This account.
    pub is_me: bool,
    /// Someone this account blocked: their messages here are collapsed.
    pub blocked: bool,
}

/// A group's members as this device knows them (the relay's last word).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct GroupMembers {
    pub members: Vec<GroupMember>,
    /// This account is one of the admins: the list offers Remove and Make admin.
    pub i_am_admin: bool,
    /// This account left (or was removed): the list is as it was then.
    pub left: bool,
}

impl From<candor_protocol::api::UserInfo> for Person {
    fn from(u: candor_protocol::api::UserInfo) -> Self {
        Self {
            id: u.id,
            handle: u.handle,
            display_name: u.display_name,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum ConversationKind {
    Direct,
    Group,
}

impl ConversationKind {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
        }
    }
}

/// A conversation to record locally, as the relay described it.
#[derive(Clone, Debug)]
pub enum NewConversation {
    Direct {
        id: ConversationId,
        peer: Person,
    },
    Group {
        id: ConversationId,
        title: String,
        members: Vec<Person>,
        /// The members who are its admins.
        admins: Vec<UserId>,
    },
}

impl NewConversation {
    /// The local record of a conversation as the relay describes it to `me`: a
    /// direct chat's peer is the member who is not `me`.
    pub fn from_relay(info: candor_protocol::frames::ConversationInfo, me: Option<UserId>) -> Self {
        let people: Vec<Person> = info.members.into_iter().map(Person::from).collect();
        match info.kind {
            candor_protocol::frames::ConversationKind::Direct => {
                let peer = people
                    .iter()
                    .find(|p| Some(p.id) != me)
                    .or(people.first())
                    .cloned()
                    .unwrap_or(Person {
                        id: UserId::new(),
                        handle: String::new(),
                        display_name: String::new(),
                    });
                Self::Direct { id: info.id, peer }
            }
            candor_protocol::frames::ConversationKind::Group => Self::Group {
                id: info.id,
                title: info.title.unwrap_or_default(),
                members: people,
                admins: info.admins,
            },
        }
    }
}

/// Where a message stands on its way out, or that it came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum DeliveryStatus {
    /// Written durably to the local outbox; has not left the device.
    Queued,
    /// The relay stored it.
    Sent,
    Delivered,
    Read,
    /// Sending gave up; the user can retry.
    Failed,
    /// Someone else's message.
    Received,
}

impl DeliveryStatus {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Received => "received",
        }
    }

    pub(crate) fn from_sql(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            "received" => Self::Received,
            _ => return None,
        })
    }
}

/// What the user wrote, before it becomes a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Draft {
    pub text: String,
    pub card: Option<VideoCard>,
}

/// Where the message a reply quotes is, on this device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum QuotedMessage {
    /// Here and visible: the quote shows its text, and jumps to it.
    Shown,
    /// Here, but deleted for you: "a message you deleted for you".
    HiddenForYou,
    /// Erased from this device: its words are gone here, the quote's too.
    Erased,
    /// Not on this device: the replier's excerpt, marked as theirs.
    NotOnDevice,
}

/// What a reply quotes, as this device can show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Reply {
    pub author_id: UserId,
    pub author_name: Option<String>,
    /// The original is this account's own.
    pub author_is_me: bool,
    /// The original's text when it is shown here; otherwise the excerpt the
    /// replier's device sent.
    pub excerpt: String,
    /// The excerpt the replier's device sent, whatever is shown.
    pub quoted_excerpt: String,
    pub state: QuotedMessage,
    /// The original, if this device holds it (shown or deleted for you),
    /// and its place: the quote jumps to it when it is shown.
    pub original: Option<MessageId>,
    pub original_cursor: Option<MessageCursor>,
}

/// What Undo took back, for the composer: the words and card, and the
/// photos (prepared here again, to be sent or left out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Undone {
    pub text: String,
    pub card: Option<VideoCard>,
    pub photos: Vec<Photo>,
}

/// One photo of a message, as the page lays it out before its bytes come:
/// its size, and its blurred preview drawn here (a PNG data URL of a few
/// hundred bytes). The photo itself is asked for by its blob (see
/// `Client::photo`), when it comes into view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Photo {
    pub blob: candor_protocol::BlobId,
    pub width: u32,
    pub height: u32,
    /// `data:image/png;base64,…`; empty if the sender's preview could not
    /// be drawn.
    pub preview: String,
}

/// One message as shown in a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub server_id: Option<ServerMessageId>,
    /// Position in the conversation's sequence, once the relay assigned it.
    #[ts(type = "number | null")]
    pub seq: Option<i64>,
    pub sender_id: UserId,
    pub sender_name: Option<String>,
    pub is_own: bool,
    pub text: String,
    /// The http and https links in `text`, which the page shows as links.
    pub links: Vec<crate::links::TextLink>,
    pub card: Option<VideoCard>,
    /// Its photos (then `text` is their caption, and may be empty).
    pub photos: Vec<Photo>,
    pub created_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    /// Set when this device hid the message ("Delete for me").
    pub hidden_at: Option<DateTime<Utc>>,
    /// From someone this account blocked (in a group they are both in):
    /// shown as a collapsed line, with no text or card given to the page.
    pub sender_blocked: bool,
    /// The message this one replies to.
    pub reply: Option<Reply>,
    /// Its reactions, one per person (the latest each sent), by emoji: the
    /// most given first.
    pub reactions: Vec<ReactionCount>,
    /// Where it sits in the chat, for paging from it either way. A queued
    /// message's place changes once the relay gives it a seq.
    pub cursor: MessageCursor,
    /// While one's own message waits in the outbox: the end of its undo-send
    /// window, when it may leave the device. Until then Undo takes it back.
    pub send_at: Option<DateTime<Utc>>,
}

/// One emoji's reactions on a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct ReactionCount {
    pub emoji: String,
    /// Who gave it, by name ("You" is the page's word for this account).
    pub people: Vec<String>,
    /// This account gave it.
    pub mine: bool,
}

/// Where a shared video plays: Candor's player window (the platform's embed
/// page in a window with no access to Candor) or the system browser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum OpenVideosIn {
    #[default]
    Player,
    Browser,
}

/// How long a new message waits on this device before it is sent, so that it
/// can be taken back ("Undo send"). A setting of this device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum UndoSendWindow {
    Off,
    #[default]
    FiveSeconds,
    TenSeconds,
    TwentySeconds,
    ThirtySeconds,
}

impl UndoSendWindow {
    pub const ALL: [Self; 5] = [
        Self::Off,
        Self::FiveSeconds,
        Self::TenSeconds,
        Self::TwentySeconds,
        Self::ThirtySeconds,
    ];

    pub fn seconds(self) -> i64 {
        match self {
            Self::Off => 0,
            Self::FiveSeconds => 5,
            Self::TenSeconds => 10,
            Self::TwentySeconds => 20,
            Self::ThirtySeconds => 30,
        }
    }

    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::seconds(self.seconds())
    }

    /// The window of this many seconds, if it is one of the choices.
    pub fn from_seconds(seconds: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.seconds() == seconds)
    }
}

/// Opaque position for paging a conversation upward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub struct MessageCursor(#[ts(type = "number")] pub(crate) i64);

/// Messages newest first, and where to continue for older ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub before: Option<MessageCursor>,
}

/// Messages newer than a cursor, oldest first, and whether more follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct NewerMessages {
    pub messages: Vec<Message>,
    pub more: bool,
}

/// A message found by search, with the name of its chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct SearchHit {
    pub message: Message,
    pub conversation_title: String,
}

/// Search results, newest first, with the words searched for (lower case), which
/// the UI marks in each hit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub terms: Vec<String>,
}

/// One row of the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct InboxItem {
    pub id: ConversationId,
    pub kind: ConversationKind,
    /// The group's title, or the other person's display name.
    pub title: String,
    pub pinned: bool,
    pub muted_until: Option<DateTime<Utc>>,
    pub last_activity_at: DateTime<Utc>,
    /// The newest message still visible on this device.
    pub preview: Option<String>,
    pub preview_is_own: bool,
    pub unread_count: u32,
    /// The other person of a direct chat.
    pub peer_id: Option<UserId>,
    /// This account blocked the other person of a direct chat.
    pub peer_blocked: bool,
    /// This account left the group: readable here, no longer writable.
    pub left: bool,
    /// Text left unsent in this chat's composer ("Draft: …" in the row).
    pub draft: Option<String>,
    /// A first message from someone who is not a contact: listed in Requests.
    pub request: bool,
}

/// Opaque position for paging the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InboxCursor {
    pub(crate) pinned: bool,
    #[ts(type = "number")]
    pub(crate) last_activity_ms: i64,
    pub(crate) id: ConversationId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next: Option<InboxCursor>,
}

/// A chat removed from this device's inbox with "Delete chat".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct HiddenConversation {
    pub id: ConversationId,
    pub title: String,
    pub hidden_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct UnreadSummary {
    /// Chats with at least one unread, visible message.
    pub conversations: u32,
    /// Unread, visible messages across the inbox.
    pub messages: u32,
}

/// What applying a batch of received messages did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// The local ids of the messages stored or confirmed, in batch order.
    pub stored: Vec<MessageId>,
    /// New messages stored.
    pub inserted: usize,
    /// This device's own messages that the relay confirmed.
    pub acknowledged: usize,
    /// Already here; ignored.
    pub duplicates: usize,
    /// Messages here that made room for one the relay delivered at their seq
    /// (the relay had lost them): ours went back to the outbox, others' wait
    /// unsequenced for their senders to offer them again.
    pub displaced: usize,
    /// Messages here that the relay stored again at another seq, moved there.
    pub moved: usize,
    /// Holes next to the messages stored: (conversation, a seq held, the
    /// next seq held above it) with seqs missing between. The sync engine
    /// asks the relay for them.
    pub gaps: Vec<(ConversationId, i64, i64)>,
}

/// What this device holds of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum CopyHere {
    /// Shown in the chat.
    Shown,
    /// Deleted for you: hidden here, its text kept for Restore.
    HiddenForYou,
    /// Erased from this device: its text is gone from here.
    Erased,
}

/// Who has a copy of a message, as far as this device can know: the Info view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct MessageInfo {
    pub message: MessageId,
    pub conversation_id: ConversationId,
    pub is_own: bool,
    pub created_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub here: CopyHere,
    /// The relay holds it: it acknowledged it (one's own) or delivered it.
    pub on_relay: bool,
    /// The relay this account uses, which keeps every message it passes on.
    pub relay_url: String,
    /// The chat's other members (and a member who left, if they wrote it).
    pub members: Vec<MemberCopy>,
}

/// One member of the chat, and what their receipts say of one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct MemberCopy {
    pub person: Person,
    /// They wrote it, so their devices have it.
    pub wrote_it: bool,
    /// Their devices hold it.
    pub delivered: bool,
    /// When this device learned that they hold it: they did by then, perhaps
    /// sooner. None for a receipt older than this record (or none at all).
    pub delivered_by: Option<DateTime<Utc>>,
    /// They have read it.
    pub seen: bool,
    pub seen_by: Option<DateTime<Utc>>,
}
