//! The relay's data is its users': password hashes, session hashes and every
//! message. Its directory and database are made and kept for the relay's own
//! user only (see `candor_private`); this checks it of the relay as opened.

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
