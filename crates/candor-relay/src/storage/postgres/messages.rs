//! Storing sends and reading them back: the relay's hot path.
//!
//! A batch (see `PostgresStorage::store_messages`) first locks the stream's
//! row, so while it runs no other node numbers messages. Each send then locks
//! its conversation's row, which holds membership still while it is checked
//! (every change of members takes the same lock) and numbers the message.
//! Nothing is cached between batches: another node may have changed who may
//! write where since.

use super::db::Db;
use chrono::DateTime;

use candor_protocol::frames::{Recipient, direct_conversation_id};
use candor_protocol::{
    ConversationId, DeliveredMessage, MessageId, MessageText, ServerMessageId, UserId,
};

use super::conversations::{announcement, create_direct};
use super::members::{self, Roster};
use super::relations::{add_contact, check_direct};
use super::rows::{ms, uuid_col};
use super::usage;
use crate::storage::{Announcement, NewMessage, Quotas, StorageError, Stored};

const MESSAGE_COLUMNS: &str = "m.cursor, m.server_id, m.client_id, m.conversation_id, m.seq, m.sender_id, m.body, m.card_json, m.sent_at, m.reply_json, m.reaction_json";

fn message_from_row(r: &postgres::Row) -> Result<(u64, DeliveredMessage), StorageError> {
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
            text: MessageText::new(r.try_get::<_, String>(6)?)
                .map_err(|e| StorageError::Corrupt(e.to_string()))?,
            card: json(r, 7)?,
            sent_at: DateTime::from_timestamp_millis(sent_at)
                .ok_or_else(|| StorageError::Corrupt("a time out of range".into()))?,
            reply: json(r, 9)?,
            reaction: json(r, 10)?,
        },
    ))
}

fn messages_from_rows(
    rows: Vec<postgres::Row>,
) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
    rows.iter().map(message_from_row).collect()
}

/// Records the batch's last cursor (nothing when it stored nothing).
pub(super) fn set_stream_end(c: &mut Db, was: u64, now: u64) -> Result<(), StorageError> {
    if now != was {
        c.execute("UPDATE relay_stream SET last_cursor = $1", &[&(now as i64)])?;
    }
    Ok(())
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

/// Stores one message within the batch's transaction, taking the cursor
/// after `last_cursor` (and moving it on).
///
/// A repeated client id of the same sender gets the earlier message back
/// with nothing written, even one that would be refused today (the sender
/// has left the chat since, or been blocked): it was let through when it was
/// first sent. The stream's lock makes looking first safe: no other
/// transaction can store that client id in between.
pub(super) fn store_one(
    tx: &mut Db,
    quotas: Quotas,
    last_cursor: &mut u64,
    m: NewMessage,
) -> Result<Stored, StorageError> {
    if let Some(stored) = earlier(tx, m.sender, m.client_id)? {
        return Ok(stored);
    }
    store_new(tx, quotas, last_cursor, m)
}

/// The message `sender` stored earlier with `client_id`, as a repeat's answer.
fn earlier(
    tx: &mut Db,
    sender: UserId,
    client_id: MessageId,
) -> Result<Option<Stored>, StorageError> {
    let Some(row) = tx.query_opt(
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.client_id = $1 AND m.sender_id = $2"
        ),
        &[&client_id.to_string(), &sender.to_string()],
    )?
    else {
        return Ok(None);
    };
    let (cursor, message) = message_from_row(&row)?;
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

/// Locks `id`'s row and returns its last seq; None if it does not exist.
fn lock_conversation(tx: &mut Db, id: ConversationId) -> Result<Option<i64>, StorageError> {
    Ok(tx
        .query_opt(
            "SELECT last_seq FROM conversations WHERE id = $1 FOR UPDATE",
            &[&id.to_string()],
        )?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// The chat `m` goes to, locked, with its roster and last seq (None for a
/// direct chat that does not exist yet), once the sender may write there.
fn destination(
    tx: &mut Db,
    m: &NewMessage,
) -> Result<(ConversationId, Option<(Roster, i64)>), StorageError> {
    match m.to {
        Recipient::Conversation { id } => {
            // Membership first, so that outsiders learn nothing about the chat.
            let last_seq = lock_conversation(tx, id)?.ok_or(StorageError::NotMember)?;
            let roster = Roster::read(tx, id)?.ok_or(StorageError::NotMember)?;
            if roster.member(m.sender).is_none() {
                return Err(StorageError::NotMember);
            }
            // A direct conversation named by id follows the same rules.
            if !roster.group
                && let Some((peer, _)) = roster.members.iter().find(|(u, _)| *u != m.sender)
            {
                check_direct(tx, m.sender, *peer)?;
            }
            Ok((id, Some((roster, last_seq))))
        }
        Recipient::Direct { user } => {
            if user == m.sender {
                return Err(StorageError::UnknownUser);
            }
            check_direct(tx, m.sender, user)?;
            let id = direct_conversation_id(m.sender, user);
            let found = match lock_conversation(tx, id)? {
                Some(last_seq) => Roster::read(tx, id)?.map(|r| (r, last_seq)),
                None => None,
            };
            Ok((id, found))
        }
    }
}

/// A reply quotes a message of its own chat (if the relay holds it: one lost
/// in a restore may be quoted still). Returns it as stored.
fn check_reply(
    tx: &mut Db,
    conversation: ConversationId,
    quote: &candor_protocol::Quote,
) -> Result<String, StorageError> {
    let quoted = tx.query_opt(
        "SELECT conversation_id FROM messages WHERE client_id = $1 AND sender_id = $2",
        &[&quote.message.to_string(), &quote.author.to_string()],
    )?;
    if let Some(row) = quoted
        && row.try_get::<_, &str>(0)? != conversation.to_string()
    {
        return Err(StorageError::InvalidReply(
            "a reply quotes a message of its own chat".into(),
        ));
    }
    serde_json::to_string(quote).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// A reaction is one emoji, alone, in a chat that exists, on a message of
/// that chat that is not itself a reaction (the embedded store's
/// `check_reaction` says why). Returns it as stored.
fn check_reaction(
    tx: &mut Db,
    conversation: ConversationId,
    exists: bool,
    m: &NewMessage,
    reaction: &candor_protocol::Reaction,
) -> Result<String, StorageError> {
    let refuse = |why: &str| Err(StorageError::InvalidReaction(why.into()));
    if !candor_protocol::is_one_emoji(m.text.as_str()) {
        return refuse("a reaction is one emoji");
    }
    if m.card.is_some() || m.reply.is_some() {
        return refuse("a reaction carries only its emoji");
    }
    if !exists {
        return Err(StorageError::ReactionBeforeItsChat);
    }
    let on = tx.query_opt(
        "SELECT conversation_id, reaction_json IS NULL FROM messages
         WHERE client_id = $1 AND sender_id = $2",
        &[&reaction.message.to_string(), &reaction.author.to_string()],
    )?;
    if let Some(row) = on {
        if row.try_get::<_, &str>(0)? != conversation.to_string() {
            return refuse("a reaction is on a message of its own chat");
        }
        if !row.try_get::<_, bool>(1)? {
            return refuse("a reaction is on a message, not on another reaction");
        }
    }
    serde_json::to_string(reaction).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Stores `m`, not a repeat, as a new message.
///
/// Every refusal (not a member, blocked, unknown user, not accepting, a bad
/// reply or reaction, a quota) is decided before the first write, so a
/// refused message leaves no trace in the batch's transaction.
fn store_new(
    tx: &mut Db,
    quotas: Quotas,
    last_cursor: &mut u64,
    m: NewMessage,
) -> Result<Stored, StorageError> {
    let card_json = m
        .card
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let at = ms(m.at);
    let (conversation, found) = destination(tx, &m)?;
    let reply_json = match &m.reply {
        Some(quote) => Some(check_reply(tx, conversation, quote)?),
        None => None,
    };
    let reaction_json = match &m.reaction {
        Some(reaction) => Some(check_reaction(
            tx,
            conversation,
            found.is_some(),
            &m,
            reaction,
        )?),
        None => None,
    };
    // The last check: the sender's quotas.
    let bytes = (m.text.as_str().len()
        + card_json.as_ref().map_or(0, String::len)
        + reply_json.as_ref().map_or(0, String::len)
        + reaction_json.as_ref().map_or(0, String::len)) as u64;
    usage::admit(tx, quotas, m.sender, bytes, m.at)?;
    // Every check has passed: from here on, only writes.
    let created = found.is_none();
    let (roster, last_seq) = match (found, &m.to) {
        (Some(found), _) => found,
        (None, Recipient::Direct { user }) => {
            (create_direct(tx, conversation, m.sender, *user, at)?, 0)
        }
        (None, Recipient::Conversation { .. }) => return Err(StorageError::NotMember),
    };
    // Replying to a request accepts it.
    let accepted = roster.member(m.sender).is_some_and(|(_, request)| *request);
    if accepted {
        tx.execute(
            "UPDATE members SET state = 'accepted' WHERE conversation_id = $1 AND user_id = $2",
            &[&conversation.to_string(), &m.sender.to_string()],
        )?;
        // Answering a person makes them a contact; answering in a group does
        // not make its members contacts (see the embedded store).
        if !roster.group {
            for (other, _) in &roster.members {
                if *other != m.sender {
                    add_contact(tx, m.sender, *other, at)?;
                }
            }
        }
    }
    let seq = last_seq + 1;
    tx.execute(
        "UPDATE conversations SET last_seq = $2 WHERE id = $1",
        &[&conversation.to_string(), &seq],
    )?;
    let cursor = *last_cursor + 1;
    let server_id = ServerMessageId::new();
    // Millisecond precision, as stored, so the ack and the stored copy agree.
    let sent_at = DateTime::from_timestamp_millis(at).unwrap_or(m.at);
    tx.execute(
        "INSERT INTO messages (cursor, server_id, conversation_id, seq, sender_id, client_id,
                               body, card_json, sent_at, reply_json, reaction_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &(cursor as i64),
            &server_id.to_string(),
            &conversation.to_string(),
            &seq,
            &m.sender.to_string(),
            &m.client_id.to_string(),
            &m.text.as_str(),
            &card_json,
            &at,
            &reply_json,
            &reaction_json,
        ],
    )?;
    *last_cursor = cursor;
    let members = roster.ids();
    let announcement = if created {
        announcement(tx, conversation, &members)?
    } else if accepted {
        announcement(tx, conversation, &[m.sender])?
    } else {
        Announcement::default()
    };
    Ok(Stored {
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
            sent_at,
        },
        cursor,
        duplicate: false,
        created,
        accepted,
        announcement,
        members,
    })
}
