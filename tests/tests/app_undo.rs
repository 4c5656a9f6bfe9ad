//! Undo send in the real app, with its default 5-second window, through a proxy
//! that records every frame the app sends to the real relay: Undo takes a
//! message back before anything leaves the device; without Undo it goes after
//! the window; a burst with one undone keeps its order; a message inside its
//! window survives the app being killed and is delivered once; and quitting
//! with a message waiting asks what to do with it (discard, keep, send now).
//! Drafts: what is typed stays with its chat across chat switches and a crash.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use candor_e2e::sync::{Device, RecordingProxy, eventually};
use candor_e2e::{App, World};
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(20);

async fn send(app: &App, text: &str) -> Result<()> {
    let composer = app.find("[data-testid=composer]").await?;
    composer.send_keys(text).await?;
    composer.send_keys(Key::Enter).await?;
    Ok(())
}

async fn composer_value(app: &App) -> Result<String> {
    Ok(app
        .find("[data-testid=composer]")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

/// Clicks Undo on the bubble whose text is `text`.
async fn undo(app: &App, text: &str) -> Result<()> {
    let clicked = app
        .driver
        .execute(
            "const row = [...document.querySelectorAll('.bubble-row')]
               .find(r => r.querySelector('.text')?.innerText === arguments[0]);
             const undo = row?.querySelector('[data-testid=undo-send]');
             if (undo) undo.click();
             return !!undo;",
            vec![serde_json::Value::String(text.to_owned())],
        )
        .await?;
    anyhow::ensure!(
        clicked.json().as_bool() == Some(true),
        "no Undo on {text:?}"
    );
    Ok(())
}

/// Bob's copy of the chat, oldest first.
fn bob_texts(bob: &Device, chat: candor_core::protocol::ConversationId) -> Vec<String> {
    bob.with(|s| s.conversation_page(chat, None, 100))
        .map(|p| p.messages.into_iter().rev().map(|m| m.text).collect())
        .unwrap_or_default()
}

fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(bytes) = std::fs::read(entry.path())
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_send_takes_a_message_back_before_it_leaves() -> Result<()> {
    let w = World::with_relay().await?;
    let proxy = RecordingProxy::start(w.relay().addr).await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    bob.go_online()?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let (mut store, chat) = w.direct_chat("alice", alice.id, bob.person())?;
    // The app talks to the relay through the recording proxy.
    let mut profile = store.profile()?.expect("signed in");
    profile.relay_url = proxy.url();
    store.set_profile(&profile)?;
    drop(store);
    bob.open_chat_with(alice)?;
    let sent_frames = |needle: &str| {
        proxy
            .sent()
            .into_iter()
            .filter(|f| f.contains(needle))
            .count()
    };

    let app = w.launch("alice").await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;

    // Undo inside the window: the text is back in the composer, and nothing
    // ever reaches the relay or Bob.
    send(&app, "oops, wrong chat").await?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = app.texts("[data-testid=message-status]").await?;
        if status.len() == 1 && status[0].starts_with("Sending in ") {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "no countdown: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.screenshot("undo-send-countdown").await?;
    undo(&app, "oops, wrong chat").await?;
    app.wait_for_texts("[data-testid=message] .text", &[])
        .await?;
    assert_eq!(composer_value(&app).await?, "oops, wrong chat");
    app.find("[data-testid=composer]").await?.clear().await?;

    // Without Undo: sent once the window has passed, not before.
    let written = Instant::now();
    send(&app, "this one goes").await?;
    eventually(WAIT, "the relay gets it", || {
        sent_frames("this one goes") == 1
    })
    .await?;
    assert!(
        written.elapsed() >= Duration::from_secs(4),
        "left after {:?}, inside the window",
        written.elapsed()
    );
    eventually(WAIT, "Bob gets it", || {
        bob_texts(&bob, chat) == ["this one goes"]
    })
    .await?;
    // Sent, not Delivered: for Bob the chat is a Request, which tells its
    // sender nothing.
    app.wait_for_texts("[data-testid=message-status]", &["Sent"])
        .await?;

    // The undone message left no trace: no frame, not at Bob's, not in the
    // relay's files.
    assert_eq!(sent_frames("oops"), 0, "{:?}", proxy.sent());
    assert_eq!(bob_texts(&bob, chat), ["this one goes"]);
    assert_eq!(
        files_holding(&w.relay().data, "oops, wrong chat"),
        Vec::<String>::new()
    );

    // A burst with the middle one undone keeps its order.
    send(&app, "burst one").await?;
    send(&app, "burst two").await?;
    send(&app, "burst three").await?;
    undo(&app, "burst two").await?;
    eventually(WAIT, "the burst arrives", || {
        bob_texts(&bob, chat) == ["this one goes", "burst one", "burst three"]
    })
    .await?;
    assert_eq!(sent_frames("burst two"), 0);
    assert_eq!(composer_value(&app).await?, "burst two");
    app.find("[data-testid=composer]").await?.clear().await?;

    // Killed inside the window: the message is on disk and goes after a
    // restart, exactly once.
    send(&app, "survives a crash").await?;
    app.kill_app()?;
    drop(app);
    let app = w.launch("alice").await?;
    eventually(WAIT, "delivered after the restart", || {
        bob_texts(&bob, chat).last().map(String::as_str) == Some("survives a crash")
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let copies = bob_texts(&bob, chat)
        .iter()
        .filter(|t| *t == "survives a crash")
        .count();
    assert_eq!(copies, 1);

    // Quitting with a message waiting asks; "Discard" takes it back.
    app.find("[data-testid=inbox-row]").await?.click().await?;
    send(&app, "never mind").await?;
    app.press_ctrl("q").await?;
    let title = app.find("#quit-title").await?.text().await?;
    assert_eq!(title, "A message is waiting to send");
    app.screenshot("quit-with-waiting-message").await?;
    // The app may be gone before the click's answer: what counts is that it quits.
    let _ = app.find("[data-testid=quit-discard]").await?.click().await;
    app.wait_exited(WAIT).await?;
    drop(app);

    // "Keep for next start": it goes after the next start.
    let app = w.launch("alice").await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.wait_for_texts(
        "[data-testid=message] .text",
        &[
            "this one goes",
            "burst one",
            "burst three",
            "survives a crash",
        ],
    )
    .await?;
    send(&app, "see you tomorrow").await?;
    app.press_ctrl("q").await?;
    // The app may be gone before the click's answer: what counts is that it quits.
    let _ = app.find("[data-testid=quit-keep]").await?.click().await;
    app.wait_exited(WAIT).await?;
    drop(app);
    assert_eq!(sent_frames("see you tomorrow"), 0, "kept on the device");
    let app = w.launch("alice").await?;
    eventually(WAIT, "sent after the next start", || {
        bob_texts(&bob, chat).last().map(String::as_str) == Some("see you tomorrow")
    })
    .await?;
    assert_eq!(sent_frames("never mind"), 0, "discarded");
    assert!(!bob_texts(&bob, chat).iter().any(|t| t == "never mind"));

    // "Send now": it goes before the app is gone.
    app.find("[data-testid=inbox-row]").await?.click().await?;
    send(&app, "on my way").await?;
    app.press_ctrl("q").await?;
    let _ = app.find("[data-testid=quit-send-now]").await?.click().await;
    app.wait_exited(WAIT).await?;
    assert_eq!(sent_frames("on my way"), 1, "sent before quitting");
    eventually(WAIT, "Bob gets it", || {
        bob_texts(&bob, chat).last().map(String::as_str) == Some("on my way")
    })
    .await?;
    drop(app);
    bob.go_offline().await;
    Ok(())
}

/// Clicks the inbox row of the chat called `title`.
async fn open_chat(app: &App, title: &str) -> Result<()> {
    let clicked = app
        .driver
        .execute(
            "const row = [...document.querySelectorAll('[data-testid=inbox-row]')]
               .find(r => r.querySelector('[data-testid=inbox-title]')?.innerText === arguments[0]);
             row?.click();
             return !!row;",
            vec![serde_json::Value::String(title.to_owned())],
        )
        .await?;
    anyhow::ensure!(clicked.json().as_bool() == Some(true), "no row {title:?}");
    app.wait_for_text("[data-testid=chat-title]", title).await
}

/// The preview line of the inbox row called `title`.
async fn row_preview(app: &App, title: &str) -> Result<String> {
    let preview = app
        .driver
        .execute(
            "const row = [...document.querySelectorAll('[data-testid=inbox-row]')]
               .find(r => r.querySelector('[data-testid=inbox-title]')?.innerText === arguments[0]);
             return row?.querySelector('[data-testid=inbox-preview]')?.innerText ?? null;",
            vec![serde_json::Value::String(title.to_owned())],
        )
        .await?;
    preview
        .json()
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no row {title:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_stays_with_its_chat_across_switches_and_a_crash() -> Result<()> {
    let w = World::with_relay().await?;
    let bob = w.device("bob", "Bob Stone").await?;
    let cleo = w.device("cleo", "Cleo Vance").await?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let (store, bob_chat) = w.direct_chat("alice", alice.id, bob.person())?;
    drop(store);
    let (store, _) = w.direct_chat("alice", alice.id, cleo.person())?;
    drop(store);

    let app = w.launch("alice").await?;
    // Mid-sentence in Bob's chat, then over to Cleo's: her composer is empty,
    // and Bob's row says what waits there.
    open_chat(&app, "Bob Stone").await?;
    app.find("[data-testid=composer]")
        .await?
        .send_keys("See you at the")
        .await?;
    open_chat(&app, "Cleo Vance").await?;
    assert_eq!(composer_value(&app).await?, "");
    assert_eq!(
        row_preview(&app, "Bob Stone").await?,
        "Draft: See you at the"
    );
    app.screenshot("draft-in-inbox-row").await?;
    open_chat(&app, "Bob Stone").await?;
    assert_eq!(composer_value(&app).await?, "See you at the");

    // More typed, a pause, then a crash: the draft is on disk.
    app.find("[data-testid=composer]")
        .await?
        .send_keys(" park")
        .await?;
    let path = w.profile_dir("alice").database();
    let stored = || {
        candor_core::Store::open(&path)
            .and_then(|s| s.draft(bob_chat))
            .ok()
            .flatten()
    };
    eventually(WAIT, "the draft is saved", || {
        stored().as_deref() == Some("See you at the park")
    })
    .await?;
    app.kill_app()?;
    drop(app);

    let app = w.launch("alice").await?;
    app.wait_for_text("[data-testid=inbox-preview]", "Draft: See you at the park")
        .await?;
    open_chat(&app, "Bob Stone").await?;
    assert_eq!(composer_value(&app).await?, "See you at the park");

    // Sending clears it, here and on disk, and it stays cleared.
    app.find("[data-testid=composer]")
        .await?
        .send_keys(Key::Enter)
        .await?;
    app.wait_for_texts("[data-testid=message] .text", &["See you at the park"])
        .await?;
    assert_eq!(composer_value(&app).await?, "");
    open_chat(&app, "Cleo Vance").await?;
    assert_eq!(
        row_preview(&app, "Bob Stone").await?,
        "You: See you at the park"
    );
    open_chat(&app, "Bob Stone").await?;
    assert_eq!(composer_value(&app).await?, "");
    assert_eq!(stored(), None);
    app.quit().await?;
    Ok(())
}
