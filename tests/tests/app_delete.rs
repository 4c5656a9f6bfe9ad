//! "Delete for me" in the real app, against the real relay and a second person on
//! a candor-core device: the dialog names who keeps the message, the hide is
//! local (Bob keeps everything), Undo puts it back, Erase leaves no trace of the
//! text in the database files, and a deleted chat comes back with only what is
//! new.

use std::time::Duration;

use anyhow::Result;
use candor_e2e::sync::{Device, eventually};
use candor_e2e::{App, World};
use thirtyfour::prelude::*;

const SECRET: &str = "meet at the quokka statue";

async fn active_testid(app: &App) -> Result<String> {
    let v = app
        .driver
        .execute(
            "const e = document.activeElement; return e.dataset.testid || e.className;",
            vec![],
        )
        .await?;
    Ok(v.json().as_str().unwrap_or_default().to_owned())
}

/// Which of this profile's database files hold `needle`.
fn db_files_holding(w: &World, profile: &str, needle: &str) -> Vec<String> {
    w.profile_dir(profile)
        .database_files()
        .iter()
        .filter(|file| {
            std::fs::read(file)
                .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        })
        .filter_map(|file| Some(file.file_name()?.to_string_lossy().into_owned()))
        .collect()
}

fn bob_has(bob: &Device, text: &str) -> bool {
    bob.with(|s| s.search(text, None, 10))
        .map(|r| r.hits.len() == 1)
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_for_me_is_local_undoable_erasable_and_says_who_keeps_it() -> Result<()> {
    let w = World::with_relay().await?;
    // Every delete dialog names the relay's copy.
    let relay_keeps = format!(
        "The relay at {} keeps its copy too.",
        w.relay().url().trim_start_matches("http://")
    );
    let mut bob = w.device("bob", "Bob Stone").await?;
    bob.go_online()?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let (_, chat) = w.direct_chat("alice", alice.id, bob.person())?;
    assert_eq!(bob.open_chat_with(alice)?, chat);

    let app = w.launch("alice").await?;
    app.click_in_view("[data-testid=inbox-row]").await?;
    let composer = app.find("[data-testid=composer]").await?;
    composer.send_keys(SECRET).await?;
    app.click_in_view("[data-testid=send]").await?;
    eventually(Duration::from_secs(15), "bob gets it", || {
        bob_has(&bob, SECRET)
    })
    .await?;
    bob.write(chat, "sure, see you there")?;
    bob.outbox_changed().await;
    app.wait_for_texts(
        "[data-testid=message] .text",
        &[SECRET, "sure, see you there"],
    )
    .await?;
    // Alice's own message is the newest she wrote; Bob's reply is the preview.
    let mine = ".bubble-row.own [data-testid=message-actions]";

    // The dialog names Bob, Cancel has focus, Esc cancels and focus comes back.
    app.click_in_view(mine).await?;
    app.click_in_view("[data-testid=menu-delete-message]")
        .await?;
    app.wait_for_texts("[data-testid=dialog-title]", &["Delete for you?"])
        .await?;
    let body = app.texts("[data-testid=dialog-body]").await?.join("");
    assert_eq!(
        body,
        format!(
            "This removes the message from this device only. Bob Stone will still be able to see it. {relay_keeps} Candor can't unsend a message once it has been sent."
        )
    );
    assert_eq!(active_testid(&app).await?, "dialog-cancel");
    app.screenshot("delete-dialog").await?;
    app.driver
        .action_chain()
        .send_keys(Key::Escape)
        .perform()
        .await?;
    app.wait_for_texts("[data-testid=dialog-title]", &[])
        .await?;
    assert_eq!(active_testid(&app).await?, "message-actions");
    app.wait_for_texts(
        "[data-testid=message] .text",
        &[SECRET, "sure, see you there"],
    )
    .await?;

    // The dialog's note links to the one honest way to take a message back.
    app.click_in_view(mine).await?;
    app.click_in_view("[data-testid=menu-delete-message]")
        .await?;
    let note = app.texts("[data-testid=dialog-note]").await?.join("");
    assert!(
        note.starts_with(
            "A message can be taken back only before it is sent, during its undo-send window."
        ),
        "{note}"
    );
    app.click_in_view("[data-testid=dialog-note] button")
        .await?;
    app.find("[data-testid=undo-send-fiveSeconds]:checked")
        .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while active_testid(&app).await? != "undo-send-fiveSeconds" {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the undo-send setting never got focus"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.click_in_view("[data-testid=settings-close]").await?;

    // Confirmed: gone from Alice's chat; Bob still has it; Undo brings it back.
    app.click_in_view(mine).await?;
    app.click_in_view("[data-testid=menu-delete-message]")
        .await?;
    app.click_in_view("[data-testid=dialog-confirm]").await?;
    app.wait_for_texts("[data-testid=message] .text", &["sure, see you there"])
        .await?;
    app.wait_for_texts("[data-testid=toast] span", &["Deleted for you"])
        .await?;
    app.screenshot("deleted-toast").await?;
    assert!(bob_has(&bob, SECRET), "Bob keeps it");
    app.click_in_view("[data-testid=toast-action]").await?;
    app.wait_for_texts(
        "[data-testid=message] .text",
        &[SECRET, "sure, see you there"],
    )
    .await?;

    // Deleted again, then erased from the device: the text is in no database file.
    app.click_in_view(mine).await?;
    app.click_in_view("[data-testid=menu-delete-message]")
        .await?;
    app.click_in_view("[data-testid=dialog-confirm]").await?;
    app.wait_for_texts("[data-testid=message] .text", &["sure, see you there"])
        .await?;
    app.click_in_view("[data-testid=chat-menu]").await?;
    app.wait_for_texts("[data-testid=menu-hidden]", &["Deleted for you (1)"])
        .await?;
    app.click_in_view("[data-testid=menu-hidden]").await?;
    app.wait_for_texts("[data-testid=hidden-message] .text", &[SECRET])
        .await?;
    app.screenshot("deleted-for-you").await?;
    assert!(
        !db_files_holding(&w, "alice", SECRET).is_empty(),
        "a hidden message keeps its text for Restore"
    );
    app.click_in_view("[data-testid=erase-hidden]").await?;
    let body = app
        .texts("[data-testid=erase-dialog] [data-testid=dialog-body]")
        .await?
        .join("");
    assert!(body.contains("Bob Stone still has their copy"), "{body}");
    app.click_in_view("[data-testid=erase-dialog] [data-testid=dialog-confirm]")
        .await?;
    app.wait_for_texts(
        "[data-testid=toast] span",
        &["Erased 1 message from this device"],
    )
    .await?;
    app.wait_for_texts("[data-testid=hidden-message]", &[])
        .await?;
    assert_eq!(db_files_holding(&w, "alice", SECRET), Vec::<String>::new());
    assert!(bob_has(&bob, SECRET), "Bob keeps it after the erase too");

    // The chat deleted: it leaves the inbox; Bob writing again brings it back
    // with only the new message.
    app.click_in_view("[data-testid=chat-menu]").await?;
    app.click_in_view("[data-testid=menu-delete-chat]").await?;
    let body = app.texts("[data-testid=dialog-body]").await?.join("");
    assert!(
        body.contains("Bob Stone keeps the whole conversation, and the relay at ")
            && body.contains(" keeps its copy. If Bob Stone writes again, the chat comes back with only the new messages."),
        "{body}"
    );
    app.click_in_view("[data-testid=dialog-confirm]").await?;
    app.find("[data-testid=inbox-empty]").await?;
    assert!(bob_has(&bob, "sure"), "Bob keeps the conversation");
    bob.write(chat, "are you coming?")?;
    bob.outbox_changed().await;
    app.wait_for_texts("[data-testid=inbox-preview]", &["are you coming?"])
        .await?;
    app.click_in_view("[data-testid=inbox-row]").await?;
    app.wait_for_texts("[data-testid=message] .text", &["are you coming?"])
        .await?;

    // Deleted from the inbox row's menu, then restored from Settings.
    app.click_in_view("[data-testid=inbox-row-actions]").await?;
    app.click_in_view("[data-testid=inbox-delete-chat]").await?;
    app.click_in_view("[data-testid=dialog-confirm]").await?;
    app.find("[data-testid=inbox-empty]").await?;
    app.click_in_view("[data-testid=open-settings]").await?;
    app.wait_for_texts("[data-testid=deleted-chats] li span", &["Bob Stone"])
        .await?;
    app.screenshot("deleted-chats-settings").await?;
    app.click_in_view("[data-testid=restore-chat]").await?;
    app.wait_for_texts("[data-testid=inbox-preview]", &["are you coming?"])
        .await?;

    // Restoring the chat brings back what was deleted with it. Two messages,
    // selected from a right-click, are deleted together.
    app.click_in_view("[data-testid=settings-close]").await?;
    app.click_in_view("[data-testid=inbox-row]").await?;
    app.wait_for_texts(
        "[data-testid=message] .text",
        &["sure, see you there", "are you coming?"],
    )
    .await?;
    let first = app.find("[data-testid=message]").await?;
    app.driver
        .action_chain()
        .context_click_element(&first)
        .perform()
        .await?;
    app.click_in_view("[data-testid=menu-select-message]")
        .await?;
    let boxes = app
        .driver
        .find_all(By::Css("[data-testid=select-message]"))
        .await?;
    assert_eq!(boxes.len(), 2);
    boxes[1].click().await?;
    app.wait_for_texts("[data-testid=selection-bar] span", &["2 selected"])
        .await?;
    app.click_in_view("[data-testid=delete-selected]").await?;
    app.wait_for_texts(
        "[data-testid=dialog-title]",
        &["Delete 2 messages for you?"],
    )
    .await?;
    let body = app.texts("[data-testid=dialog-body]").await?.join("");
    assert_eq!(
        body,
        format!(
            "This removes 2 of Bob Stone's messages from your view on this device. Bob Stone still has them. {relay_keeps}"
        )
    );
    app.click_in_view("[data-testid=dialog-confirm]").await?;
    app.wait_for_texts("[data-testid=message] .text", &[])
        .await?;
    app.wait_for_texts("[data-testid=toast] span", &["2 messages deleted for you"])
        .await?;

    // Nothing of this reached Bob: he has every message.
    for text in [SECRET, "sure, see you there", "are you coming?"] {
        assert!(bob_has(&bob, text), "Bob still has {text:?}");
    }
    app.quit().await?;
    bob.go_offline().await;
    Ok(())
}
