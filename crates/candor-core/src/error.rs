//! Typed errors. The shell turns them into one `{code, message}` shape for the UI, so
//! each variant's message is written for a person, and names the file when a file is
//! the problem.

use std::path::PathBuf;

use candor_protocol::{ConversationId, MessageId, TextError, UserId};

/// Opening the database failed. The file is never modified when this happens.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the Candor database {path}: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the Candor database {path} is damaged or is not a Candor database; it was left untouched ({source})"
    )]
    Corrupt {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the Candor database {path} was written by a newer Candor (schema {found}, this version knows up to {supported}); it was left untouched, please update Candor"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("cannot make the Candor database {path} private to its owner: {source}")]
    Permissions {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not upgrade the Candor database {path}: {source}")]
    Migration {
        path: PathBuf,
        #[source]
        source: rusqlite_migration::Error,
    },
}

/// Anything a domain operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    InvalidText(#[from] TextError),
    #[error(transparent)]
    InvalidCard(#[from] crate::links::CardError),
    #[error(transparent)]
    InvalidLink(#[from] crate::links::LinkError),
    #[error("no conversation {0} on this device")]
    UnknownConversation(ConversationId),
    #[error("no message {0} on this device")]
    UnknownMessage(MessageId),
    #[error("no person {0} on this device")]
    UnknownUser(UserId),
    #[error("a draft can hold up to {max} characters; this one has {chars}")]
    DraftTooLong { chars: usize, max: usize },
    #[error("a video can be shared to 1 to 32 chats at once, not {0}")]
    ShareSize(usize),
    #[error(
        "too late to undo: message {0} has already been sent, and a sent message can't be taken back"
    )]
    TooLate(MessageId),
    #[error("message {0} was erased from this device and cannot be restored")]
    Erased(MessageId),
    #[error(
        "the messages were erased, but the database log could not be emptied because it is in use; erase again to finish"
    )]
    EraseIncomplete,
    #[error("this device has no signed-in profile yet")]
    NotSignedIn,
    #[error("sign in to {0}")]
    SignInTo(&'static str),
    #[error(
        "this profile holds @{held}'s messages; start Candor with another --profile to use @{wanted}"
    )]
    ProfileOfAnother { held: String, wanted: String },
    /// The relay's answer about one person named in a request, when the answer
    /// does not name them itself ("@bob: no such person").
    #[error("@{handle}: {source}")]
    Member {
        handle: String,
        #[source]
        source: crate::account::AccountError,
    },
    #[error("that is you; pick someone else")]
    ThatIsYou,
    /// A reply to a message that is not one this chat shows here.
    #[error("the message you reply to is not in this chat any more")]
    ReplyToUnknown(candor_protocol::MessageId),
    /// A reaction that is not one emoji.
    #[error("a reaction is one emoji; {0:?} is not one")]
    NotAnEmoji(String),
    /// A reaction to a message this chat does not show here, or one that has
    /// not reached the relay yet (a message waiting to send, or not sent).
    #[error("you can react only to a message that has been sent and is shown here")]
    CantReact(candor_protocol::MessageId),
    /// A photo that cannot be sent (not a photo, too large, damaged).
    #[error(transparent)]
    Photo(#[from] crate::photo::PhotoError),
    /// What a message's photos cannot be (too many, with a card).
    #[error(transparent)]
    Content(#[from] candor_protocol::ContentError),
    /// A photo of a message this device does not show, or one not prepared
    /// here: its bytes are not handed out.
    #[error("that photo is not in a message shown here")]
    PhotoNotShown,
    /// The profile's photo folder could not be read or written.
    #[error("the photo could not be kept on this device: {0}")]
    PhotoFile(String),
    #[error(transparent)]
    Relay(#[from] crate::account::AccountError),
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("stored value is not valid: {0}")]
    CorruptValue(String),
}

impl CoreError {
    /// The relay's answer about the person called `handle`, named so the user
    /// knows which of several people it is about (unless it already says).
    pub fn about_member(handle: &str, source: crate::account::AccountError) -> Self {
        let handle = handle.trim().trim_start_matches('@');
        if source.to_string().contains(&format!("@{handle}")) {
            Self::Relay(source)
        } else {
            Self::Member {
                handle: handle.to_owned(),
                source,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CoreError;
    use crate::account::AccountError;

    #[test]
    fn an_answer_about_a_member_names_them_once() {
        let unnamed = CoreError::about_member(" @bob ", AccountError::Protocol("bad JSON".into()));
        assert_eq!(
            unnamed.to_string(),
            "@bob: the relay answered something Candor does not understand: bad JSON"
        );
        let named = CoreError::about_member(
            "bob",
            AccountError::Protocol("nobody is called @bob".into()),
        );
        assert!(matches!(named, CoreError::Relay(_)));
        assert_eq!(
            named.to_string(),
            "the relay answered something Candor does not understand: nobody is called @bob"
        );
    }
}
