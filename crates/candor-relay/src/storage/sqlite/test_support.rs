//! What the storage unit tests share: a store in a temporary directory, people
//! in it, and a one-message batch.

use candor_protocol::frames::Recipient;
use candor_protocol::{ConversationId, MessageId, MessageText, UserId};
use chrono::Utc;

use crate::storage::{NewMessage, SqliteStorage, Storage, StorageError, Stored};

/// A store in a fresh directory; keep the directory alive as long as the store.
pub(super) fn store() -> (tempfile::TempDir, SqliteStorage) {
    let dir = tempfile::tempdir().expect("dir");
    let s = SqliteStorage::open(dir.path()).expect("open");
    (dir, s)
}

/// Sends "hi" from `from` to `to` with `client_id`, in a batch of its own.
pub(super) fn send_as(
    s: &SqliteStorage,
    from: UserId,
    to: Recipient,
    client_id: MessageId,
) -> Result<Stored, StorageError> {
    let message = NewMessage {
        photos: Vec::new(),
        reaction: None,
        sender: from,
        client_id,
        to,
        text: MessageText::new("hi").expect("text"),
        card: None,
        at: Utc::now(),
        reply: None,
    };
    s.store_messages(vec![message])
        .expect("batch")
        .pop()
        .expect("one result")
}

/// Sends "hi" from `from` to `to` with a new client id.
pub(super) fn send(s: &SqliteStorage, from: UserId, to: Recipient) -> Result<Stored, StorageError> {
    send_as(s, from, to, MessageId::new())
}

/// An account for each handle.
pub(super) fn users(s: &SqliteStorage, handles: &[&str]) -> Vec<UserId> {
    handles
        .iter()
        .map(|h| s.create_user(h, h, "hash", Utc::now()).expect("user").id)
        .collect()
}

/// Alice, Bob and Cleo, and the group "trip" Alice made with the other two.
pub(super) fn trip_group(s: &SqliteStorage) -> ([UserId; 3], ConversationId) {
    let [alice, bob, cleo] = users(s, &["alice", "bob", "cleo"])[..] else {
        unreachable!()
    };
    let announcement = s
        .create_group(alice, "trip", &[bob, cleo], Utc::now())
        .expect("group");
    let group = announcement.view_of(alice).expect("Alice is told").id;
    ([alice, bob, cleo], group)
}

/// Alice and Bob, and the direct chat Alice's first message to Bob made (a
/// request on Bob's side until he replies or accepts).
pub(super) fn alice_wrote_to_bob(s: &SqliteStorage) -> ([UserId; 2], ConversationId) {
    let [alice, bob] = users(s, &["alice", "bob"])[..] else {
        unreachable!()
    };
    let chat = send(s, alice, Recipient::Direct { user: bob })
        .expect("send")
        .message
        .conversation_id;
    ([alice, bob], chat)
}
