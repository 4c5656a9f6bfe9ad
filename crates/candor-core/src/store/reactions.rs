//! Reactions: one emoji per person per message, which that person can change
//! or take back. A reaction is written as a message of its chat (schema 16)
//! with a send job, so it leaves, is acknowledged and reaches every member
//! the way a message does; it has no undo-send window (it is small and can
//! be changed), and taking it back is itself sent: the others may already
//! have seen it.

use rusqlite::{OptionalExtension, params};

use candor_protocol::{ConversationId, MessageId, Reaction, UserId};

use super::compose::PENDING_POSITION_BASE;
use super::{Store, sql, summary};
use crate::{CoreError, DeliveryStatus, Message};

impl Store {
    /// Gives `emoji` as this account's reaction to `message` (replacing the
    /// one it gave before), or with None takes its reaction back. Returns the
    /// message with its reactions as they now are here.
    pub fn react(&mut self, message: MessageId, emoji: Option<&str>) -> Result<Message, CoreError> {
        if let Some(e) = emoji
            && !candor_protocol::is_one_emoji(e)
        {
            return Err(CoreError::NotAnEmoji(e.to_owned()));
        }
        let me = self.me()?;
        let now = self.outbox_now()?;
        let tx = self.conn.transaction()?;
        // A message of its chat that is shown here and has reached the relay
        // (the others can only have a message the relay has).
        // Not in a Request (a reaction answers it: Accept first) nor in a
        // group this account left.
        let target: Option<(String, UserId, MessageId)> = tx
            .query_row(
                "SELECT m.conversation_id, m.sender_id, coalesce(m.wire_id, m.id)
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.id = ?1 AND m.hidden_at IS NULL AND m.reaction_json IS NULL
                   AND m.server_id IS NOT NULL AND c.request = 0 AND c.left_at IS NULL",
                [message.to_string()],
                |r| Ok((r.get(0)?, sql::id(r, 1)?, sql::id(r, 2)?)),
            )
            .optional()?;
        let Some((conversation, author, wire)) = target else {
            return Err(CoreError::CantReact(message));
        };
        // Taking back: the emoji being taken back travels with it.
        let body = match emoji {
            Some(e) => e.to_owned(),
            None => {
                let current = mine_now(&tx, &conversation, me, author, wire)?;
                match current {
                    Some(e) => e,
                    // Nothing of ours to take back.
                    None => {
                        drop(tx);
                        return self.message(message);
                    }
                }
            }
        };
        let reaction = serde_json::to_string(&Reaction {
            author,
            message: wire,
            removed: emoji.is_none(),
        })
        .map_err(|e| CoreError::CorruptValue(format!("a reaction: {e}")))?;
        let id = MessageId::new();
        let position: i64 = tx.query_row(
            "SELECT coalesce(max(position) + 1, ?2) FROM messages
             WHERE conversation_id = ?1 AND position >= ?2",
            params![conversation, PENDING_POSITION_BASE],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO messages (id, conversation_id, position, sender_id, body, created_at,
                                   status, wire_id, reaction_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?1, ?8)",
            params![
                id.to_string(),
                conversation,
                position,
                me.to_string(),
                body,
                sql::ms(now),
                DeliveryStatus::Queued.as_sql(),
                reaction,
            ],
        )?;
        tx.execute(
            "INSERT INTO outbox (message_id, not_before, next_attempt_at) VALUES (?1, ?2, ?2)",
            params![id.to_string(), sql::ms(now)],
        )?;
        let chat = conversation
            .parse()
            .map_err(|_| CoreError::CorruptValue(format!("conversation id {conversation:?}")))?;
        summary::refresh(&tx, chat, Some(me))?;
        tx.commit()?;
        self.message(message)
    }
}

impl Store {
    /// The chats where, among the rows `ids`, someone else's reaction to one
    /// of this account's messages is now the chat's preview: given, not taken
    /// back or replaced since, on a message shown here, from someone not
    /// blocked (the preview's own rules, summary::refresh). Only those notify.
    pub fn reactions_to_me(&self, ids: &[MessageId]) -> Result<Vec<ConversationId>, CoreError> {
        let me = self.me()?.to_string();
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.conversation_id FROM messages r
             JOIN conversations c ON c.id = r.conversation_id AND c.last_message_id = r.id
             WHERE r.id = ?1 AND r.reaction_json IS NOT NULL AND r.sender_id != ?2",
        )?;
        let mut chats: Vec<ConversationId> = Vec::new();
        for id in ids {
            let chat: Option<ConversationId> = stmt
                .query_row(params![id.to_string(), me], |r| sql::id(r, 0))
                .optional()?;
            if let Some(chat) = chat
                && !chats.contains(&chat)
            {
                chats.push(chat);
            }
        }
        Ok(chats)
    }
}

/// The emoji `me` gives the message now (the latest of my reactions on it,
/// unless that took it back).
fn mine_now(
    tx: &rusqlite::Connection,
    conversation: &str,
    me: UserId,
    author: UserId,
    wire: MessageId,
) -> Result<Option<String>, CoreError> {
    let latest: Option<(String, bool)> = tx
        .query_row(
            "SELECT body, coalesce(json_extract(reaction_json, '$.removed'), 0) FROM messages
             WHERE reaction_json IS NOT NULL AND conversation_id = ?1 AND sender_id = ?2
               AND status != 'failed' AND erased_at IS NULL
               AND reacts_to_author = ?3
               AND reacts_to = ?4
             ORDER BY position DESC LIMIT 1",
            params![
                conversation,
                me.to_string(),
                author.to_string(),
                wire.to_string()
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(latest.and_then(|(emoji, removed)| (!removed).then_some(emoji)))
}
