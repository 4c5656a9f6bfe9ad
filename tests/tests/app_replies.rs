//! Replies in the real app, with Maya on a candor-core device: Maya quotes
//! Alice's message and the app shows the quote, which takes Alice to the
//! original; Alice replies from a message's menu, and Maya's device gets the
//! quote of her own message; R replies from the keyboard; and a quote of a
//! message Alice deleted for herself says so.

use std::time::Duration;

use anyhow::Result;
use candor_core::protocol::frames::direct_conversation_id;
use candor_core::{Draft, QuotedMessage};
use candor_e2e::World;
use candor_e2e::sync::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_quote_the_original_both_ways() -> Result<()> {
    let mut w = World::with_relay().await?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let mut maya = w.device("maya", "Maya Lopez").await?;
    maya.go_online()?;
    let app = w.launch("alice").await?;
    app.start_chat("maya", "Maya Lopez").await?;
    app.send("dinner on friday?").await?;

    // Maya quotes it from her device.
    let chat = direct_conversation_id(alice.id, maya.user.id);
    eventually(Duration::from_secs(15), "maya has it", || {
        maya.has_message_reading(chat, "dinner on friday?")
    })
    .await?;
    let original = maya
        .with(|s| s.conversation_page(chat, None, 10))?
        .messages
        .into_iter()
        .find(|m| m.text == "dinner on friday?")
        .expect("on maya's device")
        .id;
    maya.with(|s| {
        s.set_undo_send_window(candor_core::UndoSendWindow::Off)?;
        s.send_from_composer(
            chat,
            Draft {
                text: "yes! the place on 5th".into(),
                card: None,
            },
            Some(original),
        )
    })?;
    maya.outbox_changed().await;
    app.wait_for_text("[data-testid=quote] .quote-text", "dinner on friday?")
        .await?;
    app.wait_for_text("[data-testid=quote] .quote-author", "You")
        .await?;
    let quote = app.find("[data-testid=quote]").await?;
    assert_eq!(quote.attr("data-state").await?.as_deref(), Some("shown"));
    assert!(quote.is_enabled().await?, "it takes Alice to the original");
    quote.click().await?;

    // Alice replies to Maya's message from its menu.
    let rows = app
        .driver
        .find_all(thirtyfour::By::Css("[data-testid=message]"))
        .await?;
    let mayas = rows.last().expect("maya's message");
    mayas.scroll_into_view().await?;
    app.driver
        .action_chain()
        .context_click_element(mayas)
        .perform()
        .await?;
    app.find("[data-testid=menu-reply]").await?.click().await?;
    app.wait_for_text(
        "[data-testid=composer-reply] .quote-author",
        "Replying to Maya Lopez",
    )
    .await?;
    app.type_into("[data-testid=composer]", "8pm works").await?;
    app.screenshot("reply-composer").await?;
    app.find("[data-testid=send]").await?.click().await?;
    eventually(Duration::from_secs(15), "maya gets the reply", || {
        maya.with(|s| s.conversation_page(chat, None, 10))
            .map(|p| {
                p.messages.iter().any(|m| {
                    m.text == "8pm works"
                        && m.reply.as_ref().is_some_and(|r| {
                            r.state == QuotedMessage::Shown && r.excerpt == "yes! the place on 5th"
                        })
                })
            })
            .unwrap_or(false)
    })
    .await?;
    assert!(
        app.texts("[data-testid=composer-reply]").await?.is_empty(),
        "the reply bar goes once sent"
    );
    app.screenshot("replies").await?;

    // From the keyboard: R on a message's focused actions button replies,
    // and × takes it back.
    let buttons = app
        .driver
        .find_all(thirtyfour::By::Css("[data-testid=message-actions]"))
        .await?;
    buttons[1].focus().await?;
    buttons[1].send_keys("r").await?;
    app.wait_for_text(
        "[data-testid=composer-reply] .quote-author",
        "Replying to Maya Lopez",
    )
    .await?;
    app.find("[data-testid=cancel-reply]")
        .await?
        .click()
        .await?;
    assert!(app.texts("[data-testid=composer-reply]").await?.is_empty());

    // Alice deletes her question for herself: Maya's quote of it says so,
    // and shows what Maya quoted, marked as hers.
    let first = app
        .driver
        .find_all(thirtyfour::By::Css("[data-testid=message]"))
        .await?
        .remove(0);
    app.driver
        .action_chain()
        .context_click_element(&first)
        .perform()
        .await?;
    app.click_in_view("[data-testid=menu-delete-message]")
        .await?;
    app.click_in_view("[data-testid=dialog-confirm]").await?;
    app.wait_for_text(
        "[data-testid=quote] .quote-note",
        "A message you deleted for you · as quoted",
    )
    .await?;
    let quote = app.find("[data-testid=quote]").await?;
    assert_eq!(
        quote.attr("data-state").await?.as_deref(),
        Some("hiddenForYou")
    );
    assert!(!quote.is_enabled().await?, "nothing to jump to");
    app.wait_for_text("[data-testid=quote] .quote-text", "dinner on friday?")
        .await?;
    app.screenshot("reply-to-hidden").await?;
    app.quit().await?;
    maya.go_offline().await;
    w.stop_relay().await?;
    Ok(())
}
