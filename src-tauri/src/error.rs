//! The one error shape that crosses IPC: `{code, message}`. The code is for the UI
//! to branch on; the message is for a person.

use candor_core::CoreError;
use candor_core::account::AccountError;
use serde::Serialize;
use ts_rs::TS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The database could not be opened or used.
    Storage,
    InvalidInput,
    NotFound,
    NotSignedIn,
    /// Undo send after the message left the device.
    TooLate,
    /// The relay said no (wrong password, taken handle, not allowed…).
    RelayRefused,
    /// The relay could not be reached.
    RelayUnreachable,
    /// The relay's certificate was refused; nothing was sent to it.
    RelayUntrusted,
    Internal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn storage(message: String) -> Self {
        Self {
            code: ErrorCode::Storage,
            message,
        }
    }

    pub fn refused(message: String) -> Self {
        Self {
            code: ErrorCode::RelayRefused,
            message,
        }
    }

    pub fn invalid(message: String) -> Self {
        Self {
            code: ErrorCode::InvalidInput,
            message,
        }
    }

    pub fn internal(message: String) -> Self {
        Self {
            code: ErrorCode::Internal,
            message,
        }
    }
}

impl From<CoreError> for CommandError {
    fn from(e: CoreError) -> Self {
        let code = match &e {
            CoreError::Relay(relay) => return Self::from_relay(relay),
            CoreError::Member { source, .. } => Self::from_relay(source).code,
            CoreError::Store(_) | CoreError::Database(_) | CoreError::CorruptValue(_) => {
                ErrorCode::Storage
            }
            CoreError::InvalidText(_)
            | CoreError::InvalidCard(_)
            | CoreError::InvalidLink(_)
            | CoreError::ShareSize(_)
            | CoreError::DraftTooLong { .. }
            | CoreError::ThatIsYou
            | CoreError::NotAnEmoji(_)
            | CoreError::Photo(_)
            | CoreError::Content(_)
            | CoreError::ProfileOfAnother { .. } => ErrorCode::InvalidInput,
            CoreError::PhotoNotShown => ErrorCode::NotFound,
            CoreError::PhotoFile(_) => ErrorCode::Storage,
            CoreError::UnknownConversation(_)
            | CoreError::UnknownMessage(_)
            | CoreError::UnknownUser(_)
            | CoreError::Erased(_)
            | CoreError::ReplyToUnknown(_)
            | CoreError::CantReact(_) => ErrorCode::NotFound,
            CoreError::EraseIncomplete => ErrorCode::Storage,
            CoreError::TooLate(_) => ErrorCode::TooLate,
            CoreError::NotSignedIn | CoreError::SignInTo(_) => ErrorCode::NotSignedIn,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

impl From<AccountError> for CommandError {
    fn from(e: AccountError) -> Self {
        Self::from_relay(&e)
    }
}

impl CommandError {
    fn from_relay(e: &AccountError) -> Self {
        let code = match e {
            AccountError::BadUrl(..) => ErrorCode::InvalidInput,
            AccountError::Unreachable { .. } => ErrorCode::RelayUnreachable,
            AccountError::Untrusted { .. } => ErrorCode::RelayUntrusted,
            AccountError::Refused(_) | AccountError::Redirected { .. } => ErrorCode::RelayRefused,
            AccountError::Protocol(_) => ErrorCode::Internal,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

impl From<crate::token_vault::VaultError> for CommandError {
    fn from(e: crate::token_vault::VaultError) -> Self {
        Self::storage(e.to_string())
    }
}
