//! The stores judged alike: one batch of sends that lean on each other
//! (a chat made by the first, a repeat, a reply and reactions to a message
//! of the same batch, a reaction on a reaction, an answer that accepts the
//! request, an answer to someone who takes only contacts and made you one
//! earlier in the batch, a quota passed halfway) gets the same answer, send by send, from
//! the embedded store, which stores one send at a time, and from PostgreSQL,
//! which judges the whole batch from a few reads (when the suite runs on it:
//! see support/postgres.rs).

mod support;

use std::sync::Arc;

use candor_protocol::frames::Recipient;
use candor_protocol::{MessageId, MessageText, Quote, Reaction, UserId};
use candor_relay::storage::{NewMessage, Quotas};
use candor_relay::{PostgresStorage, SqliteStorage, Storage, StorageError};
use chrono::Utc;

/// The store the suite runs on, in `dir`.
fn open(dir: &std::path::Path) -> Arc<dyn Storage> {
    match support::postgres::database_for(dir) {
        Some(url) => std::thread::spawn(move || {
            Arc::new(PostgresStorage::open(&url).expect("open")) as Arc<dyn Storage>
        })
        .join()
        .expect("open"),
        None => Arc::new(SqliteStorage::open(dir).expect("open")),
    }
}

fn message(from: UserId, to: Recipient, text: &str) -> NewMessage {
    NewMessage {
        photos: Vec::new(),
        sender: from,
        client_id: MessageId::new(),
        to,
        text: MessageText::new(text).expect("text"),
        card: None,
        reply: None,
        reaction: None,
        at: Utc::now(),
    }
}

/// How a send came out, as compared between the stores.
fn outcome(result: &Result<candor_relay::storage::Stored, StorageError>) -> String {
    match result {
        Ok(s) => format!(
            "seq {} {}{}{}",
            s.message.seq,
            if s.duplicate { "repeat" } else { "new" },
            if s.created { " created" } else { "" },
            if s.accepted { " accepted" } else { "" },
        ),
        Err(e) => format!("refused: {e}"),
    }
}

// A blocking store is driven from a thread of its own (PostgreSQL's client
// runs a runtime of its own): a plain test, no async runtime.
#[test]
fn a_batch_of_sends_that_lean_on_each_other_is_judged_send_by_send() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let now = Utc::now();
    let alice = store
        .create_user("alice", "Alice", "h", now)
        .expect("alice")
        .id;
    let bob = store.create_user("bob", "Bob", "h", now).expect("bob").id;
    // Alice takes messages from her contacts only: Bob becomes one when she
    // writes to him, in the same batch as his answers.
    store
        .set_settings(
            alice,
            &candor_protocol::api::AccountSettings {
                who_can_message: candor_protocol::api::WhoCanMessage::Contacts,
            },
        )
        .expect("settings");
    // Four messages a day: Alice's fifth new one (in the next batch) is one
    // too many.
    store.set_quotas(Quotas {
        messages_per_day: 4,
        stored_bytes: 0,
    });
    let to_bob = || Recipient::Direct { user: bob };
    let first = message(alice, to_bob(), "hello");
    let repeat = NewMessage {
        text: MessageText::new("hello again, same id").expect("text"),
        ..first.clone()
    };
    let mut reply = message(alice, to_bob(), "as I said");
    reply.reply = Some(Quote {
        author: alice,
        message: first.client_id,
        excerpt: "hello".into(),
    });
    let mut like = message(alice, to_bob(), "👍");
    like.reaction = Some(Reaction {
        author: alice,
        message: first.client_id,
        removed: false,
    });
    let mut on_a_reaction = message(alice, to_bob(), "😂");
    on_a_reaction.reaction = Some(Reaction {
        author: alice,
        message: like.client_id,
        removed: false,
    });
    let chat = candor_protocol::frames::direct_conversation_id(alice, bob);
    let answer = message(bob, Recipient::Conversation { id: chat }, "hi Alice");
    let answer_by_name = message(bob, Recipient::Direct { user: alice }, "and hi again");
    let fourth = message(alice, to_bob(), "one more");
    let to_herself = message(alice, Recipient::Direct { user: alice }, "me");
    let batch = vec![
        first,
        repeat,
        reply,
        like,
        on_a_reaction,
        answer,
        answer_by_name,
        fourth.clone(),
        to_herself,
    ];
    let results = std::thread::spawn(move || {
        let results = store.store_messages(batch).expect("the batch");
        (results, store)
    })
    .join()
    .expect("store");
    let (results, store) = results;
    let outcomes: Vec<String> = results.iter().map(outcome).collect();
    assert_eq!(
        outcomes,
        [
            "seq 1 new created",
            "seq 1 repeat",
            "seq 2 new",
            "seq 3 new",
            "refused: a reaction is on a message, not on another reaction",
            "seq 4 new accepted",
            "seq 5 new",
            "seq 6 new",
            "refused: no such user",
        ],
        "on {}",
        if support::postgres::server().is_some() {
            "PostgreSQL"
        } else {
            "the embedded store"
        }
    );
    // The quota: Alice's fifth new message today is refused in the next batch.
    let mut fifth = fourth;
    fifth.client_id = MessageId::new();
    let refused = std::thread::spawn(move || store.store_messages(vec![fifth]).expect("batch"))
        .join()
        .expect("store");
    assert!(
        matches!(&refused[0], Err(StorageError::QuotaExceeded(_))),
        "{}",
        outcome(&refused[0])
    );
}
