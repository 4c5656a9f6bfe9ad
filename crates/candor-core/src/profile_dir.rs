//! Profiles: separate data directories, so that two Candor instances (two accounts,
//! or a person and a test) can run side by side on one machine.
//!
//! The layout of a profile's directory is defined here and only here: the app
//! opens it, the end-to-end tests and `cargo xtask demo` prepare it, and they
//! must agree on every file name, so they all ask [`ProfileDir`].

use std::path::{Path, PathBuf};

/// The app's identifier (Tauri's `identifier`): the name of its data directory
/// and of its keychain service. A test in the shell checks tauri.conf.json says
/// the same.
pub const APP_ID: &str = "app.candor.desktop";

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
}

/// One profile's directory and the files in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileDir(PathBuf);

impl ProfileDir {
    /// `<app data>/profiles/<name>`, where app data is the app's own data
    /// directory (Tauri's `app_data_dir`).
    pub fn in_app_data(app_data: &Path, name: &ProfileName) -> Self {
        Self(app_data.join("profiles").join(name.as_str()))
    }

    /// The same directory found from a data home (`$XDG_DATA_HOME` on Linux),
    /// which holds the app's data directory, [`APP_ID`].
    pub fn in_data_home(data_home: &Path, name: &ProfileName) -> Self {
        Self::in_app_data(&data_home.join(APP_ID), name)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Creates the directory, and those above it, for its owner only (0700 on
    /// Unix): other users of the machine may not list or read a profile.
    pub fn create(&self) -> std::io::Result<()> {
        candor_private::create_dir(&self.0)
    }

    /// The SQLite database (`Store::open`).
    pub fn database(&self) -> PathBuf {
        self.0.join("candor.db")
    }

    /// The database and the two files SQLite keeps beside it in WAL mode: every
    /// file that may hold a message's text.
    pub fn database_files(&self) -> [PathBuf; 3] {
        let db = self.database();
        let beside = |suffix: &str| {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            PathBuf::from(name)
        };
        [beside("-wal"), beside("-shm"), db]
    }

    /// Where the session token is kept when the OS has no keychain: a file
    /// only its owner may read.
    pub fn token_file(&self) -> PathBuf {
        self.0.join("session-token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_profile_directory_and_its_database_are_its_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = ProfileDir::in_data_home(tmp.path(), &ProfileName::new("p").expect("name"));
        dir.create().expect("create");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        // An older Candor's world-readable database is narrowed when opened.
        std::fs::write(dir.database(), b"").expect("old db");
        std::fs::set_permissions(dir.database(), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let store = crate::Store::open(&dir.database()).expect("open");
        // Write something, so that the journal files exist too.
        store
            .connection()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .expect("write");
        for file in dir.database_files() {
            assert!(file.exists(), "{}", file.display());
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

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
    fn a_profile_directory_is_the_same_from_app_data_or_data_home() {
        let name = ProfileName::new("alice").expect("valid");
        let dir = ProfileDir::in_data_home(Path::new("/home/a/.local/share"), &name);
        assert_eq!(
            dir,
            ProfileDir::in_app_data(Path::new("/home/a/.local/share/app.candor.desktop"), &name)
        );
        assert_eq!(
            dir.database(),
            Path::new("/home/a/.local/share/app.candor.desktop/profiles/alice/candor.db")
        );
        assert_eq!(
            dir.database_files()
                .map(|f| f.file_name().map(|n| n.to_owned())),
            [
                Some("candor.db-wal".into()),
                Some("candor.db-shm".into()),
                Some("candor.db".into())
            ]
        );
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
