//! The real app, under Xvfb through tauri-driver, chatting through the real relay
//! binary with a second person on a candor-core device.

use std::time::Duration;

use anyhow::Result;
use candor_core::Person;
use candor_core::protocol::frames::direct_conversation_id;
use candor_e2e::sync::eventually;
use candor_e2e::{App, World};
use thirtyfour::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_first_message_waits_in_requests_until_accepted() -> Result<()> {
    let mut w = World::with_relay().await?;
    let mut maya = w.device("maya", "Maya Lopez").await?;
    maya.go_online()?;
    let app = w.launch("ana").await?;
    app.sign_up(&w.relay().url(), "ana", "Ana").await?;
    // No keychain in the test session: the footer says where the token went.
    app.wait_for_text(
        "[data-testid=account-footer]",
        &format!(
            "@ana on {} · not encrypted · session token in a file only you can read (no keychain found)",
            w.relay().url()
        ),
    )
    .await?;

    let ana_id = candor_core::account::RelayClient::new(&w.relay().url())?
        .lookup(&maya.token, "ana")
        .await?
        .id;
    let ana = Person {
        id: ana_id,
        handle: "ana".into(),
        display_name: "Ana".into(),
    };
    let chat = maya.open_chat_with(ana.clone())?;
    maya.write(chat, "Hi! Loved your video")?;
    maya.outbox_changed().await;

    app.wait_for_text("[data-testid=requests-tab]", "Requests (1)")
        .await?;
    assert!(
        app.driver
            .find_all(By::Css("[data-testid=inbox-row]"))
            .await?
            .is_empty(),
        "not in Chats"
    );
    app.find("[data-testid=requests-tab]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=inbox-preview]", "Hi! Loved your video")
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.find("[data-testid=accept-request]").await?;
    app.screenshot("message-request").await?;
    app.find("[data-testid=accept-request]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=requests-tab]", "Requests")
        .await?;
    app.wait_for_text("[data-testid=inbox-title]", "Maya Lopez")
        .await?;
    assert!(
        app.driver
            .find_all(By::Css("[data-testid=accept-request]"))
            .await?
            .is_empty()
    );

    // Another stranger: declined (only hidden here), back with a new message,
    // then blocked, after which the relay refuses them.
    let mut sam = w.device("sam", "Sam Reyes").await?;
    sam.go_online()?;
    let sam_chat = sam.open_chat_with(ana)?;
    let sam_says = |text: &str| sam.write(sam_chat, text);
    sam_says("buy followers?")?;
    sam.outbox_changed().await;
    app.wait_for_text("[data-testid=requests-tab]", "Requests (1)")
        .await?;
    app.find("[data-testid=requests-tab]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.find("[data-testid=decline-request]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=requests-tab]", "Requests")
        .await?;
    sam_says("hello??")?;
    sam.outbox_changed().await;
    app.wait_for_text("[data-testid=requests-tab]", "Requests (1)")
        .await?;
    app.wait_for_text("[data-testid=inbox-preview]", "hello??")
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    // Only the message after the decline shows: the declined one stays hidden.
    app.wait_for_text("[data-testid=message] .text", "hello??")
        .await?;
    assert_eq!(app.texts("[data-testid=message] .text").await?, ["hello??"]);
    app.find("[data-testid=block-request]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=requests-tab]", "Requests")
        .await?;
    let refused = sam_says("let me in")?;
    sam.outbox_changed().await;
    eventually(Duration::from_secs(15), "sam is refused", || {
        sam.with(|s| s.message(refused.id))
            .map(|m| m.status == candor_core::DeliveryStatus::Failed)
            .unwrap_or(false)
    })
    .await?;

    app.quit().await?;
    sam.go_offline().await;
    maya.go_offline().await;
    w.stop_relay().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_in_the_app_then_chat_with_bob() -> Result<()> {
    let mut w = World::with_relay().await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    bob.go_online()?;

    let app = w.launch("alice").await?;

    // First run: the sign-up screen, with inline validation.
    app.find("[data-testid=sign-in]").await?;
    // The relay check at the default address settles the layout first.
    app.find("[data-testid=relay-ok], [data-testid=relay-help]")
        .await?;
    app.screenshot("first-run").await?;
    app.find("[data-testid=sign-in-submit]")
        .await?
        .click()
        .await?;
    let errors = app.texts(".field-error").await?;
    assert!(errors.iter().any(|e| e == "Choose a handle."), "{errors:?}");

    app.type_into("input[name=relay]", &w.relay().url()).await?;
    app.type_into("input[name=handle]", "alice").await?;
    app.type_into("input[name=display-name]", "Alice Park")
        .await?;
    app.type_into("input[name=password]", "orchid-lantern-57")
        .await?;
    app.submit_sign_in().await?;
    app.find("[data-testid=inbox-empty]").await?;

    // Start a chat with Bob by handle and write to him.
    app.find("[data-testid=new-chat]").await?.click().await?;
    app.type_into("[data-testid=new-chat-handle]", "bob")
        .await?;
    app.find(".new-chat button[type=submit]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=chat-title]", "Bob Stone")
        .await?;
    app.type_into("[data-testid=composer]", "Hi Bob <script>alert(1)</script>")
        .await?;
    app.find("[data-testid=send]").await?.click().await?;

    // Bob's device gets it through the relay.
    let alice_id = {
        let relay_client = candor_core::account::RelayClient::new(&w.relay().url())?;
        relay_client.lookup(&bob.token, "alice").await?.id
    };
    let chat = direct_conversation_id(alice_id, bob.user.id);
    eventually(
        Duration::from_secs(15),
        "bob receives alice's message",
        || bob.has_message_reading(chat, "Hi Bob <script>alert(1)</script>"),
    )
    .await?;
    // Bob's device has stored it, but for Bob it is a Request from a
    // stranger: his device tells her nothing, so it stays Sent.
    app.wait_for_text("[data-testid=message-status]", "Sent")
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.texts("[data-testid=message-status]").await?, ["Sent"]);

    // Bob replies; Alice's window shows it, as text, and her inbox preview updates.
    bob.open_chat_with(Person {
        id: alice_id,
        handle: "alice".into(),
        display_name: "Alice Park".into(),
    })?;
    bob.write(chat, "Hey Alice!")?;
    bob.outbox_changed().await;
    app.wait_for_text("[data-testid=message] .text", "Hey Alice!")
        .await?;
    app.wait_for_text("[data-testid=inbox-preview]", "Hey Alice!")
        .await?;
    // The chat is open, so Bob's reply is read at once: no unread badge.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !app
        .driver
        .find_all(By::Css(".inbox .badge"))
        .await?
        .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the open chat stayed unread"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bubbles = app.texts("[data-testid=message] .text").await?;
    assert_eq!(bubbles, ["Hi Bob <script>alert(1)</script>", "Hey Alice!"]);
    // Bob has replied (so the chat is accepted) and reads Alice's message: her
    // window shows it as seen.
    let seq = bob
        .with(|s| s.conversation_page(chat, None, 10))?
        .messages
        .iter()
        .filter_map(|m| m.seq)
        .max()
        .expect("sequenced");
    bob.with(|s| s.mark_read(chat, seq))?;
    bob.engine.as_ref().expect("online").read_changed().await;
    app.wait_for_text("[data-testid=message-status]", "Seen")
        .await?;

    // Notices carry the rows: a message costs the window one IPC call to send
    // (the send itself) and none to receive, marking it read aside.
    take_calls(&app).await?;
    let mut sending = Vec::new();
    for text in ["one call each", "and no more", "however many"] {
        app.find("[data-testid=composer]")
            .await?
            .send_keys(text)
            .await?;
        take_calls(&app).await?; // typing and drafts belong to the keys, not the send
        app.find("[data-testid=composer]")
            .await?
            .send_keys(Key::Enter)
            .await?;
        app.wait_for_text("[data-testid=message] .text", text)
            .await?;
        sending.extend(take_calls(&app).await?);
    }
    eventually(Duration::from_secs(20), "bob has all three", || {
        bob.has_message_reading(chat, "however many")
    })
    .await?;
    // Sent, then delivered: each move reaches the page as a notice.
    app.wait_for_texts(
        "[data-testid=message-status]",
        &["Seen", "Delivered", "Delivered", "Delivered"],
    )
    .await?;
    sending.extend(take_calls(&app).await?);
    assert_eq!(sending, ["send_message"; 3], "calls while sending");
    for text in ["received", "without asking", "back"] {
        bob.write(chat, text)?;
    }
    bob.outbox_changed().await;
    app.wait_for_text("[data-testid=message] .text", "back")
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let receiving = take_calls(&app).await?;
    assert!(
        receiving.iter().all(|c| c == "mark_read"),
        "calls while receiving: {receiving:?}"
    );
    println!(
        "IPC calls: {} per message sent, {} per message received (mark_read: {})",
        sending.len() / 3,
        receiving.iter().filter(|c| *c != "mark_read").count() / 3,
        receiving.len()
    );

    assert!(
        app.driver
            .find_all(By::Css(".messages script"))
            .await?
            .is_empty(),
        "markup stayed text"
    );
    app.screenshot("chat-with-bob").await?;

    // The chat's menu: pin, then mute for 8 hours; the inbox row shows both.
    app.find("[data-testid=chat-menu]").await?.click().await?;
    app.find("[data-testid=menu-pin]").await?.click().await?;
    app.find("[data-testid=chat-menu]").await?.click().await?;
    app.find("[data-testid=menu-mute-8h]")
        .await?
        .click()
        .await?;
    app.find(".inbox-row [aria-label=Pinned]").await?;
    app.find(".inbox-row [aria-label=Muted]").await?;

    // Settings: a new display name, contacts only, dark theme.
    app.find("[data-testid=open-settings]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=who-everyone]").await?;
    let name = app.find("[data-testid=settings-name]").await?;
    name.clear().await?;
    name.send_keys("Alice P.").await?;
    app.find("[data-testid=settings-save-name]")
        .await?
        .click()
        .await?;
    app.wait_for_text(".saved", "Name saved.").await?;
    app.find("[data-testid=who-contacts]")
        .await?
        .click()
        .await?;
    app.wait_for_text(
        ".saved",
        "Only your contacts can start a chat with you now.",
    )
    .await?;
    app.find("[data-testid=theme-dark]").await?.click().await?;
    app.find("html[data-theme=dark]").await?;
    let place = app.texts("[data-testid=token-place]").await?.concat();
    assert!(place.contains("only your user can read"), "{place}");
    app.screenshot("settings").await?;
    app.find("[data-testid=settings-close]")
        .await?
        .click()
        .await?;
    app.wait_for_text(".me", "Alice P.").await?;
    // The relay has both changes.
    let relay_client = candor_core::account::RelayClient::new(&w.relay().url())?;
    assert_eq!(
        relay_client.lookup(&bob.token, "alice").await?.display_name,
        "Alice P."
    );

    // Blocking Bob: the composer says so, and the relay refuses his messages.
    app.find("[data-testid=chat-menu]").await?.click().await?;
    app.find("[data-testid=menu-block]").await?.click().await?;
    app.find("[data-testid=composer-locked]").await?;
    let refused = bob.write(chat, "can you hear me?")?;
    bob.outbox_changed().await;
    eventually(Duration::from_secs(15), "bob's message is refused", || {
        bob.with(|s| s.message(refused.id))
            .map(|m| m.status == candor_core::DeliveryStatus::Failed)
            .unwrap_or(false)
    })
    .await?;
    app.screenshot("blocked").await?;

    app.quit().await?;
    bob.go_offline().await;
    w.stop_relay().await?;
    Ok(())
}

/// A group made in the app reaches everyone in it; Ctrl+K jumps between chats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_made_in_the_app_reaches_everyone_and_ctrl_k_switches() -> Result<()> {
    let mut w = World::with_relay().await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    let mut carol = w.device("carol", "Carol Diaz").await?;
    bob.go_online()?;
    carol.go_online()?;
    let app = w.launch("alice").await?;
    app.find("[data-testid=sign-in]").await?;
    app.sign_up(&w.relay().url(), "alice", "Alice Park").await?;

    // A handle that does not exist names itself, and no group is made.
    app.find("[data-testid=new-group]").await?.click().await?;
    app.type_into("[data-testid=new-group-title]", "Weekend <trip>")
        .await?;
    app.type_into("[data-testid=new-group-handles]", "bob, nobodyhere")
        .await?;
    app.find("[data-testid=new-group-create]")
        .await?
        .click()
        .await?;
    let error = app.find(".new-group .field-error").await?.text().await?;
    assert!(error.contains("@nobodyhere"), "{error}");
    app.type_into("[data-testid=new-group-handles]", "@bob carol")
        .await?;
    app.find("[data-testid=new-group-create]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=chat-title]", "Weekend <trip>")
        .await?;
    app.type_into("[data-testid=composer]", "who brings the tent?")
        .await?;
    app.find("[data-testid=send]").await?.click().await?;
    for device in [&bob, &carol] {
        eventually(Duration::from_secs(15), "the group message arrives", || {
            device
                .with(|s| s.search("tent", None, 10))
                .map(|r| r.hits.len() == 1 && r.hits[0].conversation_title == "Weekend <trip>")
                .unwrap_or(false)
        })
        .await?;
    }
    app.screenshot("group").await?;

    // Ctrl+K, a few letters, Enter: the chat with that name opens.
    app.find("[data-testid=new-chat]").await?.click().await?;
    app.type_into("[data-testid=new-chat-handle]", "carol")
        .await?;
    app.find(".new-chat button[type=submit]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=chat-title]", "Carol Diaz")
        .await?;
    app.press_ctrl("k").await?;
    let input = app.find("[data-testid=switcher-input]").await?;
    input.send_keys("wee").await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let items = app.texts("[data-testid=switcher-item]").await?;
        if items.len() == 1 && items[0].contains("Weekend <trip>") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "switcher shows {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    input.send_keys(Key::Enter).await?;
    app.wait_for_text("[data-testid=chat-title]", "Weekend <trip>")
        .await?;

    // Leaving the group: two clicks, then the chat stays readable and says why
    // there is no composer.
    app.find("[data-testid=chat-menu]").await?.click().await?;
    app.find("[data-testid=menu-leave]").await?.click().await?;
    app.find("[data-testid=menu-leave-confirm]")
        .await?
        .click()
        .await?;
    let locked = app
        .find("[data-testid=composer-locked]")
        .await?
        .text()
        .await?;
    assert!(locked.starts_with("You left Weekend <trip>."), "{locked}");
    app.screenshot("left-group").await?;
    app.wait_for_text("[data-testid=message] .text", "who brings the tent?")
        .await?;

    app.quit().await?;
    bob.go_offline().await;
    carol.go_offline().await;
    w.stop_relay().await?;
    Ok(())
}

/// Written while the relay is down: queued, with the offline banner, and
/// delivered once the relay is back. A reply to a chat that is not open moves
/// its row up with the new preview and an unread badge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_messages_wait_queued_and_replies_mark_the_inbox_unread() -> Result<()> {
    let mut w = World::with_relay().await?;
    w.signed_in("alice", "Alice Park").await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    let carol = w.device("carol", "Carol Diaz").await?;
    bob.go_online()?;
    let app = w.launch("alice").await?;
    for handle in ["carol", "bob"] {
        app.find("[data-testid=new-chat]").await?.click().await?;
        app.type_into("[data-testid=new-chat-handle]", handle)
            .await?;
        app.find(".new-chat button[type=submit]")
            .await?
            .click()
            .await?;
    }
    app.wait_for_text("[data-testid=chat-title]", "Bob Stone")
        .await?;

    w.stop_relay().await?;
    app.find("[data-testid=connection-banner]").await?;
    app.type_into("[data-testid=composer]", "written on the train")
        .await?;
    app.find("[data-testid=send]").await?.click().await?;
    app.wait_for_text("[data-testid=message-status]", "Queued")
        .await?;
    app.screenshot("queued-offline").await?;

    w.start_relay_again().await?;
    // Sent; not Delivered, since for Bob this chat is still a Request.
    app.wait_for_text("[data-testid=message-status]", "Sent")
        .await?;

    // Carol's chat is open; Bob replies in his.
    let titles = app.texts("[data-testid=inbox-title]").await?;
    let carol_row = titles
        .iter()
        .position(|t| t == "Carol Diaz")
        .expect("carol's row");
    app.driver
        .find_all(By::Css("[data-testid=inbox-row]"))
        .await?
        .remove(carol_row)
        .click()
        .await?;
    app.wait_for_text("[data-testid=chat-title]", "Carol Diaz")
        .await?;
    let alice_id = candor_core::account::RelayClient::new(&w.relay().url())?
        .lookup(&bob.token, "alice")
        .await?
        .id;
    let chat = direct_conversation_id(alice_id, bob.user.id);
    // "Sent" says the relay has it; Bob's device gets it a moment later.
    eventually(
        Duration::from_secs(15),
        "bob has the queued message",
        || bob.has_message_reading(chat, "written on the train"),
    )
    .await?;
    bob.write(chat, "welcome back")?;
    bob.outbox_changed().await;
    app.wait_for_text("[data-testid=inbox-preview]", "welcome back")
        .await?;
    assert_eq!(
        app.texts("[data-testid=inbox-title]")
            .await?
            .first()
            .map(String::as_str),
        Some("Bob Stone"),
        "the chat with news moves to the top"
    );
    app.wait_for_text(".inbox .badge", "1").await?;
    app.screenshot("unread-reply").await?;
    app.quit().await?;
    bob.go_offline().await;
    drop(carol);
    w.stop_relay().await?;
    Ok(())
}

/// The IPC calls the page made since the last look, by command name (the
/// first look starts counting).
async fn take_calls(app: &App) -> Result<Vec<String>> {
    let calls = app
        .driver
        .execute(
            // Commands reach the shell as requests to its ipc:// protocol.
            "if (!window.__candorCalls) {
               const fetch = window.fetch;
               window.__candorCalls = [];
               window.fetch = function (input, ...rest) {
                 const url = String(input instanceof Request ? input.url : input);
                 if (/^(ipc:|http:\\/\\/ipc\\.localhost)/.test(url)) {
                   window.__candorCalls.push(decodeURIComponent(url.split('/').pop()));
                 }
                 return fetch.call(this, input, ...rest);
               };
             }
             return window.__candorCalls.splice(0);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(calls.json().clone())?)
}
