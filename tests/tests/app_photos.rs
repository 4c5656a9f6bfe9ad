//! Photos in the real app, with a real relay and Maya on a candor-core
//! device: Alice picks a camera photo (with GPS in its EXIF), sees it in the
//! composer with the note on what was removed, and sends it with a caption;
//! Maya's copy has no EXIF. Maya's photo reaches Alice's window (fetched from
//! the relay when shown) and opens in the viewer, which zooms and steps
//! through the message's photos. A file that is not a photo is refused with
//! its name, and nothing else is lost; Undo puts a photo message back in the
//! composer, photo and caption.

use std::time::Duration;

use anyhow::Result;
use candor_core::UndoSendWindow;
use candor_core::protocol::frames::direct_conversation_id;
use candor_core::protocol::{BlobId, ConversationId};
use candor_e2e::sync::{Device, eventually};
use candor_e2e::{App, World};

const WAIT: Duration = Duration::from_secs(20);

/// The fixture: a camera-like JPEG whose EXIF says where it was taken.
fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/photo-with-gps.jpg")
}

/// The blobs of the photos of Maya's copy of the message captioned `caption`.
fn photos_on_mayas_copy(maya: &Device, chat: ConversationId, caption: &str) -> Vec<BlobId> {
    maya.with(|s| s.conversation_page(chat, None, 20))
        .ok()
        .and_then(|p| p.messages.into_iter().find(|m| m.text == caption))
        .map(|m| m.photos.into_iter().map(|p| p.blob).collect())
        .unwrap_or_default()
}

/// Whether every `img` that `css` finds has loaded (its pixels are here).
async fn loaded(app: &App, css: &str, count: usize) -> Result<()> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let v = app
            .driver
            .execute(
                "return [...document.querySelectorAll(arguments[0])]
                     .filter(i => i.complete && i.naturalWidth > 0).length;",
                vec![serde_json::json!(css)],
            )
            .await?;
        if v.json().as_u64() == Some(count as u64) {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{css}: {} of {count} photos loaded",
            v.json()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_go_both_ways_without_their_metadata_and_open_in_the_viewer() -> Result<()> {
    let w = World::with_relay().await?;
    let alice = w.signed_in("alice", "Alice Park").await?;
    let mut maya = w.device("maya", "Maya Lopez").await?;
    maya.go_online()?;
    // The save dialog's GTK settings stay in memory (no dconf on the test bus).
    let app = App::launch_env(&w.home(), "alice", &[("GSETTINGS_BACKEND", "memory")]).await?;
    app.start_chat("maya", "Maya Lopez").await?;
    let chat = direct_conversation_id(alice.id, maya.user.id);

    // Something that is not a photo is refused, by name.
    let notes = w.path().join("notes.jpg");
    std::fs::write(&notes, "not a photo at all")?;
    app.find("[data-testid=photo-input]")
        .await?
        .send_keys(notes.to_string_lossy())
        .await?;
    app.wait_for_text(
        "[data-testid=photo-errors] p",
        "notes.jpg: This file is not a photo: Candor sends JPEG, PNG, WebP and GIF images.",
    )
    .await?;

    // Alice's camera photo: prepared, shown, sent with a caption.
    app.find("[data-testid=photo-input]")
        .await?
        .send_keys(fixture().to_string_lossy())
        .await?;
    loaded(&app, "[data-testid=attachment]", 1).await?;
    app.wait_for_text(
        "[data-testid=photo-note]",
        "Location and camera details removed. Each photo is sent at up to 2048 pixels.",
    )
    .await?;
    // Sent, then taken back inside the undo-send window: the caption and
    // the photo return to the composer.
    app.type_into("[data-testid=composer]", "first try").await?;
    app.click_in_view("[data-testid=send]").await?;
    app.click_in_view("[data-testid=undo-send]").await?;
    loaded(&app, "[data-testid=attachment]", 1).await?;
    let back = app
        .find("[data-testid=composer]")
        .await?
        .prop("value")
        .await?;
    anyhow::ensure!(
        back.as_deref() == Some("first try"),
        "composer reads {back:?}"
    );
    app.type_into("[data-testid=composer]", "the view from the ridge")
        .await?;
    app.screenshot("photo-composer").await?;
    app.click_in_view("[data-testid=send]").await?;
    eventually(WAIT, "Maya gets the photo", || {
        photos_on_mayas_copy(&maya, chat, "the view from the ridge").len() == 1
    })
    .await?;

    // What reached Maya has no EXIF (read with a library, not searched for).
    let blob = photos_on_mayas_copy(&maya, chat, "the view from the ridge")[0].clone();
    let token = maya.token.clone();
    let bytes = candor_core::account::RelayClient::new(&w.relay().url())?
        .fetch_blob(&token, &blob)
        .await?;
    assert!(
        exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(&bytes))
            .is_err(),
        "no EXIF leaves Alice's device"
    );

    // Maya sends two photos back; Alice's window fetches them when shown.
    maya.with(|s| s.set_undo_send_window(UndoSendWindow::Off))?;
    let mut refs = Vec::new();
    for shade in [40u8, 200] {
        let png = candor_core::photo::prepare(&solid_png(shade))?;
        refs.push(maya.with(|s| s.keep_prepared(&png))?);
    }
    let draft = candor_core::Draft {
        text: "two from me".into(),
        card: None,
    };
    maya.with(|s| s.send_with_photos(chat, draft, refs, None))?;
    maya.outbox_changed().await;
    app.wait_for_text("[data-testid=message] .text", "two from me")
        .await?;
    loaded(&app, "[data-testid=photo-grid] img", 3).await?;
    app.screenshot("photo-messages").await?;

    // The viewer: the second message's first photo, zoomed, then the next.
    let cells = app
        .driver
        .find_all(thirtyfour::By::Css("[data-testid=photo]"))
        .await?;
    anyhow::ensure!(cells.len() == 3, "{} photo cells", cells.len());
    cells[1].click().await?;
    app.wait_for_text("[data-testid=viewer-position]", "1 / 2")
        .await?;
    app.click_in_view("[data-testid=zoom-in]").await?;
    app.wait_for_text("[data-testid=zoom-level]", "150%")
        .await?;
    app.click_in_view("[data-testid=viewer-next]").await?;
    app.wait_for_text("[data-testid=viewer-position]", "2 / 2")
        .await?;
    loaded(&app, "[data-testid=viewer-photo]", 1).await?;
    app.click_in_view("[data-testid=zoom-in]").await?;
    app.wait_for_text("[data-testid=zoom-level]", "150%")
        .await?;
    // The dialog's layer is painted a moment after its DOM changes.
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.screenshot("photo-viewer").await?;

    // "Save as…": the system's dialog, a path typed in it, the photo there.
    let target = w.path().join("saved-from-candor.jpg");
    app.click_in_view("[data-testid=save-photo]").await?;
    let display = app.display.name();
    xdotool(
        &display,
        &[
            "search",
            "--sync",
            "--name",
            "Save photo",
            "windowfocus",
            "--sync",
        ],
    )?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("photo-save-dialog").await?;
    xdotool(&display, &["key", "--clearmodifiers", "ctrl+a"])?;
    xdotool(
        &display,
        &["type", "--delay", "5", &target.to_string_lossy()],
    )?;
    xdotool(&display, &["key", "Return"])?;
    app.wait_for_text(
        "[data-testid=photo-saved]",
        &format!("Saved to {}", target.display()),
    )
    .await?;
    let shown = candor_core::account::RelayClient::new(&w.relay().url())?
        .fetch_blob(&token, &photos_on_mayas_copy(&maya, chat, "two from me")[1])
        .await?;
    assert_eq!(
        std::fs::read(&target)?,
        shown,
        "the photo shown is the one saved"
    );
    app.click_in_view("[data-testid=viewer-close]").await?;
    Ok(())
}

/// Runs xdotool on `display`.
fn xdotool(display: &str, args: &[&str]) -> Result<()> {
    let status = std::process::Command::new("xdotool")
        .env("DISPLAY", display)
        .args(args)
        .status()?;
    anyhow::ensure!(status.success(), "xdotool {args:?} failed");
    Ok(())
}

/// A 600 × 400 PNG of one shade, with a stripe (so it is not all one colour).
fn solid_png(shade: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(600, 400, |x, _| {
        if x % 100 < 10 {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([shade, 90, 255 - shade])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}
