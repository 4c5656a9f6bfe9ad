//! The relay's refusals, each with a code and a message for a person, sent as the
//! same JSON shape ([`ApiError`]) over HTTP and WebSocket.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use candor_protocol::api::{ApiError, ErrorCode};

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("{0}")]
    Invalid(String),
    #[error("sign in first: the session token is missing, unknown or signed out")]
    Unauthorized,
    #[error("wrong handle or password")]
    WrongCredentials,
    #[error("the current password is not right")]
    WrongPassword,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the handle @{0} is taken")]
    HandleTaken(String),
    #[error("too many {what}; try again in {minutes} minutes")]
    RateLimited { what: &'static str, minutes: u64 },
    #[error("{0}")]
    TooManyConnections(String),
    /// A request body past what the relay takes.
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the relay failed: {0}")]
    Internal(String),
}

impl RelayError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::Invalid,
            Self::Unauthorized | Self::WrongCredentials => ErrorCode::Unauthorized,
            Self::WrongPassword => ErrorCode::Forbidden,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::HandleTaken(_) => ErrorCode::Conflict,
            Self::RateLimited { .. } | Self::TooManyConnections(_) => ErrorCode::RateLimited,
            Self::Storage(
                StorageError::NotMember | StorageError::Blocked | StorageError::NotAccepting,
            ) => ErrorCode::Forbidden,
            Self::Storage(StorageError::InvalidGroup(_)) => ErrorCode::Invalid,
            Self::Storage(StorageError::NotAdmin(_)) => ErrorCode::Forbidden,
            Self::Storage(StorageError::QuotaExceeded(_)) => ErrorCode::QuotaExceeded,
            Self::Storage(StorageError::InviteNeeded(_)) => ErrorCode::Forbidden,
            Self::Storage(StorageError::InvalidReply(_)) => ErrorCode::Invalid,
            Self::Storage(StorageError::InvalidReaction(_)) => ErrorCode::Invalid,
            Self::Storage(StorageError::ReactionBeforeItsChat) => ErrorCode::NotYet,
            Self::Storage(StorageError::PhotoNotUploaded(_)) => ErrorCode::NotUploaded,
            Self::Storage(StorageError::InvalidPhoto(_)) => ErrorCode::Invalid,
            Self::TooLarge(_) => ErrorCode::TooLarge,
            Self::Storage(StorageError::UnknownUser) => ErrorCode::NotFound,
            Self::Storage(StorageError::HandleTaken) => ErrorCode::Conflict,
            Self::Storage(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What the client is told. A failure on the relay's side is named
    /// only in general: its details (a database's message, a constraint,
    /// a host) go to the operator's log here, not to whoever sent the
    /// request.
    pub fn to_api(&self) -> ApiError {
        let code = self.code();
        let message = match (code, self) {
            (ErrorCode::Internal, Self::Storage(StorageError::Unavailable(_))) => {
                tracing::warn!(error = %self, "request failed");
                "the relay cannot reach its database just now; try again shortly".to_owned()
            }
            (ErrorCode::Internal, _) => {
                tracing::error!(error = %self, "request failed");
                "the relay failed to do that; the reason is in its log".to_owned()
            }
            _ => self.to_string(),
        };
        ApiError { code, message }
    }
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        let status = match self.code() {
            // The database is down or out of reach: this node can't serve
            // now, and says so in a way load balancers and clients retry.
            ErrorCode::Internal if matches!(self, Self::Storage(StorageError::Unavailable(_))) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorCode::Malformed | ErrorCode::Invalid | ErrorCode::VersionMismatch => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict | ErrorCode::NotYet | ErrorCode::NotUploaded => {
                StatusCode::CONFLICT
            }
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            // RFC 4918 section 11.5: the account has no room left.
            ErrorCode::QuotaExceeded => StatusCode::INSUFFICIENT_STORAGE,
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            // The relay never says Unknown; a code it cannot name is its fault.
            // (`to_api` logs it.)
            ErrorCode::Internal | ErrorCode::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(self.to_api())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_on_the_relays_side_tells_the_client_nothing_of_its_insides() {
        for (error, said) in [
            (
                RelayError::Storage(StorageError::Unavailable(
                    "error connecting to server at db.internal:5432".into(),
                )),
                "cannot reach its database",
            ),
            (
                RelayError::Storage(StorageError::Corrupt(
                    "users_handle_key: Key (handle)=(alice) already exists".into(),
                )),
                "reason is in its log",
            ),
            (
                RelayError::Internal("a row of conversations was malformed".into()),
                "reason is in its log",
            ),
        ] {
            let api = error.to_api();
            assert_eq!(api.code, ErrorCode::Internal, "{error:?}");
            assert!(api.message.contains(said), "{}", api.message);
            for inside in ["db.internal", "alice", "users_handle_key", "conversations"] {
                assert!(!api.message.contains(inside), "{}", api.message);
            }
        }
        // A refusal keeps its words: they are the person's to act on.
        let refused = RelayError::Storage(StorageError::NotMember).to_api();
        assert_eq!(refused.message, StorageError::NotMember.to_string());
    }
}
