//! Video links in the real app: a TikTok link pasted with tracking parameters
//! shows its card before sending and goes without the tracking; a card that
//! arrives shows as a tile, every field as text.

use std::time::Duration;

use anyhow::Result;
use candor_core::Person;
use candor_core::protocol::VideoCard;
use candor_e2e::oembed::OEmbedStandIn;
use candor_e2e::sync::{Device, eventually};
use candor_e2e::{App, World};
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(20);
const SHARED: &str = "https://www.tiktok.com/@maya.lopez/video/7312345678901234567?is_from_webapp=1&sender_device=pc&_r=1&_t=8iXyZ";
const CLEAN: &str = "https://www.tiktok.com/@maya.lopez/video/7312345678901234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_video_goes_without_tracking_and_shows_as_a_card() -> Result<()> {
    let w = World::with_relay().await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    bob.go_online()?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let (mut store, chat) = w.direct_chat("alice", alice.id, bob.person())?;
    // Sent at once, so the test need not wait out the undo-send window.
    store.set_undo_send_window(candor_core::UndoSendWindow::Off)?;
    drop(store);
    bob.open_chat_with(alice)?;

    let app = w.launch("alice").await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    let composer = app.find("[data-testid=composer]").await?;
    composer.send_keys(format!("this is you {SHARED}")).await?;
    // The card shows before sending, with the tracking note.
    app.wait_for_texts(
        "[data-testid=composer-preview] [data-testid=video-provider]",
        &["TIKTOK"],
    )
    .await?;
    app.wait_for_texts(
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
    app.wait_for_texts(
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
    bob.outbox_changed().await;
    app.wait_for_texts(
        "[data-testid=message] [data-testid=video-title]",
        &["Never <b>Gonna</b> Give You Up"],
    )
    .await?;
    app.screenshot("received-video-card").await?;
    app.quit().await?;
    bob.go_offline().await;
    Ok(())
}

/// Alice's profile with direct chats she started with each of `people`.
fn chats_with(
    w: &World,
    alice: &Person,
    people: &[&Device],
) -> Result<Vec<candor_core::protocol::ConversationId>> {
    let mut chats = Vec::new();
    for device in people {
        let (_, id) = w.direct_chat("alice", alice.id, device.person())?;
        device.open_chat_with(alice.clone())?;
        chats.push(id);
    }
    Ok(chats)
}

fn texts_at(device: &Device, chat: candor_core::protocol::ConversationId) -> Vec<String> {
    device
        .with(|s| s.conversation_page(chat, None, 10))
        .map(|p| p.messages.into_iter().map(|m| m.text).collect())
        .unwrap_or_default()
}

/// Ticks the share dialog's chat named `title`.
async fn choose_chat(app: &App, title: &str) -> Result<()> {
    let clicked = app
        .driver
        .execute(
            "const li = [...document.querySelectorAll('.share-chats li')]
               .find(l => l.querySelector('.share-chat-title')?.innerText === arguments[0]);
             const box = li?.querySelector('input[type=checkbox]');
             if (box) box.click();
             return !!box;",
            vec![serde_json::Value::String(title.to_owned())],
        )
        .await?;
    anyhow::ensure!(
        clicked.json().as_bool() == Some(true),
        "no chat {title:?} to share to"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_video_shared_to_three_chats_arrives_in_all_three_and_undo_takes_back_a_share()
-> Result<()> {
    let w = World::with_relay().await?;
    let mut people = Vec::new();
    for (handle, name) in [
        ("bob", "Bob Stone"),
        ("carol", "Carol Diaz"),
        ("dan", "Dan Wu"),
    ] {
        let mut device = w.device(handle, name).await?;
        device.go_online()?;
        people.push(device);
    }
    let alice = w.signed_in("alice", "Alice Park").await?;
    let chats = chats_with(&w, &alice, &people.iter().collect::<Vec<_>>())?;

    let app = w.launch("alice").await?;
    app.find("[data-testid=inbox-row]").await?;

    // Shared to two chats inside the default 5-second window, then Undo: one
    // Undo takes back both, and neither arrives.
    app.find("[data-testid=share-video]").await?.click().await?;
    app.find("[data-testid=share-link]")
        .await?
        .send_keys("https://youtu.be/dQw4w9WgXcQ?si=AbCdEf")
        .await?;
    choose_chat(&app, "Bob Stone").await?;
    choose_chat(&app, "Carol Diaz").await?;
    app.wait_for_texts("[data-testid=share-send]", &["Send to 2 chats"])
        .await?;
    app.find("[data-testid=share-send]").await?.click().await?;
    app.wait_for_texts("[data-testid=toast] span", &["Shared to 2 chats"])
        .await?;
    app.find("[data-testid=toast-action]")
        .await?
        .click()
        .await?;
    tokio::time::sleep(Duration::from_secs(7)).await;
    for (device, chat) in people.iter().zip(&chats) {
        assert!(
            texts_at(device, *chat).is_empty(),
            "{} got the undone share",
            device.user.handle
        );
    }

    // Shared to all three with a note: it arrives in each chat, without the
    // tracking, with its card.
    app.find("[data-testid=share-video]").await?.click().await?;
    app.find("[data-testid=share-link]")
        .await?
        .send_keys("https://youtu.be/dQw4w9WgXcQ?si=AbCdEf")
        .await?;
    for title in ["Bob Stone", "Carol Diaz", "Dan Wu"] {
        choose_chat(&app, title).await?;
    }
    app.find("[data-testid=share-note]")
        .await?
        .send_keys("you have to see this")
        .await?;
    app.screenshot("share-dialog").await?;
    app.find("[data-testid=share-send]").await?.click().await?;
    for (device, chat) in people.iter().zip(&chats) {
        eventually(WAIT, "the share arrives", || {
            texts_at(device, *chat) == ["you have to see this https://youtu.be/dQw4w9WgXcQ"]
        })
        .await?;
        let card = device
            .with(|s| s.conversation_page(*chat, None, 1))?
            .messages
            .remove(0)
            .card
            .expect("a card");
        assert_eq!(card.url, "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
    }

    // Each chat's Videos view lists it.
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.find("[data-testid=chat-menu]").await?.click().await?;
    app.find("[data-testid=menu-videos]").await?.click().await?;
    app.wait_for_texts(
        "[data-testid=chat-video] [data-testid=video-provider]",
        &["YOUTUBE"],
    )
    .await?;
    app.screenshot("chat-videos").await?;
    app.quit().await?;
    for mut device in people {
        device.go_offline().await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_plays_in_a_player_window_with_no_ipc_or_in_the_browser() -> Result<()> {
    let w = World::with_relay().await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    bob.go_online()?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let chat = chats_with(&w, &alice, &[&bob])?[0];
    bob.with(|s| {
        s.compose(
            chat,
            candor_core::Draft {
                text: "watch https://youtu.be/dQw4w9WgXcQ".into(),
                card: Some(VideoCard {
                    provider: "youtube".into(),
                    url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into(),
                    title: Some("Never Gonna Give You Up".into()),
                    author: None,
                    thumbnail_jpeg: None,
                }),
            },
            chrono::Duration::zero(),
        )
    })?;
    bob.outbox_changed().await;

    let app = w.launch("alice").await?;
    // Bob wrote first: his message waits in Requests.
    app.find("[data-testid=requests-tab]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.find("[data-testid=play-video]").await?.click().await?;
    let main = app.driver.window().await?;
    let deadline = tokio::time::Instant::now() + WAIT;
    let player = loop {
        let windows = app.driver.windows().await?;
        if let Some(other) = windows.into_iter().find(|w| *w != main) {
            break other;
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "no player window");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    app.driver.switch_to_window(player).await?;
    let url = app.driver.current_url().await?;
    assert!(
        url.as_str()
            .starts_with("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        "{url}"
    );
    // The player window can't call Candor: no capability names it.
    let answer = app
        .driver
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const ipc = window.__TAURI_INTERNALS__;
             if (!ipc) { done('no ipc'); return; }
             ipc.invoke('app_info').then(() => done('answered'), (e) => done('refused: ' + e));",
            vec![],
        )
        .await?;
    let answer = answer.json().as_str().unwrap_or_default().to_owned();
    assert!(
        answer != "answered",
        "the player window reached Candor: {answer}"
    );
    app.driver.switch_to_window(main).await?;

    // Set to the browser: the canonical https link goes to $BROWSER.
    app.find("[data-testid=open-settings]")
        .await?
        .click()
        .await?;
    let browser = app.find("[data-testid=open-videos-browser]").await?;
    app.driver
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![browser.to_json()?],
        )
        .await?;
    // The choices are disabled until Settings has read the current ones.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !browser.is_enabled().await? {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the choice stays disabled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser.click().await?;
    // Saved, as Settings says, before a video is played.
    app.wait_for_text("[role=status].saved", "Videos open in your browser.")
        .await?;
    app.find("[data-testid=settings-close]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=play-video]").await?.click().await?;
    eventually(WAIT, "the browser was asked", || {
        app.browser_opened() == ["https://www.youtube.com/watch?v=dQw4w9WgXcQ"]
    })
    .await?;
    app.quit().await?;
    bob.go_offline().await;
    Ok(())
}

/// The sender's app fetches the video's details (from a stand-in for the
/// platform); the card carries them and a thumbnail inside the message, and
/// the recipient's app shows it without a single request to the stand-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_are_fetched_by_the_sender_and_the_recipient_fetches_nothing() -> Result<()> {
    let w = World::with_relay().await?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let bob = w.signed_in("bob", "Bob Stone").await?;
    for (me, peer) in [(&alice, &bob), (&bob, &alice)] {
        let (mut store, _) = w.direct_chat(&me.handle, me.id, peer.clone())?;
        store.set_undo_send_window(candor_core::UndoSendWindow::Off)?;
    }
    let platform = OEmbedStandIn::start("A stand-in <i>title</i>", "Stand-in Author").await?;
    let origin = platform.origin();
    let env = [("CANDOR_OEMBED_ORIGIN", origin.as_str())];

    let app = App::launch_env(&w.home(), "alice", &env).await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    let composer = app.find("[data-testid=composer]").await?;
    composer
        .send_keys("https://youtu.be/dQw4w9WgXcQ?si=AbC")
        .await?;
    app.wait_for_texts(
        "[data-testid=composer-preview] [data-testid=video-title]",
        &["A stand-in <i>title</i>"],
    )
    .await?;
    composer.send_keys(Key::Enter).await?;
    app.wait_for_texts("[data-testid=message-status]", &["Sent"])
        .await?;
    let asked = platform.requests();
    assert!(
        asked >= 2,
        "the sender asked for details and the thumbnail: {asked}"
    );
    app.quit().await?;

    let app = App::launch_env(&w.home(), "bob", &env).await?;
    app.find("[data-testid=requests-tab]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.wait_for_texts(
        "[data-testid=message] [data-testid=video-title]",
        &["A stand-in <i>title</i>"],
    )
    .await?;
    let src = app
        .find("[data-testid=message] .video-thumb")
        .await?
        .attr("src")
        .await?
        .unwrap_or_default();
    assert!(src.starts_with("data:image/jpeg;base64,"), "{src}");
    app.screenshot("card-with-thumbnail").await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        platform.requests(),
        asked,
        "the recipient fetched something"
    );
    app.quit().await?;
    Ok(())
}

/// Handed a video from outside: a `candor://share?url=…` launch (as a browser
/// or another app starts one) and a link dropped on the window both open the
/// share dialog with that link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_from_outside_or_a_dropped_link_opens_the_share_dialog() -> Result<()> {
    let w = World::with_relay().await?;
    w.signed_in("alice", "Alice Park").await?;
    let app = w.launch("alice").await?;
    app.find("[data-testid=inbox-empty]").await?;

    let mut again = app.launch_again_with(
        "alice",
        &["candor://share?url=https%3A%2F%2Fvm.tiktok.com%2FZMabcDEF1%2F%3F_r%3D1"],
    )?;
    let deadline = tokio::time::Instant::now() + WAIT;
    while again.try_wait()?.is_none() {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the second launch did not hand over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let field = app.find("[data-testid=share-link]").await?;
    assert_eq!(
        field.prop("value").await?.as_deref(),
        Some("https://vm.tiktok.com/ZMabcDEF1/?_r=1")
    );
    app.wait_for_texts(
        "[data-testid=share-dialog] [data-testid=video-provider]",
        &["TIKTOK"],
    )
    .await?;
    app.driver
        .action_chain()
        .send_keys(Key::Escape)
        .perform()
        .await?;
    app.wait_for_texts("[data-testid=share-dialog]", &[])
        .await?;

    // A link dropped on the window (the drop event a browser's drag makes).
    app.driver
        .execute(
            "const data = new DataTransfer();
             data.setData('text/uri-list', arguments[0]);
             const target = document.querySelector('.chat-pane');
             target.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
             target.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));",
            vec![serde_json::Value::String(
                "https://www.instagram.com/reel/C1aBcDeFgHi/?igsh=abc".into(),
            )],
        )
        .await?;
    let field = app.find("[data-testid=share-link]").await?;
    assert_eq!(
        field.prop("value").await?.as_deref(),
        Some("https://www.instagram.com/reel/C1aBcDeFgHi/?igsh=abc")
    );
    app.quit().await?;
    Ok(())
}
