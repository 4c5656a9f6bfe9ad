//! Storing sends: the relay's hot path. Every send of every connection passes
//! through [`store_one`] inside the writer's batch transaction, so it runs as few
//! statements as it can: one, the insert, for a message to a chat the writer
//! has seen, all cached.

use chrono::DateTime;
use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::frames::{Recipient, direct_conversation_id};
use candor_protocol::{
    ConversationId, DeliveredMessage, MessageId, MessageText, ServerMessageId, UserId,
};

use super::blobs;
use super::conversations::{announcement, create_direct};
use super::members;
use super::permits::Permits;
use super::relations::add_contact;
use super::rows::{ms, uuid_col};
use super::sequences::Sequences;
use crate::storage::{Announcement, NewMessage, StorageError, Stored};

const MESSAGE_COLUMNS: &str = "m.cursor, m.server_id, m.client_id, m.conversation_id, m.seq, m.sender_id, m.body, m.card_json, m.sent_at, m.reply_json, m.reaction_json, m.photos_json";

fn message_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(u64, DeliveredMessage)> {
    let text: String = r.get(6)?;
    let card: Option<String> = r.get(7)?;
    let sent_at: i64 = r.get(8)?;
    let reply: Option<String> = r.get(9)?;
    let reaction: Option<String> = r.get(10)?;
    let photos: Option<String> = r.get(11)?;
    let bad = |idx, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e)
    };
    Ok((
        r.get::<_, i64>(0)? as u64,
        DeliveredMessage {
            server_id: ServerMessageId(uuid_col(r, 1)?),
            client_id: MessageId(uuid_col(r, 2)?),
            conversation_id: ConversationId(uuid_col(r, 3)?),
            seq: r.get(4)?,
            sender_id: UserId(uuid_col(r, 5)?),
            text: MessageText::try_from(text).map_err(|e| bad(6, Box::new(e)))?,
            card: card
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(|e| bad(7, Box::new(e)))?,
            sent_at: DateTime::from_timestamp_millis(sent_at)
                .ok_or_else(|| bad(8, "time out of range".into()))?,
            reply: reply
                .map(|q| serde_json::from_str(&q))
                .transpose()
                .map_err(|e| bad(9, Box::new(e)))?,
            reaction: reaction
                .map(|q| serde_json::from_str(&q))
                .transpose()
                .map_err(|e| bad(10, Box::new(e)))?,
            photos: photos
                .map(|p| serde_json::from_str(&p))
                .transpose()
                .map_err(|e| bad(11, Box::new(e)))?
                .unwrap_or_default(),
        },
    ))
}

/// The newest position in the relay's stream (0 when empty).
pub(super) fn stream_end(conn: &Connection) -> Result<u64, StorageError> {
    let end: i64 = conn.query_row("SELECT coalesce(max(cursor), 0) FROM messages", [], |r| {
        r.get(0)
    })?;
    Ok(end.max(0) as u64)
}

/// Messages for `user` after `cursor`, oldest first, at most `limit`: those
/// whose seq lies in one of `user`'s member spans (see schema 5).
///
/// A page costs about what it returns, however long the backlog. Asking for
/// "the next `limit` of all my chats in stream order" in one query would
/// read and sort every remaining message of every chat, for every page: a
/// catch-up quadratic in its length. Instead each query looks at a window of
/// the stream, range-scanning each chat's part of it by `messages_stream`
/// (conversation, cursor); a window that holds too few of the user's
/// messages (chats that are quiet, in a busy relay) is followed by one four
/// times as wide.
pub(super) fn stream_after(
    conn: &Connection,
    user: UserId,
    cursor: u64,
    limit: u32,
) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
    let end = stream_end(conn)?;
    let mut page = Vec::new();
    let (mut from, mut width) = (cursor, u64::from(limit) * 2);
    while page.len() < limit as usize && from < end {
        let to = from.saturating_add(width).min(end);
        let want = limit as usize - page.len();
        let rows = conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM member_spans s
                 JOIN messages m ON m.conversation_id = s.conversation_id
                                AND m.cursor > ?2 AND m.cursor <= ?3
                 WHERE s.user_id = ?1 AND m.seq > s.after_seq
                   AND (s.through_seq IS NULL OR m.seq <= s.through_seq)
                 ORDER BY m.cursor LIMIT ?4"
            ))?
            .query_map(
                params![user.to_string(), from as i64, to as i64, want as i64],
                message_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        page.extend(rows);
        from = to;
        width = width.saturating_mul(4);
    }
    Ok(page)
}

/// See `Storage::messages_between`.
pub(super) fn between(
    conn: &Connection,
    user: UserId,
    conversation: ConversationId,
    after: i64,
    before: i64,
) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             JOIN member_spans s ON s.conversation_id = m.conversation_id AND s.user_id = ?2
             WHERE m.conversation_id = ?1 AND m.seq > ?3 AND m.seq < ?4
               AND m.seq > s.after_seq AND (s.through_seq IS NULL OR m.seq <= s.through_seq)
             ORDER BY m.seq"
        ))?
        .query_map(
            params![conversation.to_string(), user.to_string(), after, before],
            message_from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Stores one message within the caller's transaction (see `store_messages`).
///
/// A repeated client id of the same sender gets the earlier message back, with
/// nothing new written: found by the insert itself, which the unique index on
/// (client_id, sender_id) turns away. A repeat that would be refused today (the
/// sender has left the chat since, or been blocked) still gets its earlier
/// answer: it was let through when it was first sent.
pub(super) fn store_one(
    tx: &Connection,
    permits: &mut Permits,
    seqs: &mut Sequences,
    m: NewMessage,
) -> Result<Stored, StorageError> {
    let (sender, client_id) = (m.sender, m.client_id);
    match store_new(tx, permits, seqs, m) {
        Ok(Some(stored)) => Ok(stored),
        Ok(None) => earlier(tx, sender, client_id)?.ok_or_else(|| {
            StorageError::Corrupt(format!("the earlier copy of {client_id} cannot be read"))
        }),
        Err(e) if e.is_refusal() => earlier(tx, sender, client_id)?.ok_or(e),
        Err(e) => Err(e),
    }
}

/// The message `sender` stored earlier with `client_id`, as a repeat's answer.
fn earlier(
    tx: &Connection,
    sender: UserId,
    client_id: MessageId,
) -> Result<Option<Stored>, StorageError> {
    let earlier = tx
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.client_id = ?1 AND m.sender_id = ?2"
        ))?
        .query_row(
            [client_id.to_string(), sender.to_string()],
            message_from_row,
        )
        .optional()?;
    let Some((cursor, message)) = earlier else {
        return Ok(None);
    };
    let members = members::ids(tx, message.conversation_id)?;
    Ok(Some(Stored {
        message,
        cursor,
        duplicate: true,
        created: false,
        accepted: false,
        announcement: Announcement::default(),
        members,
    }))
}

/// A reaction is one emoji, alone (no card, no quote), in a chat that
/// exists (a reaction never makes one: a stranger could open empty Requests;
/// one offered again after a restore before its chat's first message is told
/// to come back later), on a message of that chat that is not itself a
/// reaction. Like a reply, it
/// may be on a message the relay does not hold (lost in a restore: its
/// device offers it again, ahead of its reactions), and it answers a request.
/// Returns it as stored.
fn check_reaction(
    tx: &Connection,
    conversation: ConversationId,
    roster: &Option<members::Roster>,
    m: &NewMessage,
    reaction: &candor_protocol::Reaction,
) -> Result<String, StorageError> {
    let refuse = |why: &str| Err(StorageError::InvalidReaction(why.into()));
    if !candor_protocol::is_one_emoji(m.text.as_str()) {
        return refuse("a reaction is one emoji");
    }
    if m.card.is_some() || m.reply.is_some() || !m.photos.is_empty() {
        return refuse("a reaction carries only its emoji");
    }
    if roster.is_none() {
        return Err(StorageError::ReactionBeforeItsChat);
    }
    let on: Option<(String, bool)> = tx
        .prepare_cached(
            "SELECT conversation_id, reaction_json IS NULL FROM messages
             WHERE client_id = ?1 AND sender_id = ?2",
        )?
        .query_row(
            params![reaction.message.to_string(), reaction.author.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match on {
        Some((chat, _)) if chat != conversation.to_string() => {
            refuse("a reaction is on a message of its own chat")
        }
        Some((_, false)) => refuse("a reaction is on a message, not on another reaction"),
        Some((_, true)) | None => {
            serde_json::to_string(reaction).map_err(|e| StorageError::Corrupt(e.to_string()))
        }
    }
}

/// Stores `m` as a new message; None if the insert found it to be a repeat.
///
/// Every refusal (not a member, blocked, unknown user, not accepting) is decided
/// before the first write, so a refused message leaves no trace in the batch's
/// transaction. A repeat writes nothing either: a repeat's chat exists and its
/// request was accepted by the first copy, so neither is done again.
///
/// Who may write where comes from `permits`, and the chat's next seq from
/// `seqs`, which read the database only for what they do not hold yet.
fn store_new(
    tx: &Connection,
    permits: &mut Permits,
    seqs: &mut Sequences,
    m: NewMessage,
) -> Result<Option<Stored>, StorageError> {
    // The sender's own uploads first: this says nothing about the chat.
    blobs::check_photos(tx, m.sender, &m.photos)?;
    let card_json = m
        .card
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let at = ms(m.at);
    let (conversation, roster) = match m.to {
        Recipient::Conversation { id } => {
            // Membership first, so that outsiders learn nothing about the chat.
            let roster = permits.roster(tx, id)?.ok_or(StorageError::NotMember)?;
            if roster.member(m.sender).is_none() {
                return Err(StorageError::NotMember);
            }
            // A direct conversation named by id follows the same rules.
            if !roster.group
                && let Some((peer, _)) = roster.members.iter().find(|(u, _)| *u != m.sender)
            {
                permits.check_direct(tx, m.sender, *peer)?;
            }
            (id, Some(roster))
        }
        Recipient::Direct { user } => {
            if user == m.sender {
                return Err(StorageError::UnknownUser);
            }
            permits.check_direct(tx, m.sender, user)?;
            let id = direct_conversation_id(m.sender, user);
            (id, permits.roster(tx, id)?)
        }
    };
    // A reply quotes a message of its own chat (if the relay holds it: one
    // lost in a restore may be quoted still).
    let reply_json = match &m.reply {
        Some(quote) => {
            let quoted: Option<String> = tx
                .prepare_cached(
                    "SELECT conversation_id FROM messages WHERE client_id = ?1 AND sender_id = ?2",
                )?
                .query_row(
                    params![quote.message.to_string(), quote.author.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if quoted.is_some_and(|c| c != conversation.to_string()) {
                return Err(StorageError::InvalidReply(
                    "a reply quotes a message of its own chat".into(),
                ));
            }
            Some(serde_json::to_string(quote).map_err(|e| StorageError::Corrupt(e.to_string()))?)
        }
        None => None,
    };
    let reaction_json = match &m.reaction {
        Some(reaction) => Some(check_reaction(tx, conversation, &roster, &m, reaction)?),
        None => None,
    };
    let photos_json = if m.photos.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&m.photos).map_err(|e| StorageError::Corrupt(e.to_string()))?)
    };
    // The last check: the sender's quotas (counted now, taken back if the
    // insert finds a repeat).
    let bytes = (m.text.as_str().len()
        + card_json.as_ref().map_or(0, String::len)
        + reply_json.as_ref().map_or(0, String::len)
        + reaction_json.as_ref().map_or(0, String::len)
        + photos_json.as_ref().map_or(0, String::len)) as u64;
    permits.usage.admit(tx, m.sender, bytes, m.at)?;
    // Every check has passed: from here on, only writes.
    let created = roster.is_none();
    let roster = match (roster, &m.to) {
        (Some(r), _) => r,
        (None, Recipient::Direct { user }) => {
            let roster = create_direct(tx, conversation, m.sender, *user, at)?;
            permits.created(conversation, &roster);
            roster
        }
        (None, Recipient::Conversation { .. }) => return Err(StorageError::NotMember),
    };
    // Replying to a request accepts it.
    let accepted = roster.member(m.sender).is_some_and(|(_, request)| *request);
    if accepted {
        permits.changed(conversation);
        tx.prepare_cached(
            "UPDATE members SET state = 'accepted' WHERE conversation_id = ?1 AND user_id = ?2",
        )?
        .execute(params![conversation.to_string(), m.sender.to_string()])?;
        // Answering a person makes them a contact; answering in a group does
        // not make its members contacts (it would let any of them put you in
        // the next group straight away, or past "contacts only").
        if !roster.group {
            for (other, _) in &roster.members {
                if *other != m.sender {
                    add_contact(tx, m.sender, *other, at)?;
                }
            }
        }
    }
    let seq = seqs.next(tx, conversation)?;
    let server_id = ServerMessageId::new();
    // Millisecond precision, as stored, so the ack and the stored copy agree.
    let sent_at = chrono::DateTime::from_timestamp_millis(at).unwrap_or(m.at);
    let inserted = tx
        .prepare_cached(
            "INSERT INTO messages (server_id, conversation_id, seq, sender_id, client_id, body, card_json, sent_at, reply_json, reaction_json, photos_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (client_id, sender_id) DO NOTHING",
        )?
        .execute(params![
            server_id.to_string(),
            conversation.to_string(),
            seq,
            m.sender.to_string(),
            m.client_id.to_string(),
            m.text.as_str(),
            card_json,
            at,
            reply_json,
            reaction_json,
            photos_json,
        ])?;
    if inserted == 0 {
        permits.usage.refund(m.sender, bytes);
        return Ok(None);
    }
    seqs.stored(conversation, seq);
    blobs::name_in_message(tx, conversation, seq, &m.photos)?;
    let cursor = tx.last_insert_rowid() as u64;
    let members = roster.ids();
    let announcement = if created {
        announcement(tx, conversation, &members)?
    } else if accepted {
        announcement(tx, conversation, &[m.sender])?
    } else {
        Announcement::default()
    };
    Ok(Some(Stored {
        message: DeliveredMessage {
            server_id,
            client_id: m.client_id,
            conversation_id: conversation,
            seq,
            sender_id: m.sender,
            text: m.text,
            card: m.card,
            reply: m.reply,
            reaction: m.reaction,
            photos: m.photos,
            sent_at,
        },
        cursor,
        duplicate: false,
        created,
        accepted,
        announcement,
        members,
    }))
}
