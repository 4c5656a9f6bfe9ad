//! Applying messages that the relay delivered: exactly once in the store, whatever
//! happens on the wire. A message already here (same server id, or the same
//! conversation and seq) is ignored, which is also why a re-sync can never bring a
//! hidden message back: the stored row, with its `hidden_at`, is left as it is.

use std::collections::BTreeSet;

use rusqlite::params;

use candor_protocol::DeliveredMessage;

use super::{Store, conversations::ensure_conversation, sql, summary};
use crate::{ApplyOutcome, CoreError, DeliveryStatus};

impl Store {
    /// Stores a batch of delivered messages in one transaction. The batch is checked
    /// first: if any names a conversation this device does not know, nothing is
    /// written.
    pub fn apply_received(
        &mut self,
        batch: &[DeliveredMessage],
    ) -> Result<ApplyOutcome, CoreError> {
        let me = self.me;
        let tx = self.conn.transaction()?;
        let touched: BTreeSet<_> = batch.iter().map(|m| m.conversation_id).collect();
        for conversation in &touched {
            ensure_conversation(&tx, *conversation)?;
        }

        let mut outcome = ApplyOutcome::default();
        {
            let mut by_server_id =
                tx.prepare_cached("SELECT 1 FROM messages WHERE server_id = ?1")?;
            let mut by_seq = tx
                .prepare_cached("SELECT 1 FROM messages WHERE conversation_id = ?1 AND seq = ?2")?;
            let mut own_pending = tx.prepare_cached(
                "UPDATE messages SET server_id = ?2, seq = ?3, position = ?3,
                     status = CASE WHEN status IN ('queued', 'failed') THEN 'sent' ELSE status END
                 WHERE id = ?1 AND server_id IS NULL",
            )?;
            let mut drop_job = tx.prepare_cached("DELETE FROM outbox WHERE message_id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (id, conversation_id, server_id, seq, position, sender_id,
                                       body, card_json, created_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut revive = tx.prepare_cached(
                "UPDATE conversations SET hidden_at = NULL
                 WHERE id = ?1 AND hidden_at IS NOT NULL",
            )?;

            for m in batch {
                let server_id = m.server_id.to_string();
                let conversation = m.conversation_id.to_string();
                if by_server_id.exists([&server_id])? {
                    outcome.duplicates += 1;
                    continue;
                }
                if by_seq.exists(params![conversation, m.seq])? {
                    outcome.conflicts += 1;
                    continue;
                }
                let own = me == Some(m.sender_id);
                if own
                    && own_pending.execute(params![m.client_id.to_string(), server_id, m.seq])? == 1
                {
                    drop_job.execute([m.client_id.to_string()])?;
                    outcome.acknowledged += 1;
                    outcome.stored.push(m.client_id);
                    continue;
                }
                let card = m
                    .card
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
                let local_id = if own && !id_taken(&tx, &m.client_id.to_string())? {
                    m.client_id
                } else {
                    candor_protocol::MessageId::new()
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
                ])?;
                // A new message brings back a chat deleted on this device; the
                // messages hidden with it stay hidden.
                revive.execute([&conversation])?;
                outcome.inserted += 1;
                outcome.stored.push(local_id);
            }
        }
        for conversation in touched {
            summary::refresh(&tx, conversation, me)?;
        }
        tx.commit()?;
        Ok(outcome)
    }
}

fn id_taken(conn: &rusqlite::Connection, id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM messages WHERE id = ?1")?
        .exists([id])
}
