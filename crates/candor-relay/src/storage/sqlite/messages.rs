//! Storing sends: the relay's hot path. Every send of every connection passes
//! through [`store_one`] inside the writer's batch transaction, so it runs as few
//! statements as it can: one, the insert, for a message to a chat the writer
//! has seen, all cached.

use rusqlite::{Connection, OptionalExtension, params};

use candor_protocol::frames::{Recipient, direct_conversation_id};
use candor_protocol::{ConversationId, DeliveredMessage, MessageId, ServerMessageId, UserId};

use super::permits::Permits;
use super::sequences::Sequences;
use super::{
    MESSAGE_COLUMNS, add_contact, conversation_info, member_ids, message_from_row, ms, uuid_col,
};
use crate::storage::{NewMessage, StorageError, Stored};

/// May `sender` write to `recipient` directly? Not if `recipient` does not exist,
/// has blocked `sender`, or takes messages from contacts only and `sender` is
/// not one. One statement answers all three.
pub(super) fn check_direct(
    conn: &Connection,
    sender: UserId,
    recipient: UserId,
) -> Result<(), StorageError> {
    let row = conn
        .prepare_cached(
            "SELECT u.who_can_message,
                    EXISTS (SELECT 1 FROM blocks WHERE user_id = u.id AND blocked_id = ?2),
                    EXISTS (SELECT 1 FROM contacts WHERE user_id = u.id AND contact_id = ?2)
             FROM users u WHERE u.id = ?1",
        )?
        .query_row([recipient.to_string(), sender.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })
        .optional()?;
    match row {
        None => Err(StorageError::UnknownUser),
        Some((_, true, _)) => Err(StorageError::Blocked),
        Some((who, false, contact)) if who == "contacts" && !contact => {
            Err(StorageError::NotAccepting)
        }
        Some(_) => Ok(()),
    }
}

/// A conversation's kind and members (with whether each is in 'request' state),
/// read in one statement; None if it does not exist.
#[derive(Clone, Debug)]
pub(super) struct Roster {
    group: bool,
    members: Vec<(UserId, bool)>,
}

impl Roster {
    pub(super) fn read(tx: &Connection, id: ConversationId) -> Result<Option<Self>, StorageError> {
        let mut group = false;
        let members = tx
            .prepare_cached(
                "SELECT c.kind, m.user_id, m.state FROM conversations c
                 JOIN members m ON m.conversation_id = c.id WHERE c.id = ?1",
            )?
            .query_map([id.to_string()], |r| {
                group = r.get::<_, String>(0)? == "group";
                Ok((UserId(uuid_col(r, 1)?), r.get::<_, String>(2)? == "request"))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((!members.is_empty()).then_some(Self { group, members }))
    }

    fn member(&self, user: UserId) -> Option<&(UserId, bool)> {
        self.members.iter().find(|(m, _)| *m == user)
    }

    fn ids(&self) -> Vec<UserId> {
        self.members.iter().map(|(m, _)| *m).collect()
    }
}

/// Creates the direct conversation of `sender` and `user`. Whoever starts the
/// chat counts the other as a contact; for the other it is a request unless the
/// starter is already their contact.
fn create_direct(
    tx: &Connection,
    id: ConversationId,
    sender: UserId,
    user: UserId,
    at: i64,
) -> Result<Roster, StorageError> {
    tx.prepare_cached(
        "INSERT INTO conversations (id, kind, created_at) VALUES (?1, 'direct', ?2)",
    )?
    .execute(params![id.to_string(), at])?;
    add_contact(tx, sender, user, at)?;
    let request = !super::is_contact(tx, user, sender)?;
    let mut add = tx.prepare_cached(
        "INSERT INTO members (conversation_id, user_id, joined_at, state) VALUES (?1, ?2, ?3, ?4)",
    )?;
    add.execute(params![id.to_string(), sender.to_string(), at, "accepted"])?;
    let state = if request { "request" } else { "accepted" };
    add.execute(params![id.to_string(), user.to_string(), at, state])?;
    Ok(Roster {
        group: false,
        members: vec![(sender, false), (user, request)],
    })
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
    let members = member_ids(tx, message.conversation_id)?;
    Ok(Some(Stored {
        message,
        cursor,
        duplicate: true,
        created: false,
        accepted: false,
        announce: Vec::new(),
        members,
    }))
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
        for (other, _) in &roster.members {
            if *other != m.sender {
                add_contact(tx, m.sender, *other, at)?;
            }
        }
    }
    let seq = seqs.next(tx, conversation)?;
    let server_id = ServerMessageId::new();
    // Millisecond precision, as stored, so the ack and the stored copy agree.
    let sent_at = chrono::DateTime::from_timestamp_millis(at).unwrap_or(m.at);
    let inserted = tx
        .prepare_cached(
            "INSERT INTO messages (server_id, conversation_id, seq, sender_id, client_id, body, card_json, sent_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
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
        ])?;
    if inserted == 0 {
        return Ok(None);
    }
    seqs.stored(conversation, seq);
    let cursor = tx.last_insert_rowid() as u64;
    let members = roster.ids();
    let mut announce = Vec::new();
    if created {
        for member in &members {
            if let Some(info) = conversation_info(tx, conversation, *member)? {
                announce.push((*member, info));
            }
        }
    } else if accepted && let Some(info) = conversation_info(tx, conversation, m.sender)? {
        announce.push((m.sender, info));
    }
    Ok(Some(Stored {
        message: DeliveredMessage {
            server_id,
            client_id: m.client_id,
            conversation_id: conversation,
            seq,
            sender_id: m.sender,
            text: m.text,
            card: m.card,
            sent_at,
        },
        cursor,
        duplicate: false,
        created,
        accepted,
        announce,
        members,
    }))
}
