//! The `members` table: who belongs to which conversation, whether it is still
//! a request for them, and how far each has received and read it.

use rusqlite::{Connection, params};

use candor_protocol::{ConversationId, UserId};

use super::rows::uuid_col;
use super::sequences::last_seq;
use crate::storage::{Receipt, StorageError};

/// A conversation's kind and members (with whether each is in 'request' state),
/// read in one statement.
#[derive(Clone, Debug)]
pub(super) struct Roster {
    pub(super) group: bool,
    pub(super) members: Vec<(UserId, bool)>,
}

impl Roster {
    /// The roster of `id`; None if it does not exist.
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

    /// `user`'s entry: their id and whether the conversation is a request for them.
    pub(super) fn member(&self, user: UserId) -> Option<&(UserId, bool)> {
        self.members.iter().find(|(m, _)| *m == user)
    }

    pub(super) fn ids(&self) -> Vec<UserId> {
        self.members.iter().map(|(m, _)| *m).collect()
    }
}

pub(super) fn is_member(
    conn: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2")?
        .exists([conversation.to_string(), user.to_string()])
}

pub(super) fn ids(conn: &Connection, id: ConversationId) -> Result<Vec<UserId>, StorageError> {
    let ids = conn
        .prepare_cached("SELECT user_id FROM members WHERE conversation_id = ?1")?
        .query_map([id.to_string()], |r| uuid_col(r, 0).map(UserId))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// The members of a conversation `user` belongs to (NotMember otherwise).
pub(super) fn ids_if_member(
    conn: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> Result<Vec<UserId>, StorageError> {
    if !is_member(conn, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    ids(conn, conversation)
}

/// The conversations `user` belongs to.
pub(super) fn conversations_of(
    conn: &Connection,
    user: UserId,
) -> Result<Vec<ConversationId>, StorageError> {
    let ids = conn
        .prepare_cached("SELECT conversation_id FROM members WHERE user_id = ?1")?
        .query_map([user.to_string()], |r| uuid_col(r, 0).map(ConversationId))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// `user`'s receipt in `conversation`, as the other members may see it.
pub(super) fn receipt(
    conn: &Connection,
    conversation: ConversationId,
    user: UserId,
) -> rusqlite::Result<Receipt> {
    conn.prepare_cached(
        "SELECT conversation_id, user_id, delivered_seq, read_seq, state FROM members
         WHERE conversation_id = ?1 AND user_id = ?2",
    )?
    .query_row([conversation.to_string(), user.to_string()], receipt_row)
}

/// A member's receipt as others may see it: while the conversation is a
/// request for them, their reads are not shared.
fn receipt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Receipt> {
    let state: String = r.get(4)?;
    Ok(Receipt {
        conversation: ConversationId(uuid_col(r, 0)?),
        user: UserId(uuid_col(r, 1)?),
        delivered_seq: r.get(2)?,
        read_seq: if state == "request" { 0 } else { r.get(3)? },
    })
}

/// See `Storage::record_receipt`.
pub(super) fn record_receipt(
    tx: &Connection,
    user: UserId,
    conversation: ConversationId,
    delivered: Option<i64>,
    read: Option<i64>,
) -> Result<(Receipt, Vec<UserId>), StorageError> {
    if !is_member(tx, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    // Reading implies having received; neither goes past the last message.
    let last = last_seq(tx, conversation)?;
    let read = read.unwrap_or(0).min(last);
    let delivered = delivered.unwrap_or(0).min(last).max(read);
    // Only a receipt that moved is passed on: repeats cost the others nothing.
    let changed = tx.execute(
        "UPDATE members SET delivered_seq = max(delivered_seq, ?3), read_seq = max(read_seq, ?4)
         WHERE conversation_id = ?1 AND user_id = ?2 AND (delivered_seq < ?3 OR read_seq < ?4)",
        params![conversation.to_string(), user.to_string(), delivered, read],
    )?;
    let receipt = receipt(tx, conversation, user)?;
    let others = if changed == 0 {
        Vec::new()
    } else {
        ids(tx, conversation)?
            .into_iter()
            .filter(|m| *m != user)
            .collect()
    };
    Ok((receipt, others))
}

/// The receipts of the other members of `user`'s conversations.
pub(super) fn receipts_for(conn: &Connection, user: UserId) -> Result<Vec<Receipt>, StorageError> {
    let rows = conn
        .prepare_cached(
            "SELECT o.conversation_id, o.user_id, o.delivered_seq, o.read_seq, o.state
             FROM members me JOIN members o ON o.conversation_id = me.conversation_id
             WHERE me.user_id = ?1 AND o.user_id != ?1 AND (o.delivered_seq > 0 OR o.read_seq > 0)",
        )?
        .query_map([user.to_string()], receipt_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
