//! `ui/src/lib/bindings.ts`: the TypeScript twin of every type that crosses IPC,
//! generated from the Rust types. The test below fails when the committed file is
//! stale; `cargo xtask bindings` rewrites it.

use ts_rs::Config;

use crate::commands::app::AppInfo;
use crate::commands::chat_settings::MuteFor;
use crate::commands::settings::{SettingsView, WhoMayWrite};
use crate::events::{ConnectionNotice, SyncNotice};
use crate::quit::QuitChoice;
use crate::token_vault::TokenPlace;
use crate::{CommandError, ErrorCode};

/// Path of the generated file, relative to this crate.
pub const BINDINGS_PATH: &str = "../ui/src/lib/bindings.ts";

/// The whole generated file.
pub fn render() -> String {
    let cfg = Config::default();
    let mut decls = candor_core::bindings::declarations();
    decls.push(candor_core::bindings::decl::<ErrorCode>(&cfg));
    decls.push(candor_core::bindings::decl::<CommandError>(&cfg));
    decls.push(candor_core::bindings::decl::<TokenPlace>(&cfg));
    decls.push(candor_core::bindings::decl::<AppInfo>(&cfg));
    decls.push(candor_core::bindings::decl::<ConnectionNotice>(&cfg));
    decls.push(candor_core::bindings::decl::<SyncNotice>(&cfg));
    decls.push(candor_core::bindings::decl::<WhoMayWrite>(&cfg));
    decls.push(candor_core::bindings::decl::<SettingsView>(&cfg));
    decls.push(candor_core::bindings::decl::<MuteFor>(&cfg));
    decls.push(candor_core::bindings::decl::<QuitChoice>(&cfg));
    let mut out = String::from(
        "// Generated from the Rust types by `cargo xtask bindings`. Do not edit.\n\n",
    );
    for d in decls {
        out.push_str(d.trim_end());
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn committed_bindings_match_the_rust_types() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_PATH);
        let fresh = render();
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
}
