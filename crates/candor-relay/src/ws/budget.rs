//! Frames per second per connection: a token bucket that refills at the
//! configured rate and holds ten seconds' worth. A client past it is not
//! refused but slowed: the relay reads its next frame only when a token is
//! there, so a flood waits in its own socket buffers (and then in the
//! client), and nothing it sent is lost. A person's app never comes near it;
//! a device back after a month flushes its outbox a little slower.

use std::time::{Duration, Instant};

/// Seconds of the rate a connection may spend at once.
const BURST_SECONDS: f64 = 10.0;

#[derive(Debug)]
pub struct FrameBudget {
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl FrameBudget {
    /// `per_second` frames a second (0: no limit), starting full.
    pub fn new(per_second: u32, now: Instant) -> Self {
        let per_second = f64::from(per_second);
        Self {
            per_second,
            tokens: per_second * BURST_SECONDS,
            last: now,
        }
    }

    /// When the next frame may be read: `now` if a token is there.
    pub fn ready_at(&mut self, now: Instant) -> Instant {
        if self.per_second == 0.0 {
            return now;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens =
            (self.tokens + elapsed * self.per_second).min(self.per_second * BURST_SECONDS);
        self.last = now;
        if self.tokens >= 1.0 {
            now
        } else {
            now + Duration::from_secs_f64((1.0 - self.tokens) / self.per_second)
        }
    }

    /// A frame was read.
    pub fn spend(&mut self) {
        if self.per_second > 0.0 {
            self.tokens -= 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let start = Instant::now();
        let mut b = FrameBudget::new(100, start);
        for _ in 0..1000 {
            assert_eq!(b.ready_at(start), start, "ten seconds' worth at once");
            b.spend();
        }
        let next = b.ready_at(start);
        assert!(next > start && next <= start + Duration::from_millis(10));
        // A second later, a second's worth.
        let later = start + Duration::from_secs(1);
        for _ in 0..100 {
            assert_eq!(b.ready_at(later), later);
            b.spend();
        }
        assert!(b.ready_at(later) > later);
    }

    #[test]
    fn zero_means_no_limit() {
        let start = Instant::now();
        let mut b = FrameBudget::new(0, start);
        for _ in 0..100_000 {
            assert_eq!(b.ready_at(start), start);
            b.spend();
        }
    }
}
