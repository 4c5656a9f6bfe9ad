//! `candor-relay admin` against the running relay binary: the operator lists
//! accounts and what they use, suspends one (its open socket closes at once
//! and it cannot sign in), and makes sign-up invite-only, with codes that
//! each sign up one account.

mod support;

use candor_protocol::api::{RelayInfo, SignUp};
use candor_protocol::frames::{ClientFrame, Recipient, RelayFrame};
use candor_protocol::{MessageId, MessageText};
use support::Client;
use support::process::Process;

async fn sign_up(process: &Process, handle: &str, invite: Option<&str>) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(process.relay.http("/v1/accounts"))
        .json(&SignUp {
            handle: handle.into(),
            display_name: handle.into(),
            password: "orchid-lantern-57".into(),
            invite: invite.map(Into::into),
        })
        .send()
        .await
        .expect("sign up");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

#[tokio::test]
async fn the_operator_sees_usage_and_suspends_an_account_at_once() {
    let process = Process::start();
    let relay = &process.relay;
    let (_, mut alice) = relay.user("alice", "Alice").await;
    let (bob, mut b) = relay.user("bob", "Bob").await;
    for i in 0..3 {
        alice
            .send(&ClientFrame::Send {
                photos: Vec::new(),
                reaction: None,
                client_id: MessageId::new(),
                to: Recipient::Direct { user: bob.user.id },
                text: MessageText::new(format!("hello {i}")).expect("text"),
                card: None,
                reply: None,
            })
            .await;
        assert!(matches!(alice.next().await, RelayFrame::Ack { .. }));
    }

    let listed = process.admin(&["accounts"]).expect("accounts");
    let alice_row = listed
        .lines()
        .find(|l| l.starts_with("@alice"))
        .unwrap_or_else(|| panic!("{listed}"));
    let columns: Vec<&str> = alice_row.split_whitespace().collect();
    // @alice active 1 3 21 B since…
    assert_eq!(
        &columns[..6],
        ["@alice", "active", "1", "3", "21", "B"],
        "{listed}"
    );

    let said = process.admin(&["suspend", "bob"]).expect("suspend");
    assert!(said.contains("@bob is suspended"), "{said}");
    assert!(b.closed().await, "Bob's open socket ends at once");
    let refused = reqwest::Client::new()
        .post(relay.http("/v1/sessions"))
        .json(&serde_json::json!({
            "handle": "bob", "password": "orchid-lantern-57", "device_name": "laptop"
        }))
        .send()
        .await
        .expect("sign in");
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused.text().await.expect("body").contains("suspended"),
        "a sentence that says why"
    );
    assert!(
        Client::connect(relay, &bob.token).await.is_err(),
        "his old token is dead"
    );
    process.admin(&["unsuspend", "bob"]).expect("unsuspend");
    relay.sign_in("bob").await;

    let unknown = process
        .admin(&["suspend", "nobody"])
        .expect_err("no such account");
    assert!(unknown.contains("nobody is called @nobody"), "{unknown}");
}

#[tokio::test]
async fn invite_only_sign_up_takes_each_code_once() {
    let process = Process::start();
    let info: RelayInfo = reqwest::get(process.relay.http("/v1/relay"))
        .await
        .expect("info")
        .json()
        .await
        .expect("json");
    assert!(!info.invite_only);
    assert_eq!(sign_up(&process, "early", None).await.0, 201);

    let said = process.admin(&["invite-only", "on"]).expect("invite-only");
    assert!(said.contains("by invite code only"), "{said}");
    let info: RelayInfo = reqwest::get(process.relay.http("/v1/relay"))
        .await
        .expect("info")
        .json()
        .await
        .expect("json");
    assert!(info.invite_only, "the sign-up form can tell");
    let (status, body) = sign_up(&process, "walkin", None).await;
    assert_eq!(status, 403);
    assert!(body.contains("invitation only"), "{body}");
    // Without a code nobody learns which handles are taken.
    let (status, body) = sign_up(&process, "early", None).await;
    assert_eq!(status, 403, "not 409: {body}");
    assert_eq!(sign_up(&process, "guesser", Some("made-up")).await.0, 403);

    let code = process.admin(&["invite"]).expect("invite");
    let code = code.lines().next().expect("the code").to_owned();
    assert_eq!(sign_up(&process, "invited", Some(&code)).await.0, 201);
    let (status, body) = sign_up(&process, "second", Some(&code)).await;
    assert_eq!(status, 403, "a code signs up one account");
    assert!(body.contains("used already"), "{body}");

    process.admin(&["invite-only", "off"]).expect("open again");
    assert_eq!(sign_up(&process, "walkin", None).await.0, 201);
    // Nobody but the operator reaches the interface: the token is asked for.
    let access: serde_json::Value = serde_json::from_slice(
        &std::fs::read(process.data().join("admin.json")).expect("admin.json"),
    )
    .expect("json");
    let address = access["address"].as_str().expect("address");
    let anonymous = reqwest::get(format!("http://{address}/admin/v1/accounts"))
        .await
        .expect("request");
    assert_eq!(anonymous.status().as_u16(), 401);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(process.data().join("admin.json"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
