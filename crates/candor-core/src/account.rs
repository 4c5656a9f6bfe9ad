//! Talking to a relay's HTTP API: sign up, sign in, sign out, find people, the
//! account's devices and password. The relay's refusals come back as
//! [`AccountError::Refused`] with its own message. Redirects are never
//! followed (see [`AccountError::Redirected`]).

use candor_protocol::api::{
    AccountSettings, ApiError, DeviceSession, NewGroup, PasswordChange, ProfileUpdate, RelayInfo,
    Session, SignIn, SignUp, UserInfo,
};
use candor_protocol::frames::ConversationInfo;
use candor_protocol::{BlobId, ConversationId, SessionId, UserId};
use std::sync::{Arc, OnceLock};
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0} is not a relay address: {1}")]
    BadUrl(String, String),
    #[error("the relay at {url} cannot be reached: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{}", .0.message)]
    Refused(ApiError),
    #[error("the relay answered something Candor does not understand: {0}")]
    Protocol(String),
    /// The relay's certificate was refused: nothing was sent to it.
    #[error("Candor did not connect to {url}: {reason}. Nothing was sent")]
    Untrusted { url: String, reason: String },
    /// Candor never follows a redirect: one could carry a password or a token
    /// to another host.
    #[error(
        "the relay at {url} points Candor to {to}; Candor does not follow redirects, so nothing was sent there. If the relay has moved, use its new address"
    )]
    Redirected { url: String, to: String },
}

/// How long a photo may take to move either way (other requests take 15 s
/// at most): its most bytes at about 150 KiB/s.
const TRANSFER_TIME: std::time::Duration = std::time::Duration::from_secs(120);

/// A relay's base address (`http://host:port`) and an HTTP client for it.
#[derive(Clone, Debug)]
pub struct RelayClient {
    base: Url,
    /// Made on first use, shared by clones: building it loads the system's TLS
    /// trust store (a few MiB, and time), which the app need not pay at start.
    /// Syncing talks over the WebSocket and asks nothing of it.
    client: Arc<OnceLock<reqwest::Client>>,
}

impl RelayClient {
    /// The relay at `base`. An address without a scheme means https. Plain
    /// http is refused unless the relay is on this computer or the local
    /// network (a loopback or private address, `localhost`, a `.local` or
    /// `.home.arpa` name): elsewhere the password, the token and every message
    /// would cross the internet readable.
    pub fn new(base: &str) -> Result<Self, AccountError> {
        let typed = base.trim();
        let with_scheme = if typed.contains("://") {
            typed.to_owned()
        } else {
            format!("https://{typed}")
        };
        let base = Url::parse(&with_scheme)
            .map_err(|e| AccountError::BadUrl(typed.into(), e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(AccountError::BadUrl(
                typed.into(),
                "it must be https:// (or http:// on your own network) and name a host".into(),
            ));
        }
        if base.scheme() == "http" && !on_local_network(&base) {
            return Err(AccountError::BadUrl(
                typed.into(),
                "plain http:// is only for a relay on this computer or your local network; use https://".into(),
            ));
        }
        Ok(Self {
            base,
            client: Arc::default(),
        })
    }

    /// Whether the relay is reached over TLS.
    pub fn encrypted(&self) -> bool {
        self.base.scheme() == "https"
    }

    /// The HTTP client, made the first time it is needed.
    fn http(&self) -> Result<&reqwest::Client, AccountError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let tls = crate::tls::client_config().map_err(|e| AccountError::Protocol(e.to_string()))?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            .timeout(std::time::Duration::from_secs(15))
            // A 307 or 308 would send the body (a password) again, to wherever
            // the answer says: see `check`.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AccountError::Protocol(e.to_string()))?;
        Ok(self.client.get_or_init(|| client))
    }

    /// The relay's base address, as the user gave it.
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The WebSocket address of the relay (`ws://…/v1/ws`).
    pub fn websocket_url(&self) -> Url {
        let mut url = self.base.clone();
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        // Both schemes are special and of the same kind, so this cannot fail.
        let _ = url.set_scheme(scheme);
        url.set_path("/v1/ws");
        url
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    /// Whether a Candor relay answers at this address (its `/healthz`), within a
    /// few seconds: the first-run screen explains relays when none does.
    pub async fn health(&self) -> Result<(), AccountError> {
        let resp = self
            .send(
                self.http()?
                    .get(self.url("/healthz"))
                    .timeout(std::time::Duration::from_secs(4)),
            )
            .await?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        if status.is_success() && body.trim() == "ok" {
            Ok(())
        } else {
            Err(AccountError::Protocol(format!(
                "{} answered, but not as a Candor relay does (HTTP {status})",
                self.base()
            )))
        }
    }

    /// [`RelayClient::health`], then what the sign-up form needs to know of
    /// the relay. A relay from before `/v1/relay` takes anyone.
    pub async fn probe(&self) -> Result<RelayInfo, AccountError> {
        self.health().await?;
        match self.relay_info().await {
            Err(AccountError::Refused(e))
                if e.code == candor_protocol::api::ErrorCode::NotFound =>
            {
                Ok(RelayInfo::default())
            }
            other => other,
        }
    }

    /// What the sign-up form needs to know of the relay (invite-only?).
    pub async fn relay_info(&self) -> Result<RelayInfo, AccountError> {
        self.answer(
            self.http()?
                .get(self.url("/v1/relay"))
                .timeout(std::time::Duration::from_secs(4)),
        )
        .await
    }

    pub async fn sign_up(
        &self,
        handle: &str,
        display_name: &str,
        password: &str,
    ) -> Result<UserInfo, AccountError> {
        self.sign_up_invited(handle, display_name, password, None)
            .await
    }

    /// Creates an account, with the invite code an invite-only relay asks for.
    pub async fn sign_up_invited(
        &self,
        handle: &str,
        display_name: &str,
        password: &str,
        invite: Option<&str>,
    ) -> Result<UserInfo, AccountError> {
        let body = SignUp {
            handle: handle.into(),
            display_name: display_name.into(),
            password: password.into(),
            invite: invite
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(Into::into),
        };
        self.answer(self.http()?.post(self.url("/v1/accounts")).json(&body))
            .await
    }

    pub async fn sign_in(
        &self,
        handle: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Session, AccountError> {
        let body = SignIn {
            handle: handle.into(),
            password: password.into(),
            device_name: device_name.into(),
        };
        self.answer(self.http()?.post(self.url("/v1/sessions")).json(&body))
            .await
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), AccountError> {
        let resp = self
            .send(
                self.http()?
                    .delete(self.url("/v1/sessions/current"))
                    .bearer_auth(token),
            )
            .await?;
        Self::check(resp).await.map(|_| ())
    }

    /// Uploads a photo's bytes as `blob` (see `candor_protocol::photo`).
    pub async fn upload_blob(
        &self,
        token: &str,
        blob: &BlobId,
        bytes: Vec<u8>,
    ) -> Result<(), AccountError> {
        let request = self
            .http()?
            .put(self.url(&format!("/v1/blobs/{blob}")))
            .bearer_auth(token)
            .timeout(TRANSFER_TIME)
            .body(bytes);
        Self::check(self.send(request).await?).await.map(|_| ())
    }

    /// The bytes of the photo `blob`, if this account may see it: at most
    /// `MAX_PHOTO_BYTES` are read, and the caller checks they are `blob`'s.
    pub async fn fetch_blob(&self, token: &str, blob: &BlobId) -> Result<Vec<u8>, AccountError> {
        let request = self
            .http()?
            .get(self.url(&format!("/v1/blobs/{blob}")))
            .bearer_auth(token)
            .timeout(TRANSFER_TIME);
        let mut resp = Self::check(self.send(request).await?).await?;
        let too_large = || AccountError::Protocol("the relay sent a photo larger than any".into());
        let max = candor_protocol::photo::MAX_PHOTO_BYTES;
        if resp.content_length().is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| AccountError::Unreachable {
            url: self.base().to_owned(),
            reason: unreachable_reason(&e),
        })? {
            if (bytes.len() + chunk.len()) as u64 > max {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    pub async fn lookup(&self, token: &str, handle: &str) -> Result<UserInfo, AccountError> {
        let path = format!("/v1/users/{}", handle.trim().trim_start_matches('@'));
        self.answer(self.http()?.get(self.url(&path)).bearer_auth(token))
            .await
    }

    /// Accepts a message request: the chat moves to the inbox on every device.
    pub async fn accept(
        &self,
        token: &str,
        conversation: ConversationId,
    ) -> Result<(), AccountError> {
        let path = format!("/v1/conversations/{conversation}/accept");
        let resp = self
            .send(self.http()?.post(self.url(&path)).bearer_auth(token))
            .await?;
        Self::check(resp).await.map(|_| ())
    }

    pub async fn create_group(
        &self,
        token: &str,
        title: &str,
        members: Vec<UserId>,
    ) -> Result<ConversationInfo, AccountError> {
        let body = NewGroup {
            title: title.into(),
            members,
        };
        self.answer(
            self.http()?
                .post(self.url("/v1/groups"))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    /// Blocks (or unblocks) a person's direct messages to you.
    pub async fn set_blocked(
        &self,
        token: &str,
        user: UserId,
        blocked: bool,
    ) -> Result<(), AccountError> {
        let url = self.url(&format!("/v1/blocks/{user}"));
        let req = if blocked {
            self.http()?.put(url)
        } else {
            self.http()?.delete(url)
        };
        let resp = self.send(req.bearer_auth(token)).await?;
        Self::check(resp).await.map(|_| ())
    }

    /// Adds `user` to a group (a request for them unless we are their
    /// contact). Each group change answers with the group as we now see it.
    pub async fn add_member(
        &self,
        token: &str,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<ConversationInfo, AccountError> {
        let url = self.url(&format!("/v1/groups/{conversation}/members"));
        let body = candor_protocol::api::AddMember { user };
        self.answer(self.http()?.post(url).bearer_auth(token).json(&body))
            .await
    }

    /// An admin takes `user` out of a group.
    pub async fn remove_member(
        &self,
        token: &str,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<ConversationInfo, AccountError> {
        let url = self.url(&format!("/v1/groups/{conversation}/members/{user}"));
        self.answer(self.http()?.delete(url).bearer_auth(token))
            .await
    }

    /// An admin makes `user`, a member, an admin too.
    pub async fn make_admin(
        &self,
        token: &str,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<ConversationInfo, AccountError> {
        let url = self.url(&format!("/v1/groups/{conversation}/admins"));
        let body = candor_protocol::api::MakeAdmin { user };
        self.answer(self.http()?.post(url).bearer_auth(token).json(&body))
            .await
    }

    /// Leaves a group: the relay stops delivering it to this account.
    pub async fn leave_group(
        &self,
        token: &str,
        conversation: ConversationId,
    ) -> Result<(), AccountError> {
        let url = self.url(&format!("/v1/groups/{conversation}/members/me"));
        let resp = self
            .send(self.http()?.delete(url).bearer_auth(token))
            .await?;
        Self::check(resp).await.map(|_| ())
    }

    pub async fn settings(&self, token: &str) -> Result<AccountSettings, AccountError> {
        self.answer(
            self.http()?
                .get(self.url("/v1/settings"))
                .bearer_auth(token),
        )
        .await
    }

    /// Changes the signed-in account's display name.
    pub async fn set_display_name(
        &self,
        token: &str,
        display_name: &str,
    ) -> Result<UserInfo, AccountError> {
        let body = ProfileUpdate {
            display_name: display_name.into(),
        };
        self.answer(
            self.http()?
                .patch(self.url("/v1/accounts/me"))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    pub async fn set_settings(
        &self,
        token: &str,
        settings: &AccountSettings,
    ) -> Result<AccountSettings, AccountError> {
        self.answer(
            self.http()?
                .put(self.url("/v1/settings"))
                .bearer_auth(token)
                .json(settings),
        )
        .await
    }

    /// The account's signed-in devices, most recently seen first.
    pub async fn sessions(&self, token: &str) -> Result<Vec<DeviceSession>, AccountError> {
        self.answer(
            self.http()?
                .get(self.url("/v1/sessions"))
                .bearer_auth(token),
        )
        .await
    }

    /// Signs one of the account's devices out.
    pub async fn sign_out_session(&self, token: &str, id: SessionId) -> Result<(), AccountError> {
        let url = self.url(&format!("/v1/sessions/{id}"));
        let resp = self
            .send(self.http()?.delete(url).bearer_auth(token))
            .await?;
        Self::check(resp).await.map(|_| ())
    }

    /// Signs out every device of the account but this one.
    pub async fn sign_out_others(&self, token: &str) -> Result<(), AccountError> {
        let url = self.url("/v1/sessions/others");
        let resp = self
            .send(self.http()?.delete(url).bearer_auth(token))
            .await?;
        Self::check(resp).await.map(|_| ())
    }

    /// Changes the account's password; the relay signs the other devices out.
    pub async fn change_password(
        &self,
        token: &str,
        current_password: &str,
        new_password: &str,
    ) -> Result<(), AccountError> {
        let body = PasswordChange {
            current_password: current_password.into(),
            new_password: new_password.into(),
        };
        let resp = self
            .send(
                self.http()?
                    .put(self.url("/v1/accounts/me/password"))
                    .bearer_auth(token)
                    .json(&body),
            )
            .await?;
        Self::check(resp).await.map(|_| ())
    }

    async fn answer<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, AccountError> {
        let resp = Self::check(self.send(request).await?).await?;
        resp.json()
            .await
            .map_err(|e| AccountError::Protocol(e.to_string()))
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, AccountError> {
        request.send().await.map_err(|e| {
            let url = self.base().to_owned();
            match crate::tls::certificate_problem(&e) {
                Some(reason) => AccountError::Untrusted {
                    url,
                    reason: reason.into(),
                },
                None => AccountError::Unreachable {
                    url,
                    reason: unreachable_reason(&e),
                },
            }
        })
    }

    async fn check(resp: reqwest::Response) -> Result<reqwest::Response, AccountError> {
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        if status.is_redirection() {
            let to = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or("another address");
            return Err(AccountError::Redirected {
                url: resp.url().origin().ascii_serialization(),
                to: to.chars().take(200).collect(),
            });
        }
        match resp.json::<ApiError>().await {
            Ok(err) => Err(AccountError::Refused(err)),
            Err(_) => Err(AccountError::Protocol(format!("HTTP {status}"))),
        }
    }
}

/// Whether `url` names this computer or the local network.
fn on_local_network(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || d.ends_with(".localhost")
                || d.ends_with(".local")
                || d.ends_with(".home.arpa")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.is_unique_local() || ip.is_unicast_link_local()
        }
        None => false,
    }
}

/// Why a request got no answer, in the words of its innermost cause
/// ("Connection refused (os error 111)"), not reqwest's "error sending request".
fn unreachable_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "it did not answer in time".into();
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let reason = cause.to_string();
    let mut chars = reason.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_checked_and_mapped_to_websockets() {
        let c = RelayClient::new("http://127.0.0.1:7878").expect("valid");
        assert_eq!(c.websocket_url().as_str(), "ws://127.0.0.1:7878/v1/ws");
        assert!(!c.encrypted());
        let c = RelayClient::new("https://relay.example").expect("valid");
        assert_eq!(c.websocket_url().as_str(), "wss://relay.example/v1/ws");
        assert!(c.encrypted());
        for bad in ["", "ftp://relay.example", "http://", "https://"] {
            assert!(RelayClient::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_address_without_a_scheme_means_https() {
        let c = RelayClient::new(" relay.example:8443 ").expect("valid");
        assert_eq!(c.base(), "https://relay.example:8443");
        assert_eq!(c.websocket_url().as_str(), "wss://relay.example:8443/v1/ws");
    }

    #[test]
    fn plain_http_is_only_for_this_computer_and_the_local_network() {
        for local in [
            "http://127.0.0.1:7878",
            "http://localhost:7878",
            "http://[::1]:7878",
            "http://192.168.1.20:7878",
            "http://10.0.0.5",
            "http://172.16.3.4",
            "http://[fd12::1]",
            "http://nas.local:7878",
            "http://relay.home.arpa",
        ] {
            assert!(RelayClient::new(local).is_ok(), "{local}");
        }
        for public in [
            "http://relay.example",
            "http://203.0.113.9:7878",
            "http://[2001:db8::1]",
            "http://172.32.0.1",
        ] {
            match RelayClient::new(public) {
                Err(e @ AccountError::BadUrl(..)) => {
                    assert!(e.to_string().contains("use https://"), "{e}")
                }
                other => panic!("{public}: expected BadUrl, got {other:?}"),
            }
        }
    }
}
