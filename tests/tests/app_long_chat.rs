//! A long chat in the real window: the list stays small in the page however long
//! the chat is, scrolling up pages in older messages, and search opens the chat
//! at a message far from the newest.

use std::time::Duration;

use anyhow::{Context, Result};
use candor_e2e::{App, World};
use chrono::Utc;

const MESSAGES: i64 = 3_000;
/// The one message that mentions a lighthouse, far up the chat.
const FAR_UP: i64 = 120;

fn seed(w: &World) -> Result<()> {
    // Spread over twenty days, so the list has day separators.
    let start = Utc::now() - chrono::Duration::days(20);
    w.long_chat("long", MESSAGES, start, 9, |seq| {
        if seq == FAR_UP {
            "meet me at the lighthouse at noon".to_owned()
        } else {
            format!("message number {seq}")
        }
    })?;
    Ok(())
}

async fn node_count(app: &App) -> Result<i64> {
    let v = app
        .driver
        .execute("return document.getElementsByTagName('*').length;", vec![])
        .await?;
    Ok(v.json().as_i64().unwrap_or(i64::MAX))
}

/// The message list's `[scrollTop, scrollHeight, clientHeight]`.
async fn list_scroll(app: &App) -> Result<[f64; 3]> {
    let v = app
        .driver
        .execute(
            "const l = document.querySelector('[data-testid=messages]');
             return [l.scrollTop, l.scrollHeight, l.clientHeight];",
            vec![],
        )
        .await?;
    serde_json::from_value(v.json().clone()).context("the list's scroll figures")
}

async fn scroll_top(app: &App) -> Result<f64> {
    Ok(list_scroll(app).await?[0])
}

async fn message_texts(app: &App) -> Result<Vec<String>> {
    app.texts("[data-testid=message] .text").await
}

#[tokio::test]
async fn a_long_chat_stays_small_in_the_page_and_search_opens_it_far_up() -> Result<()> {
    let w = World::new()?;
    seed(&w)?;
    let app = w.launch("long").await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.find("[data-testid=message]").await?;
    // virtua keeps a row hidden (innerText "") until it has measured it.
    app.wait_for_text("[data-testid=message] .text", "message number 3000")
        .await?;
    let texts = message_texts(&app).await?;
    assert_eq!(
        texts.last().map(String::as_str),
        Some("message number 3000"),
        "opens at the newest"
    );
    let nodes = node_count(&app).await?;
    assert!(nodes < 1_000, "{nodes} elements for a chat of {MESSAGES}");

    // The mouse wheel scrolls the list (the web view gets real wheel events).
    let at_newest = scroll_top(&app).await?;
    app.wheel("[data-testid=messages]", true, 5).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while scroll_top(&app).await? >= at_newest {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the mouse wheel did not scroll the messages up from {at_newest}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Scrolling up pages older messages in; the page stays small.
    for _ in 0..8 {
        app.driver
            .execute(
                "document.querySelector('[data-testid=messages]').scrollTop = 0;",
                vec![],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let texts = message_texts(&app).await?;
    let oldest_shown = texts
        .iter()
        .filter_map(|t| t.strip_prefix("message number ")?.parse::<i64>().ok())
        .min()
        .unwrap_or(i64::MAX);
    assert!(
        oldest_shown < MESSAGES - 200,
        "older pages loaded: the oldest shown is {oldest_shown}"
    );
    let nodes = node_count(&app).await?;
    assert!(nodes < 1_000, "{nodes} elements after paging up");

    // Search across chats finds the old message and opens the chat at it.
    let input = app.find("[data-testid=search-input]").await?;
    input.send_keys("lightho").await?;
    let hit = app.find("[data-testid=search-hit]").await?;
    let hit_text = hit.text().await?;
    assert!(hit_text.contains("lighthouse"), "{hit_text:?}");
    let marked = app.texts("[data-testid=search-hit] mark").await?;
    assert_eq!(marked, ["lightho"]);
    app.screenshot("search-results").await?;
    hit.click().await?;
    app.wait_for_text(
        "[data-testid=message] .text",
        "meet me at the lighthouse at noon",
    )
    .await?;
    // It is on screen, not merely in the page (once the list has measured).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let visible = app
            .driver
            .execute(
                "const el = [...document.querySelectorAll('[data-testid=message]')]
                     .find(e => e.innerText.includes('lighthouse'));
                 if (!el) return false;
                 const r = el.getBoundingClientRect();
                 const v = document.querySelector('[data-testid=messages]').getBoundingClientRect();
                 return r.top >= v.top && r.bottom <= v.bottom;",
                vec![],
            )
            .await?;
        if visible.json().as_bool() == Some(true) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the found message was not scrolled into view"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.find("[data-testid=jump-latest]").await?;
    app.screenshot("opened-at-search-result").await?;

    // Jump to latest returns to the newest message.
    app.find("[data-testid=jump-latest]").await?.click().await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !message_texts(&app)
        .await?
        .iter()
        .any(|t| t == "message number 3000")
    {
        if tokio::time::Instant::now() >= deadline {
            let shown = message_texts(&app).await?;
            let [top, height, client] = list_scroll(&app).await?;
            app.screenshot("jump-latest-stuck").await?;
            panic!(
                "not back at the newest: shown {:?}..{:?}, scrollTop {top} of \
                 scrollHeight {height} in clientHeight {client}",
                shown.first(),
                shown.last(),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        message_texts(&app).await?.last().map(String::as_str),
        Some("message number 3000"),
        "the newest is the last row"
    );

    // Search within the chat finds it too, and opens at it again.
    app.find("[data-testid=chat-search-toggle]")
        .await?
        .click()
        .await?;
    let inner = app.find(".chat-search [data-testid=search-input]").await?;
    inner.send_keys("NOON").await?;
    let hit = app.find(".chat-search [data-testid=search-hit]").await?;
    assert_eq!(
        app.texts(".chat-search [data-testid=search-hit] mark")
            .await?,
        ["noon"]
    );
    hit.click().await?;
    app.wait_for_text(
        "[data-testid=message] .text",
        "meet me at the lighthouse at noon",
    )
    .await?;
    app.find("[data-testid=jump-latest]").await?;
    app.quit().await?;
    Ok(())
}

/// At 200% zoom a 1024x720 window is 512x360 CSS pixels: the same layout as a
/// window of that size, which WebDriver can make. One column, nothing cut off.
#[tokio::test]
async fn a_window_at_half_size_like_200_percent_zoom_stays_usable() -> Result<()> {
    let w = World::new()?;
    w.long_chat(
        "zoom",
        40,
        Utc::now() - chrono::Duration::hours(2),
        1,
        |seq| {
            format!(
                "a longer message number {seq}, long enough to wrap onto a second line at this width"
            )
        },
    )?;
    let app = w.launch("zoom").await?;
    app.driver.set_window_rect(0, 0, 512, 360).await?;
    let fits = "return [document.documentElement.clientWidth,
                        document.documentElement.scrollWidth];";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let width = loop {
        let v = app.driver.execute(fits, vec![]).await?;
        let w = v.json()[0].as_i64().unwrap_or(0);
        if w <= 520 {
            break w;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the window stayed {w} px wide"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(width >= 400, "{width}");
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.wait_for_text(
        "[data-testid=message] .text",
        "a longer message number 40, long enough to wrap onto a second line at this width",
    )
    .await?;
    // Nothing sticks out sideways, and the composer's button is on screen.
    let v = app.driver.execute(fits, vec![]).await?;
    assert!(
        v.json()[1].as_i64() <= v.json()[0].as_i64(),
        "content wider than the window: {:?}",
        v.json()
    );
    let send_visible = app
        .driver
        .execute(
            "const r = document.querySelector('[data-testid=send]').getBoundingClientRect();
             return r.right <= document.documentElement.clientWidth && r.bottom <= document.documentElement.clientHeight && r.width > 0;",
            vec![],
        )
        .await?;
    assert_eq!(send_visible.json().as_bool(), Some(true));
    app.screenshot("narrow-chat").await?;
    // Back to the list.
    app.find("[data-testid=back-to-chats]")
        .await?
        .click()
        .await?;
    app.find("[data-testid=inbox-row]").await?;
    let v = app.driver.execute(fits, vec![]).await?;
    assert!(
        v.json()[1].as_i64() <= v.json()[0].as_i64(),
        "the list is wider than the window: {:?}",
        v.json()
    );
    app.screenshot("narrow-list").await?;
    app.quit().await?;
    Ok(())
}
