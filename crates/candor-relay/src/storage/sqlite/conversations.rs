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
    let mut admins = Vec::new();
    let members = conn
        .prepare_cached(
            "SELECT u.id, u.handle, u.display_name, m.admin
             FROM members m JOIN users u ON u.id = m.user_id
             WHERE m.conversation_id = ?1 ORDER BY u.handle",
        )?
        .query_map([id.to_string()], |r| {
            Ok((user_from_row(r)?, r.get::<_, bool>(3)?))
        })?
        .map(|row| {
            let (user, admin) = row?;
            if admin {
                admins.push(user.id);
            }
            Ok(user)
        })
        .collect::<Result<Vec<_>, rusqlite::Error>>()?;
    let request = conn
        .prepare_cached(
            "SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2 AND state = 'request'",
        )?
        .exists([id.to_string(), viewer.to_string()])?;
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
        check_direct(tx, creator, *m)?;
    }
    let id = ConversationId::new();
    tx.execute(
        "INSERT INTO conversations (id, kind, title, created_at) VALUES (?1, 'group', ?2, ?3)",
        params![id.to_string(), title, ms(at)],
    )?;
    for m in &all {
        let admin = *m == creator;
        insert_member(tx, id, *m, creator, admin, false, ms(at))?;
    }
    announcement(tx, id, &all)
}

/// Puts `user` in group `id`, invited by `inviter`: a request for them unless
/// the inviter is already their contact, so that a stranger (or a
/// sock-puppet) cannot put anyone straight into their inbox, with
/// notifications, beside someone they avoid; and always a request when
/// `again` (they left, or were removed: coming back is theirs to accept).
fn insert_member(
    tx: &Connection,
    id: ConversationId,
    user: UserId,
    inviter: UserId,
    admin: bool,
    again: bool,
    at: i64,
) -> Result<(), StorageError> {
    let request = user != inviter && (again || !is_contact(tx, user, inviter)?);
    tx.prepare_cached(
        "INSERT INTO members (conversation_id, user_id, joined_at, state, admin)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        id.to_string(),
        user.to_string(),
        at,
        if request { "request" } else { "accepted" },
        admin
    ])?;
    // Theirs from the next seq on, whenever a queued send was written.
    members::open_span(tx, id, user)
}

/// Whether `user` is an admin of group `conversation` (NotMember if not in it).
fn is_admin(
    tx: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> Result<bool, StorageError> {
    tx.prepare_cached("SELECT admin FROM members WHERE conversation_id = ?1 AND user_id = ?2")?
        .query_row([conversation.to_string(), user.to_string()], |r| {
            r.get::<_, bool>(0)
        })
        .optional()?
        .ok_or(StorageError::NotMember)
}

/// Refuses unless `actor` is an admin of group `conversation`.
fn check_admin(
    tx: &Connection,
    actor: UserId,
    conversation: ConversationId,
    to: &str,
) -> Result<(), StorageError> {
    if !is_group(tx, conversation)? {
        return Err(StorageError::InvalidGroup("only groups have admins".into()));
    }
    if is_admin(tx, actor, conversation)? {
        Ok(())
    } else {
        Err(StorageError::NotAdmin(format!(
            "only the group's admins can {to}"
        )))
    }
}

/// Whether `user` was ever in `conversation` (a member span, open or closed).
fn was_member(
    tx: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> rusqlite::Result<bool> {
    tx.prepare_cached("SELECT 1 FROM member_spans WHERE conversation_id = ?1 AND user_id = ?2")?
        .exists([conversation.to_string(), user.to_string()])
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
    if before.contains(&user) {
        return announcement(tx, conversation, &before);
    }
    // Someone who left (or was removed) chose, or was made, to be out: only
    // an admin brings them back, not any member who wants them there, and
    // then as a request they may decline.
    let again = was_member(tx, user, conversation)?;
    if again && !is_admin(tx, actor, conversation)? {
        return Err(StorageError::NotAdmin(
            "only the group's admins can add back someone who left".into(),
        ));
    }
    if before.len() >= MAX_GROUP_MEMBERS {
        return Err(StorageError::InvalidGroup(format!(
            "a group has at most {MAX_GROUP_MEMBERS} members"
        )));
    }
    insert_member(tx, conversation, user, actor, false, again, ms(at))?;
    announcement(tx, conversation, &members::ids(tx, conversation)?)
}

/// See `Storage::remove_member`.
pub(super) fn remove_member(
    tx: &Connection,
    actor: UserId,
    conversation: ConversationId,
    user: UserId,
) -> Result<Announcement, StorageError> {
    if actor == user {
        return leave(tx, user, conversation);
    }
    check_admin(tx, actor, conversation, "remove members")?;
    if !members::is_member(tx, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    out(tx, user, conversation)
}

/// See `Storage::make_admin`.
pub(super) fn make_admin(
    tx: &Connection,
    actor: UserId,
    conversation: ConversationId,
    user: UserId,
) -> Result<Announcement, StorageError> {
    check_admin(tx, actor, conversation, "make admins")?;
    let made = tx.execute(
        "UPDATE members SET admin = 1 WHERE conversation_id = ?1 AND user_id = ?2",
        [conversation.to_string(), user.to_string()],
    )?;
    if made == 0 {
        return Err(StorageError::NotMember);
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
    if !members::is_member(tx, user, conversation)? {
        return Err(StorageError::NotMember);
    }
    out(tx, user, conversation)
}

/// Takes `user` out of a group (they left or were removed). They keep what
/// was stored while they were in; their other devices hear that they are
/// out, with the members who remain. A group is never left without an
/// admin: if the last one goes, the longest-standing member who accepted it
/// becomes one (one who has not yet, only if nobody has).
fn out(
    tx: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> Result<Announcement, StorageError> {
    tx.execute(
        "DELETE FROM members WHERE conversation_id = ?1 AND user_id = ?2",
        [conversation.to_string(), user.to_string()],
    )?;
    members::close_span(tx, conversation, user)?;
    tx.execute(
        "UPDATE members SET admin = 1
         WHERE conversation_id = ?1
           AND NOT EXISTS (SELECT 1 FROM members WHERE conversation_id = ?1 AND admin = 1)
           AND user_id = (SELECT user_id FROM members WHERE conversation_id = ?1
                          ORDER BY state = 'accepted' DESC, joined_at, user_id LIMIT 1)",
        [conversation.to_string()],
    )?;
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
    // Accepting a person's request makes them a contact. Accepting a group
    // makes nobody one: its members did not all ask, and a contact may put
    // you in a group, or write to you past "contacts only".
    if !is_group(tx, conversation)? {
        for other in members::ids(tx, conversation)?
            .into_iter()
            .filter(|m| *m != user)
        {
            add_contact(tx, user, other, ms(at))?;
        }
    }
    Ok(Accepted {
        receipt: members::receipt(tx, conversation, user)?,
        others: members::audience(tx, user, conversation)?,
        announcement: announcement(tx, conversation, &[user])?,
    })
}

#[cfg(test)]
mod tests {
    //! Each change announces the conversation to exactly the members who must
    //! hear of it, each with their own view.

    use candor_protocol::UserId;
    use candor_protocol::frames::Recipient;
    use chrono::Utc;

    use super::super::test_support::{alice_wrote_to_bob, send, store, trip_group, users};
    use crate::storage::{Storage, StorageError};

    fn told(a: &crate::storage::Announcement) -> Vec<UserId> {
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
        let [alice, _, cleo] = trio;
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
        let back = s.add_member(alice, group, cleo, Utc::now()).expect("add");
        assert_eq!(told(&back), all);
    }

    fn request_for(a: &crate::storage::Announcement, member: UserId) -> bool {
        a.view_of(member).expect("told").request
    }

    /// Defect 3 of the internet-ready relay issue: a stranger (or a
    /// sock-puppet) put anyone straight into a group, in their inbox, with
    /// notifications. Now an invitation from someone who is not your
    /// contact is a request, as a first direct message is.
    #[test]
    fn a_group_invitation_from_a_stranger_is_a_request() {
        let (_dir, s) = store();
        let [alice, bob, cleo, dana] = users(&s, &["alice", "bob", "cleo", "dana"])[..] else {
            unreachable!()
        };
        // Bob knows Alice (he wrote to her); Cleo does not.
        send(&s, bob, Recipient::Direct { user: alice }).expect("bob writes");
        let made = s
            .create_group(alice, "trip", &[bob, cleo], Utc::now())
            .expect("group");
        assert!(!request_for(&made, alice));
        assert!(!request_for(&made, bob), "Alice is Bob's contact");
        assert!(request_for(&made, cleo), "Alice is a stranger to Cleo");
        let group = made.view_of(alice).expect("Alice").id;
        // Bob, a member, adds Dana, who has never heard of him.
        let added = s.add_member(bob, group, dana, Utc::now()).expect("add");
        assert!(request_for(&added, dana));
        assert!(!request_for(&added, bob));
        s.accept(cleo, group, Utc::now()).expect("Cleo accepts");
        let view = s.conversation_for(group, cleo).expect("view");
        assert!(!view.request);
    }

    /// Accepting a group makes none of its members a contact: otherwise a
    /// stranger in it could put you in the next group straight into your
    /// inbox, or write to you past "contacts only". And someone an admin
    /// brings back after they left comes back as a request.
    #[test]
    fn accepting_a_group_makes_no_contacts_and_coming_back_is_a_request() {
        let (_dir, s) = store();
        let ([alice, bob, cleo], group) = trip_group(&s);
        s.accept(bob, group, Utc::now()).expect("Bob accepts");
        // Cleo, in the group with Bob, is still a stranger to him.
        let other = s
            .create_group(cleo, "second", &[bob], Utc::now())
            .expect("group");
        assert!(request_for(&other, bob), "still a request for Bob");
        s.set_settings(
            bob,
            &candor_protocol::api::AccountSettings {
                who_can_message: candor_protocol::api::WhoCanMessage::Contacts,
            },
        )
        .expect("contacts only");
        assert!(matches!(
            send(&s, cleo, Recipient::Direct { user: bob }),
            Err(StorageError::NotAccepting)
        ));
        // Replying in a group request makes no contacts either.
        send(
            &s,
            bob,
            Recipient::Conversation {
                id: other.view_of(bob).expect("Bob").id,
            },
        )
        .expect("Bob replies in the second group");
        assert!(matches!(
            send(&s, cleo, Recipient::Direct { user: bob }),
            Err(StorageError::NotAccepting)
        ));

        // ("Contacts only" now keeps Alice, no contact of Bob's, from adding
        // him back at all.)
        s.leave(bob, group).expect("Bob leaves");
        assert!(matches!(
            s.add_member(alice, group, bob, Utc::now()),
            Err(StorageError::NotAccepting)
        ));
        s.set_settings(bob, &candor_protocol::api::AccountSettings::default())
            .expect("anyone");
        let back = s.add_member(alice, group, bob, Utc::now()).expect("back");
        assert!(request_for(&back, bob), "coming back is Bob's to accept");
    }

    /// The creator is the group's admin; only admins remove members and make
    /// admins; someone who left (or was removed) is added back only by an
    /// admin; and the last admin to go hands over to the longest-standing
    /// member.
    #[test]
    fn admins_remove_members_and_only_they_bring_back_who_left() {
        let (_dir, s) = store();
        let ([alice, bob, cleo], group) = trip_group(&s);
        let view = s.conversation_for(group, bob).expect("view");
        assert_eq!(view.admins, [alice], "the creator is the admin");

        let refused = |e: StorageError| matches!(e, StorageError::NotAdmin(_));
        assert!(refused(
            s.remove_member(bob, group, cleo)
                .expect_err("Bob is no admin")
        ));
        assert!(refused(
            s.make_admin(bob, group, bob)
                .expect_err("nor can he make himself one")
        ));

        let removed = s
            .remove_member(alice, group, cleo)
            .expect("Alice removes Cleo");
        let mut all = vec![alice, bob, cleo];
        all.sort();
        assert_eq!(told(&removed), all, "Cleo's devices hear she is out");
        assert!(
            !removed
                .view_of(alice)
                .expect("Alice")
                .members
                .iter()
                .any(|m| m.id == cleo)
        );
        assert!(matches!(
            s.store_messages(vec![crate::storage::NewMessage {
                photos: Vec::new(),
                reaction: None,
                sender: cleo,
                client_id: candor_protocol::MessageId::new(),
                to: Recipient::Conversation { id: group },
                text: candor_protocol::MessageText::new("still here?").expect("text"),
                card: None,
                at: Utc::now(),
                reply: None,
            }])
            .expect("batch")
            .pop()
            .expect("one"),
            Err(StorageError::NotMember)
        ));
        assert!(refused(
            s.add_member(bob, group, cleo, Utc::now())
                .expect_err("a member cannot bring back who was removed")
        ),);
        s.add_member(alice, group, cleo, Utc::now())
            .expect("the admin can");

        s.make_admin(alice, group, bob)
            .expect("Alice makes Bob an admin");
        s.leave(alice, group).expect("Alice leaves");
        let view = s.conversation_for(group, bob).expect("view");
        assert_eq!(view.admins, [bob]);
        s.leave(bob, group).expect("Bob, the last admin, leaves");
        let view = s.conversation_for(group, cleo).expect("view");
        assert_eq!(view.admins, [cleo], "never a group without an admin");
    }

    /// A block between two members of a group: neither sees the other's
    /// receipts (when they are there) nor typing.
    #[test]
    fn a_block_withholds_receipts_and_typing_inside_a_group() {
        let (_dir, s) = store();
        let ([alice, bob, cleo], group) = trip_group(&s);
        s.accept(bob, group, Utc::now()).expect("accept");
        s.accept(cleo, group, Utc::now()).expect("accept");
        send(&s, alice, Recipient::Conversation { id: group }).expect("hi");
        s.block(bob, cleo, Utc::now()).expect("Bob blocks Cleo");
        let recorded = s
            .record_receipt(bob, group, Some(1), Some(1))
            .expect("Bob reads");
        assert_eq!(recorded.others, [alice], "not Cleo");
        assert_eq!(s.audience_of(cleo, group).expect("typing"), [alice]);
        assert_eq!(s.audience_of(bob, group).expect("typing"), [alice]);
        let cleo_sees: Vec<UserId> = s
            .receipts_for(cleo)
            .expect("receipts")
            .into_iter()
            .map(|r| r.user)
            .collect();
        assert!(!cleo_sees.contains(&bob), "{cleo_sees:?}");
        assert!(
            s.receipts_for(alice)
                .expect("receipts")
                .iter()
                .any(|r| r.user == bob),
            "Alice still sees Bob's"
        );
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
