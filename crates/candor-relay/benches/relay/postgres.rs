//! The relay on PostgreSQL, in the same bench run as the embedded store: a
//! database of its own on the server named by CANDOR_BENCH_POSTGRES, made
//! afresh and migrated, and that server's commit latency (the floor of a
//! durable send on it, as fsync is the embedded store's), measured on the
//! same database just before the latency it is the floor of.
//!
//! More nodes of the same relay (in this process, each with its own
//! listener and state, sharing only the database) measure what it costs
//! them to deliver each other's messages: this machine's two cores cannot
//! make more nodes faster, so what is measured is the coordination tax.
//! With CANDOR_BENCH_NATS naming a nats-server (`--bus nats`), the nodes
//! are rung over it rather than by the database.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use candor_protocol::api::Session;
use candor_relay::{RelayConfig, RelayState, serve};
use tokio::net::TcpListener;

pub struct Relay {
    /// The first node's address.
    pub addr: SocketAddr,
    /// Every node's address, the first's included.
    pub nodes: Vec<SocketAddr>,
    pub sessions: Vec<Session>,
    url: String,
}

impl Relay {
    /// Starts a relay of `nodes` nodes (settings from `config`, given the
    /// node's number) on a new database `relay_bench` of `server` (a
    /// postgres:// URL ending in a database name), with `clients` accounts.
    pub async fn start(
        server: &str,
        config: impl Fn(usize) -> RelayConfig,
        nodes: usize,
        clients: usize,
    ) -> Self {
        let server = server.to_owned();
        let url = tokio::task::spawn_blocking(move || {
            let mut admin = postgres::Client::connect(&server, postgres::NoTls)
                .expect("connect to CANDOR_BENCH_POSTGRES");
            admin
                .batch_execute("DROP DATABASE IF EXISTS relay_bench")
                .expect("drop");
            admin
                .batch_execute("CREATE DATABASE relay_bench")
                .expect("create");
            let (base, _) = server.rsplit_once('/').expect("a URL naming a database");
            let url = format!("{base}/relay_bench");
            candor_relay::storage::migrate_postgres(
                &candor_relay::storage::DatabaseLink::new(&url, None).expect("a loopback URL"),
            )
            .expect("migrate");
            url
        })
        .await
        .expect("join");
        let mut addrs = Vec::new();
        for node in 0..nodes {
            let mut config = config(node);
            config.database_url = Some(url.clone());
            config.nats_url = std::env::var("CANDOR_BENCH_NATS")
                .ok()
                .filter(|s| !s.is_empty());
            let state = tokio::task::spawn_blocking(move || RelayState::open(config))
                .await
                .expect("join")
                .expect("relay on PostgreSQL");
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            addrs.push(listener.local_addr().expect("addr"));
            tokio::spawn(serve(listener, state, std::future::pending()));
        }
        let sessions = super::accounts(addrs[0], clients).await;
        Self {
            addr: addrs[0],
            nodes: addrs,
            sessions,
            url,
        }
    }

    /// p99 of a transaction that inserts one small row and commits (its
    /// statement prepared once), 300 times, on the relay's database as it
    /// is now.
    pub async fn commit_p99(&self) -> Duration {
        let url = self.url.clone();
        tokio::task::spawn_blocking(move || {
            let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            db.batch_execute("CREATE TABLE IF NOT EXISTS commit_probe (n integer, pad text)")
                .expect("probe table");
            let insert = db
                .prepare("INSERT INTO commit_probe VALUES ($1, $2)")
                .expect("prepare");
            let pad = "x".repeat(200);
            let mut times: Vec<Duration> = (0..300)
                .map(|n: i32| {
                    let t = Instant::now();
                    let mut tx = db.transaction().expect("begin");
                    tx.execute(&insert, &[&n, &pad]).expect("insert");
                    tx.commit().expect("commit");
                    t.elapsed()
                })
                .collect();
            db.batch_execute("DROP TABLE commit_probe")
                .expect("drop probe");
            times.sort();
            times[296]
        })
        .await
        .expect("join")
    }
}
