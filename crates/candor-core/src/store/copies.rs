//! Who has a copy of a message: the Info view. Each member of the chat, with
//! when this device learned their devices held it and when they read it; the
//! relay, which keeps everything it passes on; and what this device holds.
//!
//! Receipts are positions ("Maya's devices hold the chat through seq 41"), so
//! each position a member moves to is kept with the time this device learned
//! it (`receipt_marks`, schema 15). A message was delivered by the earliest
//! mark at or past its seq. Those times are upper bounds: the member may have
//! had it sooner, while this device was offline. When the relay gives a seq
//! to a different message than this device had there (a restore), marks past
//! it stop claiming anything about what now sits there.

use candor_protocol::{ConversationId, MessageId, UserId};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, sql};
use crate::{
    ConversationKind, CopyHere, CoreError, DeliveryStatus, MemberCopy, MessageInfo, Person,
};

impl Store {
    /// Who has a copy of message `id`, as far as this device knows.
    pub fn message_info(&self, id: MessageId) -> Result<MessageInfo, CoreError> {
        let me = self.me()?;
        let relay_url = self.profile()?.map(|p| p.relay_url).unwrap_or_default();
        let row = self
            .conn
            .query_row(
                "SELECT m.conversation_id, m.sender_id, m.created_at, m.status, m.seq,
                        m.server_id IS NOT NULL, m.hidden_at IS NOT NULL, m.erased_at IS NOT NULL,
                        c.kind
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.id = ?1",
                [id.to_string()],
                |r| {
                    Ok((
                        sql::id::<ConversationId>(r, 0)?,
                        sql::id::<UserId>(r, 1)?,
                        sql::time(r, 2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, bool>(5)?,
                        r.get::<_, bool>(6)?,
                        r.get::<_, bool>(7)?,
                        r.get::<_, String>(8)?,
                    ))
                },
            )
            .optional()?;
        let Some((chat, sender, created_at, status, seq, on_relay, hidden, erased, kind)) = row
        else {
            return Err(CoreError::UnknownMessage(id));
        };
        let status = DeliveryStatus::from_sql(&status)
            .ok_or_else(|| CoreError::CorruptValue(format!("delivery status {status:?}")))?;
        let direct = kind == ConversationKind::Direct.as_sql();
        let is_own = sender == me;
        let members = members_but_me(&self.conn, chat, sender, me)?
            .into_iter()
            .map(|person| {
                if person.id == sender {
                    return Ok(MemberCopy {
                        person,
                        wrote_it: true,
                        delivered: true,
                        delivered_by: None,
                        seen: true,
                        seen_by: None,
                    });
                }
                let (delivered_by, seen_by) = match seq.filter(|_| on_relay) {
                    Some(seq) => receipts_at(&self.conn, chat, person.id, seq)?,
                    None => (None, None),
                };
                // In a direct chat the message's own status is this member's
                // receipt, also from before marks were kept.
                let own_direct = direct && is_own && on_relay;
                Ok(MemberCopy {
                    delivered: delivered_by.is_some()
                        || (own_direct
                            && matches!(status, DeliveryStatus::Delivered | DeliveryStatus::Read)),
                    seen: seen_by.is_some() || (own_direct && status == DeliveryStatus::Read),
                    person,
                    wrote_it: false,
                    delivered_by,
                    seen_by,
                })
            })
            .collect::<Result<Vec<_>, CoreError>>()?;
        Ok(MessageInfo {
            message: id,
            conversation_id: chat,
            is_own,
            created_at,
            status,
            here: if erased {
                CopyHere::Erased
            } else if hidden {
                CopyHere::HiddenForYou
            } else {
                CopyHere::Shown
            },
            on_relay,
            relay_url,
            members,
        })
    }
}

/// The chat's members other than `me`, the writer first (also when they have
/// left since), then by name.
fn members_but_me(
    conn: &Connection,
    chat: ConversationId,
    writer: UserId,
    me: UserId,
) -> Result<Vec<Person>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.handle, u.display_name FROM users u
         WHERE u.id <> ?3 AND u.id IN (
             SELECT user_id FROM members WHERE conversation_id = ?1
             UNION SELECT peer_id FROM conversations WHERE id = ?1 AND peer_id IS NOT NULL
             UNION SELECT ?2)
         ORDER BY u.id = ?2 DESC, lower(u.display_name), u.handle",
    )?;
    let rows = stmt.query_map(
        params![chat.to_string(), writer.to_string(), me.to_string()],
        |r| {
            Ok(Person {
                id: sql::id(r, 0)?,
                handle: r.get(1)?,
                display_name: r.get(2)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The earliest time `member` was known to have the chat through `seq`, by
/// `kind` of receipt: the first mark at or past it (marks are kept as
/// positions move on, so the first one past a seq is the earliest), found
/// through the marks' key.
fn first_mark(
    conn: &Connection,
    chat: ConversationId,
    member: UserId,
    kind: &str,
    seq: i64,
) -> Result<LearnedAt, CoreError> {
    let at: Option<i64> = conn
        .prepare_cached(
            "SELECT at FROM receipt_marks
             WHERE conversation_id = ?1 AND user_id = ?2 AND kind = ?3 AND through_seq >= ?4
             ORDER BY through_seq LIMIT 1",
        )?
        .query_row(
            params![chat.to_string(), member.to_string(), kind, seq],
            |r| r.get(0),
        )
        .optional()?;
    Ok(at.and_then(chrono::DateTime::from_timestamp_millis))
}

/// A time this device learned of a receipt (None: it has no such receipt).
type LearnedAt = Option<chrono::DateTime<chrono::Utc>>;

/// When `member` was known to hold (read implies it) and to have read `seq`.
fn receipts_at(
    conn: &Connection,
    chat: ConversationId,
    member: UserId,
    seq: i64,
) -> Result<(LearnedAt, LearnedAt), CoreError> {
    let read = first_mark(conn, chat, member, "read", seq)?;
    let delivered = first_mark(conn, chat, member, "delivered", seq)?;
    let delivered = match (delivered, read) {
        (Some(d), Some(r)) => Some(d.min(r)),
        (d, r) => d.or(r),
    };
    Ok((delivered, read))
}

/// Keeps where `member`'s receipt puts them in `chat`, for each position that
/// moved on, with the time this device learned it.
pub(super) fn mark_receipt(
    tx: &Connection,
    chat: ConversationId,
    member: UserId,
    delivered_seq: i64,
    read_seq: i64,
    now_ms: i64,
) -> Result<(), CoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO receipt_marks (conversation_id, user_id, kind, through_seq, at)
         SELECT ?1, ?2, ?3, ?4, ?5
         WHERE ?4 > 0 AND ?4 > coalesce((SELECT max(through_seq) FROM receipt_marks
                                          WHERE conversation_id = ?1 AND user_id = ?2
                                            AND kind = ?3), 0)",
    )?;
    for (kind, through) in [
        ("delivered", delivered_seq.max(read_seq)),
        ("read", read_seq),
    ] {
        stmt.execute(params![
            chat.to_string(),
            member.to_string(),
            kind,
            through,
            now_ms
        ])?;
    }
    Ok(())
}

/// The relay put a different message at `seq` of `chat` than this device had:
/// marks at or past it are cut back to just before it (keeping their times for
/// the messages below), so none claims anything about the new holder.
pub(super) fn cut_marks_at(
    tx: &Connection,
    chat: ConversationId,
    seq: i64,
) -> Result<(), CoreError> {
    tx.prepare_cached(
        "INSERT INTO receipt_marks (conversation_id, user_id, kind, through_seq, at)
         SELECT conversation_id, user_id, kind, ?2 - 1, min(at) FROM receipt_marks
         WHERE conversation_id = ?1 AND through_seq >= ?2 AND ?2 > 1
         GROUP BY user_id, kind
         ON CONFLICT DO UPDATE SET at = min(at, excluded.at)",
    )?
    .execute(params![chat.to_string(), seq])?;
    tx.prepare_cached(
        "DELETE FROM receipt_marks WHERE conversation_id = ?1 AND through_seq >= ?2",
    )?
    .execute(params![chat.to_string(), seq])?;
    Ok(())
}
