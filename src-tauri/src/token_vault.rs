//! Where this device keeps its session token: the OS keychain (Secret Service,
//! macOS Keychain, Windows Credential Manager) when there is one, otherwise a file
//! only the owner can read in the profile directory. Settings shows which.

use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;

/// Where the token is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TokenPlace {
    Keychain,
    /// A file readable only by you, because no keychain answered.
    OwnerOnlyFile,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot store the session token in {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The token store of one profile.
#[derive(Clone, Debug)]
pub struct TokenVault {
    /// Keychain entry name: one per profile.
    account: String,
    file: PathBuf,
}

/// The keychain service: the app's identifier.
const SERVICE: &str = candor_core::profile_dir::APP_ID;

impl TokenVault {
    pub fn new(profile: &str, dir: &candor_core::profile_dir::ProfileDir) -> Self {
        Self {
            account: format!("session:{profile}"),
            file: dir.token_file(),
        }
    }

    /// The slot for sign-outs the relay has not confirmed (their tokens
    /// still work there, so they are kept as safely).
    pub fn pending_sign_outs(profile: &str, dir: &candor_core::profile_dir::ProfileDir) -> Self {
        Self {
            account: format!("pending-sign-out:{profile}"),
            file: dir.path().join("pending-sign-outs"),
        }
    }

    /// Stores the token, preferring the keychain. Blocking: call off the UI thread.
    pub fn save(&self, token: &str) -> Result<TokenPlace, VaultError> {
        if self.keychain_save(token) {
            // A token left in a file by an earlier fallback must not linger.
            let _ = std::fs::remove_file(&self.file);
            return Ok(TokenPlace::Keychain);
        }
        // Nor an older one in the keychain, which `load` would prefer.
        self.keychain_delete();
        candor_private::write(&self.file, token.as_bytes()).map_err(|source| VaultError::File {
            path: self.file.clone(),
            source,
        })?;
        Ok(TokenPlace::OwnerOnlyFile)
    }

    /// The stored token and where it was found.
    pub fn load(&self) -> Option<(String, TokenPlace)> {
        if let Some(token) = self.keychain_load() {
            return Some((token, TokenPlace::Keychain));
        }
        std::fs::read_to_string(&self.file)
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(|t| (t, TokenPlace::OwnerOnlyFile))
    }

    /// Forgets the token everywhere.
    pub fn delete(&self) {
        self.keychain_delete();
        let _ = std::fs::remove_file(&self.file);
    }

    fn entry(&self) -> Option<keyring::Entry> {
        keyring::Entry::new(SERVICE, &self.account).ok()
    }

    fn keychain_save(&self, token: &str) -> bool {
        // The fallback file is for machines without a keychain; tests force it so
        // that they never write into a developer's real keychain.
        if std::env::var_os("CANDOR_NO_KEYCHAIN").is_some() {
            return false;
        }
        self.entry()
            .is_some_and(|e| e.set_password(token).is_ok() && e.get_password().is_ok())
    }

    fn keychain_load(&self) -> Option<String> {
        if std::env::var_os("CANDOR_NO_KEYCHAIN").is_some() {
            return None;
        }
        self.entry()?.get_password().ok()
    }

    fn keychain_delete(&self) {
        if let Some(e) = self.entry() {
            let _ = e.delete_credential();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_file_is_owner_only_and_removed_on_sign_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = crate::ProfileName::new("test-vault").expect("valid");
        let profile = candor_core::profile_dir::ProfileDir::in_app_data(dir.path(), &name);
        std::fs::create_dir_all(profile.path()).expect("profile dir");
        let vault = TokenVault::new(name.as_str(), &profile);
        candor_private::write(&vault.file, b"secret-token").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&vault.file)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_to_string(&vault.file).expect("read"),
            "secret-token"
        );
        vault.delete();
        assert!(!vault.file.exists());
    }
}
