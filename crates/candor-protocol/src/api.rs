//! Request and response bodies of the relay's HTTP endpoints (accounts, sessions,
//! directory). Messages travel over the WebSocket instead (see [`crate::frames`]).

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::{SessionId, UserId};

/// `POST /v1/accounts`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUp {
    pub handle: String,
    pub display_name: String,
    pub password: String,
    /// The invite code an invite-only relay asks for (see [`RelayInfo`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// `GET /v1/relay`: what the sign-up form needs to know of a relay before
/// anyone has an account on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayInfo {
    /// New accounts need an invite code from the relay's operator.
    pub invite_only: bool,
}

/// `PATCH /v1/accounts/me`: a new display name (the handle never changes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileUpdate {
    pub display_name: String,
}

/// `POST /v1/sessions`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub handle: String,
    pub password: String,
    /// Shown in the account's list of signed-in devices.
    pub device_name: String,
}

/// A person as the relay's directory shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: UserId,
    pub handle: String,
    pub display_name: String,
}

/// Answer to a successful sign-in: the session token for this device, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token: String,
    pub user: UserInfo,
}

/// `GET /v1/sessions`: one of the account's signed-in devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSession {
    pub id: SessionId,
    pub device_name: String,
    pub signed_in_at: DateTime<Utc>,
    /// When the relay last heard from it, to the hour: a session unheard from
    /// for [`SESSION_IDLE_DAYS`] is signed out.
    pub last_seen_at: DateTime<Utc>,
    /// The session that asked.
    pub current: bool,
}

/// A session the relay has not heard from in this many days is signed out.
pub const SESSION_IDLE_DAYS: i64 = 90;

/// `PUT /v1/accounts/me/password`: signs out the account's other devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Every refusal the relay gives, over HTTP or as an error frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

/// Machine-readable reason of an [`ApiError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request or frame could not be read.
    Malformed,
    /// A field broke a rule (handle, password, text length…).
    Invalid,
    /// No valid session token.
    Unauthorized,
    /// Signed in, but not allowed (not a member, blocked, wrong Origin).
    Forbidden,
    NotFound,
    /// The handle is taken.
    Conflict,
    /// Too many attempts; try again later.
    RateLimited,
    /// The client speaks another protocol version.
    VersionMismatch,
    /// A frame larger than the relay accepts.
    TooLarge,
    /// The account has used up one of the relay's quotas (messages a day,
    /// bytes stored); the message says which.
    QuotaExceeded,
    /// The relay failed; the request may be retried.
    Internal,
    /// What the send refers to is not on the relay yet: a reaction offered
    /// again after a restore, before the message that makes its chat. Sent
    /// again a little later, once that message is.
    NotYet,
    /// A photo the send names is not on the relay (never uploaded, or lost
    /// in a restore from a backup): uploaded again, the send is sent again.
    NotUploaded,
    /// A code this version of Candor does not know (from a newer relay): read
    /// as a refusal, with the relay's sentence, rather than failing the
    /// whole frame.
    #[serde(other)]
    Unknown,
}

/// `POST /v1/groups`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGroup {
    pub title: String,
    /// The other members (the creator is added by the relay).
    pub members: Vec<UserId>,
}

/// `POST /v1/groups/{id}/members`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddMember {
    pub user: UserId,
}

/// `POST /v1/groups/{id}/admins`: an admin makes a member an admin too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakeAdmin {
    pub user: UserId,
}

/// Who may start a conversation with you.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhoCanMessage {
    /// Anyone; people who are not your contacts land in Requests.
    #[default]
    Everyone,
    /// Only your contacts; others are refused.
    Contacts,
}

/// `GET` and `PUT /v1/settings`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub who_can_message: WhoCanMessage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_code_from_a_newer_relay_reads_as_unknown() {
        let e: ApiError =
            serde_json::from_str(r#"{"code":"something_new","message":"why"}"#).expect("parsed");
        assert_eq!(e.code, ErrorCode::Unknown);
        assert_eq!(e.message, "why");
        let known: ErrorCode = serde_json::from_str(r#""quota_exceeded""#).expect("parsed");
        assert_eq!(known, ErrorCode::QuotaExceeded);
    }
}
