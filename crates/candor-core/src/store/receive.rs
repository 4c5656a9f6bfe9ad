//! Applying messages that the relay delivered: exactly once in the store, whatever
//! happens on the wire, in the relay's order.
//!
//! A message already here (same server id) is ignored, which is also why a
//! re-sync can never bring a hidden message back: the stored row, with its
//! `hidden_at`, is left as it is. A message here under another server id but
//! with the same sender and wire id is the same message, stored again by a
//! relay that had lost it: the row moves to its new seq.
//!
//! The relay's seq is the order every member converges on, so a delivered
//! message always takes its seq. A different message holding that seq here is
//! one the relay lost (it was restored from an older copy and numbered new
//! messages again): it makes room (see [`make_room`]) rather than the relay's
//! message being dropped, and never acknowledged as delivered while not stored.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::{ConversationId, DeliveredMessage, EpochId, UserId};

use super::compose::PENDING_POSITION_BASE;
use super::{Store, conversations::ensure_conversation, copies, sql, summary};
use candor_protocol::MessageId;

use crate::{ApplyOutcome, CoreError, DeliveryStatus};

impl Store {
    /// Stores a batch of delivered messages in one transaction. The batch is checked
    /// first: if any names a conversation this device does not know, nothing is
    /// written.
    pub fn apply_received(
        &mut self,
        batch: &[DeliveredMessage],
    ) -> Result<ApplyOutcome, CoreError> {
        let placed: Vec<_> = batch.iter().map(|m| (None, m)).collect();
        self.apply_placed(&placed)
    }

    /// Like [`Store::apply_received`], for messages at `cursor`s of the relay's
    /// stream in `epoch` (None: found by a fetch, at no known place): our own
    /// among them remember where the relay holds them, so that they are
    /// offered again if it loses them.
    pub fn apply_delivered(
        &mut self,
        epoch: EpochId,
        batch: &[(Option<u64>, DeliveredMessage)],
    ) -> Result<ApplyOutcome, CoreError> {
        let placed: Vec<_> = batch
            .iter()
            .map(|(c, m)| (c.map(|c| (epoch, c)), m))
            .collect();
        self.apply_placed(&placed)
    }

    fn apply_placed(
        &mut self,
        batch: &[(Option<(EpochId, u64)>, &DeliveredMessage)],
    ) -> Result<ApplyOutcome, CoreError> {
        let me = self.me;
        let now = sql::ms(self.clock.now());
        let tx = self.conn.transaction()?;
        let touched: BTreeSet<_> = batch.iter().map(|(_, m)| m.conversation_id).collect();
        for conversation in &touched {
            ensure_conversation(&tx, *conversation)?;
        }

        let mut outcome = ApplyOutcome::default();
        {
            let mut by_server_id =
                tx.prepare_cached("SELECT 1 FROM messages WHERE server_id = ?1")?;
            let mut by_wire_id =
                tx.prepare_cached("SELECT id FROM messages WHERE sender_id = ?1 AND wire_id = ?2")?;
            let mut placed = tx.prepare_cached(
                "UPDATE messages SET server_id = ?2, seq = ?3, position = ?3,
                     status = CASE WHEN status IN ('queued', 'failed') THEN 'sent' ELSE status END,
                     ack_epoch = coalesce(?4, ack_epoch), ack_cursor = coalesce(?5, ack_cursor)
                 WHERE id = ?1",
            )?;
            let mut drop_job = tx.prepare_cached("DELETE FROM outbox WHERE message_id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (id, conversation_id, server_id, seq, position, sender_id,
                                       body, card_json, created_at, status, wire_id,
                                       ack_epoch, ack_cursor, reply_json, reaction_json,
                                       photos_json)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?;
            let mut revive = tx.prepare_cached(
                "UPDATE conversations SET hidden_at = NULL
                 WHERE id = ?1 AND hidden_at IS NOT NULL",
            )?;

            for (at, m) in batch {
                let server_id = m.server_id.to_string();
                let conversation = m.conversation_id.to_string();
                if by_server_id.exists([&server_id])? {
                    outcome.duplicates += 1;
                    continue;
                }
                let own = me == Some(m.sender_id);
                // Where the relay holds our own message, to offer it again if
                // the relay loses that part of its history.
                let (epoch, cursor) = match at {
                    Some((e, c)) if own => (Some(e.to_string()), Some(*c as i64)),
                    _ => (None, None),
                };
                let wire_id = m.client_id.to_string();
                let same: Option<MessageId> = by_wire_id
                    .query_row(params![m.sender_id.to_string(), wire_id], |r| sql::id(r, 0))
                    .optional()?;
                outcome.displaced += make_room(&tx, m.conversation_id, m.seq, same, me, now)?;
                if let Some(id) = same {
                    placed.execute(params![id.to_string(), server_id, m.seq, epoch, cursor])?;
                    if own && drop_job.execute([id.to_string()])? == 1 {
                        outcome.acknowledged += 1;
                    } else {
                        outcome.moved += 1;
                    }
                    if let Some(e) = &epoch {
                        note_epoch(&tx, e, now)?;
                    }
                    outcome.stored.push(id);
                    continue;
                }
                // Checked here, on the way in: what the page shows of a card
                // is what this device let through (`links::received_card`).
                // A reaction is its emoji and what it is on: nothing else of
                // it is kept (a relay could pass on anything).
                let is_reaction = m.reaction.is_some();
                let card = m
                    .card
                    .clone()
                    .filter(|_| !is_reaction)
                    .and_then(crate::links::received_card)
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| CoreError::CorruptValue(format!("video card: {e}")))?;
                let status = if own {
                    DeliveryStatus::Sent
                } else {
                    DeliveryStatus::Received
                };
                // An own message sent from another device keeps its client id; anyone
                // else's gets a fresh local id.
                let local_id = if own && !id_taken(&tx, &wire_id)? {
                    m.client_id
                } else {
                    MessageId::new()
                };
                // What no relay of ours passes on: photos with a card or a
                // reaction, or more than a message holds, are left out.
                let photos = match is_reaction || m.card.is_some() {
                    true => &[][..],
                    false => &m.photos[..m.photos.len().min(candor_protocol::MAX_PHOTOS)],
                };
                insert.execute(params![
                    local_id.to_string(),
                    conversation,
                    server_id,
                    m.seq,
                    m.sender_id.to_string(),
                    m.text.as_str(),
                    card,
                    sql::ms(m.sent_at),
                    status.as_sql(),
                    wire_id,
                    epoch,
                    cursor,
                    m.reply
                        .as_ref()
                        .filter(|_| !is_reaction)
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(|e| CoreError::CorruptValue(format!("a quote: {e}")))?,
                    m.reaction
                        .as_ref()
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(|e| CoreError::CorruptValue(format!("a reaction: {e}")))?,
                    // A reaction carries no photos (the relay refuses one
                    // that does; another relay might not).
                    Some(photos)
                        .filter(|p| !p.is_empty())
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(|e| CoreError::CorruptValue(format!("photos: {e}")))?,
                ])?;
                super::photos::name_in(&tx, &local_id.to_string(), photos)?;
                if let Some(e) = &epoch {
                    note_epoch(&tx, e, now)?;
                }
                // A new message brings back a chat deleted on this device; the
                // messages hidden with it stay hidden. A reaction does not.
                if m.reaction.is_none() {
                    revive.execute([&conversation])?;
                }
                outcome.inserted += 1;
                outcome.stored.push(local_id);
            }
        }
        outcome.gaps = gaps_beside(&tx, batch.iter().map(|(_, m)| (m.conversation_id, m.seq)))?;
        for conversation in touched {
            summary::refresh(&tx, conversation, me)?;
        }
        tx.commit()?;
        Ok(outcome)
    }
}

/// The holes just below and just above each of `placed` (conversation, seq):
/// a seq held below it but not the one right before, or above it but not the
/// one right after. Seqs before the first one held are no hole: this account
/// may have joined later. Each lookup is one step on the (conversation, seq)
/// index.
fn gaps_beside(
    tx: &Connection,
    placed: impl Iterator<Item = (ConversationId, i64)>,
) -> Result<Vec<(ConversationId, i64, i64)>, CoreError> {
    let mut below =
        tx.prepare_cached("SELECT max(seq) FROM messages WHERE conversation_id = ?1 AND seq < ?2")?;
    let mut above =
        tx.prepare_cached("SELECT min(seq) FROM messages WHERE conversation_id = ?1 AND seq > ?2")?;
    let mut gaps = BTreeSet::new();
    for (conversation, seq) in placed {
        let id = conversation.to_string();
        let lower: Option<i64> = below.query_row(params![id, seq], |r| r.get(0))?;
        if let Some(lower) = lower.filter(|l| *l < seq - 1) {
            gaps.insert((conversation, lower, seq));
        }
        let upper: Option<i64> = above.query_row(params![id, seq], |r| r.get(0))?;
        if let Some(upper) = upper.filter(|u| *u > seq + 1) {
            gaps.insert((conversation, seq, upper));
        }
    }
    // A message placed inside a hole splits it: keep only holes still open.
    let mut open = Vec::new();
    let mut held = tx.prepare_cached(
        "SELECT 1 FROM messages WHERE conversation_id = ?1 AND seq > ?2 AND seq < ?3",
    )?;
    for (conversation, low, high) in gaps {
        if !held.exists(params![conversation.to_string(), low, high])? {
            open.push((conversation, low, high));
        }
    }
    Ok(open)
}

/// Frees `seq` in `conversation` for the message the relay put there: a
/// different message holding it here (not `keep`, the row about to take it) is one the relay no
/// longer holds. Ours goes back to the outbox, to be offered again; another
/// member's moves after every sequenced message until its sender's device
/// offers it again and it comes back with a seq. Returns how many moved.
pub(super) fn make_room(
    tx: &Connection,
    conversation: ConversationId,
    seq: i64,
    keep: Option<MessageId>,
    me: Option<UserId>,
    now: i64,
) -> Result<usize, CoreError> {
    let holder: Option<(MessageId, UserId)> = tx
        .prepare_cached(
            "SELECT id, sender_id FROM messages WHERE conversation_id = ?1 AND seq = ?2",
        )?
        .query_row(params![conversation.to_string(), seq], |r| {
            Ok((sql::id(r, 0)?, sql::id(r, 1)?))
        })
        .optional()?;
    let Some((id, sender)) = holder else {
        return Ok(0);
    };
    if Some(id) == keep {
        return Ok(0);
    }
    copies::cut_marks_at(tx, conversation, seq)?;
    if Some(sender) == me {
        requeue(tx, id, now)?;
    } else {
        tx.prepare_cached(
            "UPDATE messages SET seq = NULL, server_id = NULL, position = ?2 WHERE id = ?1",
        )?
        .execute(params![id.to_string(), pending_position(tx, conversation)?])?;
    }
    Ok(1)
}

/// Puts one of our messages that the relay lost back in the outbox, to send
/// now under the same wire id (the relay keeps one copy per sender and wire
/// id). It is no longer sequenced, and shows as sending until the relay
/// stores it again. No undo window opens again: it was sent once.
pub(super) fn requeue(tx: &Connection, id: MessageId, now: i64) -> Result<(), CoreError> {
    let conversation: ConversationId = tx
        .prepare_cached("SELECT conversation_id FROM messages WHERE id = ?1")?
        .query_row([id.to_string()], |r| sql::id(r, 0))?;
    tx.prepare_cached(
        "UPDATE messages SET seq = NULL, server_id = NULL, position = ?2, status = 'queued',
             ack_epoch = NULL, ack_cursor = NULL
         WHERE id = ?1",
    )?
    .execute(params![id.to_string(), pending_position(tx, conversation)?])?;
    tx.prepare_cached(
        "INSERT INTO outbox (message_id, not_before, next_attempt_at) VALUES (?1, ?2, ?2)
         ON CONFLICT (message_id) DO NOTHING",
    )?
    .execute(params![id.to_string(), now])?;
    reactions_behind(tx, conversation)?;
    Ok(())
}

/// Moves the chat's reactions still waiting to be sent behind everything
/// else waiting, in their order: a message offered again after a restore
/// leaves first, so a reaction never reaches the relay before the message
/// that makes its chat there (or the one it is on).
fn reactions_behind(tx: &Connection, conversation: ConversationId) -> Result<(), CoreError> {
    let waiting: Vec<String> = tx
        .prepare_cached(
            "SELECT id FROM messages
             WHERE conversation_id = ?1 AND reaction_json IS NOT NULL AND server_id IS NULL
               AND position >= ?2
               AND position < (SELECT max(position) FROM messages
                               WHERE conversation_id = ?1 AND reaction_json IS NULL)
             ORDER BY position",
        )?
        .query_map(
            params![conversation.to_string(), PENDING_POSITION_BASE],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    for id in waiting {
        let next = pending_position(tx, conversation)?;
        tx.prepare_cached("UPDATE messages SET position = ?2 WHERE id = ?1")?
            .execute(params![id, next])?;
    }
    Ok(())
}

/// The next display position after every sequenced message of the chat.
fn pending_position(tx: &Connection, conversation: ConversationId) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "SELECT coalesce(max(position) + 1, ?2) FROM messages
         WHERE conversation_id = ?1 AND position >= ?2",
    )?
    .query_row(
        params![conversation.to_string(), PENDING_POSITION_BASE],
        |r| r.get(0),
    )
}

/// Remembers that the relay acknowledged one of our messages in `epoch`.
pub(super) fn note_epoch(tx: &Connection, epoch: &str, now: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO acked_epochs (epoch, last_acked_at) VALUES (?1, ?2)
         ON CONFLICT (epoch) DO UPDATE SET last_acked_at = max(last_acked_at, excluded.last_acked_at)",
    )?
    .execute(params![epoch, now])?;
    Ok(())
}

fn id_taken(conn: &rusqlite::Connection, id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM messages WHERE id = ?1")?
        .exists([id])
}
