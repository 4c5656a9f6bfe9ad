//! The relay's data is its users': password hashes, session hashes and every
//! message. Its directory is created for the relay's own user only (0700), and
//! its database 0600 before SQLite first opens it; SQLite gives the journal
//! files it makes the database's mode. A directory an older relay made
//! world-readable is narrowed when opened.

use std::path::Path;

/// Creates `data_dir` (and those above it) for its owner only.
pub(super) fn create_dir(data_dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(data_dir)?;
    narrow(data_dir, 0o700)
}

/// Creates `db` if it is not there, and narrows it and its journal files to
/// their owner.
pub(super) fn database(db: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(db)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = db.as_os_str().to_owned();
        file.push(suffix);
        match narrow(Path::new(&file), 0o600) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

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

    use super::super::SqliteStorage;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn the_relays_files_are_its_users_only() {
        let tmp = tempfile::tempdir().expect("tmp");
        let data = tmp.path().join("relay-data");
        let store = SqliteStorage::open(&data).expect("open");
        assert_eq!(mode(&data), 0o700);
        for name in ["relay.db", "relay.db-wal", "relay.db-shm"] {
            let file = data.join(name);
            assert!(file.exists(), "{name}");
            assert_eq!(mode(&file), 0o600, "{name}");
        }
        drop(store);

        // One an older relay left open to all is narrowed.
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let db = data.join("relay.db");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let _store = SqliteStorage::open(&data).expect("open again");
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&db), 0o600);
    }
}
