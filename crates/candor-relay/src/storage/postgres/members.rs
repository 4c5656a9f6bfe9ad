//! The `members` table: who belongs to which conversation, whether it is still
//! a request for them, and how far each has received and read it. Read from
//! the database each time (other nodes change it too); a conversation's last
//! seq is its row's `last_seq`, which a send updates under the row's lock.
//!
//! Lists come in the order the embedded store gives them (its primary keys'):
//! ids compared byte by byte (`COLLATE "C"`), whatever the database's locale.

use super::db::Db;

use candor_protocol::{ConversationId, UserId};

use super::rows::uuid_col;
use crate::storage::{Receipt, ReceiptRecorded, StorageError};

/// A conversation's kind and members (with whether each is in 'request' state),
/// read in one statement.
#[derive(Clone, Debug)]
pub(super) struct Roster {
    pub(super) group: bool,
    pub(super) members: Vec<(UserId, bool)>,
}

impl Roster {
    /// The roster of `id`; None if it does not exist.
    pub(super) fn read(c: &mut Db, id: ConversationId) -> Result<Option<Self>, StorageError> {
        let rows = c.query(
            "SELECT c.kind, m.user_id, m.state FROM conversations c
             JOIN members m ON m.conversation_id = c.id WHERE c.id = $1
             ORDER BY m.user_id COLLATE \"C\"",
            &[&id.to_string()],
        )?;
        let mut group = false;
        let mut members = Vec::with_capacity(rows.len());
        for r in &rows {
            group = r.try_get::<_, &str>(0)? == "group";
            members.push((
                UserId(uuid_col(r, 1)?),
                r.try_get::<_, &str>(2)? == "request",
            ));
        }
        Ok((!members.is_empty()).then_some(Self { group, members }))
    }

    /// `user`'s entry: their id and whether the conversation is a request for them.
    pub(super) fn member(&self, user: UserId) -> Option<&(UserId, bool)> {
        self.members.iter().find(|(m, _)| *m == user)
    }

    /// The members' ids.
    pub(super) fn ids(&self) -> Vec<UserId> {
        self.members.iter().map(|(m, _)| *m).collect()
    }
}

/// Whether `user` is a member of `conversation`.
pub(super) fn is_member(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
) -> Result<bool, StorageError> {
    Ok(c.query_opt(
        "SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2",
        &[&conversation.to_string(), &user.to_string()],
    )?
    .is_some())
}

/// The members of `id`.
pub(super) fn ids(c: &mut Db, id: ConversationId) -> Result<Vec<UserId>, StorageError> {
    c.query(
        "SELECT user_id FROM members WHERE conversation_id = $1 ORDER BY user_id COLLATE \"C\"",
        &[&id.to_string()],
    )?
    .iter()
    .map(|r| uuid_col(r, 0).map(UserId))
    .collect()
}

/// The other members of `conversation` who may see what `user` does there
/// (receipts, typing): everyone but `user` and those with a block between
/// them, either way. Someone you blocked in a group learns nothing of when
/// you are there, and someone who blocked you hears nothing from you.
pub(super) fn audience(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
) -> Result<Vec<UserId>, StorageError> {
    c.query(
        "SELECT m.user_id FROM members m
         WHERE m.conversation_id = $1 AND m.user_id <> $2
           AND NOT EXISTS (SELECT 1 FROM blocks b
                           WHERE (b.user_id = m.user_id AND b.blocked_id = $2)
                              OR (b.user_id = $2 AND b.blocked_id = m.user_id))
         ORDER BY m.user_id COLLATE \"C\"",
        &[&conversation.to_string(), &user.to_string()],
    )?
    .iter()
    .map(|r| uuid_col(r, 0).map(UserId))
    .collect()
}

/// [`audience`], for a member only (NotMember otherwise).
pub(super) fn audience_if_member(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
) -> Result<Vec<UserId>, StorageError> {
    if !is_member(c, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    audience(c, user, conversation)
}

/// The seq of `conversation`'s newest message (0 if it has none, or does not
/// exist), read under the conversation row's lock: no send numbers a message
/// of it until this transaction ends, so a span opened or closed at this seq
/// is exact.
pub(super) fn locked_last_seq(
    c: &mut Db,
    conversation: ConversationId,
) -> Result<i64, StorageError> {
    match c.query_opt(
        "SELECT last_seq FROM conversations WHERE id = $1 FOR NO KEY UPDATE",
        &[&conversation.to_string()],
    )? {
        Some(r) => Ok(r.try_get(0)?),
        None => Ok(0),
    }
}

/// `user` starts reading `conversation` after its current last seq: what is
/// stored from now on is theirs, whenever it was sent.
pub(super) fn open_span(
    c: &mut Db,
    conversation: ConversationId,
    user: UserId,
) -> Result<(), StorageError> {
    let after = locked_last_seq(c, conversation)?;
    c.execute(
        "INSERT INTO member_spans (conversation_id, user_id, after_seq) VALUES ($1, $2, $3)
         ON CONFLICT (conversation_id, user_id, after_seq) DO UPDATE SET through_seq = NULL",
        &[&conversation.to_string(), &user.to_string(), &after],
    )?;
    Ok(())
}

/// `user` has left `conversation`: they keep what was stored up to now.
pub(super) fn close_span(
    c: &mut Db,
    conversation: ConversationId,
    user: UserId,
) -> Result<(), StorageError> {
    let through = locked_last_seq(c, conversation)?;
    c.execute(
        "UPDATE member_spans SET through_seq = $3
         WHERE conversation_id = $1 AND user_id = $2 AND through_seq IS NULL",
        &[&conversation.to_string(), &user.to_string(), &through],
    )?;
    Ok(())
}

/// The conversations `user` belongs to or has read part of (a group they
/// left): every conversation a catch-up may hold messages of.
pub(super) fn conversations_of(
    c: &mut Db,
    user: UserId,
) -> Result<Vec<ConversationId>, StorageError> {
    c.query(
        "SELECT DISTINCT conversation_id COLLATE \"C\" FROM member_spans WHERE user_id = $1
         ORDER BY 1",
        &[&user.to_string()],
    )?
    .iter()
    .map(|r| uuid_col(r, 0).map(ConversationId))
    .collect()
}

/// `user`'s receipt in `conversation`, as the other members may see it.
pub(super) fn receipt(
    c: &mut Db,
    conversation: ConversationId,
    user: UserId,
) -> Result<Receipt, StorageError> {
    let r = c.query_one(
        "SELECT conversation_id, user_id, delivered_seq, read_seq, state FROM members
         WHERE conversation_id = $1 AND user_id = $2",
        &[&conversation.to_string(), &user.to_string()],
    )?;
    receipt_row(&r)
}

/// A member's receipt as others may see it: while the conversation is a
/// request for them, their reads are not shared.
fn receipt_row(r: &postgres::Row) -> Result<Receipt, StorageError> {
    // 'own': the member's own receipt, shown to them in full.
    let state: &str = r.try_get(4)?;
    Ok(Receipt {
        conversation: ConversationId(uuid_col(r, 0)?),
        user: UserId(uuid_col(r, 1)?),
        delivered_seq: r.try_get(2)?,
        read_seq: if state == "request" { 0 } else { r.try_get(3)? },
    })
}

/// See `Storage::record_receipt`.
pub(super) fn record_receipt(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
    delivered: Option<i64>,
    read: Option<i64>,
) -> Result<ReceiptRecorded, StorageError> {
    if !is_member(c, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    // Reading implies having received; neither goes past the last message.
    let last: i64 = c
        .query_opt(
            "SELECT last_seq FROM conversations WHERE id = $1",
            &[&conversation.to_string()],
        )?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let read = read.unwrap_or(0).min(last);
    let delivered = delivered.unwrap_or(0).min(last).max(read);
    // Only a receipt that moved is passed on: repeats cost the others nothing.
    let changed = c.execute(
        "UPDATE members SET delivered_seq = GREATEST(delivered_seq, $3),
                            read_seq = GREATEST(read_seq, $4)
         WHERE conversation_id = $1 AND user_id = $2 AND (delivered_seq < $3 OR read_seq < $4)",
        &[
            &conversation.to_string(),
            &user.to_string(),
            &delivered,
            &read,
        ],
    )?;
    let others = if changed == 0 {
        Vec::new()
    } else {
        audience(c, user, conversation)?
    };
    Ok(ReceiptRecorded {
        shared: receipt(c, conversation, user)?,
        own: own_receipt(c, conversation, user)?,
        moved: changed > 0,
        others,
    })
}

/// The receipts of the members of `user`'s conversations: the others' as
/// they may be seen, and `user`'s own in full (the read position the
/// account's devices share).
pub(super) fn receipts_for(c: &mut Db, user: UserId) -> Result<Vec<Receipt>, StorageError> {
    c.query(
        "SELECT o.conversation_id, o.user_id, o.delivered_seq, o.read_seq,
                CASE WHEN o.user_id = $1 THEN 'own' ELSE o.state END
         FROM members me JOIN members o ON o.conversation_id = me.conversation_id
         WHERE me.user_id = $1 AND (o.delivered_seq > 0 OR o.read_seq > 0)
           AND NOT EXISTS (SELECT 1 FROM blocks b
                           WHERE (b.user_id = o.user_id AND b.blocked_id = $1)
                              OR (b.user_id = $1 AND b.blocked_id = o.user_id))
         ORDER BY o.conversation_id COLLATE \"C\", o.user_id COLLATE \"C\"",
        &[&user.to_string()],
    )?
    .iter()
    .map(receipt_row)
    .collect()
}

/// `user`'s own receipt in `conversation`, in full: what their devices share.
pub(super) fn own_receipt(
    c: &mut Db,
    conversation: ConversationId,
    user: UserId,
) -> Result<Receipt, StorageError> {
    let r = c.query_one(
        "SELECT conversation_id, user_id, delivered_seq, read_seq, 'own'::text FROM members
         WHERE conversation_id = $1 AND user_id = $2",
        &[&conversation.to_string(), &user.to_string()],
    )?;
    receipt_row(&r)
}
