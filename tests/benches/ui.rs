//! `cargo xtask bench ui`: the release app, in a real window under Xvfb, opens a
//! chat of 100,000 messages, one in ten of them with reactions and one in
//! twenty with one to three photos (kept on the device, as once fetched). It reports the time from the page command's return
//! to the newest page laid out in the window (performance marks set by the chat
//! view; the first paint is the next frame), the number of elements in the page,
//! and the time to scroll 10,000 messages up, driven through WebDriver.
//! Animation frames under Xvfb come hundreds of milliseconds apart even at rest,
//! so the painted frame is printed beside the rest figure, not held to the target. Targets: first paint <= 100 ms after
//! the command returns; under 1,000 elements whatever the chat's size.
//! CANDOR_BENCH_MESSAGES changes the chat's size.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use candor_e2e::{App, World};

fn seed(w: &World, messages: i64) -> Result<()> {
    let start = chrono::Utc::now() - chrono::Duration::days(400);
    let (mut store, chat) = w.long_chat("bench", messages, start, 5, |seq| {
        format!("message number {seq}: a line of chat about plans, videos and the weekend")
    })?;
    let reactions = react_to_every_tenth(&mut store, chat, messages)?;
    let with_photos = photos_on_every_twentieth(&store, chat)?;
    println!("{with_photos} messages with photos");
    store.mark_read(chat, messages + reactions)?;
    Ok(())
}

/// One message in twenty gets one to three of eight photos, as received and
/// then fetched (the photos are in the profile's folder); returns how many.
fn photos_on_every_twentieth(
    store: &candor_core::Store,
    chat: candor_core::protocol::ConversationId,
) -> Result<usize> {
    let mut photos = Vec::new();
    for shade in 0..8u8 {
        let image = image::RgbImage::from_fn(800, 600, |x, y| {
            image::Rgb([shade * 30, (x / 4) as u8, (y / 3) as u8])
        });
        let mut png = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image).write_to(&mut png, image::ImageFormat::Png)?;
        let prepared = candor_core::photo::prepare(png.get_ref())?;
        photos.push(store.keep_prepared(&prepared)?);
    }
    let conn = store.connection();
    let ids: Vec<(String, i64)> = conn
        .prepare(
            "SELECT id, seq FROM messages
             WHERE conversation_id = ?1 AND seq % 20 = 7 AND reaction_json IS NULL",
        )?
        .query_map([chat.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    conn.execute_batch("BEGIN")?;
    for (id, seq) in &ids {
        let first = (*seq as usize / 20) % photos.len();
        let count = 1 + (*seq as usize / 20) % 3;
        let chosen: Vec<_> = photos
            .iter()
            .cycle()
            .skip(first)
            .take(count)
            .cloned()
            .collect();
        conn.execute(
            "UPDATE messages SET photos_json = ?2 WHERE id = ?1",
            (id, serde_json::to_string(&chosen)?),
        )?;
        for photo in &chosen {
            conn.execute(
                "INSERT OR IGNORE INTO message_photos (blob, message_id) VALUES (?1, ?2)",
                (photo.blob.as_str(), id),
            )?;
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(ids.len())
}

/// One message in ten gets a reaction from each side of the chat (after
/// the messages, at the seqs that follow them); returns how many.
fn react_to_every_tenth(
    store: &mut candor_core::Store,
    chat: candor_core::protocol::ConversationId,
    messages: i64,
) -> Result<i64> {
    use candor_core::protocol::{
        DeliveredMessage, MessageId, MessageText, Reaction, ServerMessageId, UserId,
    };
    let targets: Vec<(UserId, MessageId)> = store
        .connection()
        .prepare(
            "SELECT sender_id, wire_id FROM messages
             WHERE conversation_id = ?1 AND seq % 10 = 0 ORDER BY seq",
        )?
        .query_map([chat.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .map(|row| {
            let (sender, wire) = row?;
            Ok((sender.parse()?, wire.parse()?))
        })
        .collect::<Result<_>>()?;
    let people: Vec<UserId> = store
        .connection()
        .prepare("SELECT DISTINCT sender_id FROM messages WHERE conversation_id = ?1")?
        .query_map([chat.to_string()], |r| r.get::<_, String>(0))?
        .map(|id| Ok(id?.parse()?))
        .collect::<Result<_>>()?;
    let sent_at = chrono::Utc::now() - chrono::Duration::days(1);
    let mut seq = messages;
    let mut batch = Vec::with_capacity(2_000);
    for (i, (author, message)) in targets.iter().enumerate() {
        for (who, emoji) in people.iter().zip(["❤️", "😂"]) {
            seq += 1;
            batch.push(DeliveredMessage {
                photos: Vec::new(),
                server_id: ServerMessageId::new(),
                client_id: MessageId::new(),
                conversation_id: chat,
                seq,
                sender_id: *who,
                text: MessageText::new(if i % 3 == 0 { "👍" } else { emoji })?,
                card: None,
                reply: None,
                reaction: Some(Reaction {
                    author: *author,
                    message: *message,
                    removed: false,
                }),
                sent_at,
            });
        }
        if batch.len() >= 2_000 {
            store.apply_received(&batch)?;
            batch.clear();
        }
    }
    store.apply_received(&batch)?;
    Ok(seq - messages)
}

async fn number(app: &App, script: &str) -> Result<f64> {
    let v = app.driver.execute(script, vec![]).await?;
    v.json()
        .as_f64()
        .with_context(|| format!("{script} returned {:?}", v.json()))
}

/// The smallest message number on screen.
async fn oldest_shown(app: &App) -> Result<i64> {
    let texts = app.texts("[data-testid=message] .text").await?;
    Ok(texts
        .iter()
        .filter_map(|t| {
            t.strip_prefix("message number ")?
                .split(':')
                .next()?
                .parse()
                .ok()
        })
        .min()
        .unwrap_or(i64::MAX))
}

fn main() -> Result<()> {
    let messages: i64 = std::env::var("CANDOR_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(messages))
}

async fn bench(messages: i64) -> Result<()> {
    let w = World::new()?;
    let t = Instant::now();
    seed(&w, messages)?;
    println!(
        "seeded a chat of {messages} messages in {:.1?}",
        t.elapsed()
    );

    let app = w.launch("bench").await?;
    app.find("[data-testid=inbox-row]").await?;
    // How long two animation frames take in this window at rest: the floor of
    // "painted" as measured below.
    let frames = app
        .driver
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const t = performance.now();
             requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t)));",
            vec![],
        )
        .await?;
    let idle_frames = frames.json().as_f64().unwrap_or(-1.0);
    let visibility = app
        .driver
        .execute(
            "return document.visibilityState + ' focus=' + document.hasFocus();",
            vec![],
        )
        .await?;
    println!(
        "two animation frames at rest: {idle_frames:.1} ms ({})",
        visibility.json()
    );
    // Open the chat: the click, the page command, the first paint.
    let clicked = number(
        &app,
        "performance.clearMarks();
         const t = performance.now();
         document.querySelector('[data-testid=inbox-row]').click();
         return t;",
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let (returned, painted) = loop {
        let v = app
            .driver
            .execute(
                "const m = n => performance.getEntriesByName(n)[0]?.startTime ?? null;
                 return [m('candor:chat-page-returned'), m('candor:chat-painted')];",
                vec![],
            )
            .await?;
        if let (Some(r), Some(p)) = (v.json()[0].as_f64(), v.json()[1].as_f64()) {
            break (r, p);
        }
        anyhow::ensure!(Instant::now() < deadline, "the chat never painted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let laid_out = number(
        &app,
        "return performance.getEntriesByName('candor:chat-laid-out')[0]?.startTime ?? -1;",
    )
    .await?;
    // The next frame paints what is laid out: one 60 Hz frame later on a real
    // display. Under Xvfb animation frames come far apart (see the rest figure
    // above), so the frame itself is reported but not held to the target.
    const FRAME_MS: f64 = 1000.0 / 60.0;
    let first_paint = laid_out - returned + FRAME_MS;
    let nodes_open = number(&app, "return document.getElementsByTagName('*').length;").await?;
    let newest = oldest_shown(&app).await?;

    // Scroll 10,000 messages up, as fast as the list lets a person.
    let goal = (messages - 10_000).max(1);
    let t = Instant::now();
    let mut max_nodes = nodes_open;
    loop {
        app.driver
            .execute(
                "document.querySelector('[data-testid=messages]').scrollTop = 0;",
                vec![],
            )
            .await?;
        let shown = oldest_shown(&app).await?;
        max_nodes =
            max_nodes.max(number(&app, "return document.getElementsByTagName('*').length;").await?);
        if shown <= goal {
            break;
        }
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(300),
            "scrolling stalled at message {shown}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let scroll = t.elapsed();
    app.quit().await?;

    println!("\nchat of {messages} messages, newest shown on open: {newest}");
    println!("open: click to page returned {:.1} ms", returned - clicked);
    println!(
        "rows laid out {:.1} ms after the page command returned; first paint at 60 Hz: {first_paint:.1} ms",
        laid_out - returned
    );
    println!(
        "(the painted-frame mark under Xvfb came {:.1} ms after the return)",
        painted - returned
    );
    println!(
        "elements in the page: {nodes_open:.0} on open, at most {max_nodes:.0} while scrolling"
    );
    println!(
        "scrolled {} messages up in {scroll:.2?} ({:.0} messages/s)",
        messages.min(10_000),
        messages.min(10_000) as f64 / scroll.as_secs_f64()
    );
    println!();
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    println!(
        "{} first paint {first_paint:.1} ms (target <= 100 ms)",
        verdict(first_paint <= 100.0)
    );
    println!(
        "{} elements {max_nodes:.0} (target < 1000 whatever the size)",
        verdict(max_nodes < 1000.0)
    );
    Ok(())
}
