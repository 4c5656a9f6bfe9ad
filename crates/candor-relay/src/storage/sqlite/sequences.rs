//! The last seq of each chat the message writer has stored to, kept from one
//! batch to the next, so that a send is one statement: the insert.
//!
//! Seqs are made only by the writer (`store_one`), inside its batch
//! transaction, so what it remembers is what the database holds, as long as a
//! batch that fails, and is rolled back, makes it forget everything
//! (`SqliteStorage::write` calls [`Sequences::clear`]).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};

use candor_protocol::ConversationId;

use crate::storage::StorageError;

/// Chats remembered, at most, before starting afresh: bounds memory on a relay
/// with many chats at the cost of one read per chat.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub(super) struct Sequences {
    last: HashMap<ConversationId, i64>,
}

impl Sequences {
    pub(super) fn clear(&mut self) {
        self.last.clear();
    }

    /// The seq the next message to `id` takes: one past its newest message.
    pub(super) fn next(
        &mut self,
        conn: &Connection,
        id: ConversationId,
    ) -> Result<i64, StorageError> {
        if let Some(last) = self.last.get(&id) {
            return Ok(last + 1);
        }
        let last = last_seq(conn, id)?;
        if self.last.len() >= MAX_ENTRIES {
            self.clear();
        }
        self.last.insert(id, last);
        Ok(last + 1)
    }

    /// The writer has just stored a message to `id` with `seq`.
    pub(super) fn stored(&mut self, id: ConversationId, seq: i64) {
        self.last.insert(id, seq);
    }
}

/// The seq of the conversation's newest message, 0 if it has none. Seqs grow
/// with cursors within a chat, so this is the last entry of its stream.
pub(super) fn last_seq(conn: &Connection, id: ConversationId) -> Result<i64, StorageError> {
    Ok(conn
        .prepare_cached(
            "SELECT seq FROM messages WHERE conversation_id = ?1 ORDER BY cursor DESC LIMIT 1",
        )?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use candor_protocol::MessageId;
    use candor_protocol::frames::Recipient;

    use super::super::test_support::{alice_wrote_to_bob, send, send_as, store, trip_group, users};
    use crate::storage::{SqliteStorage, Storage, StorageError};

    #[test]
    fn seqs_go_on_from_the_stored_messages_when_the_relay_starts_again() {
        let (dir, s) = store();
        let [alice, bob, cleo] = users(&s, &["alice", "bob", "cleo"])[..] else {
            unreachable!()
        };
        for want in 1..=3 {
            let stored = send(&s, alice, Recipient::Direct { user: bob }).expect("send");
            assert_eq!(stored.message.seq, want);
        }
        drop(s);
        let s = SqliteStorage::open(dir.path()).expect("open again");
        let stored = send(&s, bob, Recipient::Direct { user: alice }).expect("reply");
        assert_eq!(stored.message.seq, 4, "the chat goes on where it was");
        let other = send(&s, alice, Recipient::Direct { user: cleo }).expect("another chat");
        assert_eq!(other.message.seq, 1, "each chat has its own sequence");
    }

    #[test]
    fn a_repeat_takes_no_seq_and_gets_the_first_answer() {
        let (_dir, s) = store();
        let [alice, bob] = users(&s, &["alice", "bob"])[..] else {
            unreachable!()
        };
        let to_bob = || Recipient::Direct { user: bob };
        let id = MessageId::new();
        let first = send_as(&s, alice, to_bob(), id).expect("first");
        let again = send_as(&s, alice, to_bob(), id).expect("repeat");
        assert!(again.duplicate && !first.duplicate);
        assert_eq!(again.message.server_id, first.message.server_id);
        assert_eq!((again.cursor, again.message.seq), (first.cursor, 1));
        let next = send(&s, alice, to_bob()).expect("next");
        assert_eq!(next.message.seq, 2, "no gap where the repeat was");
        let bobs = send_as(&s, bob, Recipient::Direct { user: alice }, id).expect("bob");
        assert!(
            !bobs.duplicate,
            "another sender's client id is not a repeat"
        );
        assert_eq!(bobs.message.seq, 3);
    }

    #[test]
    fn a_repeat_gets_its_answer_even_after_the_sender_has_left() {
        let (_dir, s) = store();
        let ([_, _, cleo], group) = trip_group(&s);
        let to_group = || Recipient::Conversation { id: group };
        let id = MessageId::new();
        let first = send_as(&s, cleo, to_group(), id).expect("first");
        s.leave(cleo, group).expect("leave");
        let again = send_as(&s, cleo, to_group(), id).expect("the repeat's answer");
        assert!(again.duplicate);
        assert_eq!(again.message.server_id, first.message.server_id);
        assert!(matches!(
            send(&s, cleo, to_group()),
            Err(StorageError::NotMember)
        ));
    }

    #[test]
    fn a_receipt_stops_at_the_last_message() {
        let (_dir, s) = store();
        let ([alice, bob], chat) = alice_wrote_to_bob(&s);
        send(&s, alice, Recipient::Direct { user: bob }).expect("send");
        // A reply accepts the request, so that Bob's reads are passed on.
        send(&s, bob, Recipient::Direct { user: alice }).expect("reply");
        let recorded = s
            .record_receipt(bob, chat, Some(99), Some(2))
            .expect("receipt");
        let receipt = recorded.shared;
        assert_eq!((receipt.delivered_seq, receipt.read_seq), (3, 2));
        assert_eq!(recorded.others, [alice]);
        assert_eq!(recorded.own, receipt);
        let again = s
            .record_receipt(bob, chat, Some(99), Some(2))
            .expect("receipt");
        assert!(
            again.others.is_empty() && !again.moved,
            "a receipt that did not move is not passed on"
        );
    }
}
