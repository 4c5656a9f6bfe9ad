//! candor-core: everything Candor does that does not need a window.
//!
//! The desktop shell (src-tauri) is a thin layer of commands over this crate, so
//! every rule a user relies on lives here, where it is tested without a UI:
//!
//! - the local SQLite store ([`Store`]) and its append-only migrations;
//! - composing into the durable outbox (the message and its send job in one
//!   transaction, so a message shown as queued survives a crash);
//! - applying received messages exactly once, in their conversation's order;
//! - "Delete for me": hiding messages and chats on this device only. Nothing in this
//!   crate turns a hide into anything that leaves the device; the protocol crate has
//!   no type that could carry one;
//! - undo send: a new message waits out its window in the outbox, and Undo
//!   deletes it before anything leaves the device;
//! - video links ([`links`]): which platform and video a link is, and its
//!   tracking parameters, removed before it is sent;
//! - photos ([`photo`]): checked, turned upright, scaled down and re-encoded
//!   without their EXIF or GPS data before they are sent, with a blurred preview.

pub mod account;
pub mod alert;
mod client;
mod clock;
mod error;
pub mod links;
mod model;
pub mod notice;
pub mod photo;
pub mod profile_dir;
mod store;
pub mod sync;
pub mod tls;

pub use client::{
    Client, PendingSignOut, SIGN_OUT_FIRST_WAIT, SIGN_OUT_LONGEST_WAIT, finish_sign_out,
    finish_sign_out_with, try_sign_out,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{CoreError, StoreError};
pub use model::{
    ApplyOutcome, ConversationKind, CopyHere, DeliveryStatus, Draft, GroupMember, GroupMembers,
    HiddenConversation, InboxCursor, InboxItem, InboxPage, MemberCopy, Message, MessageCursor,
    MessageInfo, MessagePage, NewConversation, NewerMessages, OpenVideosIn, Person, Photo, Profile,
    QuotedMessage, ReactionCount, Reply, SearchHit, SearchResults, UndoSendWindow, Undone,
    UnreadSummary,
};
pub use store::{
    Composed, MAX_DRAFT_CHARS, MAX_SHARE_CHATS, OutboxEntry, PendingSend, SCHEMA_VERSION, Store,
};

pub use candor_protocol as protocol;

/// Everything that crosses from this crate to the UI, for generating TypeScript.
pub mod bindings;
