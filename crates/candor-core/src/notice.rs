//! Notices: what the UI hears from candor-core, one typed stream. Each notice
//! carries the rows that changed, as the UI shows them (a message, an inbox
//! row, the unread summary), so that the UI applies it and asks nothing back:
//! a message that arrives in an open chat costs the page no IPC call at all.
//! Nothing here says "something changed, go and look".

use candor_protocol::{ConversationId, UserId};
use serde::Serialize;
use ts_rs::TS;

use crate::{InboxItem, Message, UnreadSummary};

/// Where the connection to the relay stands, as the UI shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Connection {
    Connecting,
    /// Connected and caught up: new messages arrive live.
    Online,
    /// Not connected; the engine tries again by itself.
    Offline,
    /// The relay no longer accepts the session token: sign in again.
    SignedOut,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Notice {
    #[serde(rename_all = "camelCase")]
    Connection {
        state: Connection,
        /// Why the connection is down, for a banner.
        reason: Option<String>,
    },
    /// Messages were stored: new ones from others, and one's own sent from
    /// another device or confirmed by the relay. Only visible ones are listed
    /// (for a reaction, the message it is on, with its reactions); `chats`
    /// are the inbox rows of every chat they touched, `unread` the new
    /// summary, and `reacted` the chats where someone reacted to one of this
    /// account's messages (which may notify).
    #[serde(rename_all = "camelCase")]
    MessagesAdded {
        messages: Vec<Message>,
        chats: Vec<InboxItem>,
        unread: UnreadSummary,
        reacted: Vec<ConversationId>,
    },
    /// One of our messages changed state (the relay stored it).
    #[serde(rename_all = "camelCase")]
    MessageChanged { message: Message, chat: InboxItem },
    /// The relay refused one of our messages for good; it is marked failed.
    #[serde(rename_all = "camelCase")]
    SendFailed {
        message: Message,
        chat: InboxItem,
        reason: String,
    },
    /// Our messages were delivered or seen: those whose status moved.
    #[serde(rename_all = "camelCase")]
    ReceiptMoved { messages: Vec<Message> },
    /// The account read this chat on another device: its unread count here
    /// follows, and `unread` is the new summary.
    #[serde(rename_all = "camelCase")]
    ReadElsewhere {
        chat: InboxItem,
        unread: UnreadSummary,
    },
    /// A chat was added or changed by the relay (a new group, a request).
    #[serde(rename_all = "camelCase")]
    ChatChanged { chat: InboxItem },
    /// Someone is typing in this conversation (live only, never stored).
    #[serde(rename_all = "camelCase")]
    Typing {
        conversation: ConversationId,
        user: UserId,
    },
}
