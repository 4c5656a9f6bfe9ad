//! Typing indicators are passed on at most once per [`INTERVAL`] per chat and
//! connection. What that needs remembering is bounded: only chats whose
//! indicator was passed on (so chats the sender is in) are remembered, and
//! entries older than the interval are forgotten once there are many.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use candor_protocol::ConversationId;

/// At most one indicator per chat per this long.
pub const INTERVAL: Duration = Duration::from_secs(2);

/// Entries kept before the stale ones are swept out.
const SWEEP_AT: usize = 256;

#[derive(Debug, Default)]
pub struct Throttle {
    last: HashMap<ConversationId, Instant>,
}

impl Throttle {
    /// Whether an indicator for `chat` may go out now.
    pub fn may_pass(&self, chat: ConversationId, now: Instant) -> bool {
        self.last
            .get(&chat)
            .is_none_or(|t| now.duration_since(*t) >= INTERVAL)
    }

    /// Records that one went out (for a chat the sender is a member of).
    pub fn passed(&mut self, chat: ConversationId, now: Instant) {
        if self.last.len() >= SWEEP_AT {
            self.last.retain(|_, t| now.duration_since(*t) < INTERVAL);
        }
        self.last.insert(chat, now);
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.last.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_indicator_per_chat_per_interval() {
        let mut t = Throttle::default();
        let chat = ConversationId::new();
        let start = Instant::now();
        assert!(t.may_pass(chat, start));
        t.passed(chat, start);
        assert!(!t.may_pass(chat, start + INTERVAL / 2));
        assert!(t.may_pass(ConversationId::new(), start + INTERVAL / 2));
        assert!(t.may_pass(chat, start + INTERVAL));
    }

    #[test]
    fn memory_stays_bounded_however_many_chats() {
        let mut t = Throttle::default();
        let start = Instant::now();
        // A member of many chats typing in each in turn, 100 a second.
        for i in 0..100_000u32 {
            let now = start + Duration::from_millis(10 * u64::from(i));
            t.passed(ConversationId::new(), now);
            assert!(t.remembered() <= SWEEP_AT + 1);
        }
    }
}
