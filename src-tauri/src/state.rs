//! What the commands share: the profile's store (used off the main thread), the
//! token vault, and the running sync engine while signed in.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use candor_core::account::RelayClient;
use candor_core::notice::Notice;
use candor_core::sync::SyncHandle;
use candor_core::{CoreError, Store};
use tokio::sync::broadcast;

use crate::token_vault::{TokenPlace, TokenVault};
use crate::{CommandError, ProfileName};

/// A signed-in session: the relay, the token and the engine syncing with it.
pub struct Session {
    pub relay: RelayClient,
    pub token: String,
    pub token_place: TokenPlace,
    pub engine: SyncHandle,
}

pub struct AppState {
    pub profile: ProfileName,
    pub data_dir: PathBuf,
    /// The store, or why it could not be opened (shown by the UI).
    pub store: Result<Arc<Mutex<Store>>, CommandError>,
    pub vault: TokenVault,
    pub session: tokio::sync::Mutex<Option<Session>>,
    /// A video link Candor was started with (`candor://share?url=…`), until
    /// the UI takes it to open the share dialog.
    pub shared_link: Mutex<Option<String>>,
    /// Fetches video card details for messages this device sends; made on
    /// first use (see [`AppState::cards`]).
    cards: std::sync::OnceLock<Option<candor_core::links::fetch::CardFetcher>>,
}

impl AppState {
    pub fn open(app_data: &Path, profile: ProfileName) -> Self {
        let data_dir = profile.dir(app_data);
        let store = std::fs::create_dir_all(&data_dir)
            .map_err(|e| {
                CommandError::storage(format!(
                    "cannot create the data directory {}: {e}",
                    data_dir.display()
                ))
            })
            .and_then(|()| {
                Store::open(&data_dir.join("candor.db"))
                    .map(|s| Arc::new(Mutex::new(s)))
                    .map_err(CommandError::from)
            });
        let vault = TokenVault::new(profile.as_str(), &data_dir);
        Self {
            profile,
            data_dir,
            store,
            vault,
            session: tokio::sync::Mutex::new(None),
            cards: std::sync::OnceLock::new(),
            shared_link: Mutex::new(
                std::env::args().find_map(|a| candor_core::links::shared_link(&a)),
            ),
        }
    }

    /// The card fetcher, made on first use. Making it loads the system's TLS
    /// certificates; done at start-up, that held the window's first page back
    /// by about half a second (`cargo xtask bench app`).
    pub fn cards(&self) -> Option<&candor_core::links::fetch::CardFetcher> {
        self.cards.get_or_init(crate::cards::fetcher).as_ref()
    }

    /// Runs `f` with the store on a blocking thread, so the UI thread never waits on
    /// SQLite.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, CoreError> + Send + 'static,
    {
        let store = self.store.clone()?;
        tauri::async_runtime::spawn_blocking(move || {
            let mut guard = store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard).map_err(CommandError::from)
        })
        .await
        .map_err(|e| CommandError::internal(format!("the store task stopped: {e}")))?
    }

    /// Starts syncing with `relay` as the holder of `token`, replacing any
    /// session. Returns the engine's notices, for `events::forward`.
    pub async fn start_session(
        &self,
        relay: RelayClient,
        token: String,
        token_place: TokenPlace,
    ) -> Result<broadcast::Receiver<Notice>, CommandError> {
        let store = self.store.clone()?;
        let engine = SyncHandle::start(store, relay.clone(), token.clone());
        let notices = engine.subscribe();
        let previous = self.session.lock().await.replace(Session {
            relay,
            token,
            token_place,
            engine,
        });
        if let Some(old) = previous {
            old.engine.shutdown().await;
        }
        Ok(notices)
    }

    /// The relay and token of the signed-in session, for calls to the relay's API.
    pub async fn relay_session(&self, doing: &str) -> Result<(RelayClient, String), CommandError> {
        let session = self.session.lock().await;
        let s = session.as_ref().ok_or_else(|| CommandError {
            code: crate::ErrorCode::NotSignedIn,
            message: format!("sign in to {doing}"),
        })?;
        Ok((s.relay.clone(), s.token.clone()))
    }

    /// Tells the engine the outbox changed, if signed in.
    pub async fn outbox_changed(&self) {
        if let Some(session) = self.session.lock().await.as_ref() {
            session.engine.outbox_changed().await;
        }
    }
}
