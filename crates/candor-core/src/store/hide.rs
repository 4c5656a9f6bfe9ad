//! "Delete for me": hiding messages and chats on this device only.
//!
//! A hide is a local fact (`hidden_at`) and nothing else. These functions touch no
//! outbox, no cursor and nothing the sync engine reads, so there is no path from a
//! hide to a frame on the wire; the recipient and the relay keep their copies.

use rusqlite::params;

use candor_protocol::{ConversationId, MessageId};

use super::{
    Store,
    conversations::{MESSAGE_COLUMNS, conversation_of, ensure_conversation, message_from_row},
    sql, summary,
};
use crate::{CoreError, Message};

impl Store {
    /// Hides one message from this device's views. Hiding it again changes nothing.
    pub fn hide_message(&mut self, id: MessageId) -> Result<(), CoreError> {
        self.hide_messages(&[id])
    }

    /// Hides several messages at once, all or none.
    pub fn hide_messages(&mut self, ids: &[MessageId]) -> Result<(), CoreError> {
        let now = sql::ms(self.clock.now());
        let tx = self.conn.transaction()?;
        let mut touched = std::collections::BTreeSet::new();
        for id in ids {
            let conversation = conversation_of(&tx, *id)?;
            tx.execute(
                "UPDATE messages SET hidden_at = ?2, hidden_with = 'message'
                 WHERE id = ?1 AND hidden_at IS NULL",
                params![id.to_string(), now],
            )?;
            touched.insert(conversation);
        }
        for conversation in touched {
            summary::refresh(&tx, conversation, self.me)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Puts a hidden message back where it was.
    pub fn unhide_message(&mut self, id: MessageId) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let conversation = conversation_of(&tx, id)?;
        tx.execute(
            "UPDATE messages SET hidden_at = NULL, hidden_with = NULL WHERE id = ?1",
            [id.to_string()],
        )?;
        // A message restored in a deleted chat brings the chat back with it.
        tx.execute(
            "UPDATE conversations SET hidden_at = NULL WHERE id = ?1",
            [conversation.to_string()],
        )?;
        summary::refresh(&tx, conversation, self.me)?;
        tx.commit()?;
        Ok(())
    }

    /// Removes a whole chat from this device's inbox, hiding every message in it.
    /// A later message brings the chat back showing only what came after.
    pub fn hide_conversation(&mut self, conversation: ConversationId) -> Result<(), CoreError> {
        let now = sql::ms(self.clock.now());
        let tx = self.conn.transaction()?;
        ensure_conversation(&tx, conversation)?;
        tx.execute(
            "UPDATE messages SET hidden_at = ?2, hidden_with = 'conversation'
             WHERE conversation_id = ?1 AND hidden_at IS NULL",
            params![conversation.to_string(), now],
        )?;
        tx.execute(
            "UPDATE conversations SET hidden_at = ?2 WHERE id = ?1 AND hidden_at IS NULL",
            params![conversation.to_string(), now],
        )?;
        summary::refresh(&tx, conversation, self.me)?;
        tx.commit()?;
        Ok(())
    }

    /// Restores a deleted chat and the messages that were hidden with it (messages
    /// hidden one by one stay hidden).
    pub fn unhide_conversation(&mut self, conversation: ConversationId) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        ensure_conversation(&tx, conversation)?;
        tx.execute(
            "UPDATE messages SET hidden_at = NULL, hidden_with = NULL
             WHERE conversation_id = ?1 AND hidden_with = 'conversation'",
            [conversation.to_string()],
        )?;
        tx.execute(
            "UPDATE conversations SET hidden_at = NULL WHERE id = ?1",
            [conversation.to_string()],
        )?;
        summary::refresh(&tx, conversation, self.me)?;
        tx.commit()?;
        Ok(())
    }

    /// The messages of a conversation hidden on this device, newest first.
    pub fn hidden_messages(&self, conversation: ConversationId) -> Result<Vec<Message>, CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        let me = self.me.map(|u| u.to_string());
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN users u ON u.id = m.sender_id
             WHERE m.conversation_id = ?1 AND m.hidden_at IS NOT NULL
             ORDER BY m.position DESC"
        ))?;
        let rows = stmt.query_map([conversation.to_string()], |r| {
            message_from_row(r, me.as_deref())
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
