//! Signing up, in and out against a relay.

use candor_core::Profile;
use candor_core::account::RelayClient;
use candor_core::protocol::api::Session;
use serde::Serialize;
use tauri::{AppHandle, State};
use ts_rs::TS;

use crate::{CommandError, state::AppState};

/// Creates an account on the relay and signs this device in to it.
#[tauri::command]
pub async fn sign_up(
    state: State<'_, AppState>,
    relay_url: String,
    handle: String,
    display_name: String,
    password: String,
    invite: Option<String>,
) -> Result<Profile, CommandError> {
    let relay = RelayClient::new(relay_url.trim())?;
    relay
        .sign_up_invited(&handle, &display_name, &password, invite.as_deref())
        .await?;
    let session = relay.sign_in(&handle, &password, &device_name()).await?;
    finish_sign_in(&state, relay, session).await
}

#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    relay_url: String,
    handle: String,
    password: String,
) -> Result<Profile, CommandError> {
    let relay = RelayClient::new(relay_url.trim())?;
    let session = relay.sign_in(&handle, &password, &device_name()).await?;
    finish_sign_in(&state, relay, session).await
}

/// What the sign-up form learns of the relay it points at.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct RelayCheck {
    /// New accounts need an invite code from the relay's operator.
    pub invite_only: bool,
}

/// Whether a Candor relay answers at `relay_url`, and whether it takes new
/// accounts by invitation only.
#[tauri::command]
pub async fn check_relay(relay_url: String) -> Result<RelayCheck, CommandError> {
    let info = RelayClient::new(relay_url.trim())?.probe().await?;
    Ok(RelayCheck {
        invite_only: info.invite_only,
    })
}

/// The README's section on running a relay, in the person's browser.
#[tauri::command]
pub fn open_relay_help(app: AppHandle) -> Result<(), CommandError> {
    super::links::open_in_browser(&app, RELAY_HELP_URL)
}

/// Where the README explains relays: the project's home (the workspace's
/// `repository`), at the README's "Run a relay" heading.
pub const RELAY_HELP_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#run-a-relay");

/// Signs this device out: the relay revokes the token, and it is forgotten here.
/// The messages on this device stay.
#[tauri::command]
pub async fn sign_out(app: AppHandle, state: State<'_, AppState>) -> Result<(), CommandError> {
    // The session ends here either way; a sign-out the relay did not confirm
    // is kept and retried until it does (the sign-in screen says so).
    match state.client()?.sign_out().await {
        Ok(Some(pending)) => crate::sign_out::keep(&app, pending).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "sign-out failed"),
    }
    state.set_token_place(None);
    let vault = state.vault.clone();
    tauri::async_runtime::spawn_blocking(move || vault.delete())
        .await
        .map_err(|e| CommandError::internal(e.to_string()))?;
    Ok(())
}

async fn finish_sign_in(
    state: &AppState,
    relay: RelayClient,
    session: Session,
) -> Result<Profile, CommandError> {
    let profile = state.client()?.adopt_account(&relay, &session.user).await?;
    let vault = state.vault.clone();
    let token = session.token.clone();
    let place = tauri::async_runtime::spawn_blocking(move || vault.save(&token))
        .await
        .map_err(|e| CommandError::internal(e.to_string()))??;
    state.set_token_place(Some(place));
    state.client()?.start_session(relay, session.token).await;
    Ok(profile)
}

fn device_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "desktop".into());
    format!("Candor on {host}")
}
