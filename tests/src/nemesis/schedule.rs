//! A schedule of sends and faults, made from a seed: the same seed gives the
//! same schedule, so a failing one replays.

use std::fmt;

/// Who is in the nemesis world: three accounts on four devices (Alice has a
/// laptop and a phone), in three direct chats and one group.
pub const USERS: [&str; 3] = ["alice", "bob", "cleo"];
/// Each device's account, by index into [`USERS`].
pub const DEVICES: [usize; 4] = [0, 0, 1, 2];
/// Each chat's members, by index into [`USERS`]: three direct chats, a group.
pub const CHATS: [&[usize]; 4] = [&[0, 1], &[1, 2], &[0, 2], &[0, 1, 2]];

/// One thing the nemesis does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A device writes in a chat it belongs to.
    Send { device: usize, chat: usize },
    /// A device writes, then undoes the send within its window.
    SendUndone { device: usize, chat: usize },
    /// A device hides ("Delete for me") the newest message of a chat.
    Hide { device: usize, chat: usize },
    /// A device reacts to the newest sent message of a chat with one of a
    /// few emoji, or takes its reaction there back.
    React {
        device: usize,
        chat: usize,
        pick: usize,
    },
    /// The device's link stops moving, both ways, and stays open: half-open.
    Pause { device: usize },
    /// The device's open connections drop.
    Cut { device: usize },
    /// Every frame on the device's link waits this long.
    Delay { device: usize, ms: u64 },
    /// The device's link passes this many bytes a second.
    Throttle { device: usize, bytes_per_sec: u64 },
    /// The device's link is healthy again.
    Heal { device: usize },
    /// The device goes offline (its engine stops), for as long as the
    /// schedule says.
    Offline { device: usize },
    /// The device comes back online.
    Online { device: usize },
    /// The device's process dies without a word and starts again.
    CrashDevice { device: usize },
    /// SIGKILL to the relay, which starts again on the same data.
    KillRelay,
    /// The relay stops, its data directory is copied aside, it starts again.
    BackUpRelay,
    /// The relay dies and comes back from the last copy: what it stored since
    /// is gone from it.
    RestoreRelay,
    /// The relay restarts with its clock moved by this many seconds.
    StepRelayClock { seconds: i64 },
    /// Nothing happens for a while.
    Wait { ms: u64 },
}

impl Step {
    /// The kind of fault this step injects, for the tally; None for traffic.
    pub fn fault(&self) -> Option<&'static str> {
        Some(match self {
            Self::Send { .. }
            | Self::SendUndone { .. }
            | Self::Hide { .. }
            | Self::React { .. }
            | Self::Wait { .. } => {
                return None;
            }
            Self::Pause { .. } => "link paused (half-open)",
            Self::Cut { .. } => "link cut",
            Self::Delay { .. } => "link delayed",
            Self::Throttle { .. } => "link throttled",
            Self::Heal { .. } => "link healed",
            Self::Offline { .. } => "device offline",
            Self::Online { .. } => "device online",
            Self::CrashDevice { .. } => "device crashed",
            Self::KillRelay => "relay SIGKILLed",
            Self::BackUpRelay => "relay backed up",
            Self::RestoreRelay => "relay restored from a backup",
            Self::StepRelayClock { .. } => "relay clock stepped",
        })
    }
}

/// The emoji a React step gives; a pick past the end takes the reaction back.
pub const REACTIONS: [&str; 3] = ["❤️", "😂", "👍"];

/// The steps of one run, from `seed`.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub seed: u64,
    pub steps: Vec<Step>,
}

impl Schedule {
    /// `len` steps drawn from `seed`: mostly sends and short waits, with
    /// faults of every kind among them.
    pub fn generate(seed: u64, len: usize) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let steps = (0..len).map(|_| draw(&mut rng)).collect();
        Self { seed, steps }
    }
}

fn draw(rng: &mut fastrand::Rng) -> Step {
    let device = rng.usize(..DEVICES.len());
    // A chat the device's account is in.
    let mine: Vec<usize> = (0..CHATS.len())
        .filter(|c| CHATS[*c].contains(&DEVICES[device]))
        .collect();
    let chat = mine[rng.usize(..mine.len())];
    // Weights out of 100.
    match rng.u32(..100) {
        0..40 => Step::Send { device, chat },
        40..43 => Step::SendUndone { device, chat },
        43..46 => Step::Hide { device, chat },
        46..49 => Step::Pause { device },
        49..53 => Step::Cut { device },
        53..56 => Step::Delay {
            device,
            ms: rng.u64(10..250),
        },
        56..58 => Step::Throttle {
            device,
            bytes_per_sec: rng.u64(2_000..40_000),
        },
        58..63 => Step::Heal { device },
        63..66 => Step::Offline { device },
        66..71 => Step::Online { device },
        71..74 => Step::CrashDevice { device },
        74..76 => Step::KillRelay,
        76..78 => Step::BackUpRelay,
        78..80 => Step::RestoreRelay,
        80..82 => Step::StepRelayClock {
            seconds: rng.i64(-7200..7200),
        },
        82..88 => Step::React {
            device,
            chat,
            pick: rng.usize(..=REACTIONS.len()),
        },
        _ => Step::Wait {
            ms: rng.u64(50..600),
        },
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "schedule {} ({} steps):", self.seed, self.steps.len())?;
        for (i, step) in self.steps.iter().enumerate() {
            writeln!(f, "  {i:3} {step:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_schedule_and_another_seed_another() {
        let a = Schedule::generate(7, 200);
        assert_eq!(a.steps, Schedule::generate(7, 200).steps);
        assert_ne!(a.steps, Schedule::generate(8, 200).steps);
        for step in &a.steps {
            if let Step::Send { device, chat } = step {
                assert!(CHATS[*chat].contains(&DEVICES[*device]), "{step:?}");
            }
        }
        let faults = a.steps.iter().filter(|s| s.fault().is_some()).count();
        assert!(faults > 40, "{faults} faults in 200 steps");
    }
}
