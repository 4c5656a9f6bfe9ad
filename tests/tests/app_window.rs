//! The real app window, launched through tauri-driver under Xvfb, reading the real
//! store.

use std::sync::Arc;

use anyhow::Result;
use candor_core::protocol::{
    ConversationId, DeliveredMessage, MessageId, MessageText, ServerMessageId,
};
use candor_core::{ManualClock, NewConversation, Person};
use candor_e2e::{World, person};
use chrono::{Duration, Utc};

#[tokio::test]
async fn fresh_profile_opens_on_the_sign_up_screen() -> Result<()> {
    let w = World::new()?;
    let app = w.launch("fresh").await?;
    let screen = app.find("[data-testid=sign-in]").await?;
    let text = screen.text().await?;
    assert!(
        text.contains("Welcome to Candor"),
        "first screen reads {text:?}"
    );
    // The screen asks whether a relay answers at the default address 400 ms after
    // it opens; read it once that check has settled, so the wording is not a race.
    let outcome = app
        .find("[data-testid=relay-ok], [data-testid=relay-help]")
        .await?;
    let explanation = if outcome.attr("data-testid").await?.as_deref() == Some("relay-ok") {
        "Relay found."
    } else {
        "Candor sends messages through a relay"
    };
    let text = screen.text().await?;
    assert!(
        text.contains(explanation),
        "it says whether a relay answers, and what one is: {text:?}"
    );
    app.quit().await?;
    assert!(
        w.profile_dir("fresh").database().is_file(),
        "the app created its store in the profile directory"
    );
    Ok(())
}

/// With no relay at the address, the screen explains what a relay is. Asking
/// again keeps that explanation on screen, at the same height, noting that it
/// is looking, so the form below does not fold up and jump back down under the
/// pointer.
#[tokio::test]
async fn asking_the_relay_again_keeps_the_help_in_place() -> Result<()> {
    let w = World::new()?;
    let app = w.launch("no-relay").await?;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let url = format!("http://{closed}");
    app.type_into("input[name=relay]", &url).await?;
    app.wait_for_text("#relay-help-title", &format!("No relay answers at {url}"))
        .await?;
    app.driver
        .execute(
            "const help = () => document.querySelector('[data-testid=relay-help]');
             window.candorHelp = { gone: false, looking: false, heights: [help().offsetHeight] };
             new MutationObserver(() => {
               if (!help()) { candorHelp.gone = true; return; }
               if (document.querySelector('[data-testid=relay-checking]')) candorHelp.looking = true;
               const h = help().offsetHeight;
               if (!candorHelp.heights.includes(h)) candorHelp.heights.push(h);
             }).observe(document.body, { childList: true, subtree: true, characterData: true });",
            vec![],
        )
        .await?;
    app.find("[data-testid=relay-retry]").await?.click().await?;
    // The answer is back once the reason line returns and the button is live;
    // the page waits for that itself (WebDriver's script timeout bounds it).
    let seen = app
        .driver
        .execute_async(
            "const done = arguments[0];
             const check = () => {
               const retry = document.querySelector('[data-testid=relay-retry]');
               const settled = document.querySelector('[data-testid=relay-help-reason]') !== null
                 && retry !== null && !retry.disabled;
               if (settled) done(candorHelp); else setTimeout(check, 50);
             };
             check();",
            vec![],
        )
        .await?
        .json()
        .clone();
    assert_eq!(
        seen["looking"], true,
        "Try again said it was looking: {seen}"
    );
    assert_eq!(
        seen["gone"], false,
        "the help stayed on screen while the relay was asked again: {seen}"
    );
    assert_eq!(
        seen["heights"].as_array().map(Vec::len),
        Some(1),
        "the help kept its height, so the form below did not move: {seen}"
    );
    app.wait_for_text("#relay-help-title", &format!("No relay answers at {url}"))
        .await?;
    app.screenshot("sign-up-no-relay-asked-again").await?;
    app.quit().await
}

fn delivered(
    chat: ConversationId,
    seq: i64,
    from: &Person,
    text: &str,
    minutes_ago: i64,
) -> DeliveredMessage {
    DeliveredMessage {
        photos: Vec::new(),
        reaction: None,
        server_id: ServerMessageId::new(),
        client_id: MessageId::new(),
        conversation_id: chat,
        seq,
        sender_id: from.id,
        text: MessageText::new(text).expect("valid text"),
        card: None,
        sent_at: Utc::now() - Duration::minutes(minutes_ago),
        reply: None,
    }
}

/// The inbox and a chat come from the store on disk, and a message hidden on this
/// device shows neither in the preview nor in the chat.
#[tokio::test]
async fn inbox_and_chat_show_the_stores_visible_messages() -> Result<()> {
    let w = World::new()?;
    let hidden_text = {
        let clock = Arc::new(ManualClock::new(Utc::now() - Duration::hours(1)));
        // Signed in earlier, to a relay that does not answer: the app must
        // show the store while offline.
        let mut store = w.signed_in_offline("seeded", &person("ana", "Ana"), clock)?;
        let maya = person("maya", "Maya Lopez");
        let sam = person("sam", "Sam <b>Bold</b>");
        let maya_chat = ConversationId::new();
        let group = ConversationId::new();
        store.add_conversation(&NewConversation::Direct {
            id: maya_chat,
            peer: maya.clone(),
        })?;
        store.add_conversation(&NewConversation::Group {
            id: group,
            title: "Weekend trip".into(),
            members: vec![maya.clone(), sam.clone()],
            admins: vec![maya.id],
        })?;
        store.apply_received(&[
            delivered(group, 1, &sam, "<img src=x onerror=alert(1)> see you", 30),
            delivered(maya_chat, 1, &maya, "did you see the video?", 10),
            delivered(maya_chat, 2, &maya, "something I regret", 5),
        ])?;
        let hidden = store.conversation_page(maya_chat, None, 1)?.messages[0].id;
        store.hide_message(hidden)?;
        "something I regret"
    };

    let app = w.launch("seeded").await?;
    app.find("[data-testid=inbox-row]").await?;
    assert_eq!(
        app.texts("[data-testid=inbox-title]").await?,
        ["Maya Lopez", "Weekend trip"]
    );
    assert_eq!(
        app.texts("[data-testid=inbox-preview]").await?,
        [
            "did you see the video?",
            "<img src=x onerror=alert(1)> see you"
        ],
        "previews show the newest visible message, as text"
    );
    // The markup in the message stayed text: no <img> element was created.
    assert!(
        app.driver
            .find_all(thirtyfour::By::Css(".inbox img"))
            .await?
            .is_empty()
    );

    let rows = app
        .driver
        .find_all(thirtyfour::By::Css("[data-testid=inbox-row]"))
        .await?;
    rows[0].click().await?;
    app.find("[data-testid=message]").await?;
    assert_eq!(
        app.find("[data-testid=chat-title]").await?.text().await?,
        "Maya Lopez"
    );
    let bubbles = app.texts("[data-testid=message] .text").await?;
    assert_eq!(bubbles, ["did you see the video?"]);
    assert!(!bubbles.iter().any(|b| b == hidden_text));
    // The relay is unreachable: the inbox still shows, with an honest banner.
    app.find("[data-testid=connection-banner]").await?;
    app.screenshot("seeded-chat-offline").await?;
    app.quit().await?;
    Ok(())
}

/// A damaged database is reported with its path, and the file is left exactly as it was.
#[tokio::test]
async fn corrupt_database_is_reported_and_left_untouched() -> Result<()> {
    let w = World::new()?;
    let dir = w.profile_dir("broken");
    std::fs::create_dir_all(dir.path())?;
    let db = dir.database();
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&db, &garbage)?;

    let app = w.launch("broken").await?;
    let text = app
        .find("[data-testid=startup-error]")
        .await?
        .text()
        .await?;
    assert!(text.contains("damaged"), "error reads {text:?}");
    assert!(
        text.contains(&db.display().to_string()),
        "error names the file: {text:?}"
    );
    app.screenshot("corrupt-database").await?;
    app.quit().await?;
    assert_eq!(std::fs::read(&db)?, garbage, "the file was not modified");
    Ok(())
}
