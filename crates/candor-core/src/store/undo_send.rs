//! Undo send: the one honest way to take a message back. A new message waits in
//! the outbox until its undo-send window ends (`outbox.not_before`, written with
//! the message in one transaction, so the window survives a quit or a crash).
//! Until then it has not left the device, and Undo deletes it for real: the
//! relay never learns of it. After that, undoing is refused with `TooLate`,
//! because nobody can take back a message that has been sent.

use rusqlite::{OptionalExtension, params};

use candor_protocol::{ConversationId, MessageId};

use super::{Store, drafts, sql, summary};
use crate::{CoreError, Draft, UndoSendWindow};

const UNDO_SEND: &str = "undo_send_seconds";

impl Store {
    /// This device's undo-send window (5 seconds unless changed).
    pub fn undo_send_window(&self) -> Result<UndoSendWindow, CoreError> {
        Ok(self
            .preference(UNDO_SEND)?
            .and_then(|v| v.parse().ok())
            .and_then(UndoSendWindow::from_seconds)
            .unwrap_or_default())
    }

    /// Sets the window for messages written from now on; messages already
    /// waiting keep the window they were written with.
    pub fn set_undo_send_window(&mut self, window: UndoSendWindow) -> Result<(), CoreError> {
        self.set_preference(UNDO_SEND, &window.seconds().to_string())
    }

    /// Takes back a message still inside its undo-send window: it is deleted
    /// from this device with its send job, and what was written is returned so
    /// that the composer can have it back. A message shared to several chats at
    /// once is taken back from all of them, or (too late for one) from none.
    ///
    /// The text also goes back into the chat's draft (ahead of anything typed
    /// since), in the same transaction, so it survives a crash right after
    /// Undo. A share's note does not: it was never in a composer.
    ///
    /// The words leave this device's files too, not just its lists: the row's
    /// freed space is zeroed (secure_delete), the search index forgets its
    /// terms at once (FTS5 secure-delete), and the write-ahead log, which
    /// still holds the pages that had them, is emptied.
    pub fn undo_send(&mut self, id: MessageId) -> Result<Draft, CoreError> {
        let draft = self.take_back(id, true)?;
        self.scrub_log_after_take_back();
        Ok(draft)
    }

    /// Empties the log after a take-back. The message is already gone from
    /// every list, so a failure here does not undo the Undo: with one
    /// connection per profile the log is never held, and SQLite's own
    /// checkpoints would empty it later.
    fn scrub_log_after_take_back(&self) {
        if let Err(e) = self.scrub_log() {
            tracing::warn!("the log still holds a message taken back: {e}");
        }
    }

    fn take_back(&mut self, id: MessageId, keep_as_draft: bool) -> Result<Draft, CoreError> {
        let now = sql::ms(self.outbox_now()?);
        let tx = self.conn.transaction()?;
        let row: Option<(String, Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT body, card_json, share_id FROM messages WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((text, card_json, share)) = row else {
            return Err(CoreError::UnknownMessage(id));
        };
        // The message and, for a share, every message of it.
        let mut stmt = tx.prepare_cached(
            "SELECT m.id, m.conversation_id, o.not_before
             FROM messages m LEFT JOIN outbox o ON o.message_id = m.id
             WHERE m.id = ?1 OR (?2 IS NOT NULL AND m.share_id = ?2)",
        )?;
        let taken: Vec<(String, String, Option<i64>)> = stmt
            .query_map(params![id.to_string(), share], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        if taken
            .iter()
            .any(|(_, _, not_before)| not_before.is_none_or(|t| t <= now))
        {
            return Err(CoreError::TooLate(id));
        }
        let card = card_json
            .map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(|e| CoreError::CorruptValue(format!("stored video card: {e}")))?;
        for (message, conversation, _) in &taken {
            // The send job goes with it (ON DELETE CASCADE), and so do its terms
            // in the search index (a trigger).
            tx.execute("DELETE FROM messages WHERE id = ?1", [message])?;
            let conversation: ConversationId = conversation.parse().map_err(|_| {
                CoreError::CorruptValue(format!("conversation id {conversation:?}"))
            })?;
            summary::refresh(&tx, conversation, self.me)?;
            if keep_as_draft && share.is_none() {
                drafts::restore_into_draft(&tx, conversation, &text, now)?;
            }
        }
        tx.commit()?;
        Ok(Draft { text, card })
    }

    /// Messages still inside their undo-send window, oldest first: what a quit
    /// would leave waiting.
    pub fn waiting_to_send(&self) -> Result<Vec<MessageId>, CoreError> {
        let now = sql::ms(self.outbox_now()?);
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.message_id FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE o.not_before > ?1 ORDER BY m.created_at, m.position",
        )?;
        let rows = stmt.query_map([now], |r| sql::id(r, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ends every undo-send window now ("Send now" when quitting); returns how
    /// many messages it released.
    pub fn send_waiting_now(&mut self) -> Result<usize, CoreError> {
        let now = sql::ms(self.outbox_now()?);
        Ok(self.conn.execute(
            "UPDATE outbox SET not_before = ?1, next_attempt_at = min(next_attempt_at, ?1)
             WHERE not_before > ?1",
            params![now],
        )?)
    }

    /// Takes back every message still inside its window ("Discard" when
    /// quitting); returns how many.
    pub fn discard_waiting(&mut self) -> Result<usize, CoreError> {
        let waiting = self.waiting_to_send()?;
        for id in &waiting {
            // Discarded means gone: nothing goes back into a draft.
            match self.take_back(*id, false) {
                // Taken back already, with the rest of its share.
                Ok(_) | Err(CoreError::UnknownMessage(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if !waiting.is_empty() {
            self.scrub_log_after_take_back();
        }
        Ok(waiting.len())
    }
}
