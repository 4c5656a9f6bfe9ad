//! WebSocket frames: JSON objects tagged by `type`.
//!
//! A connection starts with the client's [`ClientFrame::Hello`]; the relay answers
//! [`RelayFrame::Welcome`] or, on a version mismatch, an error frame and a close.
//! Sending is idempotent by client message id, and catch-up is by cursor: the
//! relay's position in the account's stream of messages.
//!
//! A cursor means something only in the history it came from. A relay
//! restored from an older copy of its data numbers new messages with cursors
//! (and seqs) it had handed out before the restore, so every position a client
//! keeps is a [`StreamPosition`]: the cursor and the epoch (one run of the
//! relay) it was given in. The relay answers a catch-up with [`RelayFrame::History`]:
//! how much of each epoch the client names it still holds. What it no longer
//! holds, the senders' devices offer again, and the relay keeps one copy per
//! (sender, client id).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, UserInfo};
use crate::{
    ConversationId, DeliveredMessage, EpochId, MessageId, MessageText, PhotoRef, Quote, Reaction,
    RelayId, ServerMessageId, UserId, VideoCard,
};

/// Largest frame, in bytes, that either side accepts: 4,000 characters of text of
/// up to 4 bytes each, a 64 KiB card, and room for the envelope.
pub const MAX_FRAME_BYTES: usize = 96 * 1024;

/// Largest video card, in bytes of JSON.
pub const MAX_CARD_BYTES: usize = 64 * 1024;

/// What a message is addressed to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    /// The direct chat with this person, created by the first message.
    Direct { user: crate::UserId },
    /// An existing conversation the sender is a member of.
    Conversation { id: ConversationId },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "a frame lives only between the socket and its handler, one at a time"
)]
pub enum ClientFrame {
    Hello {
        protocol_version: u32,
    },
    /// Send a message. Repeating it with the same `client_id` changes nothing and
    /// gets the same acknowledgement.
    Send {
        client_id: MessageId,
        to: Recipient,
        text: MessageText,
        card: Option<VideoCard>,
        /// The message this one replies to (in the same conversation).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply: Option<Quote>,
        /// Set when this is a reaction to a message of the same
        /// conversation: `text` is then one emoji, with no card or reply.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reaction: Option<Reaction>,
        /// Photos the sender uploaded first (see [`crate::photo`]); `text`
        /// is then their caption, and may be empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        photos: Vec<PhotoRef>,
    },
    /// Deliver everything after `after` in this account's stream (from the
    /// start if None, or if the relay's history no longer holds it), then keep
    /// delivering live. `acked_in` names the epochs in which this device's
    /// messages were acknowledged, newest first (at most
    /// [`MAX_EPOCHS_ASKED`]): the relay says in [`RelayFrame::History`] how
    /// much of each it still holds.
    CatchUp {
        after: Option<StreamPosition>,
        #[serde(default)]
        acked_in: Vec<EpochId>,
    },
    /// This device has stored the conversation's messages up to `seq`.
    Delivered {
        conversation_id: ConversationId,
        seq: i64,
    },
    /// The user has seen the conversation up to `seq`.
    Read {
        conversation_id: ConversationId,
        seq: i64,
    },
    /// The user is typing in the conversation now. Never stored.
    Typing {
        conversation_id: ConversationId,
    },
    /// This device holds seqs `after_seq` and `before_seq` of the conversation
    /// and none between: send what lies between that this account may read
    /// (at most [`MAX_FETCH`] seqs are asked at once).
    Fetch {
        conversation_id: ConversationId,
        after_seq: i64,
        before_seq: i64,
    },
}

/// Seqs one Fetch may span, at most.
pub const MAX_FETCH: i64 = 500;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RelayFrame {
    Welcome {
        user: UserInfo,
        protocol_version: u32,
        /// Which relay this is, and which run of it: positions in this
        /// connection's stream belong to `epoch`.
        relay: RelayId,
        epoch: EpochId,
    },
    /// The message with `client_id` is stored durably, at `cursor` in this
    /// epoch's stream.
    Ack {
        client_id: MessageId,
        server_id: ServerMessageId,
        conversation_id: ConversationId,
        seq: i64,
        sent_at: DateTime<Utc>,
        cursor: u64,
    },
    /// The answer to `acked_in`, before any message of the catch-up: for each
    /// epoch named, the last cursor of it this relay still holds (None: none
    /// of it). A message acknowledged at a later cursor of that epoch is lost
    /// here, and its sender's device offers it again.
    History { kept: Vec<EpochKept> },
    /// A conversation this account belongs to, sent before its first message.
    Conversation(ConversationInfo),
    /// A message for this account, at `cursor` in its stream.
    Message {
        cursor: u64,
        message: DeliveredMessage,
    },
    /// Catch-up reached the live edge at `cursor`.
    CaughtUp { cursor: u64 },
    /// How far a member has received and read a conversation. About the
    /// account itself, it is the read position its devices share (and the
    /// answer to this device's own Read: a position is reported once this
    /// comes back).
    Receipt {
        conversation_id: ConversationId,
        user_id: crate::UserId,
        delivered_seq: i64,
        read_seq: i64,
    },
    /// A message a Fetch asked for. Not a place in the stream: the device's
    /// catch-up position does not move for it.
    Found { message: DeliveredMessage },
    /// The answer to a Fetch, after the messages found in its range (none,
    /// if the account may not read them: it was not a member then).
    Fetched {
        conversation_id: ConversationId,
        after_seq: i64,
        before_seq: i64,
    },
    /// Another member is typing (live only).
    Typing {
        conversation_id: ConversationId,
        user_id: crate::UserId,
    },
    /// A refusal. `client_id` names the send it answers, if it answers one.
    Error {
        #[serde(flatten)]
        error: ApiError,
        client_id: Option<MessageId>,
    },
}

/// Epochs a catch-up may ask about, at most.
pub const MAX_EPOCHS_ASKED: usize = 32;

/// A place in a relay's stream: meaningful only in a history holding `epoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamPosition {
    pub epoch: EpochId,
    pub cursor: u64,
}

/// How much of one epoch the relay still holds (see [`RelayFrame::History`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochKept {
    pub epoch: EpochId,
    pub through: Option<u64>,
}

/// A conversation and its members, as the relay knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationInfo {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub members: Vec<UserInfo>,
    /// For the account receiving this: the conversation is a message request from
    /// someone who is not a contact, waiting to be accepted.
    #[serde(default)]
    pub request: bool,
    /// A group's admins (its creator first among them): only they remove
    /// members, make admins, and add back someone who left. Empty for a
    /// direct chat.
    #[serde(default)]
    pub admins: Vec<UserId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    Direct,
    Group,
}

/// The id of the one direct conversation between two people: the same whoever
/// computes it, so a first message can be written offline before the relay has
/// seen the conversation.
pub fn direct_conversation_id(a: crate::UserId, b: crate::UserId) -> ConversationId {
    let (lo, hi) = if a.0 <= b.0 { (a.0, b.0) } else { (b.0, a.0) };
    let mut name = [0u8; 32];
    name[..16].copy_from_slice(lo.as_bytes());
    name[16..].copy_from_slice(hi.as_bytes());
    ConversationId(uuid::Uuid::new_v5(&DIRECT_NAMESPACE, &name))
}

const DIRECT_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6a1f_3c1e_8f2d_4b7a_9c55_2e0d_41b8_77c3);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserId;

    #[test]
    fn direct_conversation_id_is_symmetric_and_distinct() {
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        assert_eq!(direct_conversation_id(a, b), direct_conversation_id(b, a));
        assert_ne!(direct_conversation_id(a, b), direct_conversation_id(a, c));
    }

    #[test]
    fn frames_are_tagged_json() {
        let frame = ClientFrame::Hello {
            protocol_version: 1,
        };
        let json = serde_json::to_string(&frame).expect("json");
        assert_eq!(json, r#"{"type":"hello","protocol_version":1}"#);
        let back: ClientFrame = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, frame);
    }

    #[test]
    fn an_unknown_frame_type_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"nope"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>("not json").is_err());
    }
}
