//! The inbox row of each conversation is a denormalised summary (newest visible
//! message, activity time, unread count) so that the inbox of 10,000 chats is one
//! index walk. Every write that can change what is visible ends by calling
//! [`refresh`] for the conversations it touched, inside its transaction.
//!
//! A reaction is never unread; the newest reaction someone gave one of this
//! account's messages is the chat's preview if nothing came after it.
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
    let me = me.map(|u| u.to_string()).unwrap_or_default();
    // The newest message, or the newest reaction someone gave one of ours
    // (still theirs: not taken back since, on a message shown here).
    let newest: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT m.id, m.created_at FROM messages m INDEXED BY messages_visible
             WHERE m.conversation_id = ?1 AND m.hidden_at IS NULL
               AND NOT (?2 AND EXISTS (SELECT 1 FROM users b
                                       WHERE b.id = m.sender_id AND b.blocked = 1))
               AND (m.reaction_json IS NULL OR (
                   m.sender_id != ?3
                   AND m.reacts_to_author = ?3
                   AND coalesce(json_extract(m.reaction_json, '$.removed'), 0) = 0
                   AND EXISTS (SELECT 1 FROM messages t
                               WHERE t.sender_id = ?3 AND t.conversation_id = ?1
                                 AND t.wire_id = m.reacts_to
                                 AND t.hidden_at IS NULL)
                   AND NOT EXISTS (SELECT 1 FROM messages later
                                   WHERE later.reaction_json IS NOT NULL
                                     AND later.conversation_id = ?1
                                     AND later.reacts_to_author = ?3
                                     AND later.reacts_to
                                         = m.reacts_to
                                     AND later.sender_id = m.sender_id
                                     AND later.position > m.position)))
             ORDER BY m.position DESC LIMIT 1",
        )?
        .query_row((&conv, group, &me), |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    conn.prepare_cached(
        "UPDATE conversations SET
             last_message_id = ?2,
             last_activity_at = coalesce(?3, created_at),
             unread_count = (
                 SELECT count(*) FROM messages m
                 WHERE m.conversation_id = ?1 AND m.seq > conversations.read_seq
                   AND m.sender_id != ?4 AND m.hidden_at IS NULL AND m.reaction_json IS NULL
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
