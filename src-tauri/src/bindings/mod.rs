//! `ui/src/lib/bindings.ts`: the TypeScript twin of every type that crosses IPC,
//! generated from the Rust types: the types themselves (ts-rs), each command's
//! name, arguments and result (read from its signature, see `signatures`), the
//! event names and the shared limits. The test below fails when the committed
//! file is stale; `cargo xtask bindings` rewrites it. Only that test builds
//! the file, so the module is compiled for tests alone.

mod signatures;

use std::path::Path;

use ts_rs::{Config, TS};

use crate::commands::account::RelayCheck;
use crate::commands::app::AppInfo;
use crate::commands::chat_settings::MuteFor;
use crate::commands::devices::SignedInDevice;
use crate::commands::settings::{SettingsView, WhoMayWrite};
use crate::desktop::quit::QuitChoice;
use crate::token_vault::TokenPlace;
use crate::{CommandError, ErrorCode};

/// Path of the generated file, relative to this crate.
const BINDINGS_PATH: &str = "../ui/src/lib/bindings.ts";

/// The whole generated file, or what stops it being made.
pub fn render() -> Result<String, String> {
    let cfg = Config::default();
    let mut decls = candor_core::bindings::declarations();
    decls.push(candor_core::bindings::decl::<ErrorCode>(&cfg));
    decls.push(candor_core::bindings::decl::<CommandError>(&cfg));
    decls.push(candor_core::bindings::decl::<TokenPlace>(&cfg));
    decls.push(candor_core::bindings::decl::<AppInfo>(&cfg));
    decls.push(candor_core::bindings::decl::<RelayCheck>(&cfg));
    decls.push(candor_core::bindings::decl::<WhoMayWrite>(&cfg));
    decls.push(candor_core::bindings::decl::<SettingsView>(&cfg));
    decls.push(candor_core::bindings::decl::<SignedInDevice>(&cfg));
    decls.push(candor_core::bindings::decl::<MuteFor>(&cfg));
    decls.push(candor_core::bindings::decl::<QuitChoice>(&cfg));
    let contract = command_types(&decls)?;
    decls.push(constants(
        "COMMAND",
        "The commands the window may call, by the name the UI uses.",
        &commands(),
    ));
    decls.push(contract);
    let events = events();
    let names: Vec<(&str, &str)> = events.iter().map(|(k, n, _)| (*k, *n)).collect();
    decls.push(constants(
        "EVENT",
        "The events the shell emits to the window.",
        &names,
    ));
    let mut payloads =
        String::from("/** The payload each event carries. */\nexport type Events = {\n");
    for (key, _, payload) in &events {
        payloads.push_str(&format!("  {key}: {payload};\n"));
    }
    payloads.push_str("};");
    decls.push(payloads);
    decls.push(constants(
        "LIMIT",
        "Limits the core enforces, for the UI to say so first.",
        &limits(),
    ));
    let mut out = String::from(
        "// Generated from the Rust types by `cargo xtask bindings`. Do not edit.\n\n",
    );
    for d in decls {
        out.push_str(d.trim_end());
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    Ok(out)
}

/// `export type Commands = { sendMessage: { args: …; result: … }; … }`, in the
/// order of commands.in. Refused when a listed command has no signature in
/// the source (or the reverse), or when a signature names a type with no
/// declaration in `decls`.
fn command_types(decls: &[String]) -> Result<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = signatures::read(&src)?;
    let mut names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    let mut listed = COMMANDS.to_vec();
    listed.sort_unstable();
    if names != listed {
        return Err(format!(
            "the #[tauri::command] functions {names:?} are not the commands listed in commands.in {listed:?}"
        ));
    }
    let mut out = String::from(
        "/** Each command's arguments (by the name the shell reads) and result. */\nexport type Commands = {\n",
    );
    for name in COMMANDS {
        let sig = found.iter().find(|s| s.name == *name).expect("found above");
        for used in &sig.uses {
            let declared = format!("export type {used} ");
            if !decls.iter().any(|d| d.contains(&declared)) {
                return Err(format!(
                    "{name} uses {used}, which has no generated declaration"
                ));
            }
        }
        let args: Vec<String> = sig.args.iter().map(|(a, t)| format!("{a}: {t}")).collect();
        let args = if args.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            format!("{{ {} }}", args.join("; "))
        };
        out.push_str(&format!(
            "  {}: {{ args: {args}; result: {} }};\n",
            signatures::camel_case(name),
            sig.result
        ));
    }
    out.push_str("};");
    Ok(out)
}

/// Every command the UI may call, as build.rs grants them.
pub const COMMANDS: &[&str] = include!("../../commands.in");

/// Each command by the UI's name for it: `send_message` is `sendMessage`.
fn commands() -> Vec<(String, &'static str)> {
    COMMANDS
        .iter()
        .map(|name| (signatures::camel_case(name), *name))
        .collect()
}

/// Every event by the name the UI uses for it: its wire name and the
/// TypeScript type of its payload.
fn events() -> Vec<(&'static str, &'static str, String)> {
    use crate::events::{Event, LAGGED, OPEN_CHAT, QUIT_PENDING, SHARE, SIGN_OUT_CONFIRMED, SYNC};
    fn entry<P: TS>(key: &'static str, event: &Event<P>) -> (&'static str, &'static str, String) {
        (key, event.name, P::name(&Config::default()))
    }
    vec![
        entry("sync", &SYNC),
        entry("lagged", &LAGGED),
        entry("openChat", &OPEN_CHAT),
        entry("share", &SHARE),
        entry("quitPending", &QUIT_PENDING),
        entry("signOutConfirmed", &SIGN_OUT_CONFIRMED),
    ]
}

/// The limits the UI checks before the core would refuse.
fn limits() -> [(&'static str, usize); 6] {
    use candor_core::protocol::{MAX_GROUP_MEMBERS, MAX_PHOTOS, MAX_TEXT_CHARS};
    [
        ("textChars", MAX_TEXT_CHARS),
        ("draftChars", candor_core::MAX_DRAFT_CHARS),
        ("groupMembers", MAX_GROUP_MEMBERS),
        ("shareChats", candor_core::MAX_SHARE_CHATS),
        ("photos", MAX_PHOTOS),
        (
            "photoFileBytes",
            candor_core::photo::MAX_INPUT_BYTES as usize,
        ),
    ]
}

/// `export const NAME = { key: value, … } as const;` with a doc comment.
fn constants<K: std::fmt::Display, V: std::fmt::Debug>(
    name: &str,
    doc: &str,
    entries: &[(K, V)],
) -> String {
    let mut out = format!("/** {doc} */\nexport const {name} = {{\n");
    for (key, value) in entries {
        out.push_str(&format!("  {key}: {value:?},\n"));
    }
    out.push_str("} as const;");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_bindings_match_the_rust_types() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_PATH);
        let fresh = render().expect("the bindings can be made");
        if std::env::var_os("CANDOR_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("write bindings");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: run `cargo xtask bindings` and commit the result",
            path.display()
        );
    }

    /// One list of commands: what the capability grants and what the handler
    /// serves are exactly commands.in.
    #[test]
    fn the_capability_and_the_handler_serve_exactly_the_listed_commands() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let capability: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("capabilities/main.json")).expect("capability"),
        )
        .expect("json");
        let mut granted: Vec<String> = capability["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .filter_map(|p| p.as_str())
            .filter_map(|p| p.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        granted.sort();
        let mut listed: Vec<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
        listed.sort();
        assert_eq!(granted, listed, "capabilities/main.json");

        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).expect("lib.rs");
        let handler = &lib[lib.find("generate_handler![").expect("handler")..];
        let handler = &handler[..handler.find(']').expect("end of handler")];
        let mut served: Vec<String> = handler
            .split(',')
            .filter_map(|path| path.trim().rsplit("::").next())
            .filter(|name| !name.is_empty() && !name.starts_with("generate_handler"))
            .map(str::to_owned)
            .collect();
        served.sort();
        assert_eq!(served, listed, "the handler in src/lib.rs");
    }
}
