//! Groups on this device: who is in them and who runs them (as the relay
//! says), and what a member this account blocked still shows here: a
//! collapsed line, never their words, never the chat's preview or unread.

mod support;

use candor_core::NewConversation;
use candor_protocol::ConversationId;
use support::{World, person};

fn trip(
    w: &mut World,
    admins: Vec<candor_protocol::UserId>,
) -> (ConversationId, candor_core::Person) {
    let sam = person("sam", "Sam");
    let id = ConversationId::new();
    w.store
        .add_conversation(&NewConversation::Group {
            id,
            title: "Trip".into(),
            members: vec![w.me.clone(), w.maya.clone(), sam.clone()],
            admins,
        })
        .expect("group");
    (id, sam)
}

#[test]
fn the_members_list_puts_admins_first_and_says_whether_i_am_one() {
    let mut w = World::new();
    let maya = w.maya.id;
    let (group, sam) = trip(&mut w, vec![maya]);
    let list = w.store.group_members(group).expect("members");
    let names: Vec<(&str, bool, bool)> = list
        .members
        .iter()
        .map(|m| (m.person.handle.as_str(), m.admin, m.is_me))
        .collect();
    assert_eq!(names[0], ("maya", true, false), "the admin first");
    assert!(names[1].2, "then me");
    assert_eq!(names[2], ("sam", false, false));
    assert!(!list.i_am_admin);

    // The relay makes me an admin and says Sam is out.
    let me = w.me.clone();
    w.store
        .add_conversation(&NewConversation::Group {
            id: group,
            title: "Trip".into(),
            members: vec![me.clone(), w.maya.clone()],
            admins: vec![maya, me.id],
        })
        .expect("described again");
    let list = w.store.group_members(group).expect("members");
    assert!(list.i_am_admin);
    assert!(!list.members.iter().any(|m| m.person.id == sam.id));
    w.store.set_left(group).expect("left");
    assert!(
        !w.store.group_members(group).expect("members").i_am_admin,
        "no admin of a group one has left"
    );
}

#[test]
fn a_blocked_members_messages_are_collapsed_and_neither_preview_nor_unread() {
    let mut w = World::new();
    let (group, sam) = trip(&mut w, Vec::new());
    let maya = w.maya.clone();
    let hello = w.incoming(group, &maya, "hello all");
    w.store.apply_received(&[hello]).expect("apply");
    w.store.set_blocked(sam.id, true).expect("block Sam");
    let spam = w.incoming(group, &sam, "you can't ignore me");
    w.store.apply_received(&[spam]).expect("apply");

    let page = w.store.conversation_page(group, None, 50).expect("page");
    let from_sam = page
        .messages
        .iter()
        .find(|m| m.sender_id == sam.id)
        .expect("Sam's message is kept, in its place");
    assert!(from_sam.sender_blocked);
    assert_eq!(from_sam.text, "", "no words of his reach the page");
    let row = w.store.inbox_item(group).expect("row");
    assert_eq!(row.preview.as_deref(), Some("hello all"));
    assert_eq!(row.unread_count, 1, "only Maya's counts");

    // Unblocked, his message is an ordinary one again, at once.
    w.store.set_blocked(sam.id, false).expect("unblock");
    let row = w.store.inbox_item(group).expect("row");
    assert_eq!(row.preview.as_deref(), Some("you can't ignore me"));
    assert_eq!(row.unread_count, 2);
    let page = w.store.conversation_page(group, None, 50).expect("page");
    assert!(page.messages.iter().all(|m| !m.sender_blocked));
}

/// The relay describes a group this account is out of with no members (who
/// is in it now is no longer ours to see): the last list known here stays.
#[test]
fn a_group_one_is_out_of_keeps_its_last_known_members() {
    let mut w = World::new();
    let (group, _) = trip(&mut w, Vec::new());
    w.store
        .add_conversation(&NewConversation::Group {
            id: group,
            title: "Trip".into(),
            members: Vec::new(),
            admins: Vec::new(),
        })
        .expect("described with nobody");
    let list = w.store.group_members(group).expect("members");
    assert_eq!(list.members.len(), 3, "as they were");
}
