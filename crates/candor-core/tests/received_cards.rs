//! Cards that arrive with messages are checked on this device before the page
//! sees them: what a sender who does not use Candor's app (or changed it)
//! would try. A thumbnail that is not a small JPEG is dropped from the card;
//! a card whose link is not a video link is dropped from the message, whose
//! text stays.

mod support;

use base64::Engine;
use candor_core::links::{MAX_THUMBNAIL_SIDE, received_card};
use candor_core::protocol::VideoCard;
use image::{ImageFormat, RgbImage};
use support::World;

fn encoded(side: u32, format: ImageFormat) -> String {
    let mut bytes = Vec::new();
    RgbImage::from_fn(side, side, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    })
    .write_to(&mut std::io::Cursor::new(&mut bytes), format)
    .expect("encode");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn card(thumbnail: Option<String>) -> VideoCard {
    VideoCard {
        provider: "youtube".into(),
        url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ".into(),
        title: Some("A video".into()),
        author: None,
        thumbnail_jpeg: thumbnail,
    }
}

#[test]
fn a_small_jpeg_thumbnail_is_kept() {
    let thumb = encoded(MAX_THUMBNAIL_SIDE, ImageFormat::Jpeg);
    let kept = received_card(card(Some(thumb.clone()))).expect("card kept");
    assert_eq!(kept.thumbnail_jpeg, Some(thumb));
}

#[test]
fn anything_else_is_dropped_from_the_card() {
    let png = encoded(64, ImageFormat::Png);
    let big_jpeg = encoded(MAX_THUMBNAIL_SIDE + 1, ImageFormat::Jpeg);
    // JPEG's magic bytes, then nothing a decoder can read.
    let broken =
        base64::engine::general_purpose::STANDARD.encode([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
    for (what, thumb) in [
        ("a PNG", png),
        ("a JPEG over 160 px", big_jpeg),
        ("a broken JPEG", broken),
        ("not base64", "<svg onload=alert(1)>".into()),
    ] {
        let kept = received_card(card(Some(thumb))).expect("the card itself stays");
        assert_eq!(kept.thumbnail_jpeg, None, "{what}");
        assert_eq!(kept.title.as_deref(), Some("A video"), "{what}");
    }
}

#[test]
fn a_card_that_is_not_a_video_is_dropped_but_the_message_stays() {
    let mut w = World::new();
    let maya = w.maya.clone();
    let mut m = w.incoming(w.chat, &maya, "look at this");
    m.card = Some(VideoCard {
        url: "https://evil.example/phish".into(),
        ..card(None)
    });
    let mut bad_thumb = w.incoming(w.chat, &maya, "and this");
    bad_thumb.card = Some(card(Some(encoded(400, ImageFormat::Jpeg))));
    w.store
        .apply_received(&[m.clone(), bad_thumb.clone()])
        .expect("both stored");
    let page = w.store.conversation_page(w.chat, None, 10).expect("page");
    let mut shown: Vec<_> = page
        .messages
        .iter()
        .map(|m| (m.text.as_str(), m.card.clone()))
        .collect();
    shown.sort_by_key(|(text, _)| *text != "look at this");
    assert_eq!(
        shown,
        [("look at this", None), ("and this", Some(card(None)))]
    );
}
