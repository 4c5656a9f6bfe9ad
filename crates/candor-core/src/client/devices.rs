//! The account's signed-in devices and its password: the relay holds both, so
//! each call asks it; nothing is kept on this device. Changing the password
//! signs the account's other devices out, as signing one out does to it.

use candor_protocol::SessionId;
use candor_protocol::api::DeviceSession;

use super::Client;
use crate::CoreError;

impl Client {
    /// The account's signed-in devices, most recently seen first; this one
    /// is marked `current`.
    pub async fn devices(&self) -> Result<Vec<DeviceSession>, CoreError> {
        let (relay, token) = self.relay_session("see your devices").await?;
        Ok(relay.sessions(&token).await?)
    }

    /// Signs one of the account's other devices out: it stops syncing at once
    /// and must sign in again.
    pub async fn sign_out_device(&self, id: SessionId) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("sign out a device").await?;
        Ok(relay.sign_out_session(&token, id).await?)
    }

    /// Signs out every device of the account but this one.
    pub async fn sign_out_other_devices(&self) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("sign out your other devices").await?;
        Ok(relay.sign_out_others(&token).await?)
    }

    /// Changes the password (the current one is needed); the relay signs the
    /// other devices out, and this one stays signed in.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<(), CoreError> {
        let (relay, token) = self.relay_session("change your password").await?;
        Ok(relay.change_password(&token, current, new).await?)
    }
}
