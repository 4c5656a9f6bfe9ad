//! [`Client`]: this device's Candor, as a shell sees it. It owns the store, the
//! signed-in session (the relay, its token and the sync engine) and the one
//! stream of [`Notice`]s, which outlives sessions: a window subscribes once, at
//! start-up, and hears every engine that runs while it is open.
//!
//! The actions that touch both the store and the engine are here, so that no
//! shell has to remember the second half: a message composed is followed by a
//! nudge to the engine; a chat read is followed by telling the relay. Rules
//! that need the relay (looking a person up before opening a chat with them,
//! refusing to open one with yourself, keeping one account per profile) are
//! here too, with the store's own rules beneath them.
//!
//! The calls that change who one talks to (chats, groups, requests, blocks)
//! or how the account looks to others are in `people`.
//!
//! Keeping the session token safe (the OS keychain) is the shell's job: the
//! client is handed a token to use and never stores one.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use candor_protocol::api::UserInfo;
use candor_protocol::{ConversationId, MessageId, VideoCard};

mod devices;
mod people;
mod photos;
mod sign_out;

pub use sign_out::{
    PendingSignOut, SIGN_OUT_FIRST_WAIT, SIGN_OUT_LONGEST_WAIT, finish_sign_out,
    finish_sign_out_with, try_sign_out,
};

use crate::account::RelayClient;
use crate::notice::Notice;
use crate::sync::{NOTICES, SyncHandle};
use crate::{Composed, CoreError, Draft, InboxItem, Message, Profile, Store, UnreadSummary};

/// One device's store, session and notices.
#[derive(Debug)]
pub struct Client {
    store: Arc<Mutex<Store>>,
    session: tokio::sync::Mutex<Option<Session>>,
    notices: broadcast::Sender<Notice>,
    /// Photos prepared for sending this run (see `photos`).
    prepared: Mutex<std::collections::HashMap<candor_protocol::BlobId, candor_protocol::PhotoRef>>,
    photo_turns: photos::PhotoTurns,
}

/// A signed-in session: the relay, the token and the engine syncing with it.
#[derive(Debug)]
struct Session {
    relay: RelayClient,
    token: String,
    engine: SyncHandle,
}

impl Client {
    /// Opens the store at `path` (see `Store::open`); not signed in yet.
    pub fn open(path: &Path) -> Result<Self, CoreError> {
        Ok(Self::new(Store::open(path)?))
    }

    pub fn new(store: Store) -> Self {
        Self {
            store: Arc::new(Mutex::new(store)),
            session: tokio::sync::Mutex::new(None),
            notices: broadcast::channel(NOTICES).0,
            prepared: Mutex::default(),
            photo_turns: photos::PhotoTurns::default(),
        }
    }

    /// Every notice from now on, from whichever session is running.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    /// Tells whoever listens (nobody may, which is fine).
    pub(crate) fn emit(&self, notice: Notice) {
        let _ = self.notices.send(notice);
    }

    /// The store, for a synchronous read where waiting is not possible (the
    /// window closing). Everything else goes through [`Client::with_store`].
    pub fn store(&self) -> &Arc<Mutex<Store>> {
        &self.store
    }

    /// Runs `f` with the store on a blocking thread, so async callers (and the
    /// window's thread) never wait on SQLite.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, CoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| CoreError::CorruptValue(format!("the store task stopped: {e}")))?
    }

    /// Starts syncing with `relay` as the holder of `token`, replacing any
    /// session.
    pub async fn start_session(&self, relay: RelayClient, token: String) {
        let engine = SyncHandle::start_publishing(
            self.store.clone(),
            relay.clone(),
            token.clone(),
            self.notices.clone(),
        );
        let previous = self.session.lock().await.replace(Session {
            relay,
            token,
            engine,
        });
        if let Some(old) = previous {
            old.engine.shutdown().await;
        }
    }

    /// After signing in to `relay` as `account`: keeps the account as this
    /// profile's, refused (with nothing changed) if the profile holds someone
    /// else's messages. The caller then keeps the token safe and calls
    /// [`Client::start_session`]: in that order, a refused account never
    /// leaves a token behind.
    pub async fn adopt_account(
        &self,
        relay: &RelayClient,
        account: &UserInfo,
    ) -> Result<Profile, CoreError> {
        let profile = Profile {
            user_id: account.id,
            handle: account.handle.clone(),
            display_name: account.display_name.clone(),
            relay_url: relay.base().to_owned(),
        };
        let p = profile.clone();
        self.with_store(move |s| s.adopt_profile(&p)).await?;
        Ok(profile)
    }

    /// Whether a session is running.
    pub async fn signed_in_now(&self) -> bool {
        self.session.lock().await.is_some()
    }

    /// The relay and token of the running session, for a call to the relay's
    /// API; `doing` finishes "sign in to …" when there is none.
    pub(crate) async fn relay_session(
        &self,
        doing: &'static str,
    ) -> Result<(RelayClient, String), CoreError> {
        let session = self.session.lock().await;
        let s = session.as_ref().ok_or(CoreError::SignInTo(doing))?;
        Ok((s.relay.clone(), s.token.clone()))
    }

    /// Tells the engine the outbox changed (something to send, or something
    /// taken back), if signed in.
    pub async fn outbox_changed(&self) {
        if let Some(session) = self.session.lock().await.as_ref() {
            session.engine.outbox_changed().await;
        }
    }

    /// Sends what was written in `conversation`'s composer: into the outbox,
    /// then the engine is told. Returns the message and its chat's row.
    pub async fn send_from_composer(
        &self,
        conversation: ConversationId,
        draft: Draft,
        reply_to: Option<MessageId>,
    ) -> Result<Composed, CoreError> {
        let composed = self
            .with_store(move |s| s.send_from_composer(conversation, draft, reply_to))
            .await?;
        self.outbox_changed().await;
        Ok(composed)
    }

    /// Shares one video to several chats: one message in each, with one
    /// undo-send window for all (see `Store::share_video`), then the engine is
    /// told. Returns the messages' ids.
    pub async fn share_video(
        &self,
        conversations: Vec<ConversationId>,
        link: String,
        note: String,
        card: Option<VideoCard>,
    ) -> Result<Vec<MessageId>, CoreError> {
        let ids = self
            .with_store(move |s| s.share_video(&conversations, &link, &note, card))
            .await?;
        self.outbox_changed().await;
        Ok(ids)
    }

    /// Ends the undo-send window of every waiting message and waits up to
    /// `within` for the relay to take them (the app is quitting). Returns how
    /// many are still on this device; they go at the next start. It looks
    /// again each time the engine says a message changed (an ack, a refusal),
    /// rather than every 100 ms.
    pub async fn send_waiting_now(&self, within: Duration) -> Result<usize, CoreError> {
        // Listening before the release: no ack can come before we listen.
        let mut notices = self.subscribe();
        let released = self
            .with_store(|s| {
                let ids = s.waiting_to_send()?;
                s.send_waiting_now()?;
                Ok(ids)
            })
            .await?;
        self.outbox_changed().await;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let ids = released.clone();
            let left = self
                .with_store(move |s| {
                    let outbox = s.outbox()?;
                    Ok(ids
                        .iter()
                        .filter(|id| outbox.iter().any(|e| e.message_id == **id))
                        .count())
                })
                .await?;
            if left == 0 {
                return Ok(0);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(left);
            }
            // Wait for news of a message, and look again. An ack of a message
            // hidden meanwhile announces nothing, so look again after a second
            // at most all the same.
            let next_look = deadline.min(tokio::time::Instant::now() + Duration::from_secs(1));
            loop {
                match tokio::time::timeout_at(next_look, notices.recv()).await {
                    Ok(Ok(Notice::MessageChanged { .. } | Notice::SendFailed { .. }))
                    | Ok(Err(broadcast::error::RecvError::Lagged(_)))
                    | Err(_) => break,
                    Ok(Ok(_)) => {}
                    Ok(Err(broadcast::error::RecvError::Closed)) => return Ok(left),
                }
            }
        }
    }

    /// Sends a failed message again.
    /// Gives `emoji` as this account's reaction to `message`, or with None
    /// takes it back; then the engine is told. Returns the message with its
    /// reactions as they now are.
    pub async fn react(
        &self,
        message: MessageId,
        emoji: Option<String>,
    ) -> Result<Message, CoreError> {
        let shown = self
            .with_store(move |s| s.react(message, emoji.as_deref()))
            .await?;
        self.outbox_changed().await;
        Ok(shown)
    }

    pub async fn retry(&self, message: MessageId) -> Result<(), CoreError> {
        self.with_store(move |s| s.retry_send(message)).await?;
        self.outbox_changed().await;
        Ok(())
    }

    /// Marks `conversation` read through `seq` here and tells the relay (now,
    /// or when the connection returns). Returns the chat's row and the unread
    /// summary.
    pub async fn mark_read(
        &self,
        conversation: ConversationId,
        seq: i64,
    ) -> Result<(InboxItem, UnreadSummary), CoreError> {
        let read = self
            .with_store(move |s| {
                s.mark_read(conversation, seq)?;
                Ok((s.inbox_item(conversation)?, s.unread_summary()?))
            })
            .await?;
        if let Some(session) = self.session.lock().await.as_ref() {
            session.engine.read_changed().await;
        }
        Ok(read)
    }

    /// Shows the other members that the user is typing, if connected.
    pub async fn typing(&self, conversation: ConversationId) {
        if let Some(session) = self.session.lock().await.as_ref() {
            session.engine.typing(conversation).await;
        }
    }

    /// Stops the engine, if one runs (the app is quitting).
    pub async fn shutdown(&self) {
        if let Some(session) = self.session.lock().await.take() {
            session.engine.shutdown().await;
        }
    }
}
