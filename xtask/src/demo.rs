//! `cargo xtask demo`: a relay and two Candor windows, Alice and Bob, already
//! signed up and in one chat, so a newcomer sees messages flow within seconds.
//! `--nodes N`: the relay as N nodes over a throwaway PostgreSQL server and
//! nats-server, behind HAProxy, with Alice's window on the first node and
//! Bob's on the last.
//!
//! Everything lives under target/demo (a fresh relay and a separate data home for
//! the two profiles), so the demo never touches your own Candor data.

use std::path::Path;
use std::process::{Child, Command};

use anyhow::{Context, Result, bail};
use candor_core::account::RelayClient;
use candor_core::profile_dir::{ProfileDir, ProfileName};
use candor_core::protocol::frames::direct_conversation_id;
use candor_core::{Draft, NewConversation, Person, Profile, Store};

use crate::{cmd, relay, services, setup};

const DEMO_ADDR: &str = "127.0.0.1:7879";

/// Where the nodes of `--nodes N` listen: 7881, 7882, …
const FIRST_NODE_PORT: u16 = 7881;

pub fn run(args: &[String]) -> Result<()> {
    let nodes = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => 1,
        ["--nodes", n] => match n.parse::<u16>() {
            Ok(n @ 1..=9) => n,
            _ => bail!("demo --nodes takes 1 to 9, not {n:?}"),
        },
        other => bail!("demo takes [--nodes N], not {other:?}"),
    };
    // Several nodes need PostgreSQL, nats-server and HAProxy, which the
    // tests' packages bring.
    setup::all(if nodes > 1 {
        setup::Need::Test
    } else {
        setup::Need::Run
    })?;
    setup::build_ui()?;
    cmd::cargo(&["build", "--workspace", "--bins"]).run()?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!("no display to open windows on; run under `xvfb-run -a cargo xtask demo`");
    }
    let root = cmd::root().join("target/demo");
    if root.exists() {
        std::fs::remove_dir_all(&root).context("clearing target/demo")?;
    }
    let home = root.join("home");
    let relay = if nodes == 1 {
        let url = format!("http://{DEMO_ADDR}");
        Relay::One {
            _relay: relay::start(DEMO_ADDR, &root.join("relay"))?,
            url,
        }
    } else {
        Relay::Nodes(Nodes::start(nodes, &root)?)
    };
    let (alice_url, bob_url) = relay.urls();
    tokio::runtime::Runtime::new()?.block_on(seed(&alice_url, &bob_url, &home))?;
    if let Relay::Nodes(_) = &relay {
        println!(
            "xtask: {nodes} relay nodes behind HAProxy on http://{DEMO_ADDR}; \
             Alice's window is on {alice_url}, Bob's on {bob_url}"
        );
    }
    println!("xtask: Alice and Bob are signed in; write in either window");
    let mut apps: Vec<Child> = ["alice", "bob"]
        .iter()
        .map(|profile| {
            Command::new(cmd::root().join("target/debug/candor"))
                .args(["--profile", profile])
                .env("XDG_DATA_HOME", &home)
                // The demo's tokens sit in its own profile files, not your keychain.
                .env("CANDOR_NO_KEYCHAIN", "1")
                .spawn()
                .context("starting Candor")
        })
        .collect::<Result<_>>()?;
    for app in &mut apps {
        let _ = app.wait();
    }
    drop(relay);
    Ok(())
}

/// The demo's relay: one process, or several nodes with what they share.
enum Relay {
    /// Stopped when dropped.
    One {
        _relay: relay::LocalRelay,
        url: String,
    },
    Nodes(Nodes),
}

impl Relay {
    /// The relay Alice's window uses, and Bob's.
    fn urls(&self) -> (String, String) {
        match self {
            Relay::One { url, .. } => (url.clone(), url.clone()),
            Relay::Nodes(nodes) => (nodes.url(0), nodes.url(nodes.nodes.len() - 1)),
        }
    }
}

/// Relay nodes over a throwaway PostgreSQL server, rung over a nats-server,
/// behind HAProxy on the demo's address. Dropped in reverse: the balancer,
/// the nodes, then what they share.
struct Nodes {
    _balancer: services::Balancer,
    nodes: Vec<relay::LocalRelay>,
    _nats: services::Nats,
    _database: services::Postgres,
}

impl Nodes {
    fn start(count: u16, root: &Path) -> Result<Self> {
        let database = services::Postgres::start("demo-postgres", false)?;
        cmd::Cmd::new(
            &cmd::root()
                .join("target/debug/candor-relay")
                .to_string_lossy(),
        )
        .args(&["migrate", "--database-url", &database.url])
        .run()?;
        let nats = services::Nats::start()?;
        let mut nodes = Vec::new();
        let mut addrs = Vec::new();
        for i in 0..count {
            let addr = format!("127.0.0.1:{}", FIRST_NODE_PORT + i);
            nodes.push(relay::start_with(
                &addr,
                &root.join(format!("node-{}", i + 1)),
                &[
                    "--database-url",
                    &database.url,
                    "--nats-url",
                    &nats.url,
                    "--trusted-proxy",
                    "127.0.0.1",
                ],
            )?);
            addrs.push(addr);
        }
        let balancer = services::Balancer::start(DEMO_ADDR, &addrs, root)?;
        Ok(Self {
            _balancer: balancer,
            nodes,
            _nats: nats,
            _database: database,
        })
    }

    fn url(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", FIRST_NODE_PORT + node as u16)
    }
}

/// Signs Alice up at `alice_url` and Bob at `bob_url` (one relay, maybe
/// through different nodes), stores their sessions where the app finds
/// them, and queues a first message from Alice to Bob.
async fn seed(alice_url: &str, bob_url: &str, home: &Path) -> Result<()> {
    let mut people = Vec::new();
    for (handle, name, url) in [
        ("alice", "Alice Park", alice_url),
        ("bob", "Bob Stone", bob_url),
    ] {
        let relay = RelayClient::new(url)?;
        relay.sign_up(handle, name, "demo-orchid-lantern").await?;
        let session = relay.sign_in(handle, "demo-orchid-lantern", "demo").await?;
        let dir = ProfileDir::in_data_home(home, &ProfileName::new(handle)?);
        dir.create()?;
        let mut store = Store::open(&dir.database())?;
        store.set_profile(&Profile {
            user_id: session.user.id,
            handle: session.user.handle.clone(),
            display_name: session.user.display_name.clone(),
            relay_url: url.into(),
        })?;
        std::fs::write(dir.token_file(), &session.token)?;
        people.push((store, session.user));
    }
    let (bob_store, bob) = people.pop().context("bob")?;
    let (mut alice_store, alice) = people.pop().context("alice")?;
    drop(bob_store);
    let chat = direct_conversation_id(alice.id, bob.id);
    alice_store.add_conversation(&NewConversation::Direct {
        id: chat,
        peer: Person {
            id: bob.id,
            handle: bob.handle,
            display_name: bob.display_name,
        },
    })?;
    alice_store.compose(
        chat,
        Draft {
            text: "Hi Bob! This is Candor. Delete only ever hides a message on your own device."
                .into(),
            card: None,
        },
        chrono::Duration::zero(),
    )?;
    Ok(())
}
