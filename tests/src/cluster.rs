//! A relay of three nodes as an operator runs one: the relay binary three
//! times over one PostgreSQL database, rung over a NATS bus, behind HAProxy
//! with health checks on `/healthz`. All real processes from the
//! distribution's packages, which `cargo xtask test` installs and names:
//!
//! - `CANDOR_TEST_POSTGRES`: a throwaway PostgreSQL server (the test makes a
//!   database of its own on it), and `CANDOR_TEST_POSTGRES_CTL`, a script
//!   that stops and starts it (`ctl stop`, `ctl start`);
//! - `CANDOR_TEST_NATS_SERVER`, `CANDOR_TEST_HAPROXY`: their binaries.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::sync::{Relay, relay_binary};

/// The metrics token of every node (`GET /metrics` on its address).
pub const METRICS_TOKEN: &str = "three-nodes-metrics";

#[derive(Debug)]
pub struct Cluster {
    /// Node i's relay; None once killed.
    pub nodes: Vec<Option<Relay>>,
    /// The address each node serves on (kept when it is killed).
    pub addrs: Vec<SocketAddr>,
    pub bus: Nats,
    balancer: Child,
    balancer_addr: SocketAddr,
    database: String,
    dir: tempfile::TempDir,
}

fn env(name: &str) -> Result<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .with_context(|| format!("{name} is not set (cargo xtask test sets it)"))
}

fn free_addr() -> Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Waits until something listens at `addr`, for up to 15 s.
async fn listening(addr: SocketAddr, what: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if tokio::time::Instant::now() > deadline {
            bail!("{what} did not listen on {addr} within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

impl Cluster {
    /// A new database on the test server, migrated; the bus; `nodes` relay
    /// nodes on both; and HAProxy in front of them.
    pub async fn start(nodes: usize) -> Result<Self> {
        let server = env("CANDOR_TEST_POSTGRES")?;
        let database = new_database(&server).await?;
        let status = Command::new(relay_binary()?)
            .args(["migrate", "--database-url", &database])
            .stdout(Stdio::null())
            .status()
            .await?;
        if !status.success() {
            bail!("candor-relay migrate: {status}");
        }
        let bus = Nats::start().await?;
        let dir = tempfile::tempdir()?;
        let mut cluster = Self {
            nodes: Vec::new(),
            addrs: Vec::new(),
            bus,
            balancer: Command::new("true").spawn()?,
            balancer_addr: free_addr()?,
            database,
            dir,
        };
        for node in 0..nodes {
            let addr = free_addr()?;
            cluster.addrs.push(addr);
            cluster
                .nodes
                .push(Some(cluster.start_node(node, addr).await?));
        }
        cluster.balancer = cluster.start_balancer().await?;
        Ok(cluster)
    }

    async fn start_node(&self, node: usize, addr: SocketAddr) -> Result<Relay> {
        let data = self.dir.path().join(format!("node-{node}"));
        Relay::start_with_args(
            &relay_binary()?,
            data,
            addr,
            &[
                "--database-url",
                &self.database,
                "--nats-url",
                &self.bus.url(),
                "--metrics-token",
                METRICS_TOKEN,
                // Behind the balancer every client comes from it: it names
                // them (X-Forwarded-For), as an operator's would.
                "--trusted-proxy",
                "127.0.0.1",
                // Twelve sign-ups from one test address.
                "--sign-ups-per-hour",
                "0",
            ],
        )
        .await
    }

    async fn start_balancer(&self) -> Result<Child> {
        let config = balancer_config(self.balancer_addr, &self.addrs);
        let path = self.dir.path().join("haproxy.cfg");
        std::fs::write(&path, config)?;
        let balancer = Command::new(env("CANDOR_TEST_HAPROXY")?)
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting haproxy")?;
        listening(self.balancer_addr, "haproxy").await?;
        Ok(balancer)
    }

    /// http://… of the balancer, where clients connect.
    pub fn balancer_url(&self) -> String {
        format!("http://{}", self.balancer_addr)
    }

    /// http://… of node `i` itself.
    pub fn node_url(&self, i: usize) -> String {
        format!("http://{}", self.addrs[i])
    }

    /// SIGKILL of node `i`: nothing closed politely.
    pub async fn kill(&mut self, i: usize) -> Result<()> {
        if let Some(node) = self.nodes[i].take() {
            node.kill().await?;
        }
        Ok(())
    }

    /// The status of node `i`'s `/healthz`, and what it says of its bus.
    pub async fn health(&self, i: usize) -> Result<(u16, Option<String>)> {
        let response = reqwest::get(format!("{}/healthz", self.node_url(i))).await?;
        let bus = response
            .headers()
            .get("candor-bus")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((response.status().as_u16(), bus))
    }

    /// Node `i`'s metric `name` (a gauge or counter without labels).
    pub async fn metric(&self, i: usize, name: &str) -> Result<f64> {
        let text = reqwest::Client::new()
            .get(format!("{}/metrics", self.node_url(i)))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await?
            .text()
            .await?;
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
            .with_context(|| format!("{name} in node {i}'s metrics"))
    }

    /// Stops or starts the database server (`CANDOR_TEST_POSTGRES_CTL`).
    pub async fn database(&self, action: &str) -> Result<()> {
        let status = Command::new(env("CANDOR_TEST_POSTGRES_CTL")?)
            .arg(action)
            .stdout(Stdio::null())
            .status()
            .await?;
        if !status.success() {
            bail!("the database server's {action}: {status}");
        }
        Ok(())
    }

    /// Where the test keeps its devices' stores.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// HAProxy as the operator's template has it (packaging/relay/haproxy.cfg),
/// with each node checked every 300 ms, so that a node killed by the test is
/// out within a second.
fn balancer_config(at: SocketAddr, nodes: &[SocketAddr]) -> String {
    let servers: String = nodes
        .iter()
        .enumerate()
        .map(|(i, addr)| format!("    server node{} {addr} check\n", i + 1))
        .collect();
    include_str!("../../packaging/relay/haproxy.cfg")
        .replace("{{bind}}", &at.to_string())
        .replace("{{check_every}}", "300ms")
        .replace("{{servers}}", servers.trim_end())
}

/// A new database on `server` (a postgres:// URL naming a database), and
/// its URL.
async fn new_database(server: &str) -> Result<String> {
    let server = server.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&server, postgres::NoTls)
            .context("connecting to CANDOR_TEST_POSTGRES")?;
        let name = format!("three_nodes_{}", std::process::id());
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let (base, _) = server
            .split('?')
            .next()
            .unwrap_or(&server)
            .rsplit_once('/')
            .context("CANDOR_TEST_POSTGRES names a database")?;
        Ok(format!("{base}/{name}"))
    })
    .await?
}

/// A nats-server of the test's own; killed when dropped.
#[derive(Debug)]
pub struct Nats {
    addr: SocketAddr,
    server: Option<Child>,
}

impl Nats {
    async fn start() -> Result<Self> {
        let mut nats = Self {
            addr: free_addr()?,
            server: None,
        };
        nats.restart().await?;
        Ok(nats)
    }

    pub fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    /// SIGKILL: the bus is gone, without a word to its clients.
    pub async fn kill(&mut self) -> Result<()> {
        if let Some(mut server) = self.server.take() {
            server.start_kill()?;
            server.wait().await?;
        }
        Ok(())
    }

    /// Starts it (again) on its port.
    pub async fn restart(&mut self) -> Result<()> {
        self.kill().await?;
        let server = Command::new(env("CANDOR_TEST_NATS_SERVER")?)
            .args(["-a", "127.0.0.1", "-p", &self.addr.port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting nats-server")?;
        self.server = Some(server);
        listening(self.addr, "nats-server").await
    }
}
