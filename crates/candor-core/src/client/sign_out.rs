//! Signing out, including when the relay cannot be reached. A sign-out the
//! relay never heard of leaves the token valid there: whoever copied it could
//! go on reading. So the session ends on this device at once, and the token
//! is handed back as a [`PendingSignOut`], which the shell keeps as safely as
//! it kept the token (the OS keychain) and finishes with [`finish_sign_out`],
//! retrying until the relay has revoked it, while the app says so.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use candor_protocol::api::ErrorCode;

use super::Client;
use crate::CoreError;
use crate::account::{AccountError, RelayClient};

/// A token the relay has not yet revoked, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignOut {
    pub relay_url: String,
    pub token: String,
}

/// The first wait between tries, doubled after each failure up to
/// [`SIGN_OUT_LONGEST_WAIT`].
pub const SIGN_OUT_FIRST_WAIT: Duration = Duration::from_secs(5);
pub const SIGN_OUT_LONGEST_WAIT: Duration = Duration::from_secs(600);

impl Client {
    /// Stops syncing and asks the relay to revoke the token. The session
    /// ends here either way. If the relay did not confirm, the token comes
    /// back as a [`PendingSignOut`] to keep and finish.
    pub async fn sign_out(&self) -> Result<Option<PendingSignOut>, CoreError> {
        let Some(session) = self.session.lock().await.take() else {
            return Ok(None);
        };
        session.engine.shutdown().await;
        let pending = PendingSignOut {
            relay_url: session.relay.base().to_owned(),
            token: session.token,
        };
        Ok(match try_once(&session.relay, &pending.token).await {
            Tried::Revoked => None,
            Tried::Again(e) => {
                tracing::warn!(error = %e, "the relay did not confirm the sign-out; retrying");
                Some(pending)
            }
        })
    }
}

enum Tried {
    /// The relay revoked the token, or no longer took it (expired, or
    /// signed out already).
    Revoked,
    /// Not confirmed: unreachable, failing, or answering as no relay should.
    Again(AccountError),
}

async fn try_once(relay: &RelayClient, token: &str) -> Tried {
    match relay.sign_out(token).await {
        Ok(()) => Tried::Revoked,
        Err(AccountError::Refused(e)) if e.code == ErrorCode::Unauthorized => Tried::Revoked,
        Err(e) => Tried::Again(e),
    }
}

/// Asks the relay once to revoke `pending`'s token. True if it did, or the
/// token was no longer valid (nothing left to do); false to try again later.
/// An address that is no relay address is done with too: there is nothing to
/// retry.
pub async fn try_sign_out(pending: &PendingSignOut) -> bool {
    match RelayClient::new(&pending.relay_url) {
        Ok(relay) => matches!(try_once(&relay, &pending.token).await, Tried::Revoked),
        Err(_) => true,
    }
}

/// Asks the relay to revoke `pending`'s token until it has, waiting
/// [`SIGN_OUT_FIRST_WAIT`] after the first failure and twice as long after
/// each other, up to [`SIGN_OUT_LONGEST_WAIT`]. Returns once the token is revoked, or was
/// no longer valid; an address that is no relay address ends it too (there
/// is nothing to retry).
pub async fn finish_sign_out(pending: &PendingSignOut) {
    finish_sign_out_with(pending, SIGN_OUT_FIRST_WAIT, SIGN_OUT_LONGEST_WAIT).await;
}

/// [`finish_sign_out`] with other waits (tests).
pub async fn finish_sign_out_with(pending: &PendingSignOut, first: Duration, longest: Duration) {
    let Ok(relay) = RelayClient::new(&pending.relay_url) else {
        tracing::warn!(relay = %pending.relay_url, "a pending sign-out names no relay; dropped");
        return;
    };
    let mut wait = first;
    loop {
        match try_once(&relay, &pending.token).await {
            Tried::Revoked => {
                tracing::info!(relay = %pending.relay_url, "pending sign-out confirmed");
                return;
            }
            Tried::Again(e) => {
                tracing::debug!(error = %e, ?wait, "sign-out not confirmed yet");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(longest);
            }
        }
    }
}
