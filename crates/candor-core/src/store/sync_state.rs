//! What the sync engine reads and writes in the store: due send jobs, their
//! outcomes, the catch-up position, the epochs our messages were acknowledged
//! in, and read positions. Hides never touch any of it.
//!
//! On the wire a message of ours is named by its wire id (the client id it was
//! first sent with), which is also the row's id for everything written on this
//! device; the functions taking a wire id find the row by it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use candor_protocol::frames::{EpochKept, Recipient, StreamPosition};
use candor_protocol::{
    ConversationId, EpochId, MessageId, MessageText, ServerMessageId, UserId, VideoCard,
};

use super::receive::{make_room, note_epoch, requeue};
use super::{Store, conversations::conversation_of, copies, sql, summary};
use crate::{CoreError, OutboxEntry};

/// The catch-up cursor's stream name.
const ACCOUNT_STREAM: &str = "account";

/// A send job with what the wire needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSend {
    pub entry: OutboxEntry,
    /// The id the relay knows it by (see the module docs).
    pub wire_id: MessageId,
    pub to: Recipient,
    pub text: MessageText,
    pub card: Option<VideoCard>,
    /// The message it replies to, quoted.
    pub reply: Option<candor_protocol::Quote>,
    /// Set when it is a reaction (`text` is its emoji).
    pub reaction: Option<candor_protocol::Reaction>,
    /// Its photos (`text` is their caption).
    pub photos: Vec<candor_protocol::PhotoRef>,
    /// Whether they are on the relay: until they are, the message waits.
    pub photos_uploaded: bool,
}

impl Store {
    /// The send job to start next in each conversation: its oldest, if its undo
    /// window has passed and its retry time has come. With what the wire needs.
    pub fn due_sends(&self, now: DateTime<Utc>) -> Result<Vec<PendingSend>, CoreError> {
        // Waits moved by any step of the wall clock first (clock_steps).
        self.outbox_now()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.message_id, m.conversation_id, o.attempts, o.not_before, o.next_attempt_at,
                    c.kind, c.peer_id, m.body, m.card_json, coalesce(m.wire_id, m.id),
                    m.reply_json, m.reaction_json, m.photos_json, o.photos_uploaded
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
                sql::id(r, 9)?,
                sql::json::<candor_protocol::Quote>(r, 10)?,
                sql::json::<candor_protocol::Reaction>(r, 11)?,
                (super::photos::read(r, 12)?, r.get::<_, bool>(13)?),
            ))
        })?;
        let mut out = Vec::new();
        let mut unsendable = Vec::new();
        for row in rows {
            let (entry, to, body, card, wire_id, reply, reaction, (photos, photos_uploaded)) = row?;
            // A row that is no message to send (its text emptied) fails
            // alone; it must not stop every chat's sends.
            let text = match photos.is_empty() {
                true => MessageText::new(body),
                false => MessageText::caption(body),
            };
            let Ok(text) = text else {
                unsendable.push(entry.message_id);
                continue;
            };
            out.push(PendingSend {
                entry,
                wire_id,
                to,
                text,
                card,
                reply,
                reaction,
                photos,
                photos_uploaded,
            });
        }
        drop(stmt);
        for id in unsendable {
            tracing::warn!(%id, "a queued message has no text to send; marked not sent");
            self.conn.execute(
                "UPDATE messages SET status = 'failed' WHERE id = ?1 AND server_id IS NULL",
                [id.to_string()],
            )?;
            self.conn
                .execute("DELETE FROM outbox WHERE message_id = ?1", [id.to_string()])?;
        }
        Ok(out)
    }

    /// The relay stored our message (`wire_id`) at `at` in its stream: record
    /// its server id, seq, time and place, and drop the job. The relay's time
    /// replaces this device's: it is the time every other member sees, whatever
    /// this device's clock said. Another message here at that seq is one the
    /// relay lost, and makes room (see `receive::make_room`).
    pub fn acknowledge(
        &mut self,
        wire_id: MessageId,
        server_id: ServerMessageId,
        seq: i64,
        sent_at: DateTime<Utc>,
        at: StreamPosition,
    ) -> Result<MessageId, CoreError> {
        let me = self.me;
        let now = sql::ms(self.clock.now());
        let tx = self.conn.transaction()?;
        let message = own_by_wire(&tx, me, wire_id)?;
        let conversation = conversation_of(&tx, message)?;
        let unacknowledged: bool = tx
            .prepare_cached("SELECT server_id IS NULL FROM messages WHERE id = ?1")?
            .query_row([message.to_string()], |r| r.get(0))?;
        if unacknowledged {
            make_room(&tx, conversation, seq, Some(message), me, now)?;
        }
        let epoch = at.epoch.to_string();
        let changed = tx.execute(
            "UPDATE messages SET server_id = ?2, seq = ?3, position = ?3, created_at = ?4,
                 status = CASE WHEN status IN ('queued', 'failed') THEN 'sent' ELSE status END,
                 ack_epoch = ?5, ack_cursor = ?6
             WHERE id = ?1 AND server_id IS NULL",
            params![
                message.to_string(),
                server_id.to_string(),
                seq,
                sql::ms(sent_at),
                epoch,
                at.cursor as i64,
            ],
        )?;
        if changed == 1 {
            note_epoch(&tx, &epoch, now)?;
        }
        tx.execute(
            "DELETE FROM outbox WHERE message_id = ?1",
            [message.to_string()],
        )?;
        summary::refresh(&tx, conversation, self.me)?;
        tx.commit()?;
        Ok(message)
    }

    /// Sending `wire_id` failed for a reason a retry may fix: try again
    /// `after` a while.
    pub fn retry_later(
        &mut self,
        wire_id: MessageId,
        after: chrono::Duration,
        reason: &str,
    ) -> Result<(), CoreError> {
        let message = own_by_wire(&self.conn, self.me, wire_id)?;
        let retry_at = self.outbox_now()? + after;
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
             WHERE message_id = ?1",
            params![message.to_string(), sql::ms(retry_at), reason],
        )?;
        Ok(())
    }

    /// The relay refused `wire_id` for good: mark it failed and drop its job,
    /// so the user sees it and can retry. Returns the row's id.
    pub fn mark_failed(&mut self, wire_id: MessageId) -> Result<MessageId, CoreError> {
        let message = own_by_wire(&self.conn, self.me, wire_id)?;
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
        Ok(message)
    }

    /// Puts a failed message back in the outbox, to send now. An erased one has
    /// nothing left to send.
    pub fn retry_send(&mut self, message: MessageId) -> Result<(), CoreError> {
        let now = sql::ms(self.outbox_now()?);
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE messages SET status = 'queued'
             WHERE id = ?1 AND status = 'failed' AND erased_at IS NULL",
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
    /// Where the member's position moved on is kept for the Info view.
    /// Returns the messages whose status moved, for the notice.
    pub fn apply_receipt(
        &mut self,
        conversation: ConversationId,
        member: UserId,
        delivered_seq: i64,
        read_seq: i64,
    ) -> Result<Vec<MessageId>, CoreError> {
        let me = self.me()?.to_string();
        let now = sql::ms(self.clock.now());
        let tx = self.conn.transaction()?;
        copies::mark_receipt(&tx, conversation, member, delivered_seq, read_seq, now)?;
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

    /// Read positions the relay has not been told yet (a chat read while
    /// offline, or whose report was lost with the connection), oldest chat first.
    ///
    /// Not those of a Request, nor of a direct chat with someone blocked: a
    /// receipt there would tell a stranger, or the person blocked, that this
    /// account is here and reading. A Request's position is reported once it
    /// is accepted.
    pub fn unreported_reads(&self) -> Result<Vec<(ConversationId, i64)>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.read_seq FROM conversations c
             LEFT JOIN users p ON p.id = c.peer_id
             WHERE c.read_seq > c.read_reported_seq
               AND c.request = 0 AND coalesce(p.blocked, 0) = 0
             ORDER BY c.created_at, c.id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((sql::id(r, 0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Of `chats`, those whose senders may be told a message arrived here:
    /// not Requests, and not direct chats with someone blocked (see
    /// [`Store::unreported_reads`]).
    pub fn may_acknowledge(
        &self,
        chats: impl IntoIterator<Item = ConversationId>,
    ) -> Result<Vec<ConversationId>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.request = 0 AND coalesce(p.blocked, 0) = 0 FROM conversations c
             LEFT JOIN users p ON p.id = c.peer_id WHERE c.id = ?1",
        )?;
        let mut allowed = Vec::new();
        for chat in chats {
            let ok: Option<bool> = stmt
                .query_row([chat.to_string()], |r| r.get(0))
                .optional()?;
            if ok == Some(true) {
                allowed.push(chat);
            }
        }
        Ok(allowed)
    }

    /// The relay holds `read_seq` as this account's read position in
    /// `conversation`: told by this device (the answer to its report) or by
    /// another of the account's devices. The position here moves up to it and
    /// counts as reported up to it; a position beyond it is reported again.
    /// True if this device's read position moved.
    pub fn apply_own_read(
        &mut self,
        conversation: ConversationId,
        read_seq: i64,
    ) -> Result<bool, CoreError> {
        let tx = self.conn.transaction()?;
        let moved = tx.execute(
            "UPDATE conversations SET read_seq = ?2 WHERE id = ?1 AND read_seq < ?2",
            params![conversation.to_string(), read_seq],
        )?;
        tx.execute(
            "UPDATE conversations SET read_reported_seq = max(read_reported_seq, ?2) WHERE id = ?1",
            params![conversation.to_string(), read_seq],
        )?;
        if moved == 1 {
            summary::refresh(&tx, conversation, self.me)?;
        }
        tx.commit()?;
        Ok(moved == 1)
    }

    /// Where catch-up resumes: the relay's stream position last applied, in
    /// the epoch it belongs to; None to start from the beginning.
    pub fn sync_position(&self) -> Result<Option<StreamPosition>, CoreError> {
        let row: Option<(i64, Option<String>)> = self
            .conn
            .query_row(
                "SELECT position, epoch FROM sync_cursors WHERE stream = ?1",
                [ACCOUNT_STREAM],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((cursor, Some(epoch))) if cursor > 0 => Some(StreamPosition {
                epoch: EpochId(
                    epoch
                        .parse()
                        .map_err(|_| CoreError::CorruptValue(format!("relay epoch {epoch}")))?,
                ),
                cursor: cursor as u64,
            }),
            _ => None,
        })
    }

    /// Records the stream position after applying what came before it: in the
    /// same epoch it never moves backwards; a new epoch replaces it.
    pub fn set_sync_position(&mut self, at: StreamPosition) -> Result<(), CoreError> {
        let now = sql::ms(self.clock.now());
        self.conn.execute(
            "INSERT INTO sync_cursors (stream, position, updated_at, epoch) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (stream) DO UPDATE SET
                 position = CASE WHEN epoch IS excluded.epoch
                                 THEN max(position, excluded.position) ELSE excluded.position END,
                 epoch = excluded.epoch, updated_at = excluded.updated_at",
            params![ACCOUNT_STREAM, at.cursor as i64, now, at.epoch.to_string()],
        )?;
        Ok(())
    }

    /// Sets the stream position to exactly `at`, as the relay says after a
    /// catch-up: a relay restored from an older copy has a shorter stream, and
    /// the position must follow it back.
    pub fn reset_sync_position(&mut self, at: StreamPosition) -> Result<(), CoreError> {
        let now = sql::ms(self.clock.now());
        self.conn.execute(
            "INSERT INTO sync_cursors (stream, position, updated_at, epoch) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (stream) DO UPDATE SET position = excluded.position,
                 epoch = excluded.epoch, updated_at = excluded.updated_at",
            params![ACCOUNT_STREAM, at.cursor as i64, now, at.epoch.to_string()],
        )?;
        Ok(())
    }

    /// The epochs our messages were acknowledged in, most recently used first,
    /// at most `limit`: what a catch-up asks the relay about.
    pub fn acked_epochs(&self, limit: usize) -> Result<Vec<EpochId>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT epoch FROM acked_epochs ORDER BY last_acked_at DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |r| sql::id(r, 0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The relay says how much of each epoch it still holds: our messages
    /// acknowledged past that go back to the outbox, to be offered again under
    /// the same wire id. Returns them, oldest first.
    pub fn reoffer_lost(&mut self, kept: &[EpochKept]) -> Result<Vec<MessageId>, CoreError> {
        let now = sql::ms(self.clock.now());
        let me = self.me()?.to_string();
        let tx = self.conn.transaction()?;
        let mut lost: Vec<(MessageId, ConversationId)> = Vec::new();
        for k in kept {
            let mut stmt = tx.prepare_cached(
                "SELECT id, conversation_id FROM messages
                 WHERE ack_epoch = ?1 AND ack_cursor > ?2 AND sender_id = ?3
                 ORDER BY ack_cursor",
            )?;
            let through = k.through.map_or(-1, |t| t as i64);
            let rows = stmt.query_map(params![k.epoch.to_string(), through, me], |r| {
                Ok((sql::id(r, 0)?, sql::id(r, 1)?))
            })?;
            for row in rows {
                lost.push(row?);
            }
        }
        let mut chats = std::collections::BTreeSet::new();
        for (id, conversation) in &lost {
            requeue(&tx, *id, now)?;
            chats.insert(*conversation);
        }
        for conversation in chats {
            summary::refresh(&tx, conversation, self.me)?;
        }
        tx.commit()?;
        Ok(lost.into_iter().map(|(id, _)| id).collect())
    }
}

/// The row of our own message the relay knows as `wire_id`.
fn own_by_wire(
    conn: &rusqlite::Connection,
    me: Option<UserId>,
    wire_id: MessageId,
) -> Result<MessageId, CoreError> {
    let me = me.ok_or(CoreError::NotSignedIn)?;
    conn.prepare_cached("SELECT id FROM messages WHERE sender_id = ?1 AND wire_id = ?2")?
        .query_row([me.to_string(), wire_id.to_string()], |r| sql::id(r, 0))
        .optional()?
        .ok_or(CoreError::UnknownMessage(wire_id))
}
