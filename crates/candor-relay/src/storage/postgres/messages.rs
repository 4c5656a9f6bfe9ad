//! Reading messages back: a device's catch-up by cursor, the seqs it is
//! missing in a chat, and the stream's end. Storing them is `batch`.

use super::db::Db;
use chrono::DateTime;

use candor_protocol::{
    ConversationId, DeliveredMessage, MessageId, MessageText, ServerMessageId, UserId,
};

use super::rows::uuid_col;
use crate::storage::StorageError;

pub(super) const MESSAGE_COLUMNS: &str = "m.cursor, m.server_id, m.client_id, m.conversation_id, m.seq, m.sender_id, m.body, m.card_json, m.sent_at, m.reply_json, m.reaction_json, m.photos_json";

/// How many columns `MESSAGE_COLUMNS` names: a query may select more after them.
pub(super) const MESSAGE_COLUMN_COUNT: usize = 12;

pub(super) fn message_from_row(r: &postgres::Row) -> Result<(u64, DeliveredMessage), StorageError> {
    fn json<T: serde::de::DeserializeOwned>(
        r: &postgres::Row,
        idx: usize,
    ) -> Result<Option<T>, StorageError> {
        r.try_get::<_, Option<&str>>(idx)?
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| StorageError::Corrupt(format!("stored message column {idx}: {e}")))
    }
    let sent_at: i64 = r.try_get(8)?;
    Ok((
        r.try_get::<_, i64>(0)? as u64,
        DeliveredMessage {
            server_id: ServerMessageId(uuid_col(r, 1)?),
            client_id: MessageId(uuid_col(r, 2)?),
            conversation_id: ConversationId(uuid_col(r, 3)?),
            seq: r.try_get(4)?,
            sender_id: UserId(uuid_col(r, 5)?),
            text: MessageText::try_from(r.try_get::<_, String>(6)?)
                .map_err(|e| StorageError::Corrupt(e.to_string()))?,
            card: json(r, 7)?,
            sent_at: DateTime::from_timestamp_millis(sent_at)
                .ok_or_else(|| StorageError::Corrupt("a time out of range".into()))?,
            reply: json(r, 9)?,
            reaction: json(r, 10)?,
            photos: json(r, 11)?.unwrap_or_default(),
        },
    ))
}

fn messages_from_rows(
    rows: Vec<postgres::Row>,
) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
    rows.iter().map(message_from_row).collect()
}

/// The newest position in the relay's stream (0 when empty).
fn stream_end(c: &mut Db) -> Result<u64, StorageError> {
    let end: i64 = c
        .query_one("SELECT last_cursor FROM relay_stream", &[])?
        .try_get(0)?;
    Ok(end.max(0) as u64)
}

/// Messages for `user` after `cursor`, oldest first, at most `limit`: those
/// whose seq lies in one of `user`'s member spans. Like the embedded store's,
/// each query looks at a window of the stream, four times wider each time it
/// finds too few, so a page costs about what it returns however long the
/// backlog.
pub(super) fn stream_after(
    c: &mut Db,
    user: UserId,
    cursor: u64,
    limit: u32,
) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
    let end = stream_end(c)?;
    let user = user.to_string();
    let mut page = Vec::new();
    let (mut from, mut width) = (cursor, u64::from(limit) * 2);
    while page.len() < limit as usize && from < end {
        let to = from.saturating_add(width).min(end);
        let want = (limit as usize - page.len()) as i64;
        let rows = c.query(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM member_spans s
                 JOIN messages m ON m.conversation_id = s.conversation_id
                                AND m.cursor > $2 AND m.cursor <= $3
                 WHERE s.user_id = $1 AND m.seq > s.after_seq
                   AND (s.through_seq IS NULL OR m.seq <= s.through_seq)
                 ORDER BY m.cursor LIMIT $4"
            ),
            &[&user, &(from as i64), &(to as i64), &want],
        )?;
        page.extend(messages_from_rows(rows)?);
        from = to;
        width = width.saturating_mul(4);
    }
    Ok(page)
}

/// See `Storage::messages_between`.
pub(super) fn between(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
    after: i64,
    before: i64,
) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
    let rows = c.query(
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             JOIN member_spans s ON s.conversation_id = m.conversation_id AND s.user_id = $2
             WHERE m.conversation_id = $1 AND m.seq > $3 AND m.seq < $4
               AND m.seq > s.after_seq AND (s.through_seq IS NULL OR m.seq <= s.through_seq)
             ORDER BY m.seq"
        ),
        &[
            &conversation.to_string(),
            &user.to_string(),
            &after,
            &before,
        ],
    )?;
    messages_from_rows(rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_column_count_is_that_of_the_columns() {
        let named = super::MESSAGE_COLUMNS.split(',').count();
        assert_eq!(named, super::MESSAGE_COLUMN_COUNT);
    }
}
