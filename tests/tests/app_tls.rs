//! The real app against the relay serving TLS with a test certificate
//! authority (given to the app, and to this test's other device, as the trust
//! store through SSL_CERT_FILE). A wiretap between them records every byte:
//! no handle, password, token or message text may be read in it. Before that,
//! the app is pointed at a relay whose certificate nobody trusts: it says so,
//! and nothing is sent there.
//!
//! One test function: the trust store is read from the environment, which is
//! set before the test starts any thread of its own.

use std::time::Duration;

use anyhow::Result;
use candor_e2e::sync::{Device, Relay, eventually};
use candor_e2e::tls::{TestCa, Wiretap};
use candor_e2e::{App, PASSWORD, World};

#[test]
fn the_app_speaks_only_tls_to_a_relay_it_trusts() -> Result<()> {
    let w = World::new()?;
    let ca = TestCa::new(&w.home().join("ca"), "Candor test CA")?;
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
        .block_on(scenario(w, ca))
}

async fn scenario(w: World, ca: TestCa) -> Result<()> {
    let home = w.home();
    let (cert, key) = ca.issue(&["localhost"], "relay")?;
    let relay = Relay::start_tls(home.join("relay"), "127.0.0.1:0".parse()?, &cert, &key).await?;
    let tap = Wiretap::start(relay.addr).await?;
    let stranger = TestCa::new(&home.join("other-ca"), "Someone else's CA")?;
    let (bad_cert, bad_key) = stranger.issue(&["localhost"], "impostor")?;
    let impostor = Relay::start_tls(
        home.join("impostor"),
        "127.0.0.1:0".parse()?,
        &bad_cert,
        &bad_key,
    )
    .await?;
    let impostor_tap = Wiretap::start(impostor.addr).await?;

    let via = format!("https://localhost:{}", tap.addr.port());
    let mut bob = Device::sign_up(&via, &home, "bob", "Bob Stone").await?;
    bob.go_online()?;

    let ca_file = ca.ca_file().display().to_string();
    let app = App::launch_env(&home, "alice", &[("SSL_CERT_FILE", ca_file.as_str())]).await?;
    app.find("[data-testid=sign-in]").await?;

    // The impostor: refused, said plainly, nothing sent.
    let relay_field = app.find("input[name=relay]").await?;
    relay_field.clear().await?;
    relay_field
        .send_keys(format!("localhost:{}", impostor_tap.addr.port()))
        .await?;
    let said = app
        .find("[data-testid=relay-untrusted]")
        .await?
        .text()
        .await?;
    assert!(
        said.contains("not signed by an authority this computer trusts")
            && said.contains("localhost")
            && said.contains("Nothing was sent"),
        "{said}"
    );
    app.screenshot("relay-untrusted").await?;

    // The real relay, typed without a scheme: https.
    relay_field.clear().await?;
    relay_field
        .send_keys(format!("localhost:{}", tap.addr.port()))
        .await?;
    app.type_into("input[name=handle]", "alice").await?;
    app.type_into("input[name=display-name]", "Alice Park")
        .await?;
    app.type_into("input[name=password]", PASSWORD).await?;
    app.submit_sign_in().await?;
    app.find("[data-testid=inbox-empty]").await?;
    let footer = app
        .find("[data-testid=account-footer]")
        .await?
        .text()
        .await?;
    assert!(footer.contains(&via), "{footer}");
    assert!(!footer.contains("not encrypted"), "{footer}");

    const SECRET: &str = "meet me at the north gate at nine";
    app.find("[data-testid=new-chat]").await?.click().await?;
    app.type_into("[data-testid=new-chat-handle]", "bob")
        .await?;
    app.find(".new-chat button[type=submit]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=chat-title]", "Bob Stone")
        .await?;
    app.type_into("[data-testid=composer]", SECRET).await?;
    app.find("[data-testid=send]").await?.click().await?;
    let chat = candor_core::protocol::frames::direct_conversation_id(
        bob.user.id,
        candor_core::account::RelayClient::new(&via)?
            .lookup(&bob.token, "alice")
            .await?
            .id,
    );
    eventually(Duration::from_secs(15), "bob gets alice's message", || {
        bob.has_message_reading(chat, SECRET)
    })
    .await?;
    app.wait_for_text("[data-testid=message-status]", "Sent")
        .await?;
    app.screenshot("chat-over-tls").await?;

    let token = std::fs::read_to_string(w.profile_dir("alice").token_file())?;
    for plain in [
        "alice",
        "Alice Park",
        PASSWORD,
        token.trim(),
        bob.token.as_str(),
        SECRET,
        "Bearer",
    ] {
        assert!(!tap.saw(plain), "{plain:?} crossed the wire readable");
    }
    assert!(
        !impostor_tap.saw(PASSWORD) && !impostor_tap.saw("alice"),
        "nothing went to the impostor"
    );

    app.quit().await?;
    bob.go_offline().await;
    relay.stop().await?;
    impostor.stop().await
}
