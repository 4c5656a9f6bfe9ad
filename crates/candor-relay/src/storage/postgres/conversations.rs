//! Conversations: direct chats (made by their first message), groups, and how
//! each looks to each member. Every change a member must hear of returns an
//! [`Announcement`] built here, by [`announcement`], in the transaction that
//! made the change.
//!
//! Several nodes may change the same group at once: each change first locks
//! the conversation's row (see [`lock`]), so they run one after the other,
//! and each sees the members the one before left.

use super::db::Db;
use chrono::{DateTime, Utc};

use candor_protocol::MAX_GROUP_MEMBERS;
use candor_protocol::frames::{ConversationInfo, ConversationKind};
use candor_protocol::{ConversationId, UserId};

use super::members::{self, Roster};
use super::relations::{add_contact, check_direct, is_contact};
use super::rows::{ms, user_from_row};
use crate::storage::{Accepted, Announcement, StorageError};

/// `id` as `viewer` sees it (the request flag is the viewer's); None if it does
/// not exist.
pub(super) fn view(
    c: &mut Db,
    id: ConversationId,
    viewer: UserId,
) -> Result<Option<ConversationInfo>, StorageError> {
    let Some(row) = c.query_opt(
        "SELECT kind, title FROM conversations WHERE id = $1",
        &[&id.to_string()],
    )?
    else {
        return Ok(None);
    };
    let kind: String = row.try_get(0)?;
    let title: Option<String> = row.try_get(1)?;
    let mut admins = Vec::new();
    let mut members = Vec::new();
    for r in c.query(
        "SELECT u.id, u.handle, u.display_name, m.admin
         FROM members m JOIN users u ON u.id = m.user_id
         WHERE m.conversation_id = $1 ORDER BY u.handle COLLATE \"C\"",
        &[&id.to_string()],
    )? {
        let user = user_from_row(&r)?;
        if r.try_get::<_, bool>(3)? {
            admins.push(user.id);
        }
        members.push(user);
    }
    let request = c
        .query_opt(
            "SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2 AND state = 'request'",
            &[&id.to_string(), &viewer.to_string()],
        )?
        .is_some();
    // Someone who left a group (or was removed) keeps its history, not a
    // window on who is in it now: they are told it has no members they may
    // see, which their device reads as "you are out".
    let (members, admins) = if kind == "group" && !members.iter().any(|m| m.id == viewer) {
        (Vec::new(), Vec::new())
    } else {
        (members, admins)
    };
    Ok(Some(ConversationInfo {
        id,
        kind: if kind == "group" {
            ConversationKind::Group
        } else {
            ConversationKind::Direct
        },
        title,
        members,
        request,
        admins,
    }))
}

/// How `id` now looks to each of `tell`: the one builder of announcements.
pub(super) fn announcement(
    c: &mut Db,
    id: ConversationId,
    tell: &[UserId],
) -> Result<Announcement, StorageError> {
    let mut views = Vec::with_capacity(tell.len());
    for member in tell {
        if let Some(info) = view(c, id, *member)? {
            views.push((*member, info));
        }
    }
    Ok(Announcement(views))
}

/// `conversation` as `viewer`, a member, sees it.
pub(super) fn view_for_member(
    c: &mut Db,
    conversation: ConversationId,
    viewer: UserId,
) -> Result<ConversationInfo, StorageError> {
    if !members::is_member(c, viewer, conversation)? {
        return Err(StorageError::NotMember);
    }
    view(c, conversation, viewer)?.ok_or(StorageError::NotMember)
}

/// Every conversation `user` belongs to, as `user` sees it.
pub(super) fn views_of(c: &mut Db, user: UserId) -> Result<Vec<ConversationInfo>, StorageError> {
    let mut out = Vec::new();
    for id in members::conversations_of(c, user)? {
        if let Some(info) = view(c, id, user)? {
            out.push(info);
        }
    }
    Ok(out)
}

/// Locks `conversation`'s row until the transaction ends, so that changes
/// to its members by several nodes (and the sends that number its messages)
/// take turns. Returns whether it is a group (false if it does not exist).
fn lock(c: &mut Db, conversation: ConversationId) -> Result<bool, StorageError> {
    match c.query_opt(
        "SELECT kind FROM conversations WHERE id = $1 FOR UPDATE",
        &[&conversation.to_string()],
    )? {
        Some(r) => Ok(r.try_get::<_, &str>(0)? == "group"),
        None => Ok(false),
    }
}

/// Creates the direct conversation of `sender` and `user`. Whoever starts the
/// chat counts the other as a contact; for the other it is a request unless the
/// starter is already their contact.
///
/// Another node may create the same conversation (its id is the pair's) at
/// the same moment: the insert then waits for that node's transaction, and
/// if it committed, this changes nothing and returns None.
pub(super) fn create_direct(
    c: &mut Db,
    id: ConversationId,
    sender: UserId,
    user: UserId,
    at: i64,
) -> Result<Option<Roster>, StorageError> {
    let inserted = c.execute(
        "INSERT INTO conversations (id, kind, created_at, last_seq) VALUES ($1, 'direct', $2, 0)
         ON CONFLICT (id) DO NOTHING",
        &[&id.to_string(), &at],
    )?;
    if inserted == 0 {
        return Ok(None);
    }
    add_contact(c, sender, user, at)?;
    let request = !is_contact(c, user, sender)?;
    let add = "INSERT INTO members (conversation_id, user_id, joined_at, state)
               VALUES ($1, $2, $3, $4)";
    c.execute(
        add,
        &[&id.to_string(), &sender.to_string(), &at, &"accepted"],
    )?;
    let state = if request { "request" } else { "accepted" };
    c.execute(add, &[&id.to_string(), &user.to_string(), &at, &state])?;
    members::open_span(c, id, sender)?;
    members::open_span(c, id, user)?;
    Ok(Some(Roster {
        group: false,
        members: vec![(sender, false), (user, request)],
    }))
}

fn group_size_error() -> StorageError {
    StorageError::InvalidGroup(format!(
        "a group has 2 to {MAX_GROUP_MEMBERS} members, you included"
    ))
}

/// See `Storage::create_group`.
pub(super) fn create_group(
    c: &mut Db,
    creator: UserId,
    title: &str,
    members: &[UserId],
    at: DateTime<Utc>,
) -> Result<Announcement, StorageError> {
    let title = crate::storage::group_title(title)?;
    // Bound the work before looking at the list.
    if members.len() > MAX_GROUP_MEMBERS {
        return Err(group_size_error());
    }
    let mut all = vec![creator];
    for m in members {
        if !all.contains(m) {
            all.push(*m);
        }
    }
    if all.len() < 2 || all.len() > MAX_GROUP_MEMBERS {
        return Err(group_size_error());
    }
    // Every other member must exist, and nobody is put in a group by someone
    // they blocked or do not accept: one check answers both (the creator is
    // signed in, so exists).
    for m in all.iter().filter(|m| **m != creator) {
        check_direct(c, creator, *m)?;
    }
    let id = ConversationId::new();
    c.execute(
        "INSERT INTO conversations (id, kind, title, created_at, last_seq)
         VALUES ($1, 'group', $2, $3, 0)",
        &[&id.to_string(), &title, &ms(at)],
    )?;
    for m in &all {
        let admin = *m == creator;
        insert_member(c, id, *m, creator, admin, false, ms(at))?;
    }
    announcement(c, id, &all)
}

/// Puts `user` in group `id`, invited by `inviter`: a request for them unless
/// the inviter is already their contact, so that a stranger (or a
/// sock-puppet) cannot put anyone straight into their inbox, with
/// notifications, beside someone they avoid; and always a request when
/// `again` (they left, or were removed: coming back is theirs to accept).
fn insert_member(
    c: &mut Db,
    id: ConversationId,
    user: UserId,
    inviter: UserId,
    admin: bool,
    again: bool,
    at: i64,
) -> Result<(), StorageError> {
    let request = user != inviter && (again || !is_contact(c, user, inviter)?);
    let state = if request { "request" } else { "accepted" };
    c.execute(
        "INSERT INTO members (conversation_id, user_id, joined_at, state, admin)
         VALUES ($1, $2, $3, $4, $5)",
        &[&id.to_string(), &user.to_string(), &at, &state, &admin],
    )?;
    // Theirs from the next seq on, whenever a queued send was written.
    members::open_span(c, id, user)
}

/// Whether `user` is an admin of group `conversation` (NotMember if not in it).
fn is_admin(c: &mut Db, user: UserId, conversation: ConversationId) -> Result<bool, StorageError> {
    match c.query_opt(
        "SELECT admin FROM members WHERE conversation_id = $1 AND user_id = $2",
        &[&conversation.to_string(), &user.to_string()],
    )? {
        Some(r) => Ok(r.try_get(0)?),
        None => Err(StorageError::NotMember),
    }
}

/// Refuses unless `actor` is an admin of `conversation`, which must be a
/// group (`group`, as [`lock`] found it).
fn check_admin(
    c: &mut Db,
    group: bool,
    actor: UserId,
    conversation: ConversationId,
    to: &str,
) -> Result<(), StorageError> {
    if !group {
        return Err(StorageError::InvalidGroup("only groups have admins".into()));
    }
    if is_admin(c, actor, conversation)? {
        Ok(())
    } else {
        Err(StorageError::NotAdmin(format!(
            "only the group's admins can {to}"
        )))
    }
}

/// Whether `user` was ever in `conversation` (a member span, open or closed).
fn was_member(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
) -> Result<bool, StorageError> {
    Ok(c.query_opt(
        "SELECT 1 FROM member_spans WHERE conversation_id = $1 AND user_id = $2 LIMIT 1",
        &[&conversation.to_string(), &user.to_string()],
    )?
    .is_some())
}

/// See `Storage::add_member`.
pub(super) fn add_member(
    c: &mut Db,
    actor: UserId,
    conversation: ConversationId,
    user: UserId,
    at: DateTime<Utc>,
) -> Result<Announcement, StorageError> {
    let group = lock(c, conversation)?;
    if !members::is_member(c, actor, conversation)? {
        return Err(StorageError::NotMember);
    }
    if !group {
        return Err(StorageError::InvalidGroup(
            "only groups take new members".into(),
        ));
    }
    // Unknown, blocked or not accepting: one check.
    check_direct(c, actor, user)?;
    let before = members::ids(c, conversation)?;
    if before.contains(&user) {
        return announcement(c, conversation, &before);
    }
    // Someone who left (or was removed) chose, or was made, to be out: only
    // an admin brings them back, not any member who wants them there, and
    // then as a request they may decline.
    let again = was_member(c, user, conversation)?;
    if again && !is_admin(c, actor, conversation)? {
        return Err(StorageError::NotAdmin(
            "only the group's admins can add back someone who left".into(),
        ));
    }
    if before.len() >= MAX_GROUP_MEMBERS {
        return Err(StorageError::InvalidGroup(format!(
            "a group has at most {MAX_GROUP_MEMBERS} members"
        )));
    }
    insert_member(c, conversation, user, actor, false, again, ms(at))?;
    let after = members::ids(c, conversation)?;
    announcement(c, conversation, &after)
}

/// See `Storage::remove_member`.
pub(super) fn remove_member(
    c: &mut Db,
    actor: UserId,
    conversation: ConversationId,
    user: UserId,
) -> Result<Announcement, StorageError> {
    if actor == user {
        return leave(c, user, conversation);
    }
    let group = lock(c, conversation)?;
    check_admin(c, group, actor, conversation, "remove members")?;
    if !members::is_member(c, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    out(c, user, conversation)
}

/// See `Storage::make_admin`.
pub(super) fn make_admin(
    c: &mut Db,
    actor: UserId,
    conversation: ConversationId,
    user: UserId,
) -> Result<Announcement, StorageError> {
    let group = lock(c, conversation)?;
    check_admin(c, group, actor, conversation, "make admins")?;
    let made = c.execute(
        "UPDATE members SET admin = true WHERE conversation_id = $1 AND user_id = $2",
        &[&conversation.to_string(), &user.to_string()],
    )?;
    if made == 0 {
        return Err(StorageError::NotMember);
    }
    let now = members::ids(c, conversation)?;
    announcement(c, conversation, &now)
}

/// See `Storage::leave`.
pub(super) fn leave(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
) -> Result<Announcement, StorageError> {
    if !lock(c, conversation)? {
        return Err(StorageError::InvalidGroup(
            "only a group can be left".into(),
        ));
    }
    if !members::is_member(c, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    out(c, user, conversation)
}

/// Takes `user` out of a group (they left or were removed), under the
/// conversation's lock. They keep what was stored while they were in; their
/// other devices hear that they are out, with the members who remain. A
/// group is never left without an admin: if the last one goes, the
/// longest-standing member who accepted it becomes one (one who has not yet,
/// only if nobody has).
fn out(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
) -> Result<Announcement, StorageError> {
    c.execute(
        "DELETE FROM members WHERE conversation_id = $1 AND user_id = $2",
        &[&conversation.to_string(), &user.to_string()],
    )?;
    members::close_span(c, conversation, user)?;
    c.execute(
        "UPDATE members SET admin = true
         WHERE conversation_id = $1
           AND NOT EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND admin)
           AND user_id = (SELECT user_id FROM members WHERE conversation_id = $1
                          ORDER BY state = 'accepted' DESC, joined_at, user_id COLLATE \"C\"
                          LIMIT 1)",
        &[&conversation.to_string()],
    )?;
    let mut tell = members::ids(c, conversation)?;
    tell.push(user);
    announcement(c, conversation, &tell)
}

/// See `Storage::accept`.
pub(super) fn accept(
    c: &mut Db,
    user: UserId,
    conversation: ConversationId,
    at: DateTime<Utc>,
) -> Result<Accepted, StorageError> {
    let group = lock(c, conversation)?;
    if !members::is_member(c, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    c.execute(
        "UPDATE members SET state = 'accepted' WHERE conversation_id = $1 AND user_id = $2",
        &[&conversation.to_string(), &user.to_string()],
    )?;
    // Accepting a person's request makes them a contact. Accepting a group
    // makes nobody one: its members did not all ask, and a contact may put
    // you in a group, or write to you past "contacts only".
    if !group {
        for other in members::ids(c, conversation)?
            .into_iter()
            .filter(|m| *m != user)
        {
            add_contact(c, user, other, ms(at))?;
        }
    }
    Ok(Accepted {
        receipt: members::receipt(c, conversation, user)?,
        others: members::audience(c, user, conversation)?,
        announcement: announcement(c, conversation, &[user])?,
    })
}
