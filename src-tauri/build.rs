//! Generates the permissions of the app's own commands: a command not listed here
//! cannot be called from any window, and capabilities/ grants them one by one.

/// Every command the UI may call; capabilities/main.json grants each one.
const COMMANDS: &[&str] = &[
    "app_info",
    "ui_ready",
    "sign_up",
    "sign_in",
    "sign_out",
    "check_relay",
    "open_relay_help",
    "inbox_page",
    "requests_page",
    "accept_request",
    "conversation_page",
    "send_message",
    "mark_read",
    "typing",
    "retry_message",
    "start_chat",
    "newer_messages",
    "search_messages",
    "inbox_item",
    "settings",
    "set_display_name",
    "set_who_may_write",
    "set_notifications",
    "pin_chat",
    "mute_chat",
    "block_person",
    "decline_request",
    "find_chats",
    "start_group",
    "leave_group",
    "hide_messages",
    "unhide_messages",
    "hidden_messages",
    "erase_hidden",
    "delete_chat",
    "deleted_chats",
    "restore_chat",
    "undo_send",
    "save_draft",
    "set_undo_send",
    "request_quit",
    "quit",
    "link_preview",
    "share_video",
    "chat_videos",
    "open_video",
    "set_open_videos_in",
    "fetch_card",
    "take_shared_link",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
