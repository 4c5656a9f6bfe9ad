//! Accounts and sessions: the rules for handles and passwords, Argon2id hashing,
//! opaque session tokens stored only as hashes, and the sign-in rate limit.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::RelayError;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Bounds the work one sign-in can ask of the hasher.
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;

/// A handle as stored: 3 to 24 of a-z 0-9 . _, compared without case.
pub fn normalize_handle(handle: &str) -> Result<String, RelayError> {
    let h = handle.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = (3..=24).contains(&h.len())
        && h.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
    if ok {
        Ok(h)
    } else {
        Err(RelayError::Invalid(
            "a handle is 3 to 24 characters: letters a-z, digits, '.' and '_'".into(),
        ))
    }
}

pub fn check_display_name(name: &str) -> Result<String, RelayError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_DISPLAY_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(RelayError::Invalid(format!(
            "a display name is 1 to {MAX_DISPLAY_NAME_CHARS} characters, without control characters"
        )));
    }
    Ok(name.to_owned())
}

/// The rule for a new password: 8 characters or more, not only spaces, and
/// not easy to guess by zxcvbn's estimate (its lists of common passwords, names
/// and words, keyboard walks, repeats, dates), counting the account's own
/// handle and name as known words. Scores 0 and 1 ("too guessable", "very
/// guessable": under about a million guesses) are refused.
pub fn check_password(password: &str, known: &[&str]) -> Result<(), RelayError> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(RelayError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.trim().is_empty() {
        return Err(RelayError::Invalid(
            "a password cannot be only spaces".into(),
        ));
    }
    let estimate = zxcvbn::zxcvbn(password, known);
    if estimate.score() < zxcvbn::Score::Two {
        let mut why = String::from("that password is too easy to guess");
        if let Some(warning) = estimate.feedback().and_then(|f| f.warning()) {
            why.push_str(&format!(" ({})", warning.to_string().trim_end_matches('.')));
        }
        why.push_str(": try a few uncommon words together");
        return Err(RelayError::Invalid(why));
    }
    Ok(())
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes). Slow on purpose: call it
/// off the async threads.
pub fn hash_password(password: &str) -> Result<String, RelayError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| RelayError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the handle does not exist, so that a wrong handle
/// takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password").unwrap_or_default())
}

/// A new session token: 256 random bits, URL-safe base64. Shown to the client
/// once; the relay keeps only [`token_hash`].
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the relay stores for a token. A fast hash is right here: the token has
/// 256 bits of entropy, so there is nothing to brute-force.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The bearer token of a request, if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Failed sign-ins (and password changes) allowed per handle, and per client
/// address, in 15 minutes: a guesser gets a few tries at one account, and a
/// few more across accounts from one address.
pub const SIGN_IN_PER_HANDLE: crate::limits::Limit = crate::limits::Limit::new(
    "sign-in attempts",
    "sign-in:handle",
    5,
    std::time::Duration::from_secs(15 * 60),
);
pub const SIGN_IN_PER_ADDRESS: crate::limits::Limit = crate::limits::Limit::new(
    "sign-in attempts",
    "sign-in:address",
    20,
    std::time::Duration::from_secs(15 * 60),
);

impl crate::RelayState {
    /// Counts a sign-in attempt against `handle` and `address` before the
    /// password is checked (so parallel guesses cannot all slip through while
    /// the first is hashing); refuses when either has used up its attempts.
    pub(crate) async fn sign_in_attempt(
        &self,
        handle: &str,
        address: &str,
    ) -> Result<(), RelayError> {
        self.count(
            SIGN_IN_PER_HANDLE.what,
            vec![
                SIGN_IN_PER_HANDLE.key(handle),
                SIGN_IN_PER_ADDRESS.key(address),
            ],
        )
        .await
    }

    /// The attempt succeeded: the handle's failures are forgotten, and the
    /// address gets this attempt back.
    pub(crate) async fn sign_in_succeeded(&self, handle: &str, address: &str) {
        self.give_back(SIGN_IN_PER_HANDLE.key(handle), true).await;
        self.give_back(SIGN_IN_PER_ADDRESS.key(address), false)
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_normalized_and_checked() {
        assert_eq!(
            normalize_handle("@Maya.Lopez_1").expect("ok"),
            "maya.lopez_1"
        );
        for bad in ["ab", "has space", "ünïcode", &"x".repeat(25), "semi;colon"] {
            assert!(normalize_handle(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_hashed_with_argon2id_and_verified() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).expect("base64").len(), 32);
        assert_eq!(token_hash(&a).len(), 32);
        assert_ne!(token_hash(&a), a.as_bytes());
    }
}
