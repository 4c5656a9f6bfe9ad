//! A small world for store tests: me, Maya, a direct chat with her, and a helper
//! that delivers messages the way the relay would.
#![allow(dead_code)]

use std::sync::Arc;

use candor_core::protocol::frames::StreamPosition;
use candor_core::protocol::{
    ConversationId, DeliveredMessage, EpochId, MessageId, MessageText, ServerMessageId, UserId,
};
use candor_core::{Draft, ManualClock, NewConversation, Person, Profile, Store};
use chrono::{DateTime, Duration, TimeZone, Utc};

pub struct World {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub me: Person,
    pub maya: Person,
    pub chat: ConversationId,
    next_seq: std::collections::HashMap<ConversationId, i64>,
}

pub fn person(handle: &str, name: &str) -> Person {
    Person {
        id: UserId::new(),
        handle: handle.into(),
        display_name: name.into(),
    }
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .single()
        .expect("valid time")
}

/// The relay epoch the tests' acknowledgements come from.
pub const EPOCH: EpochId = EpochId(uuid::Uuid::from_u128(0xe0c4));

/// `cursor` in [`EPOCH`].
pub fn at(cursor: u64) -> StreamPosition {
    StreamPosition {
        epoch: EPOCH,
        cursor,
    }
}

impl World {
    pub fn new() -> Self {
        let clock = Arc::new(ManualClock::new(start()));
        let store = Store::open_in_memory(clock.clone()).expect("store");
        Self::with_store(store, clock)
    }

    pub fn with_store(mut store: Store, clock: Arc<ManualClock>) -> Self {
        let me = person("ana", "Ana");
        store
            .set_profile(&Profile {
                user_id: me.id,
                handle: me.handle.clone(),
                display_name: me.display_name.clone(),
                relay_url: "ws://127.0.0.1:1".into(),
            })
            .expect("profile");
        let maya = person("maya", "Maya");
        let chat = ConversationId::new();
        store
            .add_conversation(&NewConversation::Direct {
                id: chat,
                peer: maya.clone(),
            })
            .expect("direct chat");
        Self {
            store,
            clock,
            me,
            maya,
            chat,
            next_seq: Default::default(),
        }
    }

    /// A group titled "Trip" of me, Maya and `others`, as the relay would
    /// describe it.
    pub fn trip_with(&mut self, others: &[&Person]) -> ConversationId {
        let id = ConversationId::new();
        let mut members = vec![self.me.clone(), self.maya.clone()];
        members.extend(others.iter().map(|p| (*p).clone()));
        self.store
            .add_conversation(&NewConversation::Group {
                id,
                title: "Trip".into(),
                members,
                admins: Vec::new(),
            })
            .expect("group");
        id
    }

    pub fn tick(&self) {
        self.clock.advance(Duration::seconds(1));
    }

    /// A message from `from` in `chat`, as the relay would deliver it (next seq).
    pub fn incoming(
        &mut self,
        chat: ConversationId,
        from: &Person,
        text: &str,
    ) -> DeliveredMessage {
        self.tick();
        let seq = self.next_seq.entry(chat).or_insert(0);
        *seq += 1;
        DeliveredMessage {
            photos: Vec::new(),
            reaction: None,
            server_id: ServerMessageId::new(),
            client_id: MessageId::new(),
            conversation_id: chat,
            seq: *seq,
            sender_id: from.id,
            text: MessageText::new(text).expect("valid text"),
            card: None,
            sent_at: self.clock_now(),
            reply: None,
        }
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use candor_core::Clock;
        self.clock.now()
    }

    /// Maya writes `text` in the direct chat and it is applied; returns the delivery.
    pub fn maya_says(&mut self, text: &str) -> DeliveredMessage {
        let maya = self.maya.clone();
        let m = self.incoming(self.chat, &maya, text);
        self.store
            .apply_received(std::slice::from_ref(&m))
            .expect("apply");
        m
    }

    /// I write `text` in `chat` and the relay acknowledges it (echoes it back with a seq).
    pub fn i_say(&mut self, chat: ConversationId, text: &str) -> MessageId {
        self.tick();
        let msg = self
            .store
            .compose(
                chat,
                Draft {
                    text: text.into(),
                    card: None,
                },
                Duration::zero(),
            )
            .expect("compose");
        let me = self.me.clone();
        let mut echo = self.incoming(chat, &me, text);
        echo.client_id = msg.id;
        self.store.apply_received(&[echo]).expect("ack");
        msg.id
    }

    pub fn local_id_of(&self, delivered: &DeliveredMessage) -> MessageId {
        let page = self
            .store
            .conversation_page(delivered.conversation_id, None, 500)
            .expect("page");
        page.messages
            .iter()
            .chain(
                self.store
                    .hidden_messages(delivered.conversation_id)
                    .expect("hidden")
                    .iter(),
            )
            .find(|m| m.server_id == Some(delivered.server_id))
            .map(|m| m.id)
            .expect("message is stored")
    }

    /// The local id of the visible message of the direct chat with `text`.
    pub fn local_id_of_text(&self, text: &str) -> MessageId {
        self.store
            .conversation_page(self.chat, None, 500)
            .expect("page")
            .messages
            .into_iter()
            .find(|m| m.text == text)
            .map(|m| m.id)
            .expect("message is shown")
    }

    pub fn visible_texts(&self, chat: ConversationId) -> Vec<String> {
        self.store
            .conversation_page(chat, None, 500)
            .expect("page")
            .messages
            .into_iter()
            .map(|m| m.text)
            .collect()
    }

    pub fn inbox_titles(&self) -> Vec<String> {
        self.store
            .inbox_page(None, 500)
            .expect("inbox")
            .items
            .into_iter()
            .map(|i| i.title)
            .collect()
    }
}
