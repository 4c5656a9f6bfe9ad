//! What the message writer has learned about who may write where, kept from one
//! batch to the next. Reading a chat's roster and the recipient's blocks,
//! contacts and settings for every send was a sixth of the cost of storing it,
//! and those change rarely next to how often people send.
//!
//! Only answers that let a send through are kept, and only facts that can
//! change through this storage's own methods. Each of those methods clears
//! `Permits` while it holds the connection's lock (see
//! `Change::Permits` in `SqliteStorage::write`), so the writer, which holds the
//! same lock for a whole batch, never uses an answer the database would no longer
//! give. Contacts are only ever added and users never removed, so a kept "may
//! write" cannot be undone by either.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use candor_protocol::{ConversationId, UserId};

use super::members::Roster;
use super::relations::check_direct;
use super::usage::Usage;
use crate::storage::StorageError;

/// Entries kept, at most, before starting afresh: bounds memory on a relay
/// with many chats at the cost of a re-read.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub(super) struct Permits {
    rosters: HashMap<ConversationId, Roster>,
    /// (sender, recipient) pairs that passed `check_direct`.
    direct: HashSet<(UserId, UserId)>,
    /// How much each sender may still send (their quotas).
    pub(super) usage: Usage,
}

impl Permits {
    pub(super) fn clear(&mut self) {
        self.rosters.clear();
        self.direct.clear();
        self.usage.clear();
    }

    /// `check_direct`, answered from memory once it has let `sender` through.
    pub(super) fn check_direct(
        &mut self,
        conn: &Connection,
        sender: UserId,
        recipient: UserId,
    ) -> Result<(), StorageError> {
        if self.direct.contains(&(sender, recipient)) {
            return Ok(());
        }
        check_direct(conn, sender, recipient)?;
        self.make_room();
        self.direct.insert((sender, recipient));
        Ok(())
    }

    /// The conversation's roster, read once; None if it does not exist.
    pub(super) fn roster(
        &mut self,
        conn: &Connection,
        id: ConversationId,
    ) -> Result<Option<Roster>, StorageError> {
        if let Some(roster) = self.rosters.get(&id) {
            return Ok(Some(roster.clone()));
        }
        let roster = Roster::read(conn, id)?;
        if let Some(r) = &roster {
            self.make_room();
            self.rosters.insert(id, r.clone());
        }
        Ok(roster)
    }

    /// The writer has just created `id` with `roster`.
    pub(super) fn created(&mut self, id: ConversationId, roster: &Roster) {
        self.make_room();
        self.rosters.insert(id, roster.clone());
    }

    /// The writer has just changed `id`'s roster: read it afresh next time.
    pub(super) fn changed(&mut self, id: ConversationId) {
        self.rosters.remove(&id);
    }

    fn make_room(&mut self) {
        if self.rosters.len() + self.direct.len() >= MAX_ENTRIES {
            self.rosters.clear();
            self.direct.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each change that can take a permission away, made after the writer has
    //! learned the permission: the next send must see the change.

    use candor_protocol::api::{AccountSettings, WhoCanMessage};
    use candor_protocol::frames::Recipient;
    use chrono::Utc;

    use super::super::test_support::{send, store, trip_group, users};
    use crate::storage::{Storage, StorageError};

    #[test]
    fn contacts_only_applies_to_a_stranger_who_has_already_written() {
        let (_dir, s) = store();
        let [alice, bob] = users(&s, &["alice", "bob"])[..] else {
            unreachable!()
        };
        let to_bob = || Recipient::Direct { user: bob };
        send(&s, alice, to_bob()).expect("a first message, a request for Bob");
        send(&s, alice, to_bob()).expect("a second, now from memory");
        s.set_settings(
            bob,
            &AccountSettings {
                who_can_message: WhoCanMessage::Contacts,
            },
        )
        .expect("settings");
        assert!(matches!(
            send(&s, alice, to_bob()),
            Err(StorageError::NotAccepting)
        ));
    }

    #[test]
    fn leaving_a_group_stops_sends_to_it_and_joining_again_allows_them() {
        let (_dir, s) = store();
        let ([alice, _, cleo], group) = trip_group(&s);
        let to_group = || Recipient::Conversation { id: group };
        send(&s, cleo, to_group()).expect("a member writes");
        s.leave(cleo, group).expect("leave");
        assert!(matches!(
            send(&s, cleo, to_group()),
            Err(StorageError::NotMember)
        ));
        let told = s.add_member(alice, group, cleo, Utc::now()).expect("add");
        assert_eq!(told.0.len(), 3, "every member hears of the new one");
        let stored = send(&s, cleo, to_group()).expect("a member again");
        assert_eq!(stored.members.len(), 3);
    }

    #[test]
    fn a_reply_accepts_a_request_once() {
        let (_dir, s) = store();
        let [alice, bob] = users(&s, &["alice", "bob"])[..] else {
            unreachable!()
        };
        let first = send(&s, alice, Recipient::Direct { user: bob }).expect("request");
        assert!(first.created && !first.accepted);
        let chat = Recipient::Conversation {
            id: first.message.conversation_id,
        };
        let reply = send(&s, bob, chat.clone()).expect("reply");
        assert!(reply.accepted, "Bob's reply accepts Alice's request");
        let again = send(&s, bob, chat).expect("another");
        assert!(!again.accepted, "the request was accepted already");
    }
}
