//! Signing up, in and out against a relay.

use candor_core::Profile;
use candor_core::account::RelayClient;
use candor_core::protocol::api::Session;
use tauri::{AppHandle, State};

use crate::{CommandError, state::AppState};

/// Creates an account on the relay and signs this device in to it.
#[tauri::command]
pub async fn sign_up(
    app: AppHandle,
    state: State<'_, AppState>,
    relay_url: String,
    handle: String,
    display_name: String,
    password: String,
) -> Result<Profile, CommandError> {
    let relay = RelayClient::new(relay_url.trim())?;
    relay.sign_up(&handle, &display_name, &password).await?;
    let session = relay.sign_in(&handle, &password, &device_name()).await?;
    finish_sign_in(&app, &state, relay, relay_url.trim(), session).await
}

#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    relay_url: String,
    handle: String,
    password: String,
) -> Result<Profile, CommandError> {
    let relay = RelayClient::new(relay_url.trim())?;
    let session = relay.sign_in(&handle, &password, &device_name()).await?;
    finish_sign_in(&app, &state, relay, relay_url.trim(), session).await
}

/// Whether a Candor relay answers at `relay_url`.
#[tauri::command]
pub async fn check_relay(relay_url: String) -> Result<(), CommandError> {
    Ok(RelayClient::new(relay_url.trim())?.health().await?)
}

/// The README's section on running a relay, in the person's browser.
#[tauri::command]
pub fn open_relay_help(app: AppHandle) -> Result<(), CommandError> {
    use tauri_plugin_opener::OpenerExt;
    app.opener()
        .open_url(RELAY_HELP_URL, std::env::var("BROWSER").ok())
        .map_err(|e| CommandError::internal(format!("the browser could not be opened: {e}")))
}

/// Where the README explains relays: the project's home (the workspace's
/// `repository`), at the README's "Run a relay" heading.
pub const RELAY_HELP_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#run-a-relay");

/// Signs this device out: the relay revokes the token, and it is forgotten here.
/// The messages on this device stay.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<(), CommandError> {
    let session = state.session.lock().await.take();
    if let Some(session) = session {
        session.engine.shutdown().await;
        // Best effort: if the relay is unreachable the token is still forgotten here.
        if let Err(e) = session.relay.sign_out(&session.token).await {
            tracing::warn!(error = %e, "relay sign-out failed");
        }
    }
    let vault = state.vault.clone();
    tauri::async_runtime::spawn_blocking(move || vault.delete())
        .await
        .map_err(|e| CommandError::internal(e.to_string()))?;
    Ok(())
}

async fn finish_sign_in(
    app: &AppHandle,
    state: &AppState,
    relay: RelayClient,
    relay_url: &str,
    session: Session,
) -> Result<Profile, CommandError> {
    let profile = Profile {
        user_id: session.user.id,
        handle: session.user.handle.clone(),
        display_name: session.user.display_name.clone(),
        relay_url: relay_url.to_owned(),
    };
    let p = profile.clone();
    state
        .with_store(move |s| {
            if let Some(existing) = s.profile()?
                && existing.user_id != p.user_id
            {
                return Err(candor_core::CoreError::CorruptValue(format!(
                    "this profile holds @{}'s messages; start Candor with another --profile to use @{}",
                    existing.handle, p.handle
                )));
            }
            s.set_profile(&p)
        })
        .await
        .map_err(|e| CommandError::invalid(e.message))?;
    let vault = state.vault.clone();
    let token = session.token.clone();
    let place = tauri::async_runtime::spawn_blocking(move || vault.save(&token))
        .await
        .map_err(|e| CommandError::internal(e.to_string()))??;
    let notices = state.start_session(relay, session.token, place).await?;
    crate::events::forward(app.clone(), notices);
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
