//! The relay tests on PostgreSQL: with `CANDOR_TEST_POSTGRES` naming a
//! server (`cargo xtask test` starts a throwaway one under target/), every
//! test relay keeps its data in a database of its own on it instead of the
//! embedded store, so the same suite checks both backends.
//!
//! A test's data directory names its database, so that a relay started
//! again on the same directory (a restart) finds its data again.

use std::path::Path;

/// The server the tests run against, if any.
pub fn server() -> Option<String> {
    std::env::var("CANDOR_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
}

/// The database of the relay whose data directory is `data`, made and
/// migrated on first use; None when the tests run on the embedded store.
pub fn database_for(data: &Path) -> Option<String> {
    let server = server()?;
    let name = database_name(data);
    // The blocking client runs a runtime of its own: not on a test's.
    let url = std::thread::spawn(move || {
        let mut admin = postgres::Client::connect(&server, postgres::NoTls)
            .expect("connect to the test server (CANDOR_TEST_POSTGRES)");
        let exists = admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .expect("look for the database")
            .is_some();
        if !exists {
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create the test database");
        }
        let url = with_database(&server, &name);
        candor_relay::storage::migrate_postgres(
            &candor_relay::storage::DatabaseLink::new(&url, None).expect("a loopback URL"),
        )
        .expect("migrate the test database");
        url
    })
    .join()
    .expect("setting up the test database");
    Some(url)
}

/// Copies the database of `from` to that of `to` (a backup restored
/// elsewhere), once the relay on `from` has let go of it.
pub fn copy(from: &Path, to: &Path) {
    let server = server().expect("a test server");
    let (from, to) = (database_name(from), database_name(to));
    std::thread::spawn(move || {
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("connect");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match admin.batch_execute(&format!("CREATE DATABASE {to} TEMPLATE {from}")) {
                Ok(()) => break,
                // "being accessed by other users": the stopped relay's
                // connections are still closing.
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => {
                    let holding = admin.query(
                        "SELECT application_name, state, backend_start::text FROM pg_stat_activity WHERE datname = $1",
                        &[&from],
                    );
                    let holding: Vec<(String, Option<String>, String)> = holding
                        .map(|rows| rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
                        .unwrap_or_default();
                    panic!("copy the database {from} to {to}: {e:?}; connected: {holding:?}")
                }
            }
        }
    })
    .join()
    .expect("copying the test database");
}

/// A database name from a data directory's path: stable, and unique to it.
fn database_name(data: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut h);
    format!("relay_{:016x}", h.finish())
}

/// `server`'s URL with its database set to `name`.
fn with_database(server: &str, name: &str) -> String {
    let base = server.split('?').next().unwrap_or(server);
    let base = match base.rsplit_once('/') {
        Some((head, _)) if head.contains("//") && head.len() > "postgres://".len() => head,
        _ => base,
    };
    format!("{base}/{name}")
}
