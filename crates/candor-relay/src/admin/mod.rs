//! The operator's interface: `candor-relay admin …` lists accounts and what
//! they use, suspends one (its sessions and sockets end at once), and turns
//! invite-only sign-up on or off and makes invite codes.
//!
//! The running relay serves it on a listener of its own, on loopback by
//! default, to requests bearing a token made at each start. Address and token
//! are written to `admin.json` in the data directory (0600, in a 0700
//! directory): whoever can read the relay's data, and only they, can run it.
//! The operator's tool talks to the running relay rather than to its
//! database, because a suspension must also close the sockets that relay
//! holds, and two processes must not write one data directory.

pub mod cli;

use std::future::Future;
use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::http::blocking;
use crate::storage::{AccountUsage, Quotas};
use crate::{RelayError, RelayState, auth};

/// Where the running relay's operator interface answers, and its token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Access {
    pub address: std::net::SocketAddr,
    pub token: String,
}

/// The relay-wide settings an operator sees and changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub invite_only: bool,
    pub messages_per_day: u64,
    pub stored_bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InviteOnly {
    pub invite_only: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Suspension {
    pub suspended: bool,
}

/// A new invite code, shown once: the relay keeps only its hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Invite {
    pub code: String,
}

#[derive(Debug, Deserialize)]
struct Which {
    handle: Option<String>,
}

/// A new token for the operator's interface (one per start of the relay).
pub fn new_token() -> String {
    auth::new_token()
}

/// The file in `data_dir` that names the running relay's operator interface.
pub fn access_file(data_dir: &Path) -> PathBuf {
    data_dir.join("admin.json")
}

/// Names the operator's interface on `listener` in the data directory's
/// `admin.json` at once, then returns the future that serves it to requests
/// bearing `token` until `shutdown` completes (and removes the file).
pub fn serve(
    listener: TcpListener,
    state: RelayState,
    token: String,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<impl Future<Output = std::io::Result<()>>> {
    let access = Access {
        address: listener.local_addr()?,
        token: token.clone(),
    };
    let file = access_file(&state.inner.config.data_dir);
    candor_private::write(&file, &serde_json::to_vec_pretty(&access)?)?;
    Ok(serve_named(listener, state, token, file, shutdown))
}

async fn serve_named(
    listener: TcpListener,
    state: RelayState,
    token: String,
    file: PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/admin/v1/accounts", get(accounts))
        .route("/admin/v1/accounts/{handle}/suspension", put(suspend))
        .route("/admin/v1/settings", get(settings).put(set_invite_only))
        .route("/admin/v1/invites", post(invite))
        .layer(axum::middleware::from_fn_with_state(
            auth::token_hash(&token),
            require_token,
        ))
        .with_state(state);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = std::fs::remove_file(&file);
    served
}

/// Lets through only requests bearing the token (compared by hash, so the
/// comparison's time says nothing about the token).
async fn require_token(
    State(expected): State<Vec<u8>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, RelayError> {
    let presented = auth::bearer(request.headers()).unwrap_or_default();
    if auth::token_hash(presented) != expected {
        return Err(RelayError::Unauthorized);
    }
    Ok(next.run(request).await)
}

async fn accounts(
    State(state): State<RelayState>,
    Query(which): Query<Which>,
) -> Result<Json<Vec<AccountUsage>>, RelayError> {
    let (storage, now) = (state.storage(), state.now());
    let handle = which
        .handle
        .map(|h| auth::normalize_handle(&h))
        .transpose()?;
    let found = blocking(move || Ok(storage.accounts(handle.as_deref(), now)?)).await?;
    Ok(Json(found))
}

/// Suspends an account (its sessions end, and its open sockets close now)
/// or lets it back.
async fn suspend(
    State(state): State<RelayState>,
    UrlPath(handle): UrlPath<String>,
    Json(body): Json<Suspension>,
) -> Result<Json<AccountUsage>, RelayError> {
    let handle = auth::normalize_handle(&handle)?;
    let (storage, now) = (state.storage(), state.now());
    let h = handle.clone();
    let (user, usage) = blocking(move || {
        let user = storage
            .set_suspended(&h, body.suspended, now)
            .map_err(|e| match e {
                crate::StorageError::UnknownUser => {
                    RelayError::NotFound(format!("nobody is called @{h}"))
                }
                e => e.into(),
            })?;
        let usage = storage.accounts(Some(&h), now)?.pop();
        Ok((user, usage))
    })
    .await?;
    if body.suspended {
        state.inner.hub.disconnect_user(user);
        tracing::warn!(%handle, "account suspended by the operator");
    } else {
        tracing::info!(%handle, "account let back by the operator");
    }
    usage
        .map(Json)
        .ok_or_else(|| RelayError::Internal(format!("@{handle} vanished")))
}

async fn settings(State(state): State<RelayState>) -> Result<Json<Settings>, RelayError> {
    let storage = state.storage();
    let invite_only = blocking(move || Ok(storage.invite_only()?)).await?;
    let Quotas {
        messages_per_day,
        stored_bytes,
    } = state.inner.config.quotas;
    Ok(Json(Settings {
        invite_only,
        messages_per_day,
        stored_bytes,
    }))
}

async fn set_invite_only(
    State(state): State<RelayState>,
    Json(body): Json<InviteOnly>,
) -> Result<Json<Settings>, RelayError> {
    let storage = state.storage();
    blocking(move || Ok(storage.set_invite_only(body.invite_only)?)).await?;
    tracing::info!(
        invite_only = body.invite_only,
        "sign-up changed by the operator"
    );
    settings(State(state)).await
}

async fn invite(
    State(state): State<RelayState>,
    _headers: HeaderMap,
) -> Result<Json<Invite>, RelayError> {
    let code = auth::new_token();
    let (storage, now) = (state.storage(), state.now());
    let hash = auth::token_hash(&code);
    blocking(move || Ok(storage.create_invite(&hash, now)?)).await?;
    Ok(Json(Invite { code }))
}
