//! Video links in the real app: a TikTok link pasted with tracking parameters
//! shows its card before sending and goes without the tracking; a card that
//! arrives shows as a tile, every field as text.

use std::time::Duration;

use anyhow::Result;
use candor_core::Person;
use candor_core::protocol::VideoCard;
use candor_e2e::sync::{Device, Relay, eventually};
use candor_e2e::{App, profile_dir, signed_in_profile};
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(20);
const SHARED: &str = "https://www.tiktok.com/@maya.lopez/video/7312345678901234567?is_from_webapp=1&sender_device=pc&_r=1&_t=8iXyZ";
const CLEAN: &str = "https://www.tiktok.com/@maya.lopez/video/7312345678901234567";

async fn wait_for_texts(app: &App, css: &str, want: &[&str]) -> Result<()> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let texts = app.texts(css).await?;
        if texts == want {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{css} reads {texts:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_video_goes_without_tracking_and_shows_as_a_card() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(dir.path().join("relay"), "127.0.0.1:0".parse()?).await?;
    let mut bob = Device::sign_up(&relay.url(), dir.path(), "bob", "Bob Stone").await?;
    bob.go_online()?;
    let home = dir.path().join("home");
    let alice_id = signed_in_profile(&home, "alice", &relay, "alice", "Alice Park").await?;
    let chat = candor_core::protocol::frames::direct_conversation_id(alice_id, bob.user.id);
    {
        let mut store = candor_core::Store::open(&profile_dir(&home, "alice").join("candor.db"))?;
        store.add_conversation(&candor_core::NewConversation::Direct {
            id: chat,
            peer: Person {
                id: bob.user.id,
                handle: "bob".into(),
                display_name: "Bob Stone".into(),
            },
        })?;
        // Sent at once, so the test need not wait out the undo-send window.
        store.set_undo_send_window(candor_core::UndoSendWindow::Off)?;
    }
    bob.open_chat_with(Person {
        id: alice_id,
        handle: "alice".into(),
        display_name: "Alice Park".into(),
    })?;

    let app = App::launch(&home, "alice").await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    let composer = app.find("[data-testid=composer]").await?;
    composer.send_keys(format!("this is you {SHARED}")).await?;
    // The card shows before sending, with the tracking note.
    wait_for_texts(
        &app,
        "[data-testid=composer-preview] [data-testid=video-provider]",
        &["TIKTOK"],
    )
    .await?;
    wait_for_texts(
        &app,
        "[data-testid=tracking-note]",
        &["Tracking removed from the TikTok link. Send original link"],
    )
    .await?;
    app.screenshot("composer-video-card").await?;
    composer.send_keys(Key::Enter).await?;

    // Bob gets the clean link and its card.
    eventually(WAIT, "Bob gets the video", || {
        bob.with(|s| s.conversation_page(chat, None, 10))
            .map(|p| !p.messages.is_empty())
            .unwrap_or(false)
    })
    .await?;
    let got = bob.with(|s| s.conversation_page(chat, None, 10))?.messages;
    assert_eq!(got[0].text, format!("this is you {CLEAN}"));
    let card = got[0].card.clone().expect("a card");
    assert_eq!(
        (card.provider.as_str(), card.url.as_str()),
        ("tiktok", CLEAN)
    );
    wait_for_texts(
        &app,
        "[data-testid=message] [data-testid=video-provider]",
        &["TIKTOK"],
    )
    .await?;

    // Bob shares a video back: Alice's app shows its card, its words as text.
    bob.with(|s| {
        s.compose(
            chat,
            candor_core::Draft {
                text: "ha, and this one".into(),
                card: Some(VideoCard {
                    provider: "youtube".into(),
                    url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into(),
                    title: Some("Never <b>Gonna</b> Give You Up".into()),
                    author: Some("Rick Astley".into()),
                    thumbnail_jpeg: None,
                }),
            },
            chrono::Duration::zero(),
        )
    })?;
    bob.kick().await;
    wait_for_texts(
        &app,
        "[data-testid=message] [data-testid=video-title]",
        &["Never <b>Gonna</b> Give You Up"],
    )
    .await?;
    app.screenshot("received-video-card").await?;
    app.quit().await?;
    bob.go_offline().await;
    Ok(())
}
