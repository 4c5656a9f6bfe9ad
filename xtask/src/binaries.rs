//! The test executables that `cargo test --workspace` built, run directly.
//!
//! The steps after `cargo test` run some suites again with other settings (the
//! relay's on PostgreSQL, the ignored ones that need services). Selecting them with
//! `cargo test --test NAME` changes how features resolve across the workspace, so
//! cargo would compile the relay, core and protocol a second time (80 s of a run
//! on two cores) to get binaries that differ only in what they were selected
//! with. Running the executables of the full build avoids that.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cmd::{self, Cmd};

/// Integration-test executables by their source file, relative to the root
/// (`crates/candor-relay/tests/delivery.rs`).
pub struct TestBinaries(BTreeMap<PathBuf, PathBuf>);

impl TestBinaries {
    /// Asks cargo for them with the selection of the `cargo test` step, so
    /// nothing compiles.
    pub fn of_workspace() -> Result<Self> {
        let json =
            cmd::cargo(&["test", "--workspace", "--no-run", "--message-format=json"]).output()?;
        let root = cmd::root();
        let mut found = BTreeMap::new();
        for line in json.lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let (Some(exe), Some(src)) = (
                message["executable"].as_str(),
                message["target"]["src_path"].as_str(),
            ) else {
                continue;
            };
            let integration = message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "test"));
            if let (true, Ok(src)) = (integration, PathBuf::from(src).strip_prefix(&root)) {
                found.insert(src.to_path_buf(), PathBuf::from(exe));
            }
        }
        if found.is_empty() {
            bail!("cargo listed no test executables");
        }
        Ok(Self(found))
    }

    /// The suite `tests/NAME.rs` of the package in `package_dir`, ready to run
    /// as `cargo test` runs it: from the package's directory.
    pub fn suite(&self, package_dir: &str, name: &str) -> Result<Cmd> {
        let src = PathBuf::from(package_dir).join(format!("tests/{name}.rs"));
        let exe = self
            .0
            .get(&src)
            .with_context(|| format!("no test executable for {}", src.display()))?;
        Ok(Cmd::new(&exe.to_string_lossy()).dir(package_dir))
    }
}
