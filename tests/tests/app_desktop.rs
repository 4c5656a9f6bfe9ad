//! The app on the desktop: one instance per profile, and notifications from a
//! real notification server (dunst) on a private session bus, clicked to open
//! the chat.

use std::time::Duration;

use anyhow::Result;
use candor_e2e::{App, FocusElsewhere, World};

async fn wait_exit(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn a_second_launch_of_a_profile_hands_over_and_exits() -> Result<()> {
    let w = World::new()?;
    let app = w.launch("solo").await?;
    app.find("[data-testid=sign-in]").await?;

    let mut again = app.launch_again("solo")?;
    let status = wait_exit(&mut again, Duration::from_secs(20)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "the second launch of the same profile should hand over and exit: {status:?}"
    );
    // The first one is still there and answering.
    app.find("[data-testid=sign-in]").await?;

    // Another profile is another instance, and keeps running.
    let mut other = app.launch_again("other")?;
    let status = wait_exit(&mut other, Duration::from_secs(5)).await;
    assert!(
        status.is_none(),
        "a second profile runs beside the first: {status:?}"
    );
    let _ = other.kill();
    let _ = other.wait();
    app.quit().await?;
    Ok(())
}

/// The page's engine is set up as `webview.rs` says: the web process inherits
/// the settings the app put in its environment before the window opened.
#[tokio::test]
async fn the_page_runs_with_the_engine_settings_the_app_chose() -> Result<()> {
    let w = World::new()?;
    let app = w.launch("solo").await?;
    app.find("[data-testid=sign-in]").await?;
    let env = app.web_process_env()?;
    for setting in [
        "WEBKIT_SKIA_ENABLE_CPU_RENDERING=1",
        "JSC_useGenerationalGC=false",
        "JSC_useDFGJIT=false",
    ] {
        assert!(
            env.iter().any(|var| var == setting),
            "the web process runs without {setting}"
        );
    }
    app.quit().await?;
    Ok(())
}

#[tokio::test]
async fn a_message_in_the_background_notifies_and_the_click_opens_its_chat() -> Result<()> {
    let w = World::with_relay().await?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    bob.go_online()?;

    let app = App::launch_with(&w.home(), "alice", true).await?;
    app.find("[data-testid=inbox-empty]").await?;
    let notifier = app.notifier.as_ref().expect("dunst");
    let chat = bob.open_chat_with(alice.clone())?;
    let say = |text: &str| bob.write(chat, text);
    // While Candor has the focus, news shows in its window only (Bob is not a
    // contact yet: his first message waits in Requests).
    say("hello from bob")?;
    bob.outbox_changed().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !app
        .texts("[data-testid=requests-tab]")
        .await?
        .concat()
        .contains("(1)")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's request never showed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(notifier.ctl(&["count", "displayed"])?.trim(), "0");
    // In the background, a stranger's Request still does not notify.
    let elsewhere = FocusElsewhere::start(&app.display.name())?;
    say("a second try")?;
    bob.outbox_changed().await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        notifier.ctl(&["count", "displayed"])?.trim(),
        "0",
        "a Request notified"
    );
    drop(elsewhere);
    // It had arrived: Alice finds it in Requests, and accepts.
    app.find("[data-testid=requests-tab]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=inbox-preview]", "a second try")
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.find("[data-testid=accept-request]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=requests-tab]", "Requests")
        .await?;
    app.find("[data-testid=chats-tab]").await?.click().await?;
    app.wait_for_text("[data-testid=inbox-title]", "Bob Stone")
        .await?;
    // Another window takes the focus: now a new message notifies.
    let _elsewhere = FocusElsewhere::start(&app.display.name())?;
    say("are you free <b>tonight</b>?")?;
    bob.outbox_changed().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while notifier.ctl(&["count", "displayed"])?.trim() != "1" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no notification was shown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Clicking it (dunst's default action) brings the window up on that chat.
    notifier.ctl(&["action", "0"])?;
    let title = app.find("[data-testid=chat-title]").await?;
    assert_eq!(title.text().await?, "Bob Stone");
    app.find("[data-testid=message]").await?;
    app.screenshot("opened-from-notification").await?;

    // What it said: the sender's name and the message, as text.
    notifier.ctl(&["close-all"])?;
    let history = notifier.ctl(&["history"])?;
    assert!(history.contains("Bob Stone"), "{history}");
    // The body reached the server escaped: it shows the tags as text, not
    // bold (dunst renders its bodies as Pango markup).
    assert!(
        history.contains("are you free &lt;b&gt;tonight&lt;/b&gt;?"),
        "{history}"
    );
    assert!(!history.contains("<b>tonight</b>"), "{history}");

    // Muted: news shows in the window, with no notification, even in the
    // background.
    app.find("[data-testid=chat-menu]").await?.click().await?;
    app.find("[data-testid=menu-mute-hour]")
        .await?
        .click()
        .await?;
    // The menu now offers Unmute: the mute is stored.
    app.find("[data-testid=chat-menu]").await?.click().await?;
    app.find("[data-testid=menu-unmute]").await?;
    app.find("[data-testid=chat-menu]").await?.click().await?;
    let _elsewhere_again = FocusElsewhere::start(&app.display.name())?;
    say("still there?")?;
    bob.outbox_changed().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !app
        .texts("[data-testid=message] .text")
        .await?
        .iter()
        .any(|t| t == "still there?")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the message never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        notifier.ctl(&["count", "displayed"])?.trim(),
        "0",
        "a muted chat notified"
    );
    app.quit().await?;
    bob.go_offline().await;
    Ok(())
}

/// Waits until the tray's label reads `want`.
async fn wait_for_tray(app: &App, want: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let label = app.tray_label()?;
        if label.as_deref() == Some(want) {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the tray reads {label:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_tray_counts_unread_and_the_window_comes_back_where_it_was() -> Result<()> {
    let w = World::with_relay().await?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let mut bob = w.device("bob", "Bob Stone").await?;
    bob.go_online()?;
    // Alice started the chat (her first message goes when the app starts), so
    // Bob's messages are in her inbox, not in Requests.
    let chat = {
        let (mut store, chat) = w.direct_chat("alice", alice.id, bob.person())?;
        store.compose(
            chat,
            candor_core::Draft {
                text: "hi Bob".into(),
                card: None,
            },
            chrono::Duration::zero(),
        )?;
        chat
    };
    bob.open_chat_with(alice.clone())?;

    let app = w.launch("alice").await?;
    app.find("[data-testid=inbox-row]").await?;
    wait_for_tray(&app, "").await?;
    candor_e2e::sync::eventually(Duration::from_secs(15), "Bob has Alice's message", || {
        bob.with(|s| s.search("Bob", None, 10))
            .map(|r| r.hits.len() == 1)
            .unwrap_or(false)
    })
    .await?;
    bob.write(chat, "one")?;
    bob.write(chat, "two")?;
    bob.outbox_changed().await;
    wait_for_tray(&app, "2").await?;

    // Deleted for Alice: hidden messages are not counted.
    app.find("[data-testid=inbox-row-actions]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=inbox-delete-chat]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=dialog-confirm]")
        .await?
        .click()
        .await?;
    wait_for_tray(&app, "").await?;
    // Bob writes again: the chat comes back with one unread; reading it clears
    // the count.
    bob.write(chat, "three")?;
    bob.outbox_changed().await;
    wait_for_tray(&app, "1").await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    wait_for_tray(&app, "").await?;

    // The window's size and place are kept across a quit (Ctrl+Q).
    app.driver.set_window_rect(40, 30, 700, 520).await?;
    let before = app.driver.get_window_rect().await?;
    assert_eq!((before.width, before.height), (700, 520));
    // With nothing waiting to send, Ctrl+Q quits at once, maybe before the
    // key's answer: what counts is that the app exits.
    let _ = app.press_ctrl("q").await;
    app.wait_exited(Duration::from_secs(15)).await?;
    drop(app);
    let app = w.launch("alice").await?;
    let after = app.driver.get_window_rect().await?;
    assert_eq!(
        (after.x, after.y, after.width, after.height),
        (before.x, before.y, before.width, before.height)
    );
    app.quit().await?;
    bob.go_offline().await;
    Ok(())
}
