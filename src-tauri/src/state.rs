//! What the commands share: this profile's [`Client`] (store, session and
//! notices, from candor-core), the token vault, and where the token is kept.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use candor_core::profile_dir::ProfileDir;
use candor_core::{Client, CoreError, Store};

use crate::token_vault::{TokenPlace, TokenVault};
use crate::{CommandError, ProfileName};

pub struct AppState {
    pub profile: ProfileName,
    pub data_dir: PathBuf,
    /// The client, or why its store could not be opened (shown by the UI).
    pub client: Result<Client, CommandError>,
    pub vault: TokenVault,
    /// Sign-outs the relay has not confirmed yet (see `sign_out`).
    pub pending_sign_outs: TokenVault,
    /// Where the running session's token is kept (None: not signed in).
    pub token_place: Mutex<Option<TokenPlace>>,
    /// A video link Candor was started with (`candor://share?url=…`), until
    /// the UI takes it to open the share dialog.
    pub shared_link: Mutex<Option<String>>,
    /// Fetches video card details for messages this device sends; made on
    /// first use (see [`AppState::cards`]).
    cards: std::sync::OnceLock<Option<candor_core::links::fetch::CardFetcher>>,
}

impl AppState {
    pub fn open(app_data: &Path, profile: ProfileName) -> Self {
        let dir = ProfileDir::in_app_data(app_data, &profile);
        let data_dir = dir.path().to_owned();
        let client = dir
            .create()
            .map_err(|e| {
                CommandError::storage(format!(
                    "cannot create the data directory {}: {e}",
                    data_dir.display()
                ))
            })
            .and_then(|()| Client::open(&dir.database()).map_err(CommandError::from));
        let vault = TokenVault::new(profile.as_str(), &dir);
        let pending_sign_outs = TokenVault::pending_sign_outs(profile.as_str(), &dir);
        Self {
            pending_sign_outs,
            profile,
            data_dir,
            client,
            vault,
            token_place: Mutex::new(None),
            cards: std::sync::OnceLock::new(),
            shared_link: Mutex::new(
                std::env::args().find_map(|a| candor_core::links::shared_link(&a)),
            ),
        }
    }

    /// The client; an error if the store could not be opened.
    pub fn client(&self) -> Result<&Client, CommandError> {
        self.client.as_ref().map_err(Clone::clone)
    }

    /// The card fetcher, made on first use. Making it loads the system's TLS
    /// certificates; done at start-up, that held the window's first page back
    /// by about half a second (`cargo xtask bench app`).
    pub fn cards(&self) -> Option<&candor_core::links::fetch::CardFetcher> {
        self.cards.get_or_init(crate::cards::fetcher).as_ref()
    }

    /// Runs `f` with the store off the window's thread (see `Client::with_store`).
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, CommandError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, CoreError> + Send + 'static,
    {
        Ok(self.client()?.with_store(f).await?)
    }

    pub fn set_token_place(&self, place: Option<TokenPlace>) {
        *self.token_place.lock().unwrap_or_else(|p| p.into_inner()) = place;
    }

    pub fn token_place(&self) -> Option<TokenPlace> {
        *self.token_place.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    /// Tauri finds the app's data directory by its identifier; the tests and
    /// xtask find profiles by `APP_ID`. They must be one name.
    #[test]
    fn the_profile_layout_uses_the_identifier_tauri_uses() {
        let config: serde_json::Value = serde_json::from_str(include_str!("../tauri.conf.json"))
            .expect("tauri.conf.json is JSON");
        assert_eq!(
            config["identifier"].as_str(),
            Some(candor_core::profile_dir::APP_ID)
        );
    }
}
