//! Relay settings, with the defaults the binary documents.

use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Where the embedded store lives (created on first start).
    pub data_dir: PathBuf,
    /// Browser origins allowed to open a WebSocket. Native clients send no Origin
    /// header and are always allowed; a browser page from any other origin is not.
    pub allowed_origins: Vec<String>,
}

impl RelayConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            allowed_origins: Vec::new(),
        }
    }
}
