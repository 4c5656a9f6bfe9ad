//! Profiles: separate data directories, so that two Candor instances (two accounts,
//! or a person and a test) can run side by side on one machine.

use std::path::{Path, PathBuf};

/// The name of a profile: 1 to 32 of a-z, 0-9, `-` and `_`, so that it is always a
/// safe directory name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileNameError {
    #[error("profile name {0:?} must be 1 to 32 of a-z, 0-9, '-' and '_'")]
    Invalid(String),
    #[error("--profile needs a name")]
    Missing,
}

impl ProfileName {
    pub const DEFAULT: &'static str = "default";

    pub fn new(name: &str) -> Result<Self, ProfileNameError> {
        let ok = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(ProfileNameError::Invalid(name.to_owned()))
        }
    }

    /// `--profile NAME` (or `--profile=NAME`) wins over `CANDOR_PROFILE`, which wins
    /// over the default profile. Other arguments are left for Tauri.
    pub fn from_env_and_args(
        args: impl IntoIterator<Item = String>,
    ) -> Result<Self, ProfileNameError> {
        Self::resolve(args, std::env::var("CANDOR_PROFILE").ok())
    }

    fn resolve(
        args: impl IntoIterator<Item = String>,
        env: Option<String>,
    ) -> Result<Self, ProfileNameError> {
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--profile" {
                return Self::new(&args.next().ok_or(ProfileNameError::Missing)?);
            }
            if let Some(name) = arg.strip_prefix("--profile=") {
                return Self::new(name);
            }
        }
        match env {
            Some(name) if !name.is_empty() => Self::new(&name),
            _ => Self::new(Self::DEFAULT),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `<app data>/profiles/<name>`.
    pub fn dir(&self, app_data: &Path) -> PathBuf {
        app_data.join("profiles").join(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flag_beats_environment_beats_default() {
        let p = ProfileName::resolve(args(&["--profile", "work"]), Some("home".into()));
        assert_eq!(p.expect("valid").as_str(), "work");
        let p = ProfileName::resolve(args(&["--profile=b"]), None);
        assert_eq!(p.expect("valid").as_str(), "b");
        let p = ProfileName::resolve(args(&[]), Some("home".into()));
        assert_eq!(p.expect("valid").as_str(), "home");
        let p = ProfileName::resolve(args(&[]), None);
        assert_eq!(p.expect("valid").as_str(), "default");
    }

    #[test]
    fn names_that_could_escape_the_data_directory_are_refused() {
        for bad in ["../x", "a/b", "", "UPPER", &"x".repeat(33)] {
            assert_eq!(
                ProfileName::new(bad),
                Err(ProfileNameError::Invalid(bad.to_string()))
            );
        }
        assert_eq!(
            ProfileName::resolve(args(&["--profile"]), None),
            Err(ProfileNameError::Missing)
        );
    }
}
