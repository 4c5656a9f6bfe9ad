//! Sessions a person controls: the list of signed-in devices, signing one out
//! or all the others, changing the password, and sessions that end when
//! unused. What a thief with a stolen token would try is here too: ending
//! someone else's session, changing the password without knowing it, and
//! guessing it.

mod support;

use std::time::Duration;

use candor_protocol::api::{DeviceSession, ErrorCode, PasswordChange, Session, SignIn};
use support::{Client, Relay};

const PASSWORD: &str = "orchid-lantern-57";

async fn sign_in_as(
    relay: &Relay,
    handle: &str,
    password: &str,
    device: &str,
) -> (u16, Option<Session>) {
    let resp = reqwest::Client::new()
        .post(relay.http("/v1/sessions"))
        .json(&SignIn {
            handle: handle.into(),
            password: password.into(),
            device_name: device.into(),
        })
        .send()
        .await
        .expect("sign in");
    let status = resp.status().as_u16();
    (status, resp.json().await.ok())
}

async fn device(relay: &Relay, handle: &str, device: &str) -> String {
    let (status, session) = sign_in_as(relay, handle, PASSWORD, device).await;
    assert_eq!(status, 200, "{device}");
    session.expect("session").token
}

/// The account's list as `token` sees it; Err(status) if refused.
async fn list(relay: &Relay, token: &str) -> Result<Vec<DeviceSession>, u16> {
    let resp = reqwest::Client::new()
        .get(relay.http("/v1/sessions"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list");
    match resp.status().as_u16() {
        200 => Ok(resp.json().await.expect("sessions")),
        status => Err(status),
    }
}

async fn delete(relay: &Relay, token: &str, path: &str) -> u16 {
    reqwest::Client::new()
        .delete(relay.http(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("delete")
        .status()
        .as_u16()
}

async fn change_password(relay: &Relay, token: &str, current: &str, new: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .put(relay.http("/v1/accounts/me/password"))
        .bearer_auth(token)
        .json(&PasswordChange {
            current_password: current.into(),
            new_password: new.into(),
        })
        .send()
        .await
        .expect("change password");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

#[tokio::test]
async fn the_list_names_each_device_and_any_one_can_be_signed_out() {
    let relay = Relay::start().await;
    relay.sign_up("maya", "Maya").await;
    let laptop = device(&relay, "maya", "Laptop").await;
    let phone = device(&relay, "maya", "Phone").await;
    let tablet = device(&relay, "maya", "Tablet").await;
    let mut phone_socket = Client::connect(&relay, &phone)
        .await
        .expect("phone connects");

    let seen = list(&relay, &laptop).await.expect("list");
    let mut names: Vec<&str> = seen.iter().map(|s| s.device_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Laptop", "Phone", "Tablet"]);
    let current: Vec<&str> = seen
        .iter()
        .filter(|s| s.current)
        .map(|s| s.device_name.as_str())
        .collect();
    assert_eq!(current, ["Laptop"], "only the asking device is current");
    let phone_id = seen
        .iter()
        .find(|s| s.device_name == "Phone")
        .expect("phone")
        .id;

    // Someone else, signed in on their own account, cannot end Maya's session.
    relay.sign_up("mallory", "Mallory").await;
    let mallory = device(&relay, "mallory", "Evil").await;
    assert_eq!(
        delete(&relay, &mallory, &format!("/v1/sessions/{phone_id}")).await,
        404
    );
    assert!(list(&relay, &phone).await.is_ok(), "the phone is still in");

    assert_eq!(
        delete(&relay, &laptop, &format!("/v1/sessions/{phone_id}")).await,
        204
    );
    assert!(
        phone_socket.closed().await,
        "the phone's socket is closed at once"
    );
    assert_eq!(list(&relay, &phone).await.err(), Some(401));
    assert!(
        Client::connect(&relay, &phone).await.is_err(),
        "and it cannot connect again"
    );
    let left: Vec<String> = list(&relay, &tablet)
        .await
        .expect("the tablet is still in")
        .into_iter()
        .map(|s| s.device_name)
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.contains(&"Phone".to_string()));
    // Signed out already: saying it again finds nothing.
    assert_eq!(
        delete(&relay, &laptop, &format!("/v1/sessions/{phone_id}")).await,
        404
    );
    relay.stop().await;
}

#[tokio::test]
async fn sign_out_everywhere_else_keeps_only_this_device() {
    let relay = Relay::start().await;
    relay.sign_up("maya", "Maya").await;
    let laptop = device(&relay, "maya", "Laptop").await;
    let phone = device(&relay, "maya", "Phone").await;
    let stolen = device(&relay, "maya", "Thief's machine").await;
    let mut thief = Client::connect(&relay, &stolen).await.expect("connects");

    assert_eq!(delete(&relay, &laptop, "/v1/sessions/others").await, 204);
    assert!(thief.closed().await);
    for token in [&phone, &stolen] {
        assert_eq!(list(&relay, token).await.err(), Some(401));
    }
    let mine = list(&relay, &laptop).await.expect("still in");
    assert_eq!(mine.len(), 1);
    assert!(mine[0].current);
    relay.stop().await;
}

#[tokio::test]
async fn changing_the_password_needs_the_old_one_and_signs_the_others_out() {
    let relay = Relay::start().await;
    relay.sign_up("maya", "Maya").await;
    let laptop = device(&relay, "maya", "Laptop").await;
    let phone = device(&relay, "maya", "Phone").await;
    let mut phone_socket = Client::connect(&relay, &phone).await.expect("connects");
    const NEW: &str = "quiet-meadow-harp-19";

    // A stolen token alone is not enough.
    let (status, body) = change_password(&relay, &phone, "a wild guess", NEW).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("current password"), "{body}");
    // A weak new one is refused before anything changes.
    let (status, body) = change_password(&relay, &laptop, PASSWORD, "password1").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(sign_in_as(&relay, "maya", PASSWORD, "check").await.0, 200);

    let (status, body) = change_password(&relay, &laptop, PASSWORD, NEW).await;
    assert_eq!(status, 204, "{body}");
    assert!(
        phone_socket.closed().await,
        "the other device is signed out at once"
    );
    assert_eq!(list(&relay, &phone).await.err(), Some(401));
    assert_eq!(
        list(&relay, &laptop).await.expect("this one stays").len(),
        1
    );
    assert_eq!(sign_in_as(&relay, "maya", PASSWORD, "old").await.0, 401);
    assert_eq!(sign_in_as(&relay, "maya", NEW, "new").await.0, 200);
    relay.stop().await;
}

#[tokio::test]
async fn guessing_the_current_password_is_limited_like_signing_in() {
    let relay = Relay::start().await;
    relay.sign_up("maya", "Maya").await;
    let stolen = device(&relay, "maya", "Laptop").await;
    for _ in 0..5 {
        let (status, _) = change_password(&relay, &stolen, "guess", "quiet-meadow-harp-19").await;
        assert_eq!(status, 403);
    }
    let (status, body) = change_password(&relay, &stolen, PASSWORD, "quiet-meadow-harp-19").await;
    assert_eq!(status, 429, "even the right one waits now: {body}");
    let err: candor_protocol::api::ApiError = serde_json::from_str(&body).expect("error body");
    assert_eq!(err.code, ErrorCode::RateLimited);
    relay.stop().await;
}

#[tokio::test]
async fn an_unused_session_ends_and_one_in_use_is_renewed() {
    let relay = Relay::start_configured(|c| c.session_idle = chrono::Duration::seconds(2)).await;
    relay.sign_up("maya", "Maya").await;
    let used = device(&relay, "maya", "Laptop").await;
    let idle = device(&relay, "maya", "Old phone").await;
    // Used every half second for three seconds: longer than the idle time.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(list(&relay, &used).await.is_ok(), "a session in use stays");
    }
    assert_eq!(
        list(&relay, &idle).await.err(),
        Some(401),
        "the idle one ended"
    );
    let names: Vec<String> = list(&relay, &used)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.device_name)
        .collect();
    assert_eq!(names, ["Laptop"]);
    relay.stop().await;
}

#[tokio::test]
async fn an_open_socket_keeps_its_session_alive() {
    let relay = Relay::start_configured(|c| {
        c.session_idle = chrono::Duration::seconds(2);
        c.ping_every = Duration::from_millis(100);
    })
    .await;
    relay.sign_up("maya", "Maya").await;
    let token = device(&relay, "maya", "Laptop").await;
    let _socket = Client::connect(&relay, &token).await.expect("connects");
    // Nothing over HTTP for longer than the idle time: only the open socket
    // (whose heartbeats the relay sends) shows the session is in use.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(list(&relay, &token).await.is_ok(), "still signed in");
    relay.stop().await;
}
