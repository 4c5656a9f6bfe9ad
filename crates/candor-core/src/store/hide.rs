//! "Delete for me": hiding messages and chats on this device only.
//!
//! A hide is a local fact (`hidden_at`) and nothing else. These functions touch no
//! outbox, no cursor and nothing the sync engine reads, so there is no path from a
//! hide to a frame on the wire; the recipient and the relay keep their copies.

use rusqlite::params;

use candor_protocol::{ConversationId, MessageId};

use super::{
    Store,
    conversations::{
        MESSAGE_COLUMNS, REPLY_JOINS, conversation_of, ensure_conversation, message_from_row,
    },
    photos, sql, summary,
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
        self.unhide_messages(&[id])
    }

    /// Puts hidden messages back where they were (the toast's Undo, Restore), all
    /// or none. An erased message has no text left to show and is refused.
    pub fn unhide_messages(&mut self, ids: &[MessageId]) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let mut touched = std::collections::BTreeSet::new();
        for id in ids {
            let conversation = conversation_of(&tx, *id)?;
            let erased: bool = tx.query_row(
                "SELECT erased_at IS NOT NULL FROM messages WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )?;
            if erased {
                return Err(CoreError::Erased(*id));
            }
            tx.execute(
                "UPDATE messages SET hidden_at = NULL, hidden_with = NULL WHERE id = ?1",
                [id.to_string()],
            )?;
            // A message restored in a deleted chat brings the chat back with it.
            tx.execute(
                "UPDATE conversations SET hidden_at = NULL WHERE id = ?1",
                [conversation.to_string()],
            )?;
            touched.insert(conversation);
        }
        for conversation in touched {
            summary::refresh(&tx, conversation, self.me)?;
        }
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
             WHERE conversation_id = ?1 AND hidden_with = 'conversation' AND erased_at IS NULL",
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

    /// The messages of a conversation hidden on this device and not erased (the
    /// ones Restore can bring back), newest first.
    pub fn hidden_messages(&self, conversation: ConversationId) -> Result<Vec<Message>, CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        let me = self.me.map(|u| u.to_string());
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN users u ON u.id = m.sender_id {REPLY_JOINS}
             WHERE m.conversation_id = ?1 AND m.hidden_at IS NOT NULL AND m.erased_at IS NULL
               AND m.reaction_json IS NULL
             ORDER BY m.position DESC"
        ))?;
        let rows = stmt.query_map([conversation.to_string()], |r| {
            message_from_row(r, me.as_deref())
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// "Erase from this device": removes the text, card and photos (their
    /// files too) of every hidden message
    /// in the conversation from the database file, the full-text index and the
    /// write-ahead log, and returns how many were erased. Nothing is sent: every
    /// other member keeps their copy.
    ///
    /// The excerpt every reply here keeps of an erased message goes too.
    ///
    /// A message that was never sent ("Not sent") is erased too: nothing will
    /// send it now, and Retry refuses it. Messages still waiting to be sent
    /// keep their text (the send needs it) and are erased by a later erase,
    /// once sent. The rows stay, empty, so that the relay re-delivering one is
    /// seen as a duplicate.
    pub fn erase_hidden(&mut self, conversation: ConversationId) -> Result<usize, CoreError> {
        let now = sql::ms(self.clock.now());
        let tx = self.conn.transaction()?;
        ensure_conversation(&tx, conversation)?;
        const ERASABLE: &str = "hidden_at IS NOT NULL AND erased_at IS NULL
               AND (server_id IS NOT NULL OR status = 'failed') AND reaction_json IS NULL";
        let photos = photos::of_erased(&tx, &conversation.to_string(), ERASABLE)?;
        let erased = tx.execute(
            &format!(
                "UPDATE messages SET body = '', card_json = NULL, reply_json = NULL,
                                     photos_json = NULL, erased_at = ?2
                 WHERE conversation_id = ?1 AND {ERASABLE}"
            ),
            params![conversation.to_string(), now],
        )?;
        tx.execute(
            "DELETE FROM message_photos WHERE message_id IN
                 (SELECT id FROM messages WHERE conversation_id = ?1 AND erased_at = ?2)",
            params![conversation.to_string(), now],
        )?;
        // Their photos' files go too, unless a message still here names one
        // (the same photo sent again, or in another chat). Before the commit:
        // a failure leaves the messages as they were, not words gone and
        // photos kept.
        photos::forget_unnamed(&tx, &self.photos, &photos)?;
        // A reply keeps an excerpt of what it quotes: the words of an erased
        // message go from every reply that quoted them here too.
        tx.execute(
            "UPDATE messages SET reply_json = json_set(reply_json, '$.excerpt', '')
             WHERE conversation_id = ?1 AND reply_json IS NOT NULL
               AND json_extract(reply_json, '$.excerpt') != ''
               AND EXISTS (SELECT 1 FROM messages q
                           WHERE q.conversation_id = ?1 AND q.erased_at IS NOT NULL
                             AND q.sender_id = json_extract(messages.reply_json, '$.author')
                             AND q.wire_id = json_extract(messages.reply_json, '$.message'))",
            [conversation.to_string()],
        )?;
        // The search index already forgot these messages' terms when they
        // were hidden (secure-delete, schema 14).
        tx.commit()?;
        self.scrub_log()?;
        Ok(erased)
    }

    /// Empties the write-ahead log, which still holds pages as they were before
    /// the last writes: they are checkpointed into the file (where
    /// secure_delete zeroed the freed space) and the log is truncated. Fails
    /// with [`CoreError::EraseIncomplete`] when a reader holds the log.
    pub(crate) fn scrub_log(&self) -> Result<(), CoreError> {
        let (busy, _, _): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        if busy != 0 {
            return Err(CoreError::EraseIncomplete);
        }
        Ok(())
    }
}
