//! Living on the desktop: one instance per profile (a second launch focuses the
//! first), the window's size and place remembered, a tray icon with the unread
//! count and Open/Quit, and a notification for new messages while the window is
//! not focused (never for a muted chat; clicking one opens the chat).
//!
//! Everything here is driven from Rust, so the window needs no plugin
//! permissions: the capabilities stay Candor's own commands.
//!
//! The files below this one depend on nothing here: `window` brings the window
//! forward, `alerts` shows unread counts and notifications, `quit` asks before
//! quitting with messages waiting, `navigation` keeps the main window on
//! Candor's own page; this file wires them to the tray and plugins.

mod alerts;
mod navigation;
pub mod quit;
mod window;

use alerts::{CHAT_KEY, TRAY};
pub use alerts::{
    WITHDRAWS_NOTIFICATIONS, notify_new_messages, refresh_unread, show_unread,
    withdraw_notification,
};
pub use window::show_main;

use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_window_state::StateFlags;

use crate::ProfileName;

/// Adds the desktop plugins. The single-instance plugin comes first, so that a
/// second launch stops before anything else starts.
pub fn plugins<R: Runtime>(builder: tauri::Builder<R>, profile: &ProfileName) -> tauri::Builder<R> {
    #[cfg(any(target_os = "linux", target_os = "macos", windows))]
    let builder = {
        #[allow(unused_mut)]
        // A second launch hands its arguments over: a `candor://share?url=…`
        // link among them opens the share dialog here.
        let mut single = tauri_plugin_single_instance::Builder::new().callback(
            |app: &AppHandle<R>, args, _cwd| {
                show_main(app);
                if let Some(link) = args.iter().find_map(|a| candor_core::links::shared_link(a)) {
                    crate::events::SHARE.emit(app, &link);
                }
            },
        );
        // One instance per profile: alice and bob may run side by side.
        #[cfg(target_os = "linux")]
        {
            single = single.dbus_id(format!(
                "app.candor.desktop.profile_{}",
                profile.as_str().replace('-', "_")
            ));
        }
        builder.plugin(single.build())
    };
    builder
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
                .with_filename(format!("window-state-{}.json", profile.as_str()))
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .plugin(navigation::guard())
        // Used from Rust only ("open videos in the browser"); no window is
        // granted its commands.
        .plugin(tauri_plugin_opener::init())
        // Used from Rust only (the photo viewer's "Save as…"), likewise.
        .plugin(tauri_plugin_dialog::init())
}

/// Creates the tray icon and routes notification clicks; called once at start.
pub fn setup<R: Runtime>(app: &tauri::App<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Candor", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip("Candor")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_main(app),
            "quit" => {
                quit::request(app);
            }
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;

    let handle = app.handle().clone();
    let _ = app.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        show_main(&handle);
        let chat = performed
            .notification()
            .and_then(|n| n.extra().get(CHAT_KEY))
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse::<candor_core::protocol::ConversationId>().ok());
        if let Some(chat) = chat {
            crate::events::OPEN_CHAT.emit(&handle, &chat);
        }
    });
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move { refresh_unread(&handle).await });
    Ok(())
}
