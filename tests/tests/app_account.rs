//! The account's devices and password in Settings, used as a person would:
//! the real app, through tauri-driver, against the real relay binary. Alice
//! sees her laptop (this device), her phone and an old tablet she lost; she
//! signs the tablet out, then changes her password, which signs the phone
//! out too. And an invite-only relay: the sign-up form asks for the code.

use std::time::Duration;

use anyhow::{Result, bail};
use candor_core::account::{AccountError, RelayClient};
use candor_e2e::{App, PASSWORD, World};
use thirtyfour::prelude::*;

/// Whether the relay still takes `token` (a signed-out one is refused).
async fn signed_in(relay: &RelayClient, token: &str) -> Result<bool> {
    match relay.sessions(token).await {
        Ok(_) => Ok(true),
        Err(AccountError::Refused(e))
            if e.code == candor_core::protocol::api::ErrorCode::Unauthorized =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// The listed device whose name is `name`.
async fn device_row(app: &App, name: &str) -> Result<WebElement> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        for row in app.driver.find_all(By::Css("[data-testid=device]")).await? {
            if row.text().await?.contains(name) {
                return Ok(row);
            }
        }
        if tokio::time::Instant::now() > deadline {
            bail!("no device called {name} is listed");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_lists_the_devices_signs_one_out_and_changes_the_password() -> Result<()> {
    let mut w = World::with_relay().await?;
    w.signed_in("alice", "Alice Park").await?;
    let relay = RelayClient::new(&w.relay().url())?;
    let phone = relay.sign_in("alice", PASSWORD, "Alice's phone").await?;
    let tablet = relay.sign_in("alice", PASSWORD, "Old tablet").await?;

    let app = w.launch("alice").await?;
    app.find("[data-testid=open-settings]")
        .await?
        .click()
        .await?;
    app.wait_for_texts(
        "[data-testid=device] .device-name",
        &["Old tablet", "Alice's phone", "laptop"],
    )
    .await?;
    let this = device_row(&app, "laptop").await?;
    assert!(this.text().await?.contains("This device"));
    assert!(
        this.find_all(By::Css("[data-testid=device-sign-out]"))
            .await?
            .is_empty(),
        "this device is signed out from the account section, not here"
    );
    app.screenshot("devices").await?;

    // The lost tablet: signed out at the relay.
    device_row(&app, "Old tablet")
        .await?
        .find(By::Css("[data-testid=device-sign-out]"))
        .await?
        .click()
        .await?;
    app.wait_for_text(".saved", "Old tablet is signed out.")
        .await?;
    app.wait_for_texts(
        "[data-testid=device] .device-name",
        &["Alice's phone", "laptop"],
    )
    .await?;
    assert!(!signed_in(&relay, &tablet.token).await?);
    assert!(signed_in(&relay, &phone.token).await?);

    // A wrong current password is said plainly, and changes nothing.
    app.type_into("[data-testid=current-password]", "not my password")
        .await?;
    app.type_into("[data-testid=new-password]", "quiet-meadow-harp-19")
        .await?;
    app.find("[data-testid=change-password]")
        .await?
        .click()
        .await?;
    app.wait_for_text(
        ".password-form .field-error",
        "The current password is not right",
    )
    .await?;
    assert!(signed_in(&relay, &phone.token).await?);

    let current = app.find("[data-testid=current-password]").await?;
    current.clear().await?;
    current.send_keys(PASSWORD).await?;
    app.find("[data-testid=change-password]")
        .await?
        .click()
        .await?;
    app.wait_for_text(
        ".saved",
        "Password changed. Your other devices are signed out.",
    )
    .await?;
    app.wait_for_texts("[data-testid=device] .device-name", &["laptop"])
        .await?;
    assert!(!signed_in(&relay, &phone.token).await?, "the phone is out");
    assert!(
        relay.sign_in("alice", PASSWORD, "again").await.is_err(),
        "the old password no longer works"
    );
    relay
        .sign_in("alice", "quiet-meadow-harp-19", "again")
        .await?;
    app.screenshot("password-changed").await?;

    app.quit().await?;
    w.stop_relay().await?;
    Ok(())
}

/// An invite-only relay: the sign-up form asks for the code, names the
/// refusal of a wrong one in the relay's words, and signs up with the code
/// the operator made with `candor-relay admin invite`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_only_relay_asks_for_the_code_its_operator_made() -> Result<()> {
    let mut w = World::with_relay().await?;
    let admin = |args: &[&str]| -> Result<String> {
        let out = std::process::Command::new(candor_e2e::sync::relay_binary()?)
            .arg("admin")
            .args(args)
            .arg("--data")
            .arg(&w.relay().data)
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8(out.stdout)?)
    };
    admin(&["invite-only", "on"])?;
    let code = admin(&["invite"])?
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();

    let app = w.launch("ines").await?;
    app.type_into("input[name=relay]", &w.relay().url()).await?;
    app.find("[data-testid=relay-ok]").await?;
    app.wait_for_text(
        "[data-testid=invite-hint]",
        "This relay takes new accounts by invitation: enter the code its operator gave you.",
    )
    .await?;
    app.type_into("input[name=handle]", "ines").await?;
    app.type_into("input[name=display-name]", "Ines").await?;
    app.type_into("input[name=password]", "orchid-lantern-57")
        .await?;
    app.type_into("input[name=invite]", "not-a-real-code")
        .await?;
    app.find("[data-testid=sign-in-submit]")
        .await?
        .click()
        .await?;
    app.wait_for_text(
        "[data-testid=sign-in-error]",
        "That invite code is not one this relay gave out, or it was used already",
    )
    .await?;
    app.screenshot("invite-only-sign-up").await?;
    app.type_into("input[name=invite]", &code).await?;
    app.find("[data-testid=sign-in-submit]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=inbox-empty]").await?;
    let listed = admin(&["accounts"])?;
    assert!(listed.contains("@ines"), "{listed}");
    app.quit().await?;
    w.stop_relay().await?;
    Ok(())
}
