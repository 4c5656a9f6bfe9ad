//! A group's members list: who is in it and who runs it, and what its admins
//! do there (remove someone, make someone an admin); anyone in it may add
//! people. The relay decides who may do what; these pass on its answer.

use candor_core::GroupMembers;
use candor_core::protocol::{ConversationId, UserId};
use tauri::State;

use crate::CommandError;
use crate::state::AppState;

/// The group's members as this device knows them.
#[tauri::command]
pub async fn group_members(
    state: State<'_, AppState>,
    conversation: ConversationId,
) -> Result<GroupMembers, CommandError> {
    Ok(state.client()?.group_members(conversation).await?)
}

/// Adds the person called `handle` to the group (a request for them unless
/// they count this account as a contact).
#[tauri::command]
pub async fn add_group_member(
    state: State<'_, AppState>,
    conversation: ConversationId,
    handle: String,
) -> Result<(), CommandError> {
    Ok(state.client()?.add_member(conversation, &handle).await?)
}

/// Takes someone out of the group (for its admins).
#[tauri::command]
pub async fn remove_group_member(
    state: State<'_, AppState>,
    conversation: ConversationId,
    user: UserId,
) -> Result<(), CommandError> {
    Ok(state.client()?.remove_member(conversation, user).await?)
}

/// Makes a member an admin of the group (for its admins).
#[tauri::command]
pub async fn make_group_admin(
    state: State<'_, AppState>,
    conversation: ConversationId,
    user: UserId,
) -> Result<(), CommandError> {
    Ok(state.client()?.make_admin(conversation, user).await?)
}
