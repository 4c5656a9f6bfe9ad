//! Accounts, sessions and the directory over real HTTP.

mod support;

use candor_protocol::api::{ApiError, ErrorCode, SignIn, SignUp};
use support::{Client, Relay};

fn signup(handle: &str, password: &str) -> SignUp {
    SignUp {
        handle: handle.into(),
        display_name: "Someone".into(),
        password: password.into(),
        invite: None,
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
        post(&relay, "/v1/accounts", &signup("maya", "orchid-lantern-57"))
            .await
            .0,
        201
    );
    let (status, err) = post(&relay, "/v1/accounts", &signup("MAYA", "orchid-lantern-57")).await;
    assert_eq!(status, 409);
    assert_eq!(err.expect("error body").code, ErrorCode::Conflict);
    for (handle, password) in [
        ("no", "orchid-lantern-57"),
        ("bad handle", "orchid-lantern-57"),
        ("okname", "short"),
        // What an attacker tries first: common passwords, keyboard walks,
        // the handle itself, and spaces.
        ("okname", "password123"),
        ("okname", "qwertyuiop"),
        ("okname", "iloveyou1"),
        ("okname", "okname2024"),
        ("okname", "        "),
        ("okname", "\t\t\t\t\t\t\t\t\t"),
    ] {
        let (status, err) = post(&relay, "/v1/accounts", &signup(handle, password)).await;
        assert_eq!(status, 400, "{handle}/{password}");
        let err = err.expect("error body");
        assert_eq!(err.code, ErrorCode::Invalid, "{handle}/{password}");
        if handle == "okname" && password.len() >= 8 {
            assert!(
                err.message.contains("password"),
                "{password}: {}",
                err.message
            );
        }
    }
    // A passphrase of uncommon words passes, and so does a long random one.
    for (handle, password) in [
        ("okname", "velvet tangerine orbit"),
        ("other", "T7#qL9!xw2"),
    ] {
        let (status, _) = post(&relay, "/v1/accounts", &signup(handle, password)).await;
        assert_eq!(status, 201, "{password}");
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

/// Defect 4 of the internet-ready relay issue: the counters lived in process
/// memory, so a restart handed a guesser fresh attempts. They are in the
/// database now.
#[tokio::test]
async fn a_restart_hands_a_guesser_no_fresh_attempts() {
    let relay = Relay::start().await;
    relay.sign_up("maya", "Maya").await;
    let wrong = SignIn {
        handle: "maya".into(),
        password: "not the password".into(),
        device_name: "laptop".into(),
    };
    for _ in 0..5 {
        assert_eq!(post(&relay, "/v1/sessions", &wrong).await.0, 401);
    }
    let data = relay.data.clone();
    let dir = relay.stop().await;
    let relay = Relay::start_in(data, None).await;
    assert_eq!(
        post(&relay, "/v1/sessions", &wrong).await.0,
        429,
        "still held after the restart"
    );
    relay.stop().await;
    drop(dir);
}

#[tokio::test]
async fn sign_ups_from_one_address_are_limited() {
    let relay = Relay::start().await;
    for i in 0..candor_relay::DEFAULT_SIGN_UPS_PER_HOUR {
        let (status, err) = post(
            &relay,
            "/v1/accounts",
            &signup(&format!("user{i}"), "orchid-lantern-57"),
        )
        .await;
        assert_eq!(status, 201, "{err:?}");
    }
    let (status, err) = post(
        &relay,
        "/v1/accounts",
        &signup("onemore", "orchid-lantern-57"),
    )
    .await;
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
        photos: Vec::new(),
        reaction: None,
        client_id: candor_protocol::MessageId::new(),
        to: candor_protocol::frames::Recipient::Direct { user: bob.user.id },
        text: candor_protocol::MessageText::new("counted").expect("text"),
        card: None,
        reply: None,
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
    // Not to anyone who asks: no token, or a wrong one, is refused.
    for token in [None, Some("guess")] {
        let mut req = reqwest::Client::new().get(relay.http("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        assert_eq!(resp.status(), 401, "{token:?}");
        let text = resp.text().await.expect("body");
        assert!(!text.contains("candor_relay"), "{text}");
    }
    relay.stop().await;
}

#[tokio::test]
async fn metrics_are_private_by_default_or_on_their_own_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No token configured: the main address does not serve them at all.
    let mut config = support::config(dir.path());
    config.metrics_token = None;
    let state = support::open(config).await;
    let main = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let private = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let (main_addr, private_addr) = (
        main.local_addr().expect("addr"),
        private.local_addr().expect("addr"),
    );
    tokio::spawn(candor_relay::serve(
        main,
        state.clone(),
        std::future::pending(),
    ));
    tokio::spawn(candor_relay::serve_metrics(
        private,
        state,
        std::future::pending(),
    ));
    let get = |url: String| async move {
        let resp = reqwest::get(url).await.expect("request");
        (resp.status().as_u16(), resp.text().await.expect("body"))
    };
    let (status, _) = get(format!("http://{main_addr}/metrics")).await;
    assert_eq!(status, 404);
    let (status, body) = get(format!("http://{private_addr}/metrics")).await;
    assert_eq!(status, 200);
    assert!(body.contains("candor_relay_connections 0"), "{body}");
    // The metrics address serves metrics and nothing else.
    let (status, _) = get(format!("http://{private_addr}/healthz")).await;
    assert_eq!(status, 404);
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

/// Failed sign-ins from one client address: 20 in 15 minutes, then 429.
/// Each tries another handle, so that only the address limit counts.
async fn fail_sign_ins(relay: &Relay, forwarded_for: &str, attempts: usize) -> Vec<u16> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut statuses = Vec::new();
    for _ in 0..attempts {
        let i = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let resp = reqwest::Client::new()
            .post(relay.http("/v1/sessions"))
            .header("x-forwarded-for", forwarded_for)
            .json(&SignIn {
                handle: format!("nobody{i}"),
                password: "not the password".into(),
                device_name: "laptop".into(),
            })
            .send()
            .await
            .expect("request");
        statuses.push(resp.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit() {
    let relay =
        Relay::start_configured(|c| c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")])
            .await;
    let statuses = fail_sign_ins(&relay, "203.0.113.7", 21).await;
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[20], 429, "the 21st from that client is held");
    // Another client behind the same proxy is not locked out by the first.
    assert_eq!(fail_sign_ins(&relay, "198.51.100.4", 1).await, [401]);
    // The same IPv6 /64 is the same client.
    let v6 = fail_sign_ins(&relay, "2001:db8:7:7::1", 20).await;
    assert!(v6.iter().all(|s| *s == 401), "{v6:?}");
    assert_eq!(
        fail_sign_ins(&relay, "2001:db8:7:7:ffff::2", 1).await,
        [429]
    );
    relay.stop().await;
}

#[tokio::test]
async fn x_forwarded_for_from_anyone_else_is_ignored() {
    let relay = Relay::start().await;
    // Each attempt claims another address; they all count against the peer.
    let mut statuses = Vec::new();
    for i in 0..21 {
        statuses.extend(fail_sign_ins(&relay, &format!("203.0.113.{i}"), 1).await);
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(
        statuses[20], 429,
        "a made-up header does not escape the limit"
    );
    relay.stop().await;
}
