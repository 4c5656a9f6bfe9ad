//! Signing out while the relay cannot be reached. The session ends on the
//! device at once, but the token still works on the relay until it hears of
//! the sign-out: so the device keeps the token aside and retries until the
//! relay has revoked it, and the app says so meanwhile.

use std::time::Duration;

use anyhow::Result;
use candor_core::account::{AccountError, RelayClient};
use candor_core::protocol::api::ErrorCode;
use candor_core::{Client, finish_sign_out_with};
use candor_e2e::{PASSWORD, World};

/// Whether the relay still takes `token`.
async fn valid(relay: &RelayClient, token: &str) -> Result<bool> {
    match relay.sessions(token).await {
        Ok(_) => Ok(true),
        Err(AccountError::Refused(e)) if e.code == ErrorCode::Unauthorized => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_the_relay_missed_is_retried_until_the_token_is_revoked() -> Result<()> {
    let mut w = World::with_relay().await?;
    let relay = RelayClient::new(&w.relay().url())?;
    relay.sign_up("alice", "Alice", PASSWORD).await?;
    let session = relay.sign_in("alice", PASSWORD, "laptop").await?;
    let client = Client::open(&w.path().join("alice.db"))?;
    client.adopt_account(&relay, &session.user).await?;
    client
        .start_session(relay.clone(), session.token.clone())
        .await;

    w.stop_relay().await?;
    let pending = client
        .sign_out()
        .await?
        .expect("the relay did not confirm: the token is handed back");
    assert!(!client.signed_in_now().await, "signed out here at once");
    assert_eq!(pending.token, session.token);

    let retrying = tokio::spawn({
        let pending = pending.clone();
        async move {
            finish_sign_out_with(
                &pending,
                Duration::from_millis(50),
                Duration::from_millis(400),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        !retrying.is_finished(),
        "it keeps trying while the relay is down"
    );
    w.start_relay_again().await?;
    tokio::time::timeout(Duration::from_secs(15), retrying).await??;
    assert!(
        !valid(&relay, &session.token).await?,
        "the relay revoked the token"
    );

    // A relay that answers at once: nothing is left pending.
    let session = relay.sign_in("alice", PASSWORD, "laptop").await?;
    client
        .start_session(relay.clone(), session.token.clone())
        .await;
    assert_eq!(client.sign_out().await?, None);
    assert!(!valid(&relay, &session.token).await?);
    client.shutdown().await;
    w.stop_relay().await?;
    Ok(())
}

/// The same in the app: signed out while the relay is down, the sign-in
/// screen says the old session still works there; once the relay is back the
/// app's retry revokes it and the notice goes away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_says_when_a_sign_out_is_not_confirmed_and_finishes_it() -> Result<()> {
    let mut w = World::with_relay().await?;
    w.signed_in("alice", "Alice Park").await?;
    let token = std::fs::read_to_string(w.profile_dir("alice").token_file())?;
    let relay = RelayClient::new(&w.relay().url())?;
    let app = w.launch("alice").await?;
    app.find("[data-testid=inbox-empty]").await?;

    let url = w.relay().url();
    w.stop_relay().await?;
    app.find("[data-testid=open-settings]")
        .await?
        .click()
        .await?;
    app.click_in_view("[data-testid=settings-sign-out]").await?;
    app.find("[data-testid=sign-in]").await?;
    app.wait_for_text(
        "[data-testid=sign-out-pending]",
        &format!(
            "Not signed out on {url} yet: it could not be reached, so your last session there still works. Candor keeps trying while it is open."
        ),
    )
    .await?;
    // The window repaints after the text is in the page.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    app.screenshot("sign-out-pending").await?;
    assert!(
        !w.profile_dir("alice").token_file().exists(),
        "the session's token is gone from its place"
    );

    w.start_relay_again().await?;
    assert!(valid(&relay, &token).await?, "until the app gets through");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !app
        .texts("[data-testid=sign-out-pending]")
        .await?
        .is_empty()
    {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the notice stayed 30 s after the relay came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!valid(&relay, &token).await?, "the relay revoked the token");
    app.quit().await?;
    w.stop_relay().await?;
    Ok(())
}
