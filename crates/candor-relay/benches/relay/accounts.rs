//! Accounts for the benches: signed up and in over HTTP, one at a time
//! (each costs an Argon2id hash, twice).

use std::net::SocketAddr;

use candor_protocol::api::{Session, SignIn, SignUp};

/// `n` new accounts on the relay at `addr`, each with a session.
pub async fn accounts(addr: SocketAddr, n: usize) -> Vec<Session> {
    let http = reqwest::Client::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let handle = format!("bench{i:05}");
        http.post(format!("http://{addr}/v1/accounts"))
            .json(&SignUp {
                handle: handle.clone(),
                display_name: handle.clone(),
                password: "orchid-lantern-57".into(),
                invite: None,
            })
            .send()
            .await
            .expect("sign up");
        let s: Session = http
            .post(format!("http://{addr}/v1/sessions"))
            .json(&SignIn {
                handle,
                password: "orchid-lantern-57".into(),
                device_name: "bench".into(),
            })
            .send()
            .await
            .expect("sign in")
            .json()
            .await
            .expect("session");
        out.push(s);
    }
    out
}
