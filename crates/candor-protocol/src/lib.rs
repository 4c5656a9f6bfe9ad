//! Wire types shared by the Candor desktop app and the Candor relay.
//!
//! Everything that crosses the network is defined here, once, so that the app and
//! the relay cannot drift apart. The crate is deliberately small: it grows with the
//! relay (see the relay issue), and it must never gain a way to delete or unsend a
//! message for someone else. Candor's "Delete for me" is a local hide, and the
//! absence of such a type here is what makes that promise checkable (see the
//! `no_delete_or_unsend_in_protocol` test).

mod ids;
mod message;

pub use ids::{ConversationId, MessageId, ServerMessageId, UserId};
pub use message::{DeliveredMessage, MessageText, TextError, VideoCard};

/// Version of the wire protocol. A client and a relay talk only when they agree on it.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest message text, counted in Unicode scalar values (what a person sees as
/// characters, near enough), enforced by both the app and the relay.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// Members of one group conversation, at most (TikTok's limit).
pub const MAX_GROUP_MEMBERS: usize = 32;

#[cfg(test)]
mod tests {
    /// The protocol has no way to delete or unsend a message for anyone else. This
    /// reads the crate's own sources so that adding such a type fails the build's tests.
    #[test]
    fn no_delete_or_unsend_in_protocol() {
        let sources = [
            include_str!("lib.rs"),
            include_str!("ids.rs"),
            include_str!("message.rs"),
        ];
        let forbidden = ["delete", "unsend", "retract", "recall", "revoke", "hide"];
        for source in sources {
            for line in source.lines() {
                let code = line.trim_start();
                if code.starts_with("//") || code.starts_with("let forbidden") {
                    continue;
                }
                let lower = code.to_lowercase();
                for word in forbidden {
                    assert!(
                        !lower.contains(word),
                        "the wire protocol must not carry a `{word}`: {line}"
                    );
                }
            }
        }
    }
}
