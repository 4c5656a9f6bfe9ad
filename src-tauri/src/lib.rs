//! The Candor desktop shell: a window, the profile's store, and thin commands.
//!
//! Business rules live in candor-core; this crate only wires them to Tauri. The
//! store is opened once at start-up in the profile's data directory; if that fails
//! (a damaged file, a newer schema) the window still opens and the UI shows the
//! reason instead of the inbox, and the file is left as it was.

pub mod bindings;
mod commands;
mod error;
mod profile;
mod state;

use tauri::Manager;

pub use error::{CommandError, ErrorCode};
pub use profile::{ProfileName, ProfileNameError};

use state::AppState;

/// Starts the app and blocks until it quits.
pub fn run() {
    let profile = match ProfileName::from_env_and_args(std::env::args().skip(1)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("candor: {e}");
            std::process::exit(2);
        }
    };
    tauri::Builder::default()
        .setup(move |app| {
            let base = app.path().app_data_dir()?;
            let state = AppState::open(&base, profile);
            if let Err(e) = &state.store {
                eprintln!("candor: {}", e.message);
            }
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::inbox::inbox_page,
            commands::chat::conversation_page,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("candor: the window could not start: {e}");
            std::process::exit(1);
        });
}
