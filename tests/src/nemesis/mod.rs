//! The nemesis: a fault-injection harness for delivery. Four devices of three
//! accounts write in three direct chats and a group through proxies that
//! pause (half-open), cut, delay and throttle their links, while the real
//! relay process is SIGKILLed, restored from an older copy of its data and
//! has its clock stepped, and devices crash, go offline, hide messages and
//! undo sends. What happens comes from a seeded [`Schedule`], printed so
//! that a failing seed replays.
//!
//! When the schedule ends the faults stop: every link heals, every device
//! comes online, and the system is given time to settle. Then [`check`]
//! says whether what every store holds is true (see its docs).

pub mod check;
mod schedule;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use candor_core::Draft;
use candor_core::protocol::ConversationId;
use candor_core::protocol::frames::direct_conversation_id;
use candor_core::sync::Heartbeat;

pub use schedule::{CHATS, DEVICES, Schedule, Step, USERS};

use crate::World;
use crate::sync::{Device, RecordingProxy};

/// A heartbeat short enough that a half-open link is found within a schedule.
const HEARTBEAT: Heartbeat = Heartbeat {
    every: Duration::from_millis(500),
    silent_after: Duration::from_millis(1500),
};

/// How long the system may take to settle once the faults stop.
const SETTLE_WITHIN: Duration = Duration::from_secs(90);

/// What one schedule did, and what the checker found.
#[derive(Debug)]
pub struct Verdict {
    pub seed: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, usize>,
    /// Messages whose place was checked on every member device.
    pub messages_checked: usize,
    /// Reactions given or taken back (checked with the rows of their chats).
    pub reactions: usize,
    /// Everything untrue the checker found; empty when the run passed.
    pub violations: Vec<String>,
    pub took: Duration,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let faults: usize = self.faults.values().sum();
        writeln!(
            f,
            "seed {}: {} in {:.1?}; {faults} faults, {} messages checked, {} reactions",
            self.seed,
            if self.violations.is_empty() {
                "PASS".to_owned()
            } else {
                format!("{} VIOLATIONS", self.violations.len())
            },
            self.took,
            self.messages_checked,
            self.reactions
        )?;
        for (kind, n) in &self.faults {
            writeln!(f, "    {n:4} {kind}")?;
        }
        for v in &self.violations {
            writeln!(f, "  violation: {v}")?;
        }
        Ok(())
    }
}

/// What the nemesis remembers of what it did, for the checker.
#[derive(Debug, Default)]
pub struct Record {
    /// Every text written and not undone, by chat: each must end up on every
    /// member device exactly once.
    pub sent: BTreeMap<usize, Vec<String>>,
    /// Texts written and undone: none may show anywhere.
    pub undone: Vec<String>,
    /// (device, chat, text) hidden on that device: must stay hidden there.
    pub hidden: Vec<(usize, usize, String)>,
    /// Reactions given or taken back: each travels like a message, and every
    /// member device must end up showing the same ones.
    pub reactions: usize,
}

struct Nemesis {
    world: World,
    devices: Vec<Device>,
    proxies: Vec<RecordingProxy>,
    online: Vec<bool>,
    chats: Vec<ConversationId>,
    backup: PathBuf,
    clock_offset: i64,
    written: usize,
    record: Record,
}

/// Runs the schedule of `seed` with `len` steps, settles, and checks.
pub async fn run(seed: u64, len: usize) -> Result<Verdict> {
    run_then(seed, len, |_, _| Ok(())).await
}

/// Like [`run`], with `tamper` let at the devices' stores between settling
/// and checking: how the checker's own test shows that it can fail.
pub async fn run_then(
    seed: u64,
    len: usize,
    tamper: impl FnOnce(&[Device], &[ConversationId]) -> Result<()>,
) -> Result<Verdict> {
    let started = Instant::now();
    let schedule = Schedule::generate(seed, len);
    println!("{schedule}");
    let mut n = Nemesis::set_up(seed).await?;
    let mut faults = BTreeMap::new();
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);
    for step in &schedule.steps {
        let applied = n.apply(step).await.with_context(|| format!("{step:?}"))?;
        if let Some(kind) = step.fault().filter(|_| applied) {
            *faults.entry(kind).or_insert(0) += 1;
        }
        // Steps overlap what the engines are still doing.
        tokio::time::sleep(Duration::from_millis(rng.u64(5..80))).await;
    }
    n.settle().await?;
    tamper(&n.devices, &n.chats)?;
    let report = check::check(&n.devices, &n.chats, &n.record);
    for d in &mut n.devices {
        d.go_offline().await;
    }
    Ok(Verdict {
        seed,
        faults,
        messages_checked: report.messages_checked,
        reactions: n.record.reactions,
        violations: report.violations,
        took: started.elapsed(),
    })
}

impl Nemesis {
    async fn set_up(seed: u64) -> Result<Self> {
        let world = World::with_relay().await?;
        let mut devices = Vec::new();
        let laptop = world.device(USERS[0], "Alice").await?;
        let phone = laptop.another_device(world.path(), "phone").await?;
        devices.push(laptop);
        devices.push(phone);
        devices.push(world.device(USERS[1], "Bob").await?);
        devices.push(world.device(USERS[2], "Cleo").await?);
        let people: Vec<_> = [0, 2, 3].iter().map(|d| devices[*d].person()).collect();
        let group = candor_core::account::RelayClient::new(&world.relay().url())?
            .create_group(
                &devices[0].token,
                "nemesis",
                vec![people[1].id, people[2].id],
            )
            .await?
            .id;
        let chats: Vec<ConversationId> = CHATS
            .iter()
            .map(|members| match members {
                [a, b] => direct_conversation_id(people[*a].id, people[*b].id),
                _ => group,
            })
            .collect();
        for (d, device) in devices.iter().enumerate() {
            for members in CHATS.iter().filter(|m| m.len() == 2) {
                if let Some(peer) = members.iter().find(|u| **u != DEVICES[d])
                    && members.contains(&DEVICES[d])
                {
                    device.open_chat_with(people[*peer].clone())?;
                }
            }
        }
        let mut proxies = Vec::new();
        for device in &mut devices {
            let proxy = RecordingProxy::start(world.relay().addr).await?;
            device.go_online_with(&proxy.url(), HEARTBEAT)?;
            proxies.push(proxy);
        }
        let backup = world.path().join(format!("relay-backup-{seed}"));
        let mut n = Self {
            world,
            devices,
            online: vec![true; DEVICES.len()],
            proxies,
            chats,
            backup,
            clock_offset: 0,
            written: 0,
            record: Record::default(),
        };
        // Everyone knows the group before the first copy of the relay's data.
        let group = n.chats[3];
        crate::sync::eventually(
            Duration::from_secs(20),
            "every device knows the group",
            || {
                n.devices
                    .iter()
                    .all(|d| d.with(|s| s.inbox_item(group)).is_ok())
            },
        )
        .await?;
        n.back_up().await?;
        Ok(n)
    }

    /// Does `step`; false if it changed nothing (a device already online).
    async fn apply(&mut self, step: &Step) -> Result<bool> {
        match *step {
            Step::Send { device, chat } => {
                let text = self.next_text(device);
                self.devices[device].write(self.chats[chat], &text)?;
                self.record.sent.entry(chat).or_default().push(text);
                self.devices[device].outbox_changed().await;
            }
            Step::SendUndone { device, chat } => {
                let text = self.next_text(device);
                let draft = Draft {
                    text: text.clone(),
                    card: None,
                };
                let id = self.devices[device]
                    .with(|s| s.compose(self.chats[chat], draft, chrono::Duration::seconds(30)))?;
                self.devices[device].with(|s| s.undo_send(id.id))?;
                self.record.undone.push(text);
            }
            Step::Hide { device, chat } => {
                let newest = self.devices[device]
                    .with(|s| s.conversation_page(self.chats[chat], None, 1))?
                    .messages
                    .pop();
                let Some(m) = newest else { return Ok(false) };
                self.devices[device].with(|s| s.hide_message(m.id))?;
                self.record.hidden.push((device, chat, m.text));
            }
            Step::React { device, chat, pick } => {
                let newest = self.devices[device]
                    .with(|s| s.conversation_page(self.chats[chat], None, 10))?
                    .messages
                    .into_iter()
                    .find(|m| m.server_id.is_some());
                let Some(m) = newest else { return Ok(false) };
                let emoji = schedule::REACTIONS.get(pick).copied();
                // Not in a chat that is still a Request here (Accept first).
                match self.devices[device].with(|s| s.react(m.id, emoji)) {
                    Err(candor_core::CoreError::CantReact(_)) => return Ok(false),
                    other => other?,
                };
                self.record.reactions += 1;
                self.devices[device].outbox_changed().await;
            }
            Step::Pause { device } => self.proxies[device].stall_open_connections(),
            Step::Cut { device } => self.proxies[device].cut_open_connections(),
            Step::Delay { device, ms } => self.proxies[device].delay(Duration::from_millis(ms)),
            Step::Throttle {
                device,
                bytes_per_sec,
            } => self.proxies[device].throttle(Some(bytes_per_sec)),
            Step::Heal { device } => self.proxies[device].heal(),
            Step::Offline { device } => {
                if !self.online[device] {
                    return Ok(false);
                }
                self.devices[device].go_offline().await;
                self.online[device] = false;
            }
            Step::Online { device } => return self.online(device),
            Step::CrashDevice { device } => {
                self.devices[device].crash_and_restart().await?;
                if self.online[device] {
                    self.online[device] = false;
                    self.online(device)?;
                }
            }
            Step::KillRelay => {
                self.world.kill_relay().await?;
                self.world.start_relay_with_clock(self.clock_offset).await?;
            }
            Step::BackUpRelay => self.back_up().await?,
            Step::RestoreRelay => {
                self.world.kill_relay().await?;
                self.world.restore_relay(&self.backup)?;
                self.world.start_relay_with_clock(self.clock_offset).await?;
            }
            Step::StepRelayClock { seconds } => {
                self.clock_offset += seconds;
                self.world.stop_relay().await?;
                self.world.start_relay_with_clock(self.clock_offset).await?;
            }
            Step::Wait { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
        }
        Ok(true)
    }

    fn online(&mut self, device: usize) -> Result<bool> {
        if self.online[device] {
            return Ok(false);
        }
        let url = self.proxies[device].url();
        self.devices[device].go_online_with(&url, HEARTBEAT)?;
        self.online[device] = true;
        Ok(true)
    }

    /// A text no other message has: the seed, a counter, the device.
    fn next_text(&mut self, device: usize) -> String {
        self.written += 1;
        format!("#{} from device {device}", self.written)
    }

    /// Stops the relay, copies its data aside, starts it again.
    async fn back_up(&mut self) -> Result<()> {
        self.world.stop_relay().await?;
        if self.backup.exists() {
            std::fs::remove_dir_all(&self.backup)?;
        }
        self.world.back_up_relay(&self.backup)?;
        self.world.start_relay_with_clock(self.clock_offset).await
    }

    /// The faults stop: every link heals, every device comes online; then
    /// waits until the stores agree and the outboxes drain (or time runs out,
    /// and the checker says what is wrong).
    async fn settle(&mut self) -> Result<()> {
        for proxy in &self.proxies {
            proxy.heal();
        }
        for d in 0..self.devices.len() {
            self.online(d)?;
        }
        let deadline = Instant::now() + SETTLE_WITHIN;
        while Instant::now() < deadline {
            if check::settled(&self.devices, &self.chats) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        println!("not settled within {SETTLE_WITHIN:?}");
        Ok(())
    }
}
