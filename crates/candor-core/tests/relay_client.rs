//! The relay's HTTP client against a relay that answers with a redirect: what an
//! attacker who controls the address (or a proxy in front of it) would try, to
//! have the app carry a password or a token to a host of theirs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use candor_core::account::{AccountError, RelayClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on loopback that answers every request with `status` and
/// `Location: location`, counting the connections it accepts.
async fn server(status: &'static str, location: String) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let location = location.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn a_redirect_is_never_followed_with_a_password_or_a_token() {
    // Where the attacker wants the password to go: it must see nothing.
    let (elsewhere, reached) = server("404 Not Found", String::new()).await;
    for status in [
        "307 Temporary Redirect",
        "308 Permanent Redirect",
        "302 Found",
    ] {
        let (relay, _) = server(status, format!("http://{elsewhere}/v1/sessions")).await;
        let client = RelayClient::new(&format!("http://{relay}")).expect("address");

        let signed_in = client
            .sign_in("ana", "correct horse battery", "laptop")
            .await;
        match signed_in {
            Err(e @ AccountError::Redirected { .. }) => {
                let said = e.to_string();
                assert!(
                    said.contains(&elsewhere.to_string()) && said.contains("nothing was sent"),
                    "{said}"
                );
            }
            other => panic!("{status}: expected Redirected, got {other:?}"),
        }
        let looked_up = client.lookup("secret-token", "leo").await;
        assert!(
            matches!(looked_up, Err(AccountError::Redirected { .. })),
            "{status}: {looked_up:?}"
        );
    }
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "the redirect's target was never contacted"
    );
}
