//! The Candor desktop shell: a window, the profile's store, and thin commands.
//!
//! Business rules live in candor-core; this crate only wires them to Tauri. The
//! store is opened once at start-up in the profile's data directory; if that fails
//! (a damaged file, a newer schema) the window still opens and the UI shows the
//! reason instead of the inbox, and the file is left as it was.

#[cfg(test)]
mod bindings;
mod cards;
mod commands;
mod desktop;
mod error;
mod events;
#[cfg(test)]
mod module_graph;
mod notices;
mod sign_out;
mod state;
mod token_vault;
mod webview;

use tauri::Manager;

pub use candor_core::profile_dir::{ProfileName, ProfileNameError};
pub use error::{CommandError, ErrorCode};

use state::AppState;

/// Starts the app and blocks until it quits. Call it first thing in `main`:
/// it sets up the environment before any thread starts.
pub fn run() {
    webview::prepare_process();
    let profile = match ProfileName::from_env_and_args(std::env::args().skip(1)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("candor: {e}");
            std::process::exit(2);
        }
    };
    desktop::plugins(tauri::Builder::default(), &profile)
        .setup(move |app| {
            let base = app.path().app_data_dir()?;
            let state = AppState::open(&base, profile);
            match &state.client {
                // One stream for the app's life: every session's notices.
                Ok(client) => notices::forward(app.handle().clone(), client.subscribe()),
                Err(e) => eprintln!("candor: {}", e.message),
            }
            app.manage(state);
            if let Some(window) = app.get_webview_window("main") {
                webview::set_up(&window)?;
            }
            desktop::setup(app)?;
            resume_session(app.handle().clone());
            // Sign-outs the relay had not confirmed when the app last ran.
            sign_out::finish(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window quits; with messages still in their undo-send
            // window it asks first.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event
                && desktop::quit::waiting(window.app_handle()) > 0
            {
                api.prevent_close();
                desktop::quit::request(window.app_handle());
            }
        })
        // Photos reach the page only from here, by blob (see `commands::photos`).
        .register_asynchronous_uri_scheme_protocol(
            commands::photos::SCHEME,
            |ctx, request, responder| {
                let answer = commands::photos::serve(ctx.app_handle(), &request);
                tauri::async_runtime::spawn(async move { responder.respond(answer.await) });
            },
        )
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::ui_ready,
            commands::account::sign_up,
            commands::account::sign_in,
            commands::account::sign_out,
            commands::account::check_relay,
            commands::account::open_relay_help,
            commands::inbox::inbox_page,
            commands::inbox::requests_page,
            commands::inbox::accept_request,
            commands::chat::conversation_page,
            commands::chat::send_message,
            commands::photos::prepare_photo,
            commands::photos::send_photos,
            commands::photos::save_photo,
            commands::chat::react,
            commands::chat::mark_read,
            commands::chat::typing,
            commands::chat::retry_message,
            commands::chat::start_chat,
            commands::chat::newer_messages,
            commands::search::search_messages,
            commands::inbox::inbox_item,
            commands::settings::settings,
            commands::settings::set_display_name,
            commands::settings::set_who_may_write,
            commands::settings::set_notifications,
            commands::devices::signed_in_devices,
            commands::devices::sign_out_device,
            commands::devices::sign_out_other_devices,
            commands::devices::change_password,
            commands::chat_settings::pin_chat,
            commands::chat_settings::mute_chat,
            commands::chat_settings::block_person,
            commands::chat_settings::decline_request,
            commands::chat_settings::find_chats,
            commands::chat::start_group,
            commands::chat_settings::leave_group,
            commands::group::group_members,
            commands::group::add_group_member,
            commands::group::remove_group_member,
            commands::group::make_group_admin,
            commands::delete::hide_messages,
            commands::delete::unhide_messages,
            commands::delete::hidden_messages,
            commands::delete::erase_hidden,
            commands::delete::message_info,
            commands::delete::delete_chat,
            commands::delete::deleted_chats,
            commands::delete::restore_chat,
            commands::chat::undo_send,
            commands::chat::save_draft,
            commands::video::link_preview,
            commands::video::share_video,
            commands::video::chat_videos,
            commands::video::open_video,
            commands::links::open_link,
            commands::video::fetch_card,
            commands::video::take_shared_link,
            commands::settings::set_open_videos_in,
            commands::settings::set_undo_send,
            desktop::quit::request_quit,
            desktop::quit::quit,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("candor: the window could not start: {e}");
            std::process::exit(1);
        });
}

/// Signed in before? Start syncing with the stored token. The inbox never waits
/// for this: it reads the store, and the engine fills it in the background.
fn resume_session(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(Some(profile)) = state.with_store(|s| s.profile()).await else {
            return;
        };
        let vault = state.vault.clone();
        let Ok(Some((token, place))) =
            tauri::async_runtime::spawn_blocking(move || vault.load()).await
        else {
            return;
        };
        match (
            candor_core::account::RelayClient::new(&profile.relay_url),
            state.client(),
        ) {
            (Ok(relay), Ok(client)) => {
                state.set_token_place(Some(place));
                client.start_session(relay, token).await;
            }
            (Err(e), _) => eprintln!("candor: the stored relay address is not valid: {e}"),
            (_, Err(e)) => eprintln!("candor: could not resume syncing: {}", e.message),
        }
    });
}
