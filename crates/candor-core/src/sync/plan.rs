//! What to send next, and when to try again, as plain values: computed from the
//! store's due jobs and what is already in flight, so tests check it without a
//! network.

use std::collections::HashSet;
use std::time::Duration;

use candor_protocol::ConversationId;

use crate::PendingSend;

/// The sends to start now: the oldest due job of each conversation that has no
/// send in flight, so each conversation's messages leave in the order written.
pub fn next_sends(due: Vec<PendingSend>, in_flight: &HashSet<ConversationId>) -> Vec<PendingSend> {
    let mut started = HashSet::new();
    due.into_iter()
        .filter(|s| {
            let c = s.entry.conversation_id;
            !in_flight.contains(&c) && started.insert(c)
        })
        .collect()
}

/// A session that stayed up this long was healthy: the next wait starts over
/// from the shortest. One that ended sooner (a relay that drops every session
/// after its hello, an ack the store refuses) keeps the waits growing, so a
/// failing session never turns into several reconnects a second, and a relay
/// that restarts is not met by every device at once.
pub const HEALTHY_SESSION: Duration = Duration::from_secs(10);

/// Capped exponential backoff with jitter, for reconnects and retries.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(250), Duration::from_secs(30))
    }
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The next delay: between half and all of `base * 2^attempt`, capped.
    /// `jitter` is in 0..=1.
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        exp.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// A session ended after `lasted`: the waits start over only if it was
    /// healthy ([`HEALTHY_SESSION`]).
    pub fn session_ended(&mut self, lasted: Duration) {
        if lasted >= HEALTHY_SESSION {
            self.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OutboxEntry;
    use candor_protocol::frames::Recipient;
    use candor_protocol::{MessageId, MessageText, UserId};
    use chrono::Utc;

    fn job(conversation: ConversationId, text: &str) -> PendingSend {
        let id = MessageId::new();
        PendingSend {
            reaction: None,
            photos: Vec::new(),
            photos_uploaded: false,
            wire_id: id,
            entry: OutboxEntry {
                message_id: id,
                conversation_id: conversation,
                attempts: 0,
                not_before: Utc::now(),
                next_attempt_at: Utc::now(),
            },
            to: Recipient::Direct {
                user: UserId::new(),
            },
            text: MessageText::new(text).expect("text"),
            card: None,
            reply: None,
        }
    }

    #[test]
    fn one_send_per_conversation_oldest_first() {
        let (a, b, c) = (
            ConversationId::new(),
            ConversationId::new(),
            ConversationId::new(),
        );
        let due = vec![job(a, "a1"), job(a, "a2"), job(b, "b1"), job(c, "c1")];
        let in_flight = HashSet::from([c]);
        let texts: Vec<_> = next_sends(due, &in_flight)
            .into_iter()
            .map(|s| s.text.as_str().to_owned())
            .collect();
        assert_eq!(texts, ["a1", "b1"]);
    }

    #[test]
    fn only_a_healthy_session_starts_the_waits_over() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        let first = b.next_delay(1.0);
        // Sessions that opened and soon failed: the waits keep growing.
        b.session_ended(Duration::from_millis(50));
        let second = b.next_delay(1.0);
        b.session_ended(HEALTHY_SESSION - Duration::from_millis(1));
        let third = b.next_delay(1.0);
        assert!(
            first < second && second < third,
            "{first:?} {second:?} {third:?}"
        );
        // One that stayed up: back to the shortest.
        b.session_ended(HEALTHY_SESSION);
        assert_eq!(b.next_delay(1.0), first);
    }

    #[test]
    fn backoff_grows_to_its_cap_with_jitter_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(b.next_delay(1.0), Duration::from_millis(100));
        assert_eq!(b.next_delay(1.0), Duration::from_millis(200));
        assert_eq!(
            b.next_delay(0.0),
            Duration::from_millis(200),
            "half of 400 ms"
        );
        for _ in 0..50 {
            assert!(b.next_delay(1.0) <= Duration::from_secs(1));
        }
        b.reset();
        assert_eq!(b.next_delay(1.0), Duration::from_millis(100));
    }
}
