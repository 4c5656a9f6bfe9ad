//! The inbox row of each conversation is a denormalised summary (newest visible
//! message, activity time, unread count) so that the inbox of 10,000 chats is one
//! index walk. Every write that can change what is visible ends by calling
//! [`refresh`] for the conversations it touched, inside its transaction.
//!
//! What someone this account blocked writes in a group they are both in is
//! stored (the chat's order stays whole) but is neither the chat's preview
//! nor its activity nor unread: it does not bring the chat up or notify.

use rusqlite::{Connection, OptionalExtension};

use candor_protocol::{ConversationId, UserId};

/// Recomputes a conversation's newest visible message, activity time and unread
/// count from the messages themselves. Each is an index lookup or a scan of only the
/// unread range, so this is cheap to call after every write.
pub(crate) fn refresh(
    conn: &Connection,
    conversation: ConversationId,
    me: Option<UserId>,
) -> rusqlite::Result<()> {
    let conv = conversation.to_string();
    let group: bool = conn
        .prepare_cached("SELECT kind = 'group' FROM conversations WHERE id = ?1")?
        .query_row([&conv], |r| r.get(0))
        .optional()?
        .unwrap_or(false);
    let newest: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT m.id, m.created_at FROM messages m INDEXED BY messages_visible
             WHERE m.conversation_id = ?1 AND m.hidden_at IS NULL
               AND NOT (?2 AND EXISTS (SELECT 1 FROM users b
                                       WHERE b.id = m.sender_id AND b.blocked = 1))
             ORDER BY m.position DESC LIMIT 1",
        )?
        .query_row((&conv, group), |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let me = me.map(|u| u.to_string()).unwrap_or_default();
    conn.prepare_cached(
        "UPDATE conversations SET
             last_message_id = ?2,
             last_activity_at = coalesce(?3, created_at),
             unread_count = (
                 SELECT count(*) FROM messages m
                 WHERE m.conversation_id = ?1 AND m.seq > conversations.read_seq
                   AND m.sender_id != ?4 AND m.hidden_at IS NULL
                   AND NOT (?5 AND EXISTS (SELECT 1 FROM users b
                                           WHERE b.id = m.sender_id AND b.blocked = 1)))
         WHERE id = ?1",
    )?
    .execute((
        &conv,
        newest.as_ref().map(|n| &n.0),
        newest.as_ref().map(|n| n.1),
        &me,
        group,
    ))?;
    Ok(())
}
