//! Conversations: direct chats (made by their first message), groups, and how
//! each looks to each member. Every change a member must hear of returns an
//! [`Announcement`] built here, by [`announcement`], in the transaction that
//! made the change.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

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
    conn: &Connection,
    id: ConversationId,
    viewer: UserId,
) -> Result<Option<ConversationInfo>, StorageError> {
    let Some((kind, title)) = conn
        .prepare_cached("SELECT kind, title FROM conversations WHERE id = ?1")?
        .query_row([id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let members = conn
        .prepare_cached(
            "SELECT u.id, u.handle, u.display_name FROM members m JOIN users u ON u.id = m.user_id
             WHERE m.conversation_id = ?1 ORDER BY u.handle",
        )?
        .query_map([id.to_string()], user_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let request = conn
        .prepare_cached(
            "SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2 AND state = 'request'",
        )?
        .exists([id.to_string(), viewer.to_string()])?;
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
    }))
}

/// How `id` now looks to each of `tell`: the one builder of announcements.
pub(super) fn announcement(
    conn: &Connection,
    id: ConversationId,
    tell: &[UserId],
) -> Result<Announcement, StorageError> {
    let mut views = Vec::with_capacity(tell.len());
    for member in tell {
        if let Some(info) = view(conn, id, *member)? {
            views.push((*member, info));
        }
    }
    Ok(Announcement(views))
}

/// `conversation` as `viewer`, a member, sees it.
pub(super) fn view_for_member(
    conn: &Connection,
    conversation: ConversationId,
    viewer: UserId,
) -> Result<ConversationInfo, StorageError> {
    if !members::is_member(conn, viewer, conversation)? {
        return Err(StorageError::NotMember);
    }
    view(conn, conversation, viewer)?.ok_or(StorageError::NotMember)
}

/// Every conversation `user` belongs to, as `user` sees it.
pub(super) fn views_of(
    conn: &Connection,
    user: UserId,
) -> Result<Vec<ConversationInfo>, StorageError> {
    let mut out = Vec::new();
    for id in members::conversations_of(conn, user)? {
        if let Some(info) = view(conn, id, user)? {
            out.push(info);
        }
    }
    Ok(out)
}

fn is_group(conn: &Connection, conversation: ConversationId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1 AND kind = 'group'")?
        .exists([conversation.to_string()])
}

/// Creates the direct conversation of `sender` and `user`. Whoever starts the
/// chat counts the other as a contact; for the other it is a request unless the
/// starter is already their contact.
pub(super) fn create_direct(
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
    let request = !is_contact(tx, user, sender)?;
    let mut add = tx.prepare_cached(
        "INSERT INTO members (conversation_id, user_id, joined_at, state) VALUES (?1, ?2, ?3, ?4)",
    )?;
    add.execute(params![id.to_string(), sender.to_string(), at, "accepted"])?;
    let state = if request { "request" } else { "accepted" };
    add.execute(params![id.to_string(), user.to_string(), at, state])?;
    members::open_span(tx, id, sender)?;
    members::open_span(tx, id, user)?;
    Ok(Roster {
        group: false,
        members: vec![(sender, false), (user, request)],
    })
}

fn group_size_error() -> StorageError {
    StorageError::InvalidGroup(format!(
        "a group has 2 to {MAX_GROUP_MEMBERS} members, you included"
    ))
}

/// See `Storage::create_group`.
pub(super) fn create_group(
    tx: &Connection,
    creator: UserId,
    title: &str,
    members: &[UserId],
    at: DateTime<Utc>,
) -> Result<Announcement, StorageError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 64 {
        return Err(StorageError::InvalidGroup(
            "a group needs a title of 1 to 64 characters".into(),
        ));
    }
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
        check_direct(tx, creator, *m)?;
    }
    let id = ConversationId::new();
    tx.execute(
        "INSERT INTO conversations (id, kind, title, created_at) VALUES (?1, 'group', ?2, ?3)",
        params![id.to_string(), title, ms(at)],
    )?;
    for m in &all {
        tx.execute(
            "INSERT INTO members (conversation_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
            params![id.to_string(), m.to_string(), ms(at)],
        )?;
        members::open_span(tx, id, *m)?;
    }
    announcement(tx, id, &all)
}

/// See `Storage::add_member`.
pub(super) fn add_member(
    tx: &Connection,
    actor: UserId,
    conversation: ConversationId,
    user: UserId,
    at: DateTime<Utc>,
) -> Result<Announcement, StorageError> {
    if !members::is_member(tx, actor, conversation)? {
        return Err(StorageError::NotMember);
    }
    if !is_group(tx, conversation)? {
        return Err(StorageError::InvalidGroup(
            "only groups take new members".into(),
        ));
    }
    // Unknown, blocked or not accepting: one check.
    check_direct(tx, actor, user)?;
    let before = members::ids(tx, conversation)?;
    if !before.contains(&user) && before.len() >= MAX_GROUP_MEMBERS {
        return Err(StorageError::InvalidGroup(format!(
            "a group has at most {MAX_GROUP_MEMBERS} members"
        )));
    }
    let added = tx.execute(
        "INSERT INTO members (conversation_id, user_id, joined_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![conversation.to_string(), user.to_string(), ms(at)],
    )?;
    if added == 1 {
        // Theirs from the next seq on, whenever a queued send was written.
        members::open_span(tx, conversation, user)?;
    }
    announcement(tx, conversation, &members::ids(tx, conversation)?)
}

/// See `Storage::leave`.
pub(super) fn leave(
    tx: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> Result<Announcement, StorageError> {
    if !is_group(tx, conversation)? {
        return Err(StorageError::InvalidGroup(
            "only a group can be left".into(),
        ));
    }
    let removed = tx.execute(
        "DELETE FROM members WHERE conversation_id = ?1 AND user_id = ?2",
        [conversation.to_string(), user.to_string()],
    )?;
    if removed == 0 {
        return Err(StorageError::NotMember);
    }
    // They keep what was stored while they were in; their other devices hear
    // that they left, with the members who remain.
    members::close_span(tx, conversation, user)?;
    let mut tell = members::ids(tx, conversation)?;
    tell.push(user);
    announcement(tx, conversation, &tell)
}

/// See `Storage::accept`.
pub(super) fn accept(
    tx: &Connection,
    user: UserId,
    conversation: ConversationId,
    at: DateTime<Utc>,
) -> Result<Accepted, StorageError> {
    if !members::is_member(tx, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    tx.execute(
        "UPDATE members SET state = 'accepted' WHERE conversation_id = ?1 AND user_id = ?2",
        [conversation.to_string(), user.to_string()],
    )?;
    let others: Vec<UserId> = members::ids(tx, conversation)?
        .into_iter()
        .filter(|m| *m != user)
        .collect();
    for other in &others {
        add_contact(tx, user, *other, ms(at))?;
    }
    Ok(Accepted {
        receipt: members::receipt(tx, conversation, user)?,
        others,
        announcement: announcement(tx, conversation, &[user])?,
    })
}

#[cfg(test)]
mod tests {
    //! Each change announces the conversation to exactly the members who must
    //! hear of it, each with their own view.

    use candor_protocol::frames::Recipient;
    use chrono::Utc;

    use super::super::test_support::{alice_wrote_to_bob, send, store, trip_group, users};
    use crate::storage::Storage;

    fn told(a: &crate::storage::Announcement) -> Vec<candor_protocol::UserId> {
        let mut ids: Vec<_> = a.0.iter().map(|(m, _)| *m).collect();
        ids.sort();
        ids
    }

    #[test]
    fn a_first_message_announces_the_chat_to_both_as_each_sees_it() {
        let (_dir, s) = store();
        let [alice, bob] = users(&s, &["alice", "bob"])[..] else {
            unreachable!()
        };
        let first = send(&s, alice, Recipient::Direct { user: bob }).expect("send");
        let a = &first.announcement;
        assert!(!a.view_of(alice).expect("Alice").request);
        assert!(a.view_of(bob).expect("Bob").request, "a request for Bob");
        let second = send(&s, alice, Recipient::Direct { user: bob }).expect("send");
        assert!(second.announcement.0.is_empty(), "nothing new to announce");
        let reply = send(&s, bob, Recipient::Direct { user: alice }).expect("reply");
        assert_eq!(told(&reply.announcement), [bob], "only Bob's view changed");
        assert!(!reply.announcement.view_of(bob).expect("Bob").request);
    }

    #[test]
    fn group_changes_are_announced_to_the_members_after_the_change() {
        let (_dir, s) = store();
        let (trio, group) = trip_group(&s);
        let [alice, bob, cleo] = trio;
        let left = s.leave(cleo, group).expect("leave");
        let mut all = trio.to_vec();
        all.sort();
        assert_eq!(told(&left), all, "the others and Cleo's devices hear of it");
        assert_eq!(left.view_of(alice).expect("Alice").members.len(), 2);
        let cleos = left.view_of(cleo).expect("Cleo");
        assert!(
            !cleos.members.iter().any(|m| m.id == cleo),
            "Cleo's view says she is out"
        );
        let back = s.add_member(bob, group, cleo, Utc::now()).expect("add");
        assert_eq!(told(&back), all);
    }

    #[test]
    fn accepting_a_request_announces_it_to_the_accepter_only() {
        let (_dir, s) = store();
        let ([alice, bob], chat) = alice_wrote_to_bob(&s);
        let accepted = s.accept(bob, chat, Utc::now()).expect("accept");
        assert_eq!(told(&accepted.announcement), [bob]);
        assert!(!accepted.announcement.view_of(bob).expect("Bob").request);
        assert_eq!(accepted.others, [alice]);
    }
}
