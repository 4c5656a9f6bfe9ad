//! The TypeScript declarations of every type that crosses IPC to the UI, generated
//! from the Rust types by ts-rs. The shell adds its own types and writes the file;
//! a test there fails when the committed file is stale.

use ts_rs::{Config, TS};

use crate::model::*;
use candor_protocol::{ConversationId, MessageId, ServerMessageId, SessionId, UserId, VideoCard};

/// `export type …` declarations for the core's IPC types, in a stable order.
pub fn declarations() -> Vec<String> {
    let cfg = Config::default();
    vec![
        decl::<UserId>(&cfg),
        decl::<ConversationId>(&cfg),
        decl::<candor_protocol::BlobId>(&cfg),
        decl::<MessageId>(&cfg),
        decl::<ServerMessageId>(&cfg),
        decl::<SessionId>(&cfg),
        decl::<Profile>(&cfg),
        decl::<Person>(&cfg),
        decl::<crate::GroupMember>(&cfg),
        decl::<crate::GroupMembers>(&cfg),
        decl::<ConversationKind>(&cfg),
        decl::<DeliveryStatus>(&cfg),
        decl::<VideoCard>(&cfg),
        decl::<Draft>(&cfg),
        decl::<UndoSendWindow>(&cfg),
        decl::<OpenVideosIn>(&cfg),
        decl::<crate::links::LinkPreview>(&cfg),
        decl::<crate::QuotedMessage>(&cfg),
        decl::<crate::Reply>(&cfg),
        decl::<crate::ReactionCount>(&cfg),
        decl::<crate::Photo>(&cfg),
        decl::<crate::Undone>(&cfg),
        decl::<crate::links::TextLink>(&cfg),
        decl::<crate::CopyHere>(&cfg),
        decl::<crate::MemberCopy>(&cfg),
        decl::<crate::MessageInfo>(&cfg),
        decl::<Message>(&cfg),
        decl::<MessageCursor>(&cfg),
        decl::<MessagePage>(&cfg),
        decl::<NewerMessages>(&cfg),
        decl::<SearchHit>(&cfg),
        decl::<SearchResults>(&cfg),
        decl::<InboxItem>(&cfg),
        decl::<InboxCursor>(&cfg),
        decl::<InboxPage>(&cfg),
        decl::<HiddenConversation>(&cfg),
        decl::<UnreadSummary>(&cfg),
        decl::<crate::Composed>(&cfg),
        decl::<crate::notice::Connection>(&cfg),
        decl::<crate::notice::Notice>(&cfg),
    ]
}

/// One `export type` declaration.
pub fn decl<T: TS>(cfg: &Config) -> String {
    format!("export {}", T::decl(cfg))
}
