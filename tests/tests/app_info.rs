//! Who has a copy, in the real app with a real relay and Maya on a
//! candor-core device: a message's Info shows Maya's receipt with its time and
//! the relay's copy; the delete dialog names the relay; and erasing a message
//! withdraws the notification it came with from a real notification server
//! (dunst).

use std::time::Duration;

use anyhow::Result;
use candor_core::protocol::frames::direct_conversation_id;
use candor_e2e::sync::eventually;
use candor_e2e::{App, FocusElsewhere, World};

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_names_every_copy_and_erase_withdraws_the_notification() -> Result<()> {
    let w = World::with_relay().await?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let mut maya = w.device("maya", "Maya Lopez").await?;
    maya.go_online()?;
    let relay_host = w.relay().url().trim_start_matches("http://").to_owned();
    let app = App::launch_with(&w.home(), "alice", true).await?;
    app.start_chat("maya", "Maya Lopez").await?;
    app.send("dinner on friday?").await?;

    // Maya answers (so the chat is no request of hers) and reads it.
    let chat = direct_conversation_id(alice.id, maya.user.id);
    eventually(WAIT, "maya has it", || {
        maya.has_message_reading(chat, "dinner on friday?")
    })
    .await?;
    maya.write(chat, "yes!")?;
    maya.outbox_changed().await;
    eventually(WAIT, "maya's answer is stored", || {
        maya.with(|s| s.conversation_page(chat, None, 10))
            .map(|p| p.messages.iter().all(|m| m.seq.is_some()))
            .unwrap_or(false)
    })
    .await?;
    let seq = maya
        .with(|s| s.conversation_page(chat, None, 10))?
        .messages
        .iter()
        .filter_map(|m| m.seq)
        .max()
        .expect("sequenced");
    maya.with(|s| s.mark_read(chat, seq))?;
    maya.engine.as_ref().expect("online").read_changed().await;
    app.wait_for_texts(
        "[data-testid=message] .text",
        &["dinner on friday?", "yes!"],
    )
    .await?;
    app.wait_for_text("[data-testid=message-status]", "Seen")
        .await?;

    // Alice's message's Info: Maya saw it, the relay keeps it.
    app.message_menu(0).await?;
    app.click_in_view("[data-testid=menu-message-info]").await?;
    app.find("[data-testid=info-member]").await?;
    let member = app.texts("[data-testid=info-member]").await?.join("");
    assert!(member.contains("Maya Lopez"), "{member}");
    let receipt = app.texts("[data-testid=info-receipt]").await?.join("");
    assert!(receipt.starts_with("Seen by "), "{receipt}");
    let relay = app.texts("[data-testid=info-relay]").await?.join("");
    assert_eq!(
        relay,
        format!("The relay at {relay_host} keeps a copy, readable by whoever runs it.")
    );
    let here = app.texts("[data-testid=info-here]").await?.join("");
    assert_eq!(here, "Shown on this device.");
    app.wait_for_text(
        "[data-testid=info-devices]",
        "Your other signed-in devices keep their own copies. Deleting or erasing here does not reach them. No other device is signed in now.",
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.screenshot("message-info").await?;
    app.click_in_view("[data-testid=message-info-close]")
        .await?;

    // Maya's Info: she wrote it.
    app.message_menu(1).await?;
    app.click_in_view("[data-testid=menu-message-info]").await?;
    app.wait_for_text("[data-testid=info-receipt]", "Wrote it")
        .await?;
    app.click_in_view("[data-testid=message-info-close]")
        .await?;

    // In the background, Maya's next message notifies.
    let notifier = app.notifier.as_ref().expect("dunst");
    let elsewhere = FocusElsewhere::start(&app.display.name())?;
    maya.write(chat, "the door code is 4411")?;
    maya.outbox_changed().await;
    eventually(WAIT, "a notification is shown", || {
        notifier
            .ctl(&["count", "displayed"])
            .is_ok_and(|n| n.trim() == "1")
    })
    .await?;
    drop(elsewhere);

    // Alice deletes it for herself: the dialog names the relay's copy.
    app.wait_for_texts(
        "[data-testid=message] .text",
        &["dinner on friday?", "yes!", "the door code is 4411"],
    )
    .await?;
    app.message_menu(2).await?;
    app.click_in_view("[data-testid=menu-delete-message]")
        .await?;
    let body = app
        .texts("[data-testid=delete-dialog] [data-testid=dialog-body]")
        .await?
        .join("");
    assert!(
        body.contains(&format!("The relay at {relay_host} keeps its copy too.")),
        "{body}"
    );
    app.click_in_view("[data-testid=dialog-confirm]").await?;
    app.wait_for_texts(
        "[data-testid=message] .text",
        &["dinner on friday?", "yes!"],
    )
    .await?;

    // Then erases it: the dialog says the notification goes too, and it does.
    app.click_in_view("[data-testid=chat-menu]").await?;
    app.click_in_view("[data-testid=menu-hidden]").await?;
    // Its Info, from the deleted messages: this device still has the text.
    app.click_in_view("[data-testid=hidden-message-info]")
        .await?;
    app.wait_for_text(
        "[data-testid=info-here]",
        "Deleted for you on this device. Its text is still here, for Restore.",
    )
    .await?;
    app.wait_for_text("[data-testid=info-receipt]", "Wrote it")
        .await?;
    app.click_in_view("[data-testid=message-info-close]")
        .await?;
    app.click_in_view("[data-testid=erase-hidden]").await?;
    let body = app
        .texts("[data-testid=erase-dialog] [data-testid=dialog-body]")
        .await?
        .join("");
    assert!(body.contains("Maya Lopez still has their copy"), "{body}");
    assert!(
        body.contains(&format!("The relay at {relay_host} keeps its copy too.")),
        "{body}"
    );
    assert!(
        body.contains("Candor also withdraws this chat's notification"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.screenshot("erase-dialog-relay").await?;
    assert_eq!(notifier.ctl(&["count", "displayed"])?.trim(), "1");
    app.click_in_view("[data-testid=erase-dialog] [data-testid=dialog-confirm]")
        .await?;
    eventually(WAIT, "the notification is withdrawn", || {
        notifier
            .ctl(&["count", "displayed"])
            .is_ok_and(|n| n.trim() == "0")
    })
    .await?;
    app.quit().await
}
