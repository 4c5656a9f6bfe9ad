//! What the commands share: the profile's store, behind a mutex, used off the main
//! thread.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use candor_core::{CoreError, Store};

use crate::{CommandError, ProfileName};

pub struct AppState {
    pub profile: ProfileName,
    pub data_dir: PathBuf,
    /// The store, or why it could not be opened (shown by the UI).
    pub store: Result<Arc<Mutex<Store>>, CommandError>,
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
        Self {
            profile,
            data_dir,
            store,
        }
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
}
