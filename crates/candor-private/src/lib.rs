//! Files and directories for their owner only. What Candor keeps is its
//! users': messages, password and session hashes, session tokens, the relay
//! operator's token. On Unix each directory is made 0700 and each file 0600
//! before anything is written to it, and one an older version left open to
//! others is narrowed when next opened. Elsewhere (Windows) a user's profile
//! directory is private already, and these only create.
//!
//! The app's profile (candor-core), the relay's data directory
//! (candor-relay) and the desktop shell's token file all go through here, so
//! that the rule is written once.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates `dir` (and those above it) for its owner only, and narrows it if
/// it was there already, open to others.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    narrow(dir, 0o700)
}

/// Makes the SQLite database `db` its owner's only before SQLite opens it:
/// creates it empty if it is not there (SQLite gives the journal files it
/// makes the database's own mode), and narrows it and its journal files
/// (`-wal`, `-shm`) if an older version left them open to others. What is
/// not a file (nothing yet, a directory in its place) is left for SQLite to
/// name in its own error.
pub fn database(db: &Path) -> std::io::Result<()> {
    if !db.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        // If this fails (no such directory, no right to write there), SQLite
        // fails the same way next, and its error names the file.
        let _ = options.open(db);
    }
    for file in database_files(db) {
        match std::fs::metadata(&file) {
            Ok(m) if m.is_file() => narrow(&file, 0o600)?,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `db` and the two files SQLite keeps beside it in WAL mode.
pub fn database_files(db: &Path) -> [PathBuf; 3] {
    let beside = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [db.to_owned(), beside("-wal"), beside("-shm")]
}

/// Writes `bytes` to `path` (replacing what was there), readable by its
/// owner only, and syncs it to disk. The bytes go to a new file beside it
/// that then takes its name, so a crash leaves the old content or the new,
/// never half of either (and perhaps a `.partial` file beside it).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A name of its own per write: two writers of one file (the same photo
    // fetched twice at once) must not write into each other's.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".{}-{n}.partial", std::process::id()));
    let partial = PathBuf::from(partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&partial)?;
    // One left by an earlier crash keeps its mode through `open`.
    narrow(&partial, 0o600)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, path)
}

/// Sets `path` to `mode` if others may read or write it.
#[cfg(unix)]
fn narrow(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if std::fs::metadata(path)?.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn narrow(path: &Path, _mode: u32) -> std::io::Result<()> {
    std::fs::metadata(path).map(|_| ())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
    }

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn directories_and_files_are_made_and_kept_their_owners() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("a/b");
        create_dir(&dir).expect("create");
        assert_eq!(mode(&dir), 0o700);
        chmod(&dir, 0o755);
        create_dir(&dir).expect("again");
        assert_eq!(mode(&dir), 0o700, "narrowed");

        let db = dir.join("x.db");
        database(&db).expect("db");
        assert_eq!(mode(&db), 0o600);
        std::fs::write(dir.join("x.db-wal"), b"log").expect("wal");
        chmod(&dir.join("x.db-wal"), 0o644);
        chmod(&db, 0o644);
        database(&db).expect("again");
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&dir.join("x.db-wal")), 0o600);

        let token = dir.join("token");
        std::fs::write(&token, b"old").expect("old");
        chmod(&token, 0o644);
        write(&token, b"secret").expect("write");
        assert_eq!(mode(&token), 0o600, "one that was open is narrowed");
        assert_eq!(std::fs::read(&token).expect("read"), b"secret");
    }
}
