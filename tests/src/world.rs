//! [`World`]: the one fixture of the end-to-end tests. It owns a temporary
//! directory holding everything a test makes: a real relay (when the test
//! needs one), candor-core devices signed up on it, and app profiles under one
//! data home, laid out as `candor_core::profile_dir` says. A test states who
//! is there and what they already have, then launches the app on a profile;
//! what happens in the window is the job of [`App`]'s page methods.
//!
//! A profile is prepared "as from an earlier run": the account in its store
//! and the session token where the app keeps it when there is no keychain
//! (the tests' session has none). Prepared without a relay, it points at an
//! address where nothing listens, so the app shows only what its store holds.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use candor_core::profile_dir::{ProfileDir, ProfileName};
use candor_core::protocol::{ConversationId, UserId};
use candor_core::{Clock, NewConversation, Person, Profile, Store};

use crate::App;
use crate::sync::{Device, Relay};

/// The password every account in a world has.
pub const PASSWORD: &str = "orchid-lantern-57";

/// Where a profile prepared without a relay says its relay is: nothing listens
/// on the discard port.
const NO_RELAY: &str = "http://127.0.0.1:9";

/// A temporary world for one test; everything in it goes when it is dropped.
#[derive(Debug)]
pub struct World {
    dir: tempfile::TempDir,
    relay: Option<Relay>,
    /// Where a stopped relay listened and kept its data.
    stopped: Option<(SocketAddr, PathBuf)>,
}

impl World {
    /// A world with no relay: profiles show what their stores hold.
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("home"))?;
        Ok(Self {
            dir,
            relay: None,
            stopped: None,
        })
    }

    /// A world with a real relay on a free loopback port.
    pub async fn with_relay() -> Result<Self> {
        let mut world = Self::new()?;
        let relay = Relay::start(world.dir.path().join("relay"), "127.0.0.1:0".parse()?).await?;
        world.relay = Some(relay);
        Ok(world)
    }

    /// The temporary directory (for files a test makes itself).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The data home (`$XDG_DATA_HOME`) the app runs with.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn relay(&self) -> &Relay {
        self.relay.as_ref().expect("this world has a relay")
    }

    /// Stops the relay politely (SIGTERM); [`World::start_relay_again`]
    /// brings it back.
    pub async fn stop_relay(&mut self) -> Result<()> {
        let relay = self.relay.take().context("no relay is running")?;
        self.stopped = Some((relay.addr, relay.data.clone()));
        relay.stop().await
    }

    /// Kills the relay (SIGKILL): nothing is flushed or closed politely.
    pub async fn kill_relay(&mut self) -> Result<()> {
        let relay = self.relay.take().context("no relay is running")?;
        self.stopped = Some((relay.addr, relay.data.clone()));
        relay.kill().await
    }

    /// Starts the stopped relay again on the same address with the same data.
    pub async fn start_relay_again(&mut self) -> Result<()> {
        self.start_relay_with_clock(0).await
    }

    /// Like `start_relay_again`, with the relay's clock `seconds` off the
    /// system's (a clock that jumped).
    pub async fn start_relay_with_clock(&mut self, seconds: i64) -> Result<()> {
        let (addr, data) = self.stopped.take().context("no relay was stopped")?;
        self.relay = Some(Relay::start_with_clock(data, addr, seconds).await?);
        Ok(())
    }

    /// Copies the stopped relay's data directory to `to`: a backup.
    pub fn back_up_relay(&self, to: &Path) -> Result<()> {
        let (_, data) = self.stopped.as_ref().context("stop the relay first")?;
        copy_data(data, to)
    }

    /// Puts the backup in `from` in place of the stopped relay's data: the
    /// relay restored from an older copy of its data.
    pub fn restore_relay(&self, from: &Path) -> Result<()> {
        let (_, data) = self.stopped.as_ref().context("stop the relay first")?;
        std::fs::remove_dir_all(data)?;
        copy_data(from, data)
    }

    /// The directory of the app profile `name` in this world's data home.
    pub fn profile_dir(&self, name: &str) -> ProfileDir {
        ProfileDir::in_data_home(&self.home(), &ProfileName::new(name).expect("a valid name"))
    }

    /// Opens the store of profile `name` (made if it is not there yet).
    pub fn store(&self, name: &str) -> Result<Store> {
        let dir = self.profile_dir(name);
        dir.create()?;
        Ok(Store::open(&dir.database())?)
    }

    /// A candor-core device of someone signed up on the relay, offline until
    /// `go_online`.
    pub async fn device(&self, handle: &str, name: &str) -> Result<Device> {
        Device::sign_up(&self.relay().url(), self.dir.path(), handle, name).await
    }

    /// Signs `handle` up on the relay and leaves the app profile of the same
    /// name signed in as that account. Returns the account as others see it.
    pub async fn signed_in(&self, handle: &str, name: &str) -> Result<Person> {
        let relay = candor_core::account::RelayClient::new(&self.relay().url())?;
        relay.sign_up(handle, name, PASSWORD).await?;
        let session = relay.sign_in(handle, PASSWORD, "laptop").await?;
        let me = Person::from(session.user);
        let mut store = self.store(handle)?;
        store.set_profile(&profile_of(&me, &self.relay().url()))?;
        std::fs::write(self.profile_dir(handle).token_file(), &session.token)?;
        Ok(me)
    }

    /// Leaves the app profile `name` signed in, earlier, as `me` on a relay
    /// that does not answer, its store on `clock`. Returns the store, for the
    /// test to fill with what the app should find.
    pub fn signed_in_offline(
        &self,
        name: &str,
        me: &Person,
        clock: Arc<dyn Clock>,
    ) -> Result<Store> {
        let dir = self.profile_dir(name);
        dir.create()?;
        let mut store = Store::open_with_clock(&dir.database(), clock)?;
        store.set_profile(&profile_of(me, NO_RELAY))?;
        std::fs::write(dir.token_file(), "a-token-from-an-earlier-sign-in")?;
        Ok(store)
    }

    /// Profile `name` (signed in as `me`) holds a direct chat with `peer`, as
    /// if one of them had started it earlier. Returns the store, for the
    /// test's own setup, and the chat.
    pub fn direct_chat(
        &self,
        name: &str,
        me: UserId,
        peer: Person,
    ) -> Result<(Store, ConversationId)> {
        let id = candor_core::protocol::frames::direct_conversation_id(me, peer.id);
        let mut store = self.store(name)?;
        store.add_conversation(&NewConversation::Direct { id, peer })?;
        Ok((store, id))
    }

    /// Profile `name`, signed in earlier as Ana on a relay that does not
    /// answer, holding one direct chat with Maya Lopez of `messages` messages:
    /// `text(seq)` writes each, every third is Ana's, `minutes_apart` minutes
    /// apart from `start`. Returns the store and the chat, for the caller to
    /// add to.
    pub fn long_chat(
        &self,
        name: &str,
        messages: i64,
        start: chrono::DateTime<chrono::Utc>,
        minutes_apart: i64,
        text: impl Fn(i64) -> String,
    ) -> Result<(Store, ConversationId)> {
        use candor_core::protocol::{DeliveredMessage, MessageId, MessageText, ServerMessageId};
        let ana = person("ana", "Ana");
        let maya = person("maya", "Maya Lopez");
        let clock = Arc::new(candor_core::ManualClock::new(start));
        let mut store = self.signed_in_offline(name, &ana, clock)?;
        let chat = ConversationId::new();
        store.add_conversation(&NewConversation::Direct {
            id: chat,
            peer: maya.clone(),
        })?;
        let mut batch = Vec::with_capacity(2_000);
        for seq in 1..=messages {
            let from = if seq % 3 == 0 { &ana } else { &maya };
            batch.push(DeliveredMessage {
                photos: Vec::new(),
                reaction: None,
                server_id: ServerMessageId::new(),
                client_id: MessageId::new(),
                conversation_id: chat,
                seq,
                sender_id: from.id,
                text: MessageText::new(text(seq))?,
                card: None,
                sent_at: start + chrono::Duration::minutes(seq * minutes_apart),
                reply: None,
            });
            if batch.len() == 2_000 {
                store.apply_received(&batch)?;
                batch.clear();
            }
        }
        store.apply_received(&batch)?;
        Ok((store, chat))
    }

    /// Launches the app on profile `name`.
    pub async fn launch(&self, name: &str) -> Result<App> {
        App::launch(&self.home(), name).await
    }
}

fn profile_of(me: &Person, relay_url: &str) -> Profile {
    Profile {
        user_id: me.id,
        handle: me.handle.clone(),
        display_name: me.display_name.clone(),
        relay_url: relay_url.into(),
    }
}

/// Someone who exists only in a store (no account on any relay).
pub fn person(handle: &str, name: &str) -> Person {
    Person {
        id: UserId::new(),
        handle: handle.into(),
        display_name: name.into(),
    }
}

/// Copies a relay data directory's files (not its lock) from `from` to `to`.
fn copy_data(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_none_or(|e| e != "lock") {
            std::fs::copy(&path, to.join(path.file_name().context("a file name")?))?;
        }
    }
    Ok(())
}
