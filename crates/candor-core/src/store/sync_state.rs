//! What the sync engine reads and writes in the store: due send jobs, their
//! outcomes, and the catch-up cursor. Hides never touch any of it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use candor_protocol::frames::Recipient;
use candor_protocol::{ConversationId, MessageId, MessageText, ServerMessageId, UserId, VideoCard};

use super::{Store, conversations::conversation_of, sql, summary};
use crate::{CoreError, OutboxEntry};

/// The catch-up cursor's stream name.
const ACCOUNT_STREAM: &str = "account";

/// A send job with what the wire needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSend {
    pub entry: OutboxEntry,
    pub to: Recipient,
    pub text: MessageText,
    pub card: Option<VideoCard>,
}

impl Store {
    /// The send job to start next in each conversation: its oldest, if its undo
    /// window has passed and its retry time has come. With what the wire needs.
    pub fn due_sends(&self, now: DateTime<Utc>) -> Result<Vec<PendingSend>, CoreError> {
        // Waits moved by any step of the wall clock first (clock_steps).
        self.outbox_now()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.message_id, m.conversation_id, o.attempts, o.not_before, o.next_attempt_at,
                    c.kind, c.peer_id, m.body, m.card_json
             FROM outbox o JOIN messages m ON m.id = o.message_id
             JOIN conversations c ON c.id = m.conversation_id
             WHERE o.not_before <= ?1 AND o.next_attempt_at <= ?1
               -- Only a conversation's oldest job: a later message never overtakes
               -- one that waits for a retry.
               AND m.position = (SELECT min(m2.position) FROM outbox o2
                                 JOIN messages m2 ON m2.id = o2.message_id
                                 WHERE m2.conversation_id = m.conversation_id)
             ORDER BY m.conversation_id, m.position",
        )?;
        let rows = stmt.query_map([sql::ms(now)], |r| {
            let conversation: ConversationId = sql::id(r, 1)?;
            let kind: String = r.get(5)?;
            let peer: Option<UserId> = sql::opt_id(r, 6)?;
            let body: String = r.get(7)?;
            Ok((
                OutboxEntry {
                    message_id: sql::id(r, 0)?,
                    conversation_id: conversation,
                    attempts: r.get(2)?,
                    not_before: sql::time(r, 3)?,
                    next_attempt_at: sql::time(r, 4)?,
                },
                match (kind.as_str(), peer) {
                    ("direct", Some(user)) => Recipient::Direct { user },
                    _ => Recipient::Conversation { id: conversation },
                },
                body,
                sql::json::<VideoCard>(r, 8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (entry, to, body, card) = row?;
            let text = MessageText::new(body)?;
            out.push(PendingSend {
                entry,
                to,
                text,
                card,
            });
        }
        Ok(out)
    }

    /// The relay stored our message: record its server id, seq and time, and
    /// drop the job. The relay's time replaces this device's: it is the time
    /// every other member sees, whatever this device's clock said.
    pub fn acknowledge(
        &mut self,
        message: MessageId,
        server_id: ServerMessageId,
        seq: i64,
        sent_at: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let conversation = conversation_of(&tx, message)?;
        tx.execute(
            "UPDATE messages SET server_id = ?2, seq = ?3, position = ?3, created_at = ?4,
                 status = CASE WHEN status IN ('queued', 'failed') THEN 'sent' ELSE status END
             WHERE id = ?1 AND server_id IS NULL",
            params![
                message.to_string(),
                server_id.to_string(),
                seq,
                sql::ms(sent_at)
            ],
        )?;
        tx.execute(
            "DELETE FROM outbox WHERE message_id = ?1",
            [message.to_string()],
        )?;
        summary::refresh(&tx, conversation, self.me)?;
        tx.commit()?;
        Ok(())
    }

    /// Sending failed for a reason a retry may fix: try again `after` a while.
    pub fn retry_later(
        &mut self,
        message: MessageId,
        after: chrono::Duration,
        reason: &str,
    ) -> Result<(), CoreError> {
        let retry_at = self.outbox_now()? + after;
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
             WHERE message_id = ?1",
            params![message.to_string(), sql::ms(retry_at), reason],
        )?;
        Ok(())
    }

    /// The relay refused the message for good: mark it failed and drop its job, so
    /// the user sees it and can retry.
    pub fn mark_failed(&mut self, message: MessageId) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE messages SET status = 'failed' WHERE id = ?1 AND server_id IS NULL",
            [message.to_string()],
        )?;
        if changed == 0 {
            return Err(CoreError::UnknownMessage(message));
        }
        tx.execute(
            "DELETE FROM outbox WHERE message_id = ?1",
            [message.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Puts a failed message back in the outbox, to send now.
    pub fn retry_send(&mut self, message: MessageId) -> Result<(), CoreError> {
        let now = sql::ms(self.outbox_now()?);
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE messages SET status = 'queued' WHERE id = ?1 AND status = 'failed'",
            [message.to_string()],
        )?;
        if changed == 0 {
            return Err(CoreError::UnknownMessage(message));
        }
        tx.execute(
            "INSERT INTO outbox (message_id, not_before, next_attempt_at) VALUES (?1, ?2, ?2)
             ON CONFLICT (message_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at",
            params![message.to_string(), now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Another member has received (and read) the conversation through these seqs:
    /// our messages up to them are delivered (and seen). Statuses never go back.
    /// Returns the messages whose status moved, for the notice.
    pub fn apply_receipt(
        &mut self,
        conversation: ConversationId,
        delivered_seq: i64,
        read_seq: i64,
    ) -> Result<Vec<MessageId>, CoreError> {
        let me = self.me()?.to_string();
        let tx = self.conn.transaction()?;
        let mut moved: Vec<MessageId> = Vec::new();
        for (status, from, through) in [
            ("read", "('sent', 'delivered')", read_seq),
            ("delivered", "('sent')", delivered_seq.max(read_seq)),
        ] {
            let mut stmt = tx.prepare_cached(&format!(
                "UPDATE messages SET status = '{status}'
                 WHERE conversation_id = ?1 AND sender_id = ?2 AND seq <= ?3
                   AND status IN {from}
                 RETURNING id"
            ))?;
            let ids = stmt.query_map(params![conversation.to_string(), me, through], |r| {
                sql::id(r, 0)
            })?;
            for id in ids {
                moved.push(id?);
            }
        }
        tx.commit()?;
        Ok(moved)
    }

    /// Sets the stream position to exactly `cursor`, as the relay says after a
    /// catch-up: a relay restored from an older backup has a shorter stream, and
    /// the position must follow it back.
    pub fn reset_sync_cursor(&mut self, cursor: u64) -> Result<(), CoreError> {
        let now = sql::ms(self.clock.now());
        self.conn.execute(
            "INSERT INTO sync_cursors (stream, position, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (stream) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
            params![ACCOUNT_STREAM, cursor as i64, now],
        )?;
        Ok(())
    }

    /// Read positions the relay has not been told yet (a chat read while
    /// offline, or whose report was lost with the connection), oldest chat first.
    pub fn unreported_reads(&self) -> Result<Vec<(ConversationId, i64)>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, read_seq FROM conversations WHERE read_seq > read_reported_seq
             ORDER BY created_at, id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((sql::id(r, 0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records that the relay was told each read position in `reads`.
    pub fn reads_reported(&mut self, reads: &[(ConversationId, i64)]) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE conversations SET read_reported_seq = max(read_reported_seq, ?2) WHERE id = ?1",
            )?;
            for (conversation, seq) in reads {
                stmt.execute(params![conversation.to_string(), seq])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Where catch-up resumes: the relay's stream position last applied.
    pub fn sync_cursor(&self) -> Result<u64, CoreError> {
        let v: Option<i64> = self
            .conn
            .query_row(
                "SELECT position FROM sync_cursors WHERE stream = ?1",
                [ACCOUNT_STREAM],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.unwrap_or(0).max(0) as u64)
    }

    /// Records the stream position after applying what came before it. Never moves
    /// backwards.
    pub fn set_sync_cursor(&mut self, cursor: u64) -> Result<(), CoreError> {
        let now = sql::ms(self.clock.now());
        self.conn.execute(
            "INSERT INTO sync_cursors (stream, position, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (stream) DO UPDATE SET
                 position = max(position, excluded.position), updated_at = excluded.updated_at",
            params![ACCOUNT_STREAM, cursor as i64, now],
        )?;
        Ok(())
    }
}
