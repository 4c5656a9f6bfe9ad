//! Undo-send windows and retry times are stored as wall-clock instants (a
//! window survives a quit or a crash, and the window counts down to it), but
//! what they measure is a span of real time. So when the wall clock is stepped
//! (set by hand, corrected by NTP, a machine resumed from sleep), every wait in
//! the outbox moves by the same step before anything is decided by it: a clock
//! set back an hour does not make a message wait an hour more, and one set
//! forward does not take away its Undo.
//!
//! A step is seen by reading the wall clock beside the monotonic one at every
//! decision about the outbox and comparing both with the last readings. While
//! the app is closed there is no monotonic clock to compare with; on open,
//! waits further away than the longest undo window are brought back to it, so
//! a clock set back while the app was closed delays nothing by more than that.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::{Store, sql};
use crate::{Clock, CoreError, UndoSendWindow};

/// Differences smaller than this between the two clocks are drift, not a step.
const STEP: Duration = Duration::seconds(1);

/// The two clocks, read together.
#[derive(Clone, Copy, Debug)]
pub(super) struct Reading {
    wall: DateTime<Utc>,
    steady: Instant,
}

impl Reading {
    pub(super) fn now(clock: &dyn Clock) -> Self {
        Self {
            wall: clock.now(),
            steady: clock.steady(),
        }
    }
}

impl Store {
    /// The wall clock now, for a decision about the outbox: any step it took
    /// since it was last read here has first been applied to every wait.
    pub(super) fn outbox_now(&self) -> Result<DateTime<Utc>, CoreError> {
        let now = Reading::now(self.clock.as_ref());
        let last = self.clock_seen.get();
        let passed = Duration::from_std(now.steady.saturating_duration_since(last.steady))
            .unwrap_or(Duration::MAX);
        let step = now.wall - (last.wall + passed);
        if step.abs() >= STEP {
            let ms = step.num_milliseconds();
            self.conn.execute(
                "UPDATE outbox SET not_before = not_before + ?1, next_attempt_at = next_attempt_at + ?1",
                params![ms],
            )?;
            tracing::info!(
                step_ms = ms,
                "the wall clock was stepped: outbox waits moved with it"
            );
        }
        self.clock_seen.set(now);
        Ok(now.wall)
    }

    /// On open: no wait is further away than the longest undo window (the
    /// clock was set back while the app was closed).
    pub(super) fn bound_waits(&self) -> Result<(), CoreError> {
        let longest = UndoSendWindow::ALL
            .iter()
            .map(|w| w.seconds())
            .max()
            .unwrap_or(0);
        let bound = sql::ms(self.clock.now() + Duration::seconds(longest));
        self.conn.execute(
            "UPDATE outbox SET not_before = min(not_before, ?1), next_attempt_at = min(next_attempt_at, ?1)
             WHERE not_before > ?1 OR next_attempt_at > ?1",
            params![bound],
        )?;
        Ok(())
    }
}
