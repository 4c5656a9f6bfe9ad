//! Accounts, sessions and the directory over real HTTP.

mod support;

use candor_protocol::api::{ApiError, ErrorCode, SignIn, SignUp};
use support::{Client, Relay};

fn signup(handle: &str, password: &str) -> SignUp {
    SignUp {
        handle: handle.into(),
        display_name: "Someone".into(),
        password: password.into(),
    }
}

async fn post(relay: &Relay, path: &str, body: &impl serde::Serialize) -> (u16, Option<ApiError>) {
    let resp = reqwest::Client::new()
        .post(relay.http(path))
        .json(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let err = if status >= 400 {
        resp.json().await.ok()
    } else {
        None
    };
    (status, err)
}

#[tokio::test]
async fn sign_up_checks_handle_password_and_uniqueness() {
    let relay = Relay::start().await;
    assert_eq!(
        post(&relay, "/v1/accounts", &signup("maya", "password123"))
            .await
            .0,
        201
    );
    let (status, err) = post(&relay, "/v1/accounts", &signup("MAYA", "password123")).await;
    assert_eq!(status, 409);
    assert_eq!(err.expect("error body").code, ErrorCode::Conflict);
    for (handle, password) in [
        ("no", "password123"),
        ("bad handle", "password123"),
        ("okname", "short"),
    ] {
        let (status, err) = post(&relay, "/v1/accounts", &signup(handle, password)).await;
        assert_eq!(status, 400, "{handle}/{password}");
        assert_eq!(err.expect("error body").code, ErrorCode::Invalid);
    }
    // Malformed JSON is refused without a crash.
    let resp = reqwest::Client::new()
        .post(relay.http("/v1/accounts"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 400);
    relay.stop().await;
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_rate_limited() {
    let relay = Relay::start().await;
    relay.sign_up("maya", "Maya").await;
    let wrong = SignIn {
        handle: "maya".into(),
        password: "not the password".into(),
        device_name: "laptop".into(),
    };
    for _ in 0..5 {
        let (status, err) = post(&relay, "/v1/sessions", &wrong).await;
        assert_eq!(status, 401);
        assert_eq!(err.expect("body").message, "wrong handle or password");
    }
    let (status, err) = post(&relay, "/v1/sessions", &wrong).await;
    assert_eq!(status, 429);
    let err = err.expect("body");
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(err.message.contains("try again in"), "{}", err.message);
    // An unknown handle gets the same answer as a wrong password.
    let ghost = SignIn {
        handle: "ghost".into(),
        ..wrong
    };
    assert_eq!(post(&relay, "/v1/sessions", &ghost).await.0, 401);
    relay.stop().await;
}

#[tokio::test]
async fn sign_ups_from_one_address_are_limited() {
    let relay = Relay::start().await;
    for i in 0..candor_relay::DEFAULT_SIGN_UPS_PER_HOUR {
        let (status, err) = post(
            &relay,
            "/v1/accounts",
            &signup(&format!("user{i}"), "password123"),
        )
        .await;
        assert_eq!(status, 201, "{err:?}");
    }
    let (status, err) = post(&relay, "/v1/accounts", &signup("onemore", "password123")).await;
    assert_eq!(status, 429);
    let err = err.expect("body");
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(err.message.contains("try again in"), "{}", err.message);
    relay.stop().await;
}

#[tokio::test]
async fn signing_out_revokes_the_token_and_closes_its_connections() {
    let relay = Relay::start().await;
    let (session, mut client) = relay.user("maya", "Maya").await;
    let resp = reqwest::Client::new()
        .delete(relay.http("/v1/sessions/current"))
        .bearer_auth(&session.token)
        .send()
        .await
        .expect("sign out");
    assert_eq!(resp.status().as_u16(), 204);
    assert!(client.closed().await, "the open connection was closed");
    let err = Client::connect(&relay, &session.token)
        .await
        .err()
        .expect("refused");
    assert!(err.contains("401"), "{err}");
    relay.stop().await;
}

#[tokio::test]
async fn the_directory_finds_people_by_handle_for_signed_in_users_only() {
    let relay = Relay::start().await;
    let maya = relay.sign_up("maya", "Maya Lopez").await;
    relay.sign_up("sam", "Sam").await;
    let sam = relay.sign_in("sam").await;
    let http = reqwest::Client::new();
    let found: candor_protocol::api::UserInfo = http
        .get(relay.http("/v1/users/@Maya"))
        .bearer_auth(&sam.token)
        .send()
        .await
        .expect("lookup")
        .json()
        .await
        .expect("user");
    assert_eq!(found, maya);
    let missing = http
        .get(relay.http("/v1/users/nobody"))
        .bearer_auth(&sam.token)
        .send()
        .await
        .expect("lookup");
    assert_eq!(missing.status().as_u16(), 404);
    let anonymous = http
        .get(relay.http("/v1/users/maya"))
        .send()
        .await
        .expect("lookup");
    assert_eq!(anonymous.status().as_u16(), 401);
    let forged = http
        .get(relay.http("/v1/users/maya"))
        .bearer_auth("forged-token")
        .send()
        .await
        .expect("lookup");
    assert_eq!(forged.status().as_u16(), 401);
    relay.stop().await;
}

#[tokio::test]
async fn healthz_answers() {
    let relay = Relay::start().await;
    let body = relay.get_text("/healthz").await;
    assert_eq!(body, "ok");
    relay.stop().await;
}

#[tokio::test]
async fn metrics_count_connections_messages_and_send_latency() {
    let relay = Relay::start().await;
    let (_, mut a) = relay.user("alice", "Alice").await;
    let (bob, _b) = relay.user("bob", "Bob").await;
    a.send(&candor_protocol::frames::ClientFrame::Send {
        client_id: candor_protocol::MessageId::new(),
        to: candor_protocol::frames::Recipient::Direct { user: bob.user.id },
        text: candor_protocol::MessageText::new("counted").expect("text"),
        card: None,
    })
    .await;
    assert!(matches!(
        a.next().await,
        candor_protocol::frames::RelayFrame::Ack { .. }
    ));
    let body = relay.get_text("/metrics").await;
    assert!(body.contains("candor_relay_connections 2"), "{body}");
    assert!(
        body.contains("candor_relay_messages_stored_total 1"),
        "{body}"
    );
    assert!(
        body.contains("candor_relay_send_latency_seconds_count 1"),
        "{body}"
    );
    relay.stop().await;
}

#[tokio::test]
async fn the_display_name_can_change_but_not_to_nothing() {
    let relay = Relay::start().await;
    relay.sign_up("maya", "Maya").await;
    let session = relay.sign_in("maya").await;
    let http = reqwest::Client::new();
    let rename = |name: &str, token: Option<&str>| {
        let mut req = http
            .patch(relay.http("/v1/accounts/me"))
            .json(&serde_json::json!({ "display_name": name }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let resp = rename("Maya López", Some(&session.token))
        .await
        .expect("rename");
    assert_eq!(resp.status(), 200);
    let user: candor_protocol::api::UserInfo = resp.json().await.expect("user");
    assert_eq!(user.display_name, "Maya López");
    assert_eq!(user.handle, "maya", "the handle stays");
    let found: candor_protocol::api::UserInfo = http
        .get(relay.http("/v1/users/maya"))
        .bearer_auth(&session.token)
        .send()
        .await
        .expect("lookup")
        .json()
        .await
        .expect("user");
    assert_eq!(found.display_name, "Maya López");

    let resp = rename("   ", Some(&session.token)).await.expect("rename");
    assert_eq!(resp.status(), 400);
    let err: ApiError = resp.json().await.expect("error");
    assert_eq!(err.code, ErrorCode::Invalid);
    assert_eq!(rename("Someone", None).await.expect("rename").status(), 401);
    relay.stop().await;
}
