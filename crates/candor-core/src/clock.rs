//! Where "now" comes from. The store asks a [`Clock`] instead of the system, so that
//! undo windows, hides and ordering can be tested with time under the test's control.
//!
//! A clock has two readings: the wall clock, which can be stepped (set by hand,
//! corrected by NTP), and a monotonic one, which never is. The store compares
//! them to notice a step (see `store/clock_steps.rs`).

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;
use std::time::Instant;

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The wall clock.
    fn now(&self) -> DateTime<Utc>;

    /// A monotonic reading: only the time between two readings means anything.
    fn steady(&self) -> Instant {
        Instant::now()
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<Manual>);

#[derive(Debug)]
struct Manual {
    wall: DateTime<Utc>,
    steady: Instant,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(Manual {
            wall: start,
            steady: Instant::now(),
        }))
    }

    fn manual(&self) -> std::sync::MutexGuard<'_, Manual> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Time passes: both readings move on.
    pub fn advance(&self, by: Duration) {
        let mut m = self.manual();
        m.wall += by;
        m.steady += by.to_std().unwrap_or_default();
    }

    /// The wall clock is set forward (or back, for a negative step) without
    /// any time passing.
    pub fn step_wall(&self, by: Duration) {
        self.manual().wall += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.manual().wall
    }

    fn steady(&self) -> Instant {
        self.manual().steady
    }
}
