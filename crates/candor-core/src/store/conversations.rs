//! Conversations and the people in them, and reading a conversation page by page.

use candor_protocol::{ConversationId, MessageId, UserId};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, sql};
use crate::{
    ConversationKind, CoreError, DeliveryStatus, GroupMember, GroupMembers, Message, MessageCursor,
    MessagePage, NewConversation, NewerMessages, Person, QuotedMessage, ReactionCount, Reply,
};

/// Columns of [`message_from_row`], in order, for queries over `messages m`.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.server_id, m.seq, m.sender_id,
    u.display_name, m.body, m.card_json, m.created_at, m.status, m.hidden_at, m.position,
    (SELECT o.not_before FROM outbox o WHERE o.message_id = m.id),
    coalesce(u.blocked AND (SELECT g.kind = 'group' FROM conversations g
                            WHERE g.id = m.conversation_id), 0),
    m.reply_json, q.id, q.body,
    CASE WHEN q.erased_at IS NOT NULL THEN 2 WHEN q.hidden_at IS NOT NULL THEN 1 ELSE 0 END,
    qa.display_name, q.position,
    (SELECT json_group_array(json_array(x.sender_id, x.name, x.body) ORDER BY x.position) FROM (
        SELECT r.sender_id, coalesce(ru.display_name, ru.handle, '') AS name, r.body, r.position,
               coalesce(json_extract(r.reaction_json, '$.removed'), 0) AS removed,
               row_number() OVER (PARTITION BY r.sender_id ORDER BY r.position DESC) AS latest
        FROM messages r INDEXED BY messages_reactions LEFT JOIN users ru ON ru.id = r.sender_id
        WHERE r.reaction_json IS NOT NULL AND r.conversation_id = m.conversation_id
          AND r.status != 'failed'
          AND r.reacts_to_author = m.sender_id AND r.reacts_to = coalesce(m.wire_id, m.id)
          AND coalesce(ru.blocked, 0) = 0) x
     WHERE x.latest = 1 AND x.removed = 0),
    m.photos_json";

/// What [`MESSAGE_COLUMNS`] reads beside `messages m` and `users u`: the
/// message a reply quotes, if this device holds it (found by its author and
/// client id, unique), and the quoted author's name.
pub(crate) const REPLY_JOINS: &str = "LEFT JOIN messages q
        ON m.reply_json IS NOT NULL
       AND q.sender_id = json_extract(m.reply_json, '$.author')
       AND q.wire_id = json_extract(m.reply_json, '$.message')
       AND q.conversation_id = m.conversation_id
    LEFT JOIN users qa ON m.reply_json IS NOT NULL
       AND qa.id = json_extract(m.reply_json, '$.author')";

/// How many columns [`MESSAGE_COLUMNS`] has: a query's own columns follow.
pub(crate) const MESSAGE_COLUMN_COUNT: usize = 22;

pub(crate) fn message_from_row(
    r: &rusqlite::Row<'_>,
    me: Option<&str>,
) -> rusqlite::Result<Message> {
    let sender: String = r.get(4)?;
    let status: String = r.get(9)?;
    let is_own = me == Some(sender.as_str());
    // What someone blocked wrote is never handed to the page.
    let sender_blocked = !is_own && r.get::<_, bool>(13)?;
    let text: String = if sender_blocked {
        String::new()
    } else {
        r.get(6)?
    };
    Ok(Message {
        id: sql::id(r, 0)?,
        conversation_id: sql::id(r, 1)?,
        server_id: sql::opt_id(r, 2)?,
        seq: r.get(3)?,
        sender_id: sql::id(r, 4)?,
        sender_name: r.get(5)?,
        is_own,
        links: crate::links::web_links(&text),
        text,
        card: if sender_blocked {
            None
        } else {
            sql::json(r, 7)?
        },
        photos: if sender_blocked {
            Vec::new()
        } else {
            sql::json::<Vec<candor_protocol::PhotoRef>>(r, 21)?
                .unwrap_or_default()
                .into_iter()
                .map(crate::photo::shown)
                .collect()
        },
        created_at: sql::time(r, 8)?,
        status: DeliveryStatus::from_sql(&status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                9,
                rusqlite::types::Type::Text,
                format!("unknown delivery status {status:?}").into(),
            )
        })?,
        hidden_at: sql::opt_time(r, 10)?,
        cursor: MessageCursor(r.get(11)?),
        send_at: sql::opt_time(r, 12)?,
        sender_blocked,
        reply: reply_from_row(r, me)?,
        reactions: if sender_blocked {
            Vec::new()
        } else {
            reactions_from_row(r, me)?
        },
    })
}

/// The reactions column of [`MESSAGE_COLUMNS`] (20): each person's latest
/// reaction, as `[sender, name, emoji]`, counted by emoji. An emoji this
/// device does not take for one (a relay that let it through) is left out.
fn reactions_from_row(
    r: &rusqlite::Row<'_>,
    me: Option<&str>,
) -> rusqlite::Result<Vec<ReactionCount>> {
    let Some(list) = r.get::<_, Option<String>>(20)? else {
        return Ok(Vec::new());
    };
    let given: Vec<(String, String, String)> = serde_json::from_str(&list).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(20, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let mut counts: Vec<ReactionCount> = Vec::new();
    for (sender, name, emoji) in given {
        if !candor_protocol::is_one_emoji(&emoji) {
            continue;
        }
        let mine = me == Some(sender.as_str());
        let who = if mine { "You".to_owned() } else { name };
        match counts.iter_mut().find(|c| c.emoji == emoji) {
            Some(c) => {
                c.mine |= mine;
                c.people.push(who);
            }
            None => counts.push(ReactionCount {
                emoji,
                people: vec![who],
                mine,
            }),
        }
    }
    // The most given first; ties in the order given (each person's latest).
    counts.sort_by_key(|c| std::cmp::Reverse(c.people.len()));
    Ok(counts)
}

/// The reply columns of [`MESSAGE_COLUMNS`] (14 to 19).
fn reply_from_row(r: &rusqlite::Row<'_>, me: Option<&str>) -> rusqlite::Result<Option<Reply>> {
    let Some(quote) = sql::json::<candor_protocol::Quote>(r, 14)? else {
        return Ok(None);
    };
    let original: Option<MessageId> = sql::opt_id(r, 15)?;
    let body: Option<String> = r.get(16)?;
    // 2: erased here, 1: deleted for you, 0: shown.
    let here: Option<i64> = r.get(17)?;
    let quoted_excerpt = quote.excerpt.clone();
    let (state, excerpt) = match (original, here) {
        (Some(_), Some(2)) => (QuotedMessage::Erased, quote.excerpt),
        (Some(_), Some(1)) => (QuotedMessage::HiddenForYou, quote.excerpt),
        (Some(_), _) => (
            QuotedMessage::Shown,
            body.map(|b| candor_protocol::Quote::of(quote.author, quote.message, &b).excerpt)
                .unwrap_or(quote.excerpt),
        ),
        (None, _) => (QuotedMessage::NotOnDevice, quote.excerpt),
    };
    Ok(Some(Reply {
        author_is_me: me == Some(quote.author.to_string().as_str()),
        author_id: quote.author,
        author_name: r.get(18)?,
        excerpt,
        quoted_excerpt,
        state,
        original,
        original_cursor: r.get::<_, Option<i64>>(19)?.map(MessageCursor),
    }))
}

impl Store {
    /// Records a person (or updates their name).
    pub fn upsert_person(&mut self, person: &Person) -> Result<(), CoreError> {
        upsert_person(&self.conn, person)?;
        Ok(())
    }

    /// Opens the direct chat with `peer` (found on the relay), making it here
    /// if it is new. Its id is the one both sides derive, so it is the same
    /// chat the relay makes on the first message. Nobody chats with themselves.
    pub fn open_direct_chat(&mut self, peer: Person) -> Result<ConversationId, CoreError> {
        let me = self.me()?;
        if peer.id == me {
            return Err(CoreError::ThatIsYou);
        }
        let id = candor_protocol::frames::direct_conversation_id(me, peer.id);
        self.add_conversation(&NewConversation::Direct { id, peer })?;
        Ok(id)
    }

    /// Records a conversation as the relay describes it: the relay is the
    /// authority on titles and members, so a group of any size is taken as it is,
    /// and describing it again updates its title and members.
    pub fn add_conversation(&mut self, conversation: &NewConversation) -> Result<(), CoreError> {
        let now = sql::ms(self.clock.now());
        let tx = self.conn.transaction()?;
        let (id, kind, title, peer, members, admins): (
            _,
            _,
            Option<&str>,
            Option<&Person>,
            Vec<&Person>,
            &[UserId],
        ) = match conversation {
            NewConversation::Direct { id, peer } => (
                *id,
                ConversationKind::Direct,
                None,
                Some(peer),
                vec![peer],
                &[],
            ),
            NewConversation::Group {
                id,
                title,
                members,
                admins,
            } => (
                *id,
                ConversationKind::Group,
                Some(title.as_str()),
                None,
                members.iter().collect(),
                admins,
            ),
        };
        for person in &members {
            upsert_person(&tx, person)?;
        }
        tx.execute(
            "INSERT INTO conversations (id, kind, title, peer_id, created_at, last_activity_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, left_at = NULL",
            params![
                id.to_string(),
                kind.as_sql(),
                title,
                peer.map(|p| p.id.to_string()),
                now
            ],
        )?;
        // A group this account is out of comes with no members (the relay
        // does not show who is in it now): the last list known here stays.
        if kind == ConversationKind::Group && members.is_empty() {
            tx.commit()?;
            return Ok(());
        }
        // People who left are no longer members.
        let keep: Vec<String> = members.iter().map(|p| p.id.to_string()).collect();
        let current: Vec<String> = tx
            .prepare_cached("SELECT user_id FROM members WHERE conversation_id = ?1")?
            .query_map([id.to_string()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for gone in current.iter().filter(|u| !keep.contains(u)) {
            tx.execute(
                "DELETE FROM members WHERE conversation_id = ?1 AND user_id = ?2",
                (id.to_string(), gone),
            )?;
        }
        for person in &members {
            tx.execute(
                "INSERT INTO members (conversation_id, user_id, joined_at, admin)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET admin = excluded.admin",
                (
                    id.to_string(),
                    person.id.to_string(),
                    now,
                    admins.contains(&person.id),
                ),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The members of group `conversation`: admins first, then by name.
    pub fn group_members(&self, conversation: ConversationId) -> Result<GroupMembers, CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        let me = self.me.map(|u| u.to_string()).unwrap_or_default();
        let members = self
            .conn
            .prepare_cached(
                "SELECT u.id, u.handle, u.display_name, m.admin, u.id = ?2, u.blocked
                 FROM members m JOIN users u ON u.id = m.user_id
                 WHERE m.conversation_id = ?1
                 ORDER BY m.admin DESC, u.id = ?2 DESC, lower(u.display_name), u.handle",
            )?
            .query_map(params![conversation.to_string(), me], |r| {
                Ok(GroupMember {
                    person: Person {
                        id: sql::id(r, 0)?,
                        handle: r.get(1)?,
                        display_name: r.get(2)?,
                    },
                    admin: r.get(3)?,
                    is_me: r.get(4)?,
                    blocked: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let left: bool = self.conn.query_row(
            "SELECT left_at IS NOT NULL FROM conversations WHERE id = ?1",
            [conversation.to_string()],
            |r| r.get(0),
        )?;
        Ok(GroupMembers {
            i_am_admin: !left && members.iter().any(|m| m.is_me && m.admin),
            members,
            left,
        })
    }

    /// Visible messages of a conversation, newest first, older than `before`.
    pub fn conversation_page(
        &self,
        conversation: ConversationId,
        before: Option<MessageCursor>,
        limit: u32,
    ) -> Result<MessagePage, CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        // The countdowns shown are to waits moved by any step of the clock.
        self.outbox_now()?;
        let limit = limit.clamp(1, 500);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS}
             FROM messages m INDEXED BY messages_shown
             LEFT JOIN users u ON u.id = m.sender_id {REPLY_JOINS}
             WHERE m.conversation_id = ?1 AND m.hidden_at IS NULL AND m.position < ?2
               AND m.reaction_json IS NULL
             ORDER BY m.position DESC LIMIT ?3"
        ))?;
        let me = self.me.map(|u| u.to_string());
        let mut messages = stmt
            .query_map(
                params![
                    conversation.to_string(),
                    before.map_or(i64::MAX, |c| c.0),
                    i64::from(limit) + 1
                ],
                |r| message_from_row(r, me.as_deref()),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        let before = if messages.len() > limit as usize {
            messages.truncate(limit as usize);
            messages.last().map(|m| m.cursor)
        } else {
            None
        };
        Ok(MessagePage { messages, before })
    }

    /// Visible messages of a conversation newer than `after`, oldest first: the
    /// way down from a message opened out of search.
    pub fn newer_messages(
        &self,
        conversation: ConversationId,
        after: MessageCursor,
        limit: u32,
    ) -> Result<NewerMessages, CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        let limit = limit.clamp(1, 500);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS}
             FROM messages m INDEXED BY messages_shown
             LEFT JOIN users u ON u.id = m.sender_id {REPLY_JOINS}
             WHERE m.conversation_id = ?1 AND m.hidden_at IS NULL AND m.position > ?2
               AND m.reaction_json IS NULL
             ORDER BY m.position ASC LIMIT ?3"
        ))?;
        let me = self.me.map(|u| u.to_string());
        let mut messages = stmt
            .query_map(
                params![conversation.to_string(), after.0, i64::from(limit) + 1],
                |r| message_from_row(r, me.as_deref()),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        Ok(NewerMessages { messages, more })
    }

    /// A chat's Videos view: its visible messages with a video card, newest
    /// first (a message deleted for you is not among them).
    pub fn videos(
        &self,
        conversation: ConversationId,
        limit: u32,
    ) -> Result<Vec<Message>, CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        let me = self.me.map(|u| u.to_string());
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS}
             FROM messages m LEFT JOIN users u ON u.id = m.sender_id {REPLY_JOINS}
             WHERE m.conversation_id = ?1 AND m.card_json IS NOT NULL AND m.hidden_at IS NULL
             ORDER BY m.position DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![conversation.to_string(), limit.min(500)], |r| {
            message_from_row(r, me.as_deref())
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One message, hidden or not.
    pub fn message(&self, id: MessageId) -> Result<Message, CoreError> {
        let me = self.me.map(|u| u.to_string());
        self.conn
            .query_row(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages m
                     LEFT JOIN users u ON u.id = m.sender_id {REPLY_JOINS} WHERE m.id = ?1"
                ),
                [id.to_string()],
                |r| message_from_row(r, me.as_deref()),
            )
            .optional()?
            .ok_or(CoreError::UnknownMessage(id))
    }

    /// The messages among `ids` that this device shows (not hidden), in the
    /// order given: what a notice carries to the UI. A reaction among them
    /// stands for the message it is on (once, with its reactions as they are
    /// now), if this device holds and shows that.
    pub fn visible_messages(&self, ids: &[MessageId]) -> Result<Vec<Message>, CoreError> {
        let mut messages: Vec<Message> = Vec::with_capacity(ids.len());
        for &id in ids {
            let id = match reacted_to(&self.conn, id)? {
                Reacted::NotAReaction => id,
                Reacted::On(target) => target,
                Reacted::NotHere => continue,
            };
            if messages.iter().any(|m| m.id == id) {
                continue;
            }
            match self.message(id) {
                Ok(m) if m.hidden_at.is_none() => messages.push(m),
                Ok(_) | Err(CoreError::UnknownMessage(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(messages)
    }
}

/// What a row is, for a notice: a message, or a reaction on one held here
/// (or on one this device does not hold).
enum Reacted {
    NotAReaction,
    On(MessageId),
    NotHere,
}

fn reacted_to(conn: &Connection, id: MessageId) -> Result<Reacted, CoreError> {
    let row: Option<(bool, Option<MessageId>)> = conn
        .prepare_cached(
            "SELECT r.reaction_json IS NOT NULL, t.id FROM messages r
             LEFT JOIN messages t ON r.reaction_json IS NOT NULL
                 AND t.conversation_id = r.conversation_id
                 AND t.sender_id = r.reacts_to_author
                 AND t.wire_id = r.reacts_to
             WHERE r.id = ?1",
        )?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, sql::opt_id(r, 1)?)))
        .optional()?;
    Ok(match row {
        None | Some((false, _)) => Reacted::NotAReaction,
        Some((true, Some(target))) => Reacted::On(target),
        Some((true, None)) => Reacted::NotHere,
    })
}

pub(crate) fn upsert_person(conn: &Connection, person: &Person) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO users (id, handle, display_name) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET handle = excluded.handle, display_name = excluded.display_name",
    )?
    .execute((person.id.to_string(), &person.handle, &person.display_name))?;
    Ok(())
}

pub(crate) fn ensure_conversation(
    conn: &Connection,
    conversation: ConversationId,
) -> Result<(), CoreError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?
        .exists([conversation.to_string()])?;
    if found {
        Ok(())
    } else {
        Err(CoreError::UnknownConversation(conversation))
    }
}

/// The conversation a message belongs to, hidden or not.
pub(crate) fn conversation_of(
    conn: &Connection,
    message: MessageId,
) -> Result<ConversationId, CoreError> {
    conn.prepare_cached("SELECT conversation_id FROM messages WHERE id = ?1")?
        .query_row([message.to_string()], |r| sql::id(r, 0))
        .optional()?
        .ok_or(CoreError::UnknownMessage(message))
}
