//! HTTP endpoints for groups, requests, blocks and settings. Each change that
//! alters what members see is announced to them live as a Conversation frame.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

use candor_protocol::api::{AccountSettings, AddMember, MakeAdmin, NewGroup};
use candor_protocol::frames::ConversationInfo;
use candor_protocol::{ConversationId, UserId};

use crate::http::{authenticate, blocking};
use crate::hub::Live;
use crate::{RelayError, RelayState};

impl RelayState {
    /// Counts a group change (a group made, a member added, removed or made
    /// admin) against `user`'s hourly allowance.
    async fn group_change(&self, user: UserId) -> Result<(), RelayError> {
        let limit = self.inner.group_changes;
        self.count(limit.what, vec![limit.key(&user.to_string())])
            .await
    }
}

pub async fn create_group(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Json(body): Json<NewGroup>,
) -> Result<(StatusCode, Json<ConversationInfo>), RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    state.group_change(me.id).await?;
    let (storage, now) = (state.storage(), state.now());
    let announcement =
        blocking(move || Ok(storage.create_group(me.id, &body.title, &body.members, now)?)).await?;
    state.inner.hub.announce(&announcement);
    let info = announcement
        .view_of(me.id)
        .cloned()
        .ok_or_else(|| RelayError::Internal("a new group without its creator".into()))?;
    Ok((StatusCode::CREATED, Json(info)))
}

pub async fn add_member(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(id): Path<ConversationId>,
    Json(body): Json<AddMember>,
) -> Result<Json<ConversationInfo>, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    state.group_change(me.id).await?;
    let (storage, now) = (state.storage(), state.now());
    let announcement = blocking(move || Ok(storage.add_member(me.id, id, body.user, now)?)).await?;
    state.inner.hub.announce(&announcement);
    actors_view(&announcement, me.id)
}

/// The group as the member who changed it now sees it: the answer to a
/// change, so their device shows it without waiting for the announcement.
fn actors_view(
    announcement: &crate::storage::Announcement,
    actor: UserId,
) -> Result<Json<ConversationInfo>, RelayError> {
    announcement
        .view_of(actor)
        .cloned()
        .map(Json)
        .ok_or_else(|| RelayError::Internal("a group change not told to who made it".into()))
}

/// An admin takes someone out of a group.
pub async fn remove_member(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path((id, user)): Path<(ConversationId, UserId)>,
) -> Result<Json<ConversationInfo>, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    state.group_change(me.id).await?;
    let storage = state.storage();
    let announcement = blocking(move || Ok(storage.remove_member(me.id, id, user)?)).await?;
    state.inner.hub.announce(&announcement);
    actors_view(&announcement, me.id)
}

/// An admin makes another member an admin.
pub async fn make_admin(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(id): Path<ConversationId>,
    Json(body): Json<MakeAdmin>,
) -> Result<Json<ConversationInfo>, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    state.group_change(me.id).await?;
    let storage = state.storage();
    let announcement = blocking(move || Ok(storage.make_admin(me.id, id, body.user)?)).await?;
    state.inner.hub.announce(&announcement);
    actors_view(&announcement, me.id)
}

pub async fn leave(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(id): Path<ConversationId>,
) -> Result<StatusCode, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let storage = state.storage();
    let announcement = blocking(move || Ok(storage.leave(me.id, id)?)).await?;
    state.inner.hub.announce(&announcement);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn accept(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(id): Path<ConversationId>,
) -> Result<StatusCode, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let (storage, now) = (state.storage(), state.now());
    let accepted = blocking(move || Ok(storage.accept(me.id, id, now)?)).await?;
    state.inner.hub.announce(&accepted.announcement);
    // Reads withheld while it was a request can be seen now.
    state
        .inner
        .hub
        .publish(&accepted.others, &Live::Receipt(accepted.receipt));
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_settings(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<Json<AccountSettings>, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let storage = state.storage();
    Ok(Json(blocking(move || Ok(storage.settings(me.id)?)).await?))
}

pub async fn put_settings(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Json(body): Json<AccountSettings>,
) -> Result<Json<AccountSettings>, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let storage = state.storage();
    blocking(move || {
        storage.set_settings(me.id, &body)?;
        Ok(Json(storage.settings(me.id)?))
    })
    .await
}

pub async fn block(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(user): Path<UserId>,
) -> Result<StatusCode, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let (storage, now) = (state.storage(), state.now());
    blocking(move || Ok(storage.block(me.id, user, now)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unblock(
    State(state): State<RelayState>,
    headers: HeaderMap,
    Path(user): Path<UserId>,
) -> Result<StatusCode, RelayError> {
    let (me, _) = authenticate(&state, &headers).await?;
    let storage = state.storage();
    blocking(move || Ok(storage.unblock(me.id, user)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}
