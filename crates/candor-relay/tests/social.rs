//! Groups, requests, contacts-only, blocking, receipts and typing, and who may do
//! what: over real HTTP and WebSockets against a relay on a loopback port.

mod support;

use std::time::Duration;

use candor_protocol::api::{AccountSettings, AddMember, ErrorCode, NewGroup, WhoCanMessage};
use candor_protocol::frames::{
    ClientFrame, ConversationInfo, Recipient, RelayFrame, direct_conversation_id,
};
use candor_protocol::{ConversationId, MessageId, MessageText, UserId};
use support::{Client, Relay};

fn send(to: Recipient, text: &str) -> ClientFrame {
    ClientFrame::Send {
        photos: Vec::new(),
        reaction: None,
        client_id: MessageId::new(),
        to,
        text: MessageText::new(text).expect("text"),
        card: None,
        reply: None,
    }
}

/// Frames until the next one that `pick` accepts (5 s).
async fn until<T>(c: &mut Client, mut pick: impl FnMut(RelayFrame) -> Option<T>) -> T {
    loop {
        if let Some(t) = pick(c.next().await) {
            return t;
        }
    }
}

async fn subscribe(c: &mut Client) {
    c.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    until(c, |f| {
        matches!(f, RelayFrame::CaughtUp { .. }).then_some(())
    })
    .await;
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn a_group_of_three_delivers_to_every_member_in_one_order() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    let (carol, mut c) = relay.user("carol", "Carol").await;
    for client in [&mut a, &mut b, &mut c] {
        subscribe(client).await;
    }
    let resp = http()
        .post(relay.http("/v1/groups"))
        .bearer_auth(&alice.token)
        .json(&NewGroup {
            title: "Weekend trip".into(),
            members: vec![bob.user.id, carol.user.id],
        })
        .send()
        .await
        .expect("create group");
    assert_eq!(resp.status().as_u16(), 201);
    let group: ConversationInfo = resp.json().await.expect("info");
    assert_eq!(group.members.len(), 3);
    assert_eq!(group.title.as_deref(), Some("Weekend trip"));
    for client in [&mut b, &mut c] {
        let info = until(client, |f| match f {
            RelayFrame::Conversation(i) => Some(i),
            _ => None,
        })
        .await;
        assert_eq!(info.id, group.id);
        assert!(info.request, "an invitation from a stranger is a request");
        assert_eq!(info.admins, [alice.user.id], "the creator is the admin");
    }
    let to = Recipient::Conversation { id: group.id };
    a.send(&send(to.clone(), "from alice")).await;
    b.send(&send(to.clone(), "from bob")).await;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        if let RelayFrame::Message { message, .. } = c.next().await {
            seen.push((message.seq, message.text.as_str().to_owned()));
        }
    }
    let seqs: Vec<i64> = seen.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 2], "carol sees one gapless order");

    // Carol leaves: she gets nothing more, and cannot post.
    let resp = http()
        .delete(relay.http(&format!("/v1/groups/{}/members/me", group.id)))
        .bearer_auth(&carol.token)
        .send()
        .await
        .expect("leave");
    assert_eq!(resp.status().as_u16(), 204);
    a.send(&send(to.clone(), "after carol left")).await;
    until(&mut a, |f| {
        matches!(f, RelayFrame::Ack { .. }).then_some(())
    })
    .await;
    c.send(&send(to, "can I still post?")).await;
    let code = until(&mut c, |f| match f {
        RelayFrame::Error { error, .. } => Some(error.code),
        RelayFrame::Message { message, .. } => {
            panic!("carol received {:?} after leaving", message.text)
        }
        _ => None,
    })
    .await;
    assert_eq!(code, ErrorCode::Forbidden);
    relay.stop().await;
}

#[tokio::test]
async fn groups_need_a_title_and_at_most_32_members() {
    let relay = Relay::start().await;
    let (alice, _) = relay.user("alice", "Alice").await;
    let too_many: Vec<UserId> = (0..32).map(|_| UserId::new()).collect();
    for body in [
        NewGroup {
            title: " ".into(),
            members: vec![UserId::new()],
        },
        NewGroup {
            title: "Big".into(),
            members: too_many,
        },
        NewGroup {
            title: "Alone".into(),
            members: vec![],
        },
    ] {
        let resp = http()
            .post(relay.http("/v1/groups"))
            .bearer_auth(&alice.token)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 400, "{body:?}");
    }
    relay.stop().await;
}

#[tokio::test]
async fn a_first_message_from_a_stranger_is_a_request_until_accepted() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    subscribe(&mut a).await;
    subscribe(&mut b).await;
    a.send(&send(
        Recipient::Direct { user: bob.user.id },
        "hi, we have not met",
    ))
    .await;
    let info = until(&mut b, |f| match f {
        RelayFrame::Conversation(i) => Some(i),
        _ => None,
    })
    .await;
    assert!(info.request, "for bob it is a request");
    let mine = until(&mut a, |f| match f {
        RelayFrame::Conversation(i) => Some(i),
        _ => None,
    })
    .await;
    assert!(!mine.request, "for alice it is a chat she started");

    // Bob reads it, but while it is a request Alice sees no read receipt.
    b.send(&ClientFrame::Read {
        conversation_id: info.id,
        seq: 1,
    })
    .await;
    let (delivered, read) = until(&mut a, |f| match f {
        RelayFrame::Receipt {
            delivered_seq,
            read_seq,
            ..
        } => Some((delivered_seq, read_seq)),
        _ => None,
    })
    .await;
    assert_eq!((delivered, read), (1, 0), "delivered shows, read does not");

    let resp = http()
        .post(relay.http(&format!("/v1/conversations/{}/accept", info.id)))
        .bearer_auth(&bob.token)
        .send()
        .await
        .expect("accept");
    assert_eq!(resp.status().as_u16(), 204);
    let accepted = until(&mut b, |f| match f {
        RelayFrame::Conversation(i) => Some(i),
        _ => None,
    })
    .await;
    assert!(!accepted.request);
    let read = until(&mut a, |f| match f {
        RelayFrame::Receipt { read_seq, .. } => Some(read_seq),
        _ => None,
    })
    .await;
    assert_eq!(read, 1, "accepting shares the read that was withheld");
    // Reading the same again tells nobody anything new.
    b.send(&ClientFrame::Read {
        conversation_id: info.id,
        seq: 1,
    })
    .await;
    assert!(a.try_next(Duration::from_millis(300)).await.is_none());

    // Accepting made Alice Bob's contact: his contacts-only setting lets her in.
    let resp = http()
        .put(relay.http("/v1/settings"))
        .bearer_auth(&bob.token)
        .json(&AccountSettings {
            who_can_message: WhoCanMessage::Contacts,
        })
        .send()
        .await
        .expect("settings");
    assert_eq!(resp.status().as_u16(), 200);
    a.send(&send(Recipient::Direct { user: bob.user.id }, "still fine"))
        .await;
    until(&mut a, |f| {
        matches!(f, RelayFrame::Ack { .. }).then_some(())
    })
    .await;
    let _ = alice;
    relay.stop().await;
}

#[tokio::test]
async fn contacts_only_refuses_strangers_with_a_clear_error() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    let (bob, _) = relay.user("bob", "Bob").await;
    http()
        .put(relay.http("/v1/settings"))
        .bearer_auth(&bob.token)
        .json(&AccountSettings {
            who_can_message: WhoCanMessage::Contacts,
        })
        .send()
        .await
        .expect("settings");
    let settings: AccountSettings = http()
        .get(relay.http("/v1/settings"))
        .bearer_auth(&bob.token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(settings.who_can_message, WhoCanMessage::Contacts);
    a.send(&send(Recipient::Direct { user: bob.user.id }, "hello?"))
        .await;
    let RelayFrame::Error { error, client_id } = a.next().await else {
        panic!("refused")
    };
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert_eq!(
        error.message,
        "this person only accepts messages from their contacts"
    );
    assert!(client_id.is_some());
    relay.stop().await;
}

#[tokio::test]
async fn a_blocked_user_cannot_message_until_unblocked() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, _) = relay.user("bob", "Bob").await;
    a.send(&send(Recipient::Direct { user: bob.user.id }, "first"))
        .await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    let block = |method: reqwest::Method| {
        http()
            .request(method, relay.http(&format!("/v1/blocks/{}", alice.user.id)))
            .bearer_auth(&bob.token)
            .send()
    };
    assert_eq!(
        block(reqwest::Method::PUT)
            .await
            .expect("block")
            .status()
            .as_u16(),
        204
    );
    let chat = direct_conversation_id(alice.user.id, bob.user.id);
    for to in [
        Recipient::Direct { user: bob.user.id },
        Recipient::Conversation { id: chat },
    ] {
        a.send(&send(to, "are you there?")).await;
        let RelayFrame::Error { error, .. } = a.next().await else {
            panic!("refused")
        };
        assert_eq!(error.code, ErrorCode::Forbidden);
        assert_eq!(error.message, "you can't message this person");
    }
    assert_eq!(
        block(reqwest::Method::DELETE)
            .await
            .expect("unblock")
            .status()
            .as_u16(),
        204
    );
    a.send(&send(
        Recipient::Direct { user: bob.user.id },
        "hello again",
    ))
    .await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    relay.stop().await;
}

#[tokio::test]
async fn typing_reaches_other_members_live_and_is_never_stored() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    subscribe(&mut b).await;
    a.send(&send(Recipient::Direct { user: bob.user.id }, "hi"))
        .await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));
    let chat = direct_conversation_id(alice.user.id, bob.user.id);
    a.send(&ClientFrame::Typing {
        conversation_id: chat,
    })
    .await;
    let who = until(&mut b, |f| match f {
        RelayFrame::Typing { user_id, .. } => Some(user_id),
        _ => None,
    })
    .await;
    assert_eq!(who, alice.user.id);
    // A later catch-up from the start replays messages, never typing.
    let mut b2 = Client::connect(&relay, &bob.token).await.expect("connect");
    b2.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    loop {
        match b2.next().await {
            RelayFrame::Typing { .. } => panic!("typing was stored"),
            RelayFrame::CaughtUp { .. } => break,
            _ => {}
        }
    }
    relay.stop().await;
}

/// Every endpoint and frame, tried with no token, a revoked token and another
/// user's token: each is refused, and nothing of the conversation leaks.
#[tokio::test]
async fn authorization_matrix() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, _) = relay.user("bob", "Bob").await;
    let (mallory, mut m) = relay.user("mallory", "Mallory").await;
    relay.sign_up("revoked", "Revoked").await;
    let revoked = relay.sign_in("revoked").await;
    http()
        .delete(relay.http("/v1/sessions/current"))
        .bearer_auth(&revoked.token)
        .send()
        .await
        .expect("sign out");

    let group: ConversationInfo = http()
        .post(relay.http("/v1/groups"))
        .bearer_auth(&alice.token)
        .json(&NewGroup {
            title: "Private".into(),
            members: vec![bob.user.id],
        })
        .send()
        .await
        .expect("group")
        .json()
        .await
        .expect("info");
    a.send(&send(Recipient::Conversation { id: group.id }, "secret"))
        .await;
    assert!(matches!(a.next().await, RelayFrame::Ack { .. }));

    // HTTP: without a valid token, every authenticated endpoint answers 401.
    let gid = group.id;
    let endpoints: Vec<(reqwest::Method, String, Option<serde_json::Value>)> = vec![
        (reqwest::Method::GET, "/v1/users/alice".into(), None),
        (
            reqwest::Method::POST,
            "/v1/groups".into(),
            Some(serde_json::json!({"title": "x", "members": [bob.user.id]})),
        ),
        (
            reqwest::Method::POST,
            format!("/v1/groups/{gid}/members"),
            Some(serde_json::json!({"user": mallory.user.id})),
        ),
        (
            reqwest::Method::DELETE,
            format!("/v1/groups/{gid}/members/me"),
            None,
        ),
        (
            reqwest::Method::DELETE,
            format!("/v1/groups/{gid}/members/{}", bob.user.id),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("/v1/groups/{gid}/admins"),
            Some(serde_json::json!({"user": bob.user.id})),
        ),
        (
            reqwest::Method::POST,
            format!("/v1/conversations/{gid}/accept"),
            None,
        ),
        (reqwest::Method::GET, "/v1/settings".into(), None),
        (
            reqwest::Method::PUT,
            "/v1/settings".into(),
            Some(serde_json::json!({"who_can_message": "contacts"})),
        ),
        (
            reqwest::Method::PUT,
            format!("/v1/blocks/{}", bob.user.id),
            None,
        ),
        (
            reqwest::Method::DELETE,
            format!("/v1/blocks/{}", bob.user.id),
            None,
        ),
        (reqwest::Method::DELETE, "/v1/sessions/current".into(), None),
    ];
    for (method, path, body) in &endpoints {
        for token in [None, Some(revoked.token.as_str()), Some("not-a-token")] {
            let mut req = http().request(method.clone(), relay.http(path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let status = req.send().await.expect("request").status().as_u16();
            assert_eq!(status, 401, "{method} {path} with {token:?}");
        }
    }
    // The WebSocket refuses the same tokens at the upgrade.
    for token in [None, Some(revoked.token.as_str()), Some("not-a-token")] {
        let err = Client::open(&relay, token, None)
            .await
            .err()
            .expect("refused");
        assert!(err.contains("401"), "{token:?}: {err}");
    }

    // Another user's valid token: Mallory, not a member, can neither change, read
    // nor post to the group.
    let not_member: Vec<(reqwest::Method, String, Option<serde_json::Value>)> = vec![
        (
            reqwest::Method::POST,
            format!("/v1/groups/{gid}/members"),
            Some(
                serde_json::to_value(AddMember {
                    user: mallory.user.id,
                })
                .expect("json"),
            ),
        ),
        (
            reqwest::Method::DELETE,
            format!("/v1/groups/{gid}/members/me"),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("/v1/conversations/{gid}/accept"),
            None,
        ),
        (
            reqwest::Method::DELETE,
            format!("/v1/groups/{gid}/members/{}", bob.user.id),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("/v1/groups/{gid}/admins"),
            Some(serde_json::json!({"user": mallory.user.id})),
        ),
    ];
    for (method, path, body) in &not_member {
        let mut req = http()
            .request(method.clone(), relay.http(path))
            .bearer_auth(&mallory.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let status = req.send().await.expect("request").status().as_u16();
        assert_eq!(status, 403, "{method} {path} as a non-member");
    }
    let frames = [
        send(Recipient::Conversation { id: gid }, "let me in"),
        ClientFrame::Read {
            conversation_id: gid,
            seq: 1,
        },
        ClientFrame::Delivered {
            conversation_id: gid,
            seq: 1,
        },
        ClientFrame::Typing {
            conversation_id: gid,
        },
    ];
    for frame in frames {
        m.send(&frame).await;
        let RelayFrame::Error { error, .. } = m.next().await else {
            panic!("refused: {frame:?}")
        };
        assert_eq!(error.code, ErrorCode::Forbidden, "{frame:?}");
    }
    m.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    loop {
        match m.next().await {
            RelayFrame::Message { message, .. } => panic!("mallory read {:?}", message.text),
            RelayFrame::Conversation(c) => assert_ne!(c.id, gid),
            RelayFrame::CaughtUp { .. } => break,
            _ => {}
        }
    }
    // An unknown conversation id is refused the same way as a foreign one.
    m.send(&send(
        Recipient::Conversation {
            id: ConversationId::new(),
        },
        "?",
    ))
    .await;
    let RelayFrame::Error { error, .. } = m.next().await else {
        panic!("refused")
    };
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert!(m.try_next(Duration::from_millis(200)).await.is_none());
    relay.stop().await;
}

#[tokio::test]
async fn groups_respect_blocks_and_members_read_only_what_came_while_they_were_in() {
    let relay = Relay::start().await;
    let (alice, mut a) = relay.user("alice", "Alice").await;
    let (bob, _) = relay.user("bob", "Bob").await;
    let (carol, _) = relay.user("carol", "Carol").await;
    // Bob blocks Alice: she can put him in no group.
    http()
        .put(relay.http(&format!("/v1/blocks/{}", alice.user.id)))
        .bearer_auth(&bob.token)
        .send()
        .await
        .expect("block");
    let resp = http()
        .post(relay.http("/v1/groups"))
        .bearer_auth(&alice.token)
        .json(&NewGroup {
            title: "Sneaky".into(),
            members: vec![bob.user.id, carol.user.id],
        })
        .send()
        .await
        .expect("create");
    assert_eq!(resp.status().as_u16(), 403);

    // Carol leaves; what is said while she is out stays out of her catch-up,
    // even after she is added back.
    let group: ConversationInfo = http()
        .post(relay.http("/v1/groups"))
        .bearer_auth(&alice.token)
        .json(&NewGroup {
            title: "Trip".into(),
            members: vec![carol.user.id],
        })
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("info");
    let to = Recipient::Conversation { id: group.id };
    a.send(&send(to.clone(), "before")).await;
    until(&mut a, |f| {
        matches!(f, RelayFrame::Ack { .. }).then_some(())
    })
    .await;
    http()
        .delete(relay.http(&format!("/v1/groups/{}/members/me", group.id)))
        .bearer_auth(&carol.token)
        .send()
        .await
        .expect("leave");
    a.send(&send(to.clone(), "while carol was out")).await;
    until(&mut a, |f| {
        matches!(f, RelayFrame::Ack { .. }).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let resp = http()
        .post(relay.http(&format!("/v1/groups/{}/members", group.id)))
        .bearer_auth(&alice.token)
        .json(&AddMember {
            user: carol.user.id,
        })
        .send()
        .await
        .expect("add back");
    assert_eq!(resp.status().as_u16(), 200);
    let mut c = Client::connect(&relay, &carol.token)
        .await
        .expect("connect");
    c.send(&ClientFrame::CatchUp {
        after: None,
        acked_in: Vec::new(),
    })
    .await;
    let mut texts = Vec::new();
    loop {
        match c.next().await {
            RelayFrame::Message { message, .. } => texts.push(message.text.as_str().to_owned()),
            RelayFrame::CaughtUp { .. } => break,
            _ => {}
        }
    }
    assert_eq!(
        texts,
        ["before"],
        "Carol keeps what was said while she was in, and only that"
    );
    relay.stop().await;
}

/// Defect 3 of the internet-ready relay issue, over HTTP: only the group's
/// admins remove members and make admins (a member who is not one gets 403
/// and a sentence saying so); the removed member's socket hears that they
/// are out; and only an admin adds them back.
#[tokio::test]
async fn only_admins_remove_members_make_admins_and_add_back_who_left() {
    let relay = Relay::start().await;
    let (alice, _) = relay.user("alice", "Alice").await;
    let (bob, _) = relay.user("bob", "Bob").await;
    let (carol, mut c) = relay.user("carol", "Carol").await;
    subscribe(&mut c).await;
    let group: ConversationInfo = http()
        .post(relay.http("/v1/groups"))
        .bearer_auth(&alice.token)
        .json(&NewGroup {
            title: "Trip".into(),
            members: vec![bob.user.id, carol.user.id],
        })
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("info");
    let remove = |token: &str, user: UserId| {
        http()
            .delete(relay.http(&format!("/v1/groups/{}/members/{user}", group.id)))
            .bearer_auth(token)
            .send()
    };
    let add = |token: &str, user: UserId| {
        http()
            .post(relay.http(&format!("/v1/groups/{}/members", group.id)))
            .bearer_auth(token)
            .json(&AddMember { user })
            .send()
    };
    let make_admin = |token: &str, user: UserId| {
        http()
            .post(relay.http(&format!("/v1/groups/{}/admins", group.id)))
            .bearer_auth(token)
            .json(&candor_protocol::api::MakeAdmin { user })
            .send()
    };

    let refused = remove(&bob.token, carol.user.id).await.expect("remove");
    assert_eq!(refused.status().as_u16(), 403);
    let error: candor_protocol::api::ApiError = refused.json().await.expect("error body");
    assert_eq!(error.message, "only the group's admins can remove members");
    let refused = make_admin(&bob.token, bob.user.id)
        .await
        .expect("make admin");
    assert_eq!(refused.status().as_u16(), 403);

    let removed = remove(&alice.token, carol.user.id).await.expect("remove");
    assert_eq!(removed.status().as_u16(), 200);
    let alices: ConversationInfo = removed.json().await.expect("Alice's view");
    assert_eq!(
        alices.members.len(),
        2,
        "the answer is the group as Alice now sees it"
    );
    // Carol's devices heard of the group, then hear she is out of it, and
    // no longer see who is in it.
    let told = until(&mut c, |f| match f {
        RelayFrame::Conversation(info)
            if info.id == group.id && !info.members.iter().any(|m| m.id == carol.user.id) =>
        {
            Some(info)
        }
        _ => None,
    })
    .await;
    assert!(
        told.members.is_empty() && told.admins.is_empty(),
        "{told:?}"
    );
    let refused = add(&bob.token, carol.user.id).await.expect("add back");
    assert_eq!(
        refused.status().as_u16(),
        403,
        "a member cannot bring her back"
    );

    let made = make_admin(&alice.token, bob.user.id)
        .await
        .expect("make admin");
    assert_eq!(made.status().as_u16(), 200);
    let alices: ConversationInfo = made.json().await.expect("Alice's view");
    assert_eq!(alices.admins.len(), 2);
    let back = add(&bob.token, carol.user.id).await.expect("add back");
    assert_eq!(back.status().as_u16(), 200, "an admin can");
    relay.stop().await;
}

/// Group changes are counted per account (60 an hour by default): a stranger
/// cannot spray requests by making group after group with someone in it.
#[tokio::test]
async fn group_changes_are_limited_per_account() {
    let relay = Relay::start_configured(|c| c.group_changes_per_hour = 3).await;
    let (mallory, _) = relay.user("mallory", "Mallory").await;
    let (victim, _) = relay.user("victim", "Victim").await;
    let make = |n: usize| {
        http()
            .post(relay.http("/v1/groups"))
            .bearer_auth(&mallory.token)
            .json(&NewGroup {
                title: format!("spam {n}"),
                members: vec![victim.user.id],
            })
            .send()
    };
    for n in 0..3 {
        assert_eq!(make(n).await.expect("create").status().as_u16(), 201);
    }
    let refused = make(3).await.expect("create");
    assert_eq!(refused.status().as_u16(), 429);
    let error: candor_protocol::api::ApiError = refused.json().await.expect("body");
    assert!(error.message.contains("group changes"), "{}", error.message);
    relay.stop().await;
}
