//! Wire types shared by the Candor desktop app and the Candor relay.
//!
//! Everything that crosses the network is defined here, once, so that the app and
//! the relay cannot drift apart. The crate is deliberately small: it grows with the
//! relay (see the relay issue), and it must never gain a way to delete or unsend a
//! message for someone else. Candor's "Delete for me" is a local hide, and the
//! absence of such a type here is what makes that promise checkable (see
//! `tests/no_way_to_unsend.rs`).

pub mod api;
pub mod frames;
mod ids;
mod message;
pub mod photo;

pub use ids::{ConversationId, EpochId, MessageId, RelayId, ServerMessageId, SessionId, UserId};
pub use message::{
    ContentError, DeliveredMessage, MAX_EXCERPT_CHARS, MessageText, Quote, Reaction, TextError,
    VideoCard, check_content, is_one_emoji,
};
pub use photo::{BlobId, MAX_PHOTOS, PhotoKind, PhotoRef};

/// Version of the wire protocol. A client and a relay talk only when they agree on it.
///
/// Version 2: the relay names itself and its epoch in Welcome, stream
/// positions carry their epoch, acks carry the stream position, catch-up says
/// which epochs' acks the relay still holds, and a member reads by seq ranges.
///
/// Version 3: reactions travel as messages (`reaction` on Send and on a
/// delivered message). A version 2 app would show one as a message of one
/// emoji, so it is told to update instead.
///
/// Version 4: photos (`photos` on Send and on a delivered message, whose text
/// may then be empty). A version 3 app would refuse a message without words,
/// and show a photo's caption without its photo.
pub const PROTOCOL_VERSION: u32 = 4;

/// Longest message text, counted in Unicode scalar values (what a person sees as
/// characters, near enough), enforced by both the app and the relay.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// Members of one group conversation, at most (TikTok's limit).
pub const MAX_GROUP_MEMBERS: usize = 32;
