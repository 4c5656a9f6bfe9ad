//! `cargo xtask demo`: a relay and two Candor windows, Alice and Bob, already
//! signed up and in one chat, so a newcomer sees messages flow within seconds.
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

use crate::{cmd, relay, setup};

const DEMO_ADDR: &str = "127.0.0.1:7879";

pub fn run() -> Result<()> {
    setup::all(setup::Need::Run)?;
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
    let relay = relay::start(DEMO_ADDR, &root.join("relay"))?;
    let url = format!("http://{DEMO_ADDR}");
    tokio::runtime::Runtime::new()?.block_on(seed(&url, &home))?;
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

/// Signs Alice and Bob up, stores their sessions where the app finds them, and
/// queues a first message from Alice to Bob.
async fn seed(url: &str, home: &Path) -> Result<()> {
    let relay = RelayClient::new(url)?;
    let mut people = Vec::new();
    for (handle, name) in [("alice", "Alice Park"), ("bob", "Bob Stone")] {
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
