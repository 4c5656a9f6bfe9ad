//! Living on the desktop: one instance per profile (a second launch focuses the
//! first), the window's size and place remembered, a tray icon with the unread
//! count and Open/Quit, and a notification for new messages while the window is
//! not focused (never for a muted chat; clicking one opens the chat).
//!
//! Everything here is driven from Rust, so the window needs no plugin
//! permissions: the capabilities stay Candor's own commands.

use candor_core::protocol::ConversationId;
use candor_core::{InboxItem, UnreadSummary};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_window_state::StateFlags;

use crate::ProfileName;
use crate::state::AppState;

/// The UI opens the chat named in this event's payload.
pub const OPEN_CHAT_EVENT: &str = "candor://open-chat";
const TRAY: &str = "main";
const CHAT_KEY: &str = "chat";

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
                    let _ = app.emit(SHARE_EVENT, link);
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
        // Used from Rust only ("open videos in the browser"); no window is
        // granted its commands.
        .plugin(tauri_plugin_opener::init())
}

/// The UI opens the share dialog with the link this carries.
pub const SHARE_EVENT: &str = "candor://share";

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
                crate::quit::request(app);
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
            .map(str::to_owned);
        if let Some(chat) = chat {
            let _ = handle.emit(OPEN_CHAT_EVENT, chat);
        }
    });
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move { refresh_unread(&handle).await });
    Ok(())
}

/// Brings the main window to the front.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Puts the unread count on the tray icon (hidden messages and requests are not
/// counted: the store's summary leaves them out).
pub async fn refresh_unread<R: Runtime>(app: &AppHandle<R>) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    if let Ok(unread) = state.with_store(|s| s.unread_summary()).await {
        show_unread(app, &unread);
    }
}

/// Shows `unread` on the tray icon.
pub fn show_unread<R: Runtime>(app: &AppHandle<R>, unread: &UnreadSummary) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        let n = unread.messages;
        // Linux shows the title beside the icon; Windows and macOS the tooltip.
        let _ = tray.set_title((n > 0).then(|| n.to_string()));
        let _ = tray.set_tooltip(Some(match n {
            0 => "Candor".to_owned(),
            1 => "Candor: 1 unread message".to_owned(),
            n => format!("Candor: {n} unread messages"),
        }));
    }
}

/// Shows a notification for each chat in `chats` (rows as the notice carried
/// them) whose newest message is someone else's, unless the window is focused,
/// the chat is muted, or notifications are off.
pub async fn notify_new_messages<R: Runtime>(app: &AppHandle<R>, chats: &[InboxItem]) {
    let focused = app
        .get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    if focused || chats.is_empty() {
        return;
    }
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    if !state
        .with_store(|s| s.notifications_enabled())
        .await
        .unwrap_or(true)
    {
        return;
    }
    let now = chrono::Utc::now();
    for item in chats {
        let muted = item.muted_until.is_some_and(|until| until > now);
        let Some(preview) = item
            .preview
            .as_ref()
            .filter(|_| !muted && !item.preview_is_own)
        else {
            continue;
        };
        let shown = app
            .notification()
            .builder()
            .id(notification_id(item.id))
            .title(&item.title)
            .body(preview)
            .extra(CHAT_KEY, item.id.to_string())
            .show();
        if let Err(e) = shown {
            tracing::warn!(error = %e, "could not show a notification");
        }
    }
}

/// One notification per chat: a newer one replaces the older.
fn notification_id(chat: ConversationId) -> i32 {
    let bytes = chat.0.as_bytes();
    i32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15] & 0x7f])
}
