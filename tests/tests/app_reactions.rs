//! Reactions in the real app, with a real relay and Maya on a candor-core
//! device: Alice reacts from a message's menu and from the full picker,
//! changes her reaction and takes it back (the toast says Maya may have seen
//! it), and each change reaches Maya's store; Maya's reaction reaches Alice's
//! window and her inbox row, also one Maya gave while offline.

use std::time::Duration;

use anyhow::Result;
use candor_core::protocol::ConversationId;
use candor_core::protocol::frames::direct_conversation_id;
use candor_e2e::sync::{Device, eventually};
use candor_e2e::{App, World};

const WAIT: Duration = Duration::from_secs(15);

/// The emoji on Maya's copy of the message reading `text`, with who gave them.
fn on_mayas_copy(maya: &Device, chat: ConversationId, text: &str) -> Vec<(String, Vec<String>)> {
    maya.with(|s| s.conversation_page(chat, None, 50))
        .ok()
        .and_then(|p| p.messages.into_iter().find(|m| m.text == text))
        .map(|m| {
            m.reactions
                .into_iter()
                .map(|r| (r.emoji, r.people))
                .collect()
        })
        .unwrap_or_default()
}

async fn menu_on(app: &App, index: usize) -> Result<()> {
    app.message_menu(index).await?;
    app.find("[data-testid=quick-reaction]").await?;
    Ok(())
}

/// The reaction chips shown, as (emoji, count), in order.
async fn chips(app: &App) -> Result<Vec<(String, String)>> {
    let v = app
        .driver
        .execute(
            "return [...document.querySelectorAll('[data-testid=reaction]')]
                 .map(c => [c.dataset.emoji, c.querySelector('.reaction-count').textContent]);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v.json().clone())?)
}

async fn wait_chips(app: &App, want: &[(&str, &str)]) -> Result<()> {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(e, n)| ((*e).to_owned(), (*n).to_owned()))
        .collect();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let shown = chips(app).await?;
        if shown == want {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "reactions shown {shown:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn quick(app: &App, emoji: &str) -> Result<()> {
    app.click_in_view(&format!(
        "[data-testid=quick-reaction][aria-label='React {emoji}']"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_go_both_ways_change_and_are_taken_back_honestly() -> Result<()> {
    let w = World::with_relay().await?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let mut maya = w.device("maya", "Maya Lopez").await?;
    maya.go_online()?;
    let app = w.launch("alice").await?;
    app.start_chat("maya", "Maya Lopez").await?;
    app.send("dinner on friday?").await?;
    let chat = direct_conversation_id(alice.id, maya.user.id);
    eventually(WAIT, "maya has it", || {
        maya.has_message_reading(chat, "dinner on friday?")
    })
    .await?;
    maya.write(chat, "yes! the place on 5th")?;
    maya.outbox_changed().await;
    app.wait_for_texts(
        "[data-testid=message] .text",
        &["dinner on friday?", "yes! the place on 5th"],
    )
    .await?;

    // A quick reaction from the menu, then another in its place.
    menu_on(&app, 1).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("reaction-menu").await?;
    quick(&app, "❤️").await?;
    wait_chips(&app, &[("❤️", "1")]).await?;
    eventually(WAIT, "maya gets the heart", || {
        on_mayas_copy(&maya, chat, "yes! the place on 5th")
            == [("❤️".to_owned(), vec!["Alice Park".to_owned()])]
    })
    .await?;
    menu_on(&app, 1).await?;
    quick(&app, "😂").await?;
    wait_chips(&app, &[("😂", "1")]).await?;
    eventually(WAIT, "maya sees it changed", || {
        on_mayas_copy(&maya, chat, "yes! the place on 5th")
            == [("😂".to_owned(), vec!["Alice Park".to_owned()])]
    })
    .await?;

    // The full picker: found by name.
    menu_on(&app, 1).await?;
    app.click_in_view("[data-testid=more-reactions]").await?;
    app.find("[data-testid=picker-emoji]").await?;
    app.type_into("[data-testid=emoji-search]", "rocket")
        .await?;
    app.find("[data-testid=picker-emoji][aria-label='🚀']")
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("reaction-picker").await?;
    app.click_in_view("[data-testid=picker-emoji][aria-label='🚀']")
        .await?;
    wait_chips(&app, &[("🚀", "1")]).await?;
    eventually(WAIT, "maya gets the rocket", || {
        on_mayas_copy(&maya, chat, "yes! the place on 5th")
            == [("🚀".to_owned(), vec!["Alice Park".to_owned()])]
    })
    .await?;

    // Taken back by clicking her own: sent, and said so plainly.
    app.click_in_view("[data-testid=reaction].mine").await?;
    app.wait_for_texts(
        "[data-testid=toast] span",
        &["Reaction removed. Maya Lopez may already have seen it."],
    )
    .await?;
    eventually(WAIT, "maya's copy has none", || {
        on_mayas_copy(&maya, chat, "yes! the place on 5th").is_empty()
    })
    .await?;
    wait_chips(&app, &[]).await?;

    // Maya reacts to Alice's message while offline; it arrives once she is
    // back, on the message and in the inbox row.
    maya.go_offline().await;
    let original = maya
        .with(|s| s.conversation_page(chat, None, 10))?
        .messages
        .into_iter()
        .find(|m| m.text == "dinner on friday?")
        .expect("on maya's device")
        .id;
    maya.with(|s| s.react(original, Some("👍")))?;
    maya.go_online()?;
    wait_chips(&app, &[("👍", "1")]).await?;
    app.wait_for_text(
        "[data-testid=inbox-preview]",
        "Maya Lopez reacted 👍 to: dinner on friday?",
    )
    .await?;
    let chip = app.find("[data-testid=reaction]").await?;
    app.driver
        .action_chain()
        .move_to_element_center(&chip)
        .perform()
        .await?;
    app.wait_for_text("[data-testid=reaction-who]", "Maya Lopez")
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("reactions").await?;
    app.quit().await
}
