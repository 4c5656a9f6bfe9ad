//! The relay serving TLS itself, and candor-core speaking https:// and wss://
//! to it, checking its certificate against the trust store: here a test
//! certificate authority, given as the trust store through SSL_CERT_FILE. A
//! wiretap between the devices and the relay records every byte: none of a
//! handle, password, token or message may be read in them. A relay whose
//! certificate no trusted authority signed is refused before anything is sent,
//! with a sentence that names the host and what is wrong. A new certificate
//! takes effect on SIGHUP.
//!
//! One test function: the trust store is read from the environment, which is
//! set before the test starts any thread of its own.

use std::time::Duration;

use anyhow::Result;
use candor_core::account::{AccountError, RelayClient};
use candor_e2e::sync::{Device, Relay, eventually};
use candor_e2e::tls::{TestCa, Wiretap};

#[test]
fn tls_end_to_end() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = TestCa::new(&dir.path().join("ca"), "Candor test CA")?;
    #[allow(unsafe_code)]
    // SAFETY: the only test of this binary, before it starts a thread: nothing
    // else reads or writes the environment meanwhile.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", ca.ca_file());
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(async {
            messages_cross_encrypted(dir.path(), &ca).await?;
            an_untrusted_certificate_is_refused_before_anything_is_sent(dir.path()).await?;
            a_new_certificate_takes_effect_on_sighup(dir.path(), &ca).await
        })
}

async fn messages_cross_encrypted(dir: &std::path::Path, ca: &TestCa) -> Result<()> {
    let (cert, key) = ca.issue(&["localhost"], "relay")?;
    let relay = Relay::start_tls(dir.join("relay"), "127.0.0.1:0".parse()?, &cert, &key).await?;
    let tap = Wiretap::start(relay.addr).await?;
    let via = format!("https://localhost:{}", tap.addr.port());

    let mut alice = Device::sign_up(&via, dir, "alice", "Alice Park").await?;
    let mut bob = Device::sign_up(&via, dir, "bob", "Bob Stone").await?;
    alice.go_online()?;
    bob.go_online()?;
    let chat = alice.open_chat_with(bob.person())?;
    const SECRET: &str = "the spare key is under the blue flowerpot";
    alice.write(chat, SECRET)?;
    alice.outbox_changed().await;
    eventually(Duration::from_secs(15), "bob gets it over wss://", || {
        bob.has_message_reading(chat, SECRET)
    })
    .await?;

    let crossed = tap.bytes().len();
    assert!(
        crossed > 2_000,
        "the wiretap saw the traffic: {crossed} bytes"
    );
    for plain in [
        "alice",
        "Alice Park",
        "orchid-lantern-57",
        alice.token.as_str(),
        bob.token.as_str(),
        SECRET,
        "Bearer",
        "/v1/ws",
    ] {
        assert!(!tap.saw(plain), "{plain:?} crossed the wire readable");
    }
    alice.go_offline().await;
    bob.go_offline().await;
    relay.stop().await
}

async fn an_untrusted_certificate_is_refused_before_anything_is_sent(
    dir: &std::path::Path,
) -> Result<()> {
    // A certificate from an authority nobody told this machine to trust.
    let stranger = TestCa::new(&dir.join("other-ca"), "Someone else's CA")?;
    let (cert, key) = stranger.issue(&["localhost"], "impostor")?;
    let relay = Relay::start_tls(dir.join("impostor"), "127.0.0.1:0".parse()?, &cert, &key).await?;
    let tap = Wiretap::start(relay.addr).await?;
    let client = RelayClient::new(&format!("https://localhost:{}", tap.addr.port()))?;

    match client.sign_in("alice", "orchid-lantern-57", "laptop").await {
        Err(e @ AccountError::Untrusted { .. }) => {
            let said = e.to_string();
            assert!(
                said.contains("localhost")
                    && said.contains("not signed by an authority this computer trusts")
                    && said.contains("Nothing was sent"),
                "{said}"
            );
        }
        other => panic!("expected Untrusted, got {other:?}"),
    }
    assert!(!tap.bytes().is_empty(), "a handshake was tried");
    assert!(!tap.saw("orchid-lantern-57") && !tap.saw("alice"));
    relay.stop().await
}

async fn a_new_certificate_takes_effect_on_sighup(
    dir: &std::path::Path,
    ca: &TestCa,
) -> Result<()> {
    // Serving a certificate for another name: refused as such.
    let (cert, key) = ca.issue(&["relay.example"], "renewing")?;
    let relay = Relay::start_tls(dir.join("renewing"), "127.0.0.1:0".parse()?, &cert, &key).await?;
    let client = RelayClient::new(&relay.url())?;
    match client.health().await {
        Err(AccountError::Untrusted { reason, .. }) => {
            assert_eq!(reason, "its certificate is for another name")
        }
        other => panic!("expected a name mismatch, got {other:?}"),
    }
    // The right one is put in place, and the relay told.
    let (fixed_cert, fixed_key) = ca.issue(&["localhost"], "fixed")?;
    std::fs::copy(fixed_cert, &cert)?;
    std::fs::copy(fixed_key, &key)?;
    relay.reload_certificate()?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        // A fresh client: a new connection, a new handshake.
        match RelayClient::new(&relay.url())?.health().await {
            Ok(()) => break,
            Err(e) if tokio::time::Instant::now() > deadline => {
                panic!("the renewed certificate was not taken: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    relay.stop().await
}
