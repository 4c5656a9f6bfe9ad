//! Opening the database: the pragmas that make a queued message durable, and the
//! files that must be refused without being touched.

use std::sync::Arc;

use candor_core::{CoreError, SCHEMA_VERSION, Store, StoreError, SystemClock};

fn open(path: &std::path::Path) -> Result<Store, CoreError> {
    Store::open_with_clock(path, Arc::new(SystemClock))
}

#[test]
fn database_is_opened_durable_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir.path().join("candor.db")).expect("open");
    let conn = store.connection();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("journal_mode");
    let sync: i64 = conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .expect("synchronous");
    let fk: i64 = conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .expect("foreign_keys");
    let busy: i64 = conn
        .pragma_query_value(None, "busy_timeout", |r| r.get(0))
        .expect("busy_timeout");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    assert_eq!(fk, 1);
    assert!(busy >= 1000, "busy_timeout is {busy} ms");
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn reopening_keeps_the_schema_and_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("candor.db");
    drop(open(&path).expect("first open"));
    let store = open(&path).expect("second open");
    assert!(store.profile().expect("profile").is_none());
}

#[test]
fn corrupt_file_is_refused_by_name_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("candor.db");
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 256) as u8).collect();
    std::fs::write(&path, &garbage).expect("write garbage");
    let err = open(&path).expect_err("must refuse a damaged file");
    assert!(
        matches!(err, CoreError::Store(StoreError::Corrupt { ref path, .. }) if path.ends_with("candor.db")),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("left untouched"), "{message}");
    assert_eq!(std::fs::read(&path).expect("read back"), garbage);
    assert!(!dir.path().join("candor.db-wal").exists());
}

#[test]
fn a_valid_sqlite_file_with_a_damaged_page_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("candor.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .expect("table");
    }
    // Overwrite the schema page after the 100-byte header with noise.
    let mut bytes = std::fs::read(&path).expect("read");
    for b in bytes.iter_mut().skip(100).take(400) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write");
    let err = open(&path).expect_err("must refuse");
    assert!(
        matches!(err, CoreError::Store(StoreError::Corrupt { .. })),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&path).expect("read back"), bytes);
}

#[test]
fn unreadable_path_is_reported_with_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory where the file should be: cannot be opened as a database.
    let path = dir.path().join("candor.db");
    std::fs::create_dir(&path).expect("dir");
    let err = open(&path).expect_err("must refuse");
    assert!(
        matches!(err, CoreError::Store(StoreError::Unreadable { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("candor.db"), "{err}");
}

#[test]
fn newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("candor.db");
    drop(open(&path).expect("create"));
    {
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)
            .expect("bump version");
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .expect("checkpoint");
    }
    let before = std::fs::read(&path).expect("read");
    let err = open(&path).expect_err("must refuse a newer schema");
    match &err {
        CoreError::Store(StoreError::SchemaTooNew {
            found, supported, ..
        }) => {
            assert_eq!(*found, SCHEMA_VERSION + 5);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().contains("newer Candor"), "{err}");
    assert_eq!(std::fs::read(&path).expect("read back"), before);
}
