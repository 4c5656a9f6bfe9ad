//! HTTP endpoints: health, accounts, sessions and the directory. Slow or blocking
//! work (Argon2id, SQLite) runs on the blocking pool.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use candor_protocol::api::{ProfileUpdate, RelayInfo, Session, SignIn, SignUp, UserInfo};

use crate::storage::StorageError;
use crate::{RelayError, RelayState, auth};

/// Runs blocking work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RelayError> + Send + 'static,
) -> Result<T, RelayError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RelayError::Internal(format!("a worker stopped: {e}")))?
}

/// 200 ("ok") while this node serves: it reaches the store, and on a relay
/// of several nodes it hears the others; 503 with the reason otherwise (a
/// load balancer then sends clients to another node). The body stays "ok",
/// which apps look for. A bus (see `crate::bus`) is said in the `Candor-Bus`
/// header, up or down: a bus that is down leaves the node at 200, as it
/// polls the database meanwhile, and a load balancer that took every node
/// out for it would stop the relay over a delay.
pub async fn healthz(State(state): State<RelayState>) -> Result<Response, RelayError> {
    let storage = state.storage();
    blocking(move || Ok(storage.healthy()?)).await?;
    state.hears_others()?;
    Ok(match state.bus_connected() {
        Some(up) => ([(BUS_HEADER, if up { "up" } else { "down" })], "ok").into_response(),
        None => "ok".into_response(),
    })
}

/// The header in which `/healthz` says whether the node's bus is up.
const BUS_HEADER: &str = "candor-bus";

/// What the sign-up form needs to know (no account needed).
pub async fn relay_info(State(state): State<RelayState>) -> Result<Json<RelayInfo>, RelayError> {
    let storage = state.storage();
    let invite_only = blocking(move || Ok(storage.invite_only()?)).await?;
    Ok(Json(RelayInfo { invite_only }))
}

pub async fn sign_up(
    State(state): State<RelayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<SignUp>,
) -> Result<(StatusCode, Json<UserInfo>), RelayError> {
    let handle = auth::normalize_handle(&body.handle)?;
    let display_name = auth::check_display_name(&body.display_name)?;
    auth::check_password(&body.password, &[&handle, &display_name])?;
    let sign_ups = state.inner.sign_ups;
    state
        .count(
            sign_ups.what,
            vec![sign_ups.key(&state.client_key(addr, &headers))],
        )
        .await?;
    let (storage, now) = (state.storage(), state.now());
    let invite = body
        .invite
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(auth::token_hash);
    let user = blocking(move || {
        let hash = auth::hash_password(&body.password)?;
        storage
            .create_invited_user(&handle, &display_name, &hash, invite.as_deref(), now)
            .map_err(|e| match e {
                StorageError::HandleTaken => RelayError::HandleTaken(handle.clone()),
                e => e.into(),
            })
    })
    .await?;
    tracing::info!(user = %user.id, handle = %user.handle, "account created");
    Ok((StatusCode::CREATED, Json(user)))
}

/// Renames the signed-in account.
pub async fn update_profile(
    State(state): State<RelayState>,
    headers: axum::http::HeaderMap,
    Json(body): Json<ProfileUpdate>,
) -> Result<Json<UserInfo>, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let display_name = auth::check_display_name(&body.display_name)?;
    let storage = state.storage();
    let user = blocking(move || Ok(storage.set_display_name(me.id, &display_name)?)).await?;
    Ok(Json(user))
}

pub async fn sign_in(
    State(state): State<RelayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<SignIn>,
) -> Result<Json<Session>, RelayError> {
    let handle = auth::normalize_handle(&body.handle).map_err(|_| RelayError::WrongCredentials)?;
    let address = state.client_key(addr, &headers);
    state.sign_in_attempt(&handle, &address).await?;
    // Control characters dropped: a name is text (and PostgreSQL refuses a NUL).
    let device = body
        .device_name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect::<String>();
    let (storage, now) = (state.storage(), state.now());
    let h = handle.clone();
    let session = blocking(move || {
        let found = storage.credentials(&h)?;
        let stored = found.as_ref().map_or(auth::decoy_hash(), |(_, hash)| hash);
        let ok = auth::verify_password(&body.password, stored);
        match found {
            Some((user, _)) if ok => {
                // Said only to whoever knows the password.
                if storage.is_suspended(user.id)? {
                    return Err(RelayError::Forbidden(
                        "this account is suspended by the relay's operator".into(),
                    ));
                }
                let token = auth::new_token();
                storage.create_session(user.id, &auth::token_hash(&token), &device, now)?;
                Ok(Some(Session { token, user }))
            }
            _ => Ok(None),
        }
    })
    .await?;
    match session {
        Some(session) => {
            state.sign_in_succeeded(&handle, &address).await;
            Ok(Json(session))
        }
        None => Err(RelayError::WrongCredentials),
    }
}

pub async fn sign_out(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<StatusCode, RelayError> {
    let token = auth::bearer(&headers).ok_or(RelayError::Unauthorized)?;
    let hash = auth::token_hash(token);
    let (storage, now) = (state.storage(), state.now());
    let h = hash.clone();
    let revoked = blocking(move || Ok(storage.revoke_session(&h, now)?)).await?;
    if !revoked {
        return Err(RelayError::Unauthorized);
    }
    state.inner.hub.disconnect_session(&hash);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn lookup_user(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Json<UserInfo>, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let lookups = state.inner.lookups;
    state
        .count(lookups.what, vec![lookups.key(&me.id.to_string())])
        .await?;
    let handle = auth::normalize_handle(&handle)
        .map_err(|_| RelayError::NotFound(format!("nobody is called @{handle}")))?;
    let storage = state.storage();
    let h = handle.clone();
    blocking(move || Ok(storage.user_by_handle(&h)?))
        .await?
        .map(Json)
        .ok_or_else(|| RelayError::NotFound(format!("nobody is called @{handle}")))
}

/// The account behind the request's bearer token, and the token's hash. A
/// session in use is renewed (see [`crate::sessions::renew`]).
pub async fn authenticate(
    state: &RelayState,
    headers: &HeaderMap,
) -> Result<(UserInfo, Vec<u8>), RelayError> {
    let token = auth::bearer(headers).ok_or(RelayError::Unauthorized)?;
    let hash = auth::token_hash(token);
    let state2 = state.clone();
    let h = hash.clone();
    let user = blocking(move || crate::sessions::renew(&state2, &h))
        .await?
        .ok_or(RelayError::Unauthorized)?;
    Ok((user, hash))
}
