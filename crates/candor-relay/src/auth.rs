//! Accounts and sessions: the rules for handles and passwords, Argon2id hashing,
//! opaque session tokens stored only as hashes, and the sign-in rate limit.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// Failed sign-ins per handle and per address in a sliding window.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_PER_HANDLE: usize = 5;
const MAX_PER_ADDRESS: usize = 20;

impl SignInLimiter {
    /// Refuses when either key has used up its attempts in the window; otherwise
    /// counts this attempt as a failure until [`Self::succeeded`] says otherwise.
    /// Checking and counting together means parallel guesses cannot all slip
    /// through while the first is still hashing.
    pub fn check(&self, handle: &str, address: &str) -> Result<(), RelayError> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        for (key, max) in [
            (format!("h:{handle}"), MAX_PER_HANDLE),
            (format!("a:{address}"), MAX_PER_ADDRESS),
        ] {
            if let Some(q) = map.get_mut(&key) {
                while q.front().is_some_and(|t| now.duration_since(*t) > WINDOW) {
                    q.pop_front();
                }
                if q.len() >= max {
                    let oldest = q.front().copied().unwrap_or(now);
                    let wait = WINDOW.saturating_sub(now.duration_since(oldest));
                    return Err(RelayError::RateLimited {
                        what: "sign-in attempts",
                        minutes: wait.as_secs().div_ceil(60).max(1),
                    });
                }
            }
        }
        for key in [format!("h:{handle}"), format!("a:{address}")] {
            map.entry(key).or_default().push_back(now);
        }
        // Forget keys whose window has passed, so the map does not grow forever.
        if map.len() > 10_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= WINDOW));
        }
        Ok(())
    }

    /// The attempt counted by [`Self::check`] succeeded: it no longer counts.
    pub fn succeeded(&self, handle: &str, address: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("h:{handle}"));
        if let Some(q) = map.get_mut(&format!("a:{address}")) {
            q.pop_back();
        }
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

    #[test]
    fn sign_in_is_limited_per_handle_then_per_address() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_PER_HANDLE {
            limiter.check("maya", "1.2.3.4").expect("allowed");
        }
        assert!(matches!(
            limiter.check("maya", "5.6.7.8"),
            Err(RelayError::RateLimited { .. })
        ));
        // Another handle from the same address still has room, until the address
        // runs out too.
        limiter
            .check("sam", "1.2.3.4")
            .expect("other handle allowed");
        for i in 0..MAX_PER_ADDRESS {
            limiter
                .check(&format!("user{i}"), "9.9.9.9")
                .expect("allowed");
        }
        assert!(limiter.check("fresh", "9.9.9.9").is_err());
        // A success gives its attempt back (checked below).
        let fresh = SignInLimiter::default();
        for _ in 0..10 {
            fresh.check("sam", "5.5.5.5").expect("allowed");
            fresh.succeeded("sam", "5.5.5.5");
        }
    }
}
