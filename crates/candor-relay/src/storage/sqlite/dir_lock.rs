//! One relay process per data directory.
//!
//! SQLite lets two processes share a database file, and each would hand out
//! seqs from its own memory of the last one (`sequences.rs`), so two relays on
//! one directory would number different messages alike. The store therefore
//! holds an exclusive lock on `relay.lock` in the directory for as long as it
//! is open. The lock is the operating system's (`flock` on Unix, `LockFileEx`
//! on Windows): it goes with the process, so a relay that was killed leaves
//! nothing to clean up, and a copy of the directory (a backup being restored)
//! carries no lock with it.
//!
//! A relay being restarted may still be closing when the new one starts (a
//! service manager that does not wait, a restart inside one process), so the
//! lock is asked for again for a few seconds before the directory is called
//! taken.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use super::super::StorageError;

/// The lock file's name in the data directory.
pub(super) const LOCK_FILE: &str = "relay.lock";

/// How long a relay waits for the one before it to let go of the directory.
const GRACE: Duration = Duration::from_secs(5);

/// Held while the store is open; dropping it lets another relay open the directory.
#[derive(Debug)]
pub(super) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the directory, or says that another relay has it.
    pub(super) fn take(data_dir: &Path) -> Result<Self, StorageError> {
        let path = data_dir.join(LOCK_FILE);
        let open_err = |reason: String| StorageError::Open {
            path: data_dir.display().to_string(),
            reason,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| open_err(format!("{}: {e}", path.display())))?;
        Self::take_within(file, data_dir, GRACE)
    }

    fn take_within(file: File, data_dir: &Path, grace: Duration) -> Result<Self, StorageError> {
        let until = Instant::now() + grace;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StorageError::InUse {
                        path: data_dir.display().to_string(),
                    });
                }
                Err(TryLockError::Error(e)) => {
                    return Err(StorageError::Open {
                        path: data_dir.display().to_string(),
                        reason: format!("locking {}: {e}", data_dir.join(LOCK_FILE).display()),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::SqliteStorage;
    use super::*;

    #[test]
    fn a_second_store_on_the_directory_is_refused_until_the_first_closes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = SqliteStorage::open(dir.path()).expect("first open");
        match SqliteStorage::open(dir.path()) {
            Err(StorageError::InUse { path }) => assert_eq!(path, dir.path().display().to_string()),
            other => panic!("a second store opened the directory: {other:?}"),
        }
        drop(first);
        SqliteStorage::open(dir.path()).expect("open again once the first is closed");
    }

    #[test]
    fn a_copied_directory_carries_no_lock() {
        // A backup taken while the relay runs, restored beside it.
        let dir = tempfile::tempdir().expect("tempdir");
        let running = SqliteStorage::open(&dir.path().join("live")).expect("open");
        let restored = dir.path().join("restored");
        std::fs::create_dir_all(&restored).expect("mkdir");
        for name in [LOCK_FILE, "relay.db"] {
            std::fs::copy(dir.path().join("live").join(name), restored.join(name)).expect("copy");
        }
        SqliteStorage::open(&restored).expect("the copy opens while the original runs");
        drop(running);
    }
}
