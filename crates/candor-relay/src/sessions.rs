//! An account's signed-in devices: the list, signing one of them out or all
//! the others, and changing the password, which signs the others out too. A
//! session the relay has not heard from for the configured idle time
//! (`RelayConfig::session_idle`, 90 days by default) is over; one in use is
//! renewed as it is used, so a device that syncs daily never signs out.
//!
//! A session signed out here is also cut off at once: its open WebSockets
//! are closed.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};

use candor_protocol::SessionId;
use candor_protocol::api::{DeviceSession, PasswordChange, UserInfo};

use crate::http::{authenticate, blocking};
use crate::{RelayError, RelayState, auth};

/// The account of a live session, renewing the session if it was last
/// heard from long enough ago (at most one write per session per
/// [`renew_after`]). Blocking: call it off the async threads.
pub(crate) fn renew(state: &RelayState, token_hash: &[u8]) -> Result<Option<UserInfo>, RelayError> {
    let (storage, now) = (state.storage(), state.now());
    let idle = state.inner.config.session_idle;
    let Some(live) = storage.session(token_hash, now - idle)? else {
        return Ok(None);
    };
    if now - live.last_seen_at >= renew_after(idle) {
        storage.touch_session(token_hash, now)?;
    }
    Ok(Some(live.user))
}

/// How stale a session's last-seen time may get before use renews it: an
/// hour, or a tenth of the idle time if that is shorter.
pub(crate) fn renew_after(idle: chrono::Duration) -> chrono::Duration {
    (idle / 10).min(chrono::Duration::hours(1))
}

/// `GET /v1/sessions`: the account's signed-in devices, most recent first.
pub async fn list(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<Json<Vec<DeviceSession>>, RelayError> {
    let (me, current) = authenticate(&state, &headers).await?;
    let (storage, now) = (state.storage(), state.now());
    let since = now - state.inner.config.session_idle;
    let rows = blocking(move || Ok(storage.sessions_of(me.id, since)?)).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| DeviceSession {
                current: r.token_hash == current,
                id: r.id,
                device_name: r.device_name,
                signed_in_at: r.signed_in_at,
                last_seen_at: r.last_seen_at,
            })
            .collect(),
    ))
}

/// `DELETE /v1/sessions/{id}`: signs one of the account's devices out.
pub async fn sign_out_one(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(id): Path<SessionId>,
) -> Result<StatusCode, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let (storage, now) = (state.storage(), state.now());
    let revoked = blocking(move || Ok(storage.revoke_session_by_id(me.id, id, now)?)).await?;
    let hash = revoked.ok_or_else(|| {
        RelayError::NotFound("this account has no signed-in device of that id".into())
    })?;
    state.inner.hub.disconnect_session(&hash);
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/sessions/others`: signs out every device but this one.
pub async fn sign_out_others(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<StatusCode, RelayError> {
    let (me, current) = authenticate(&state, &headers).await?;
    let (storage, now) = (state.storage(), state.now());
    let revoked =
        blocking(move || Ok(storage.revoke_other_sessions(me.id, &current, now)?)).await?;
    for hash in &revoked {
        state.inner.hub.disconnect_session(hash);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/accounts/me/password`: needs the current password (a stolen
/// token alone cannot take the account over), counts wrong ones like failed
/// sign-ins, and signs out every other device.
pub async fn change_password(
    State(state): State<RelayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, RelayError> {
    let (me, current) = authenticate(&state, &headers).await?;
    auth::check_password(&body.new_password, &[&me.handle, &me.display_name])?;
    let address = state.client_key(addr, &headers);
    state.sign_in_attempt(&me.handle, &address).await?;
    let (storage, now) = (state.storage(), state.now());
    let handle = me.handle.clone();
    let revoked = blocking(move || {
        let stored = storage
            .credentials(&handle)?
            .map(|(_, hash)| hash)
            .ok_or(RelayError::Unauthorized)?;
        if !auth::verify_password(&body.current_password, &stored) {
            return Ok(None);
        }
        let hash = auth::hash_password(&body.new_password)?;
        Ok(Some(storage.change_password(me.id, &hash, &current, now)?))
    })
    .await?;
    let Some(revoked) = revoked else {
        return Err(RelayError::WrongPassword);
    };
    state.sign_in_succeeded(&me.handle, &address).await;
    for hash in &revoked {
        state.inner.hub.disconnect_session(hash);
    }
    tracing::info!(user = %me.id, others_signed_out = revoked.len(), "password changed");
    Ok(StatusCode::NO_CONTENT)
}
