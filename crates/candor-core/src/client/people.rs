//! What a person does to their circle and their account: open a chat, start a
//! group, accept a request, block someone, leave a group, rename themselves,
//! say who may write to them. Each asks the relay first and records the answer
//! here only once the relay has agreed, so this device never shows a group,
//! a block or a name the relay does not hold.

use candor_protocol::api::AccountSettings;
use candor_protocol::frames::ConversationInfo;
use candor_protocol::{ConversationId, UserId};

use super::Client;
use crate::notice::Notice;
use crate::{CoreError, GroupMembers, NewConversation, Person};

impl Client {
    /// Opens the direct chat with the person called `handle` on the relay.
    pub async fn start_chat(&self, handle: &str) -> Result<ConversationId, CoreError> {
        let (relay, token) = self.relay_session("start a chat").await?;
        let user = relay.lookup(&token, handle).await?;
        self.with_store(move |s| s.open_direct_chat(user.into()))
            .await
    }

    /// Starts a group called `title` with the people named by `handles`. Every
    /// handle is looked up before anything is made, so a typo is named in the
    /// error and no half-made group is left; then the relay creates the group
    /// and it is recorded here. Blank and repeated handles are skipped.
    pub async fn start_group(
        &self,
        title: &str,
        handles: &[String],
    ) -> Result<ConversationId, CoreError> {
        let (relay, token) = self.relay_session("start a group").await?;
        let mut people: Vec<Person> = Vec::new();
        for handle in handles.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
            let user = relay
                .lookup(&token, handle)
                .await
                .map_err(|e| CoreError::about_member(handle, e))?;
            if !people.iter().any(|p| p.id == user.id) {
                people.push(user.into());
            }
        }
        let info = relay
            .create_group(&token, title.trim(), people.iter().map(|p| p.id).collect())
            .await?;
        let id = info.id;
        self.with_store(move |s| {
            let me = s.profile()?.map(|p| p.user_id);
            s.add_conversation(&NewConversation::from_relay(info, me))
        })
        .await?;
        Ok(id)
    }

    /// Accepts a message request: the relay moves it to the inbox on every
    /// device of this account, makes its sender a contact and lets them see
    /// read receipts.
    pub async fn accept_request(&self, conversation: ConversationId) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("accept requests").await?;
        relay.accept(&token, conversation).await?;
        self.with_store(move |s| s.set_request(conversation, false))
            .await?;
        // The read position kept back while it was a Request goes out now.
        if let Some(session) = self.session.lock().await.as_ref() {
            session.engine.read_changed().await;
        }
        Ok(())
    }

    /// Blocks (or unblocks) `user`: the relay refuses their messages to this
    /// account, and this device remembers it.
    pub async fn block(&self, user: UserId, blocked: bool) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("block people").await?;
        relay.set_blocked(&token, user, blocked).await?;
        self.with_store(move |s| s.set_blocked(user, blocked)).await
    }

    /// Leaves a group on the relay; the chat stays readable on this device.
    pub async fn leave_group(&self, conversation: ConversationId) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("leave a group").await?;
        relay.leave_group(&token, conversation).await?;
        self.with_store(move |s| s.set_left(conversation)).await
    }

    /// The members of a group, as the relay last described it.
    pub async fn group_members(
        &self,
        conversation: ConversationId,
    ) -> Result<GroupMembers, CoreError> {
        self.with_store(move |s| s.group_members(conversation))
            .await
    }

    /// Adds the person called `handle` to a group. The relay answers with the
    /// group as it now is, recorded here at once (it also tells every
    /// member's devices).
    pub async fn add_member(
        &self,
        conversation: ConversationId,
        handle: &str,
    ) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("add people to a group").await?;
        let user = relay
            .lookup(&token, handle.trim())
            .await
            .map_err(|e| CoreError::about_member(handle, e))?;
        let info = relay.add_member(&token, conversation, user.id).await?;
        self.record_group(info).await
    }

    /// Takes `user` out of a group (for its admins; the relay refuses others
    /// with a sentence saying so).
    pub async fn remove_member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("remove people from a group").await?;
        let info = relay.remove_member(&token, conversation, user).await?;
        self.record_group(info).await
    }

    /// Makes `user` an admin of a group (for its admins).
    pub async fn make_admin(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("make someone an admin").await?;
        let info = relay.make_admin(&token, conversation, user).await?;
        self.record_group(info).await
    }

    /// Records a group as the relay just described it, and tells the window.
    async fn record_group(&self, info: ConversationInfo) -> Result<(), CoreError> {
        let id = info.id;
        let chat = self
            .with_store(move |s| {
                let me = s.profile()?.map(|p| p.user_id);
                s.add_conversation(&NewConversation::from_relay(info, me))?;
                s.inbox_item(id)
            })
            .await?;
        self.emit(Notice::ChatChanged { chat });
        Ok(())
    }

    /// Renames the account on the relay, then in this profile.
    pub async fn set_display_name(&self, display_name: &str) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("change your name").await?;
        let user = relay.set_display_name(&token, display_name.trim()).await?;
        self.with_store(move |s| {
            let mut profile = s.profile()?.ok_or(CoreError::NotSignedIn)?;
            profile.display_name = user.display_name;
            s.set_profile(&profile)
        })
        .await
    }

    /// The account's settings as the relay holds them.
    pub async fn account_settings(&self) -> Result<AccountSettings, CoreError> {
        let (relay, token) = self.relay_session("see your settings").await?;
        Ok(relay.settings(&token).await?)
    }

    /// Changes the account's settings on the relay; returns what it kept.
    pub async fn set_account_settings(
        &self,
        settings: AccountSettings,
    ) -> Result<AccountSettings, CoreError> {
        let (relay, token) = self.relay_session("change who can message you").await?;
        Ok(relay.set_settings(&token, &settings).await?)
    }
}
