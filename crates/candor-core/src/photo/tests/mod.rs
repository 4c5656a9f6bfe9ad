//! What a photo goes through before it leaves, each step shown on an input
//! made for it. Images are small (the tests run unoptimised) except where
//! the size is the point.

mod fixtures;
mod fuzz;
mod refusals;

use std::io::Cursor;

use image::{GenericImageView, ImageFormat, Rgba, RgbaImage};
use sha2::{Digest, Sha256};

use super::*;
use fixtures::{encode_as, gradient, jpeg, photo, red_then_blue, with_exif};

fn exif_of(bytes: &[u8]) -> Result<exif::Exif, exif::Error> {
    exif::Reader::new().read_from_container(&mut Cursor::new(bytes))
}

#[test]
fn exif_and_gps_are_stripped() {
    let input = with_exif(&jpeg(&photo(64, 48)), 1);
    // The input does carry a position, so this test can fail.
    let exif = exif_of(&input).expect("the input has EXIF");
    for tag in [
        exif::Tag::GPSLatitude,
        exif::Tag::GPSLatitudeRef,
        exif::Tag::GPSLongitude,
    ] {
        assert!(
            exif.get_field(tag, exif::In::PRIMARY).is_some(),
            "input lacks {tag}"
        );
    }
    let latitude = exif
        .get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
        .map(|f| f.display_value().to_string());
    assert_eq!(latitude.as_deref(), Some("48 deg 51 min 29.52 sec"));

    let prepared = prepare(&input).expect("prepare");
    assert_eq!(prepared.kind, PhotoKind::Jpeg);
    match exif_of(&prepared.bytes) {
        Err(exif::Error::NotFound(_)) => {}
        Ok(exif) => panic!(
            "the output still has EXIF: {:?}",
            exif.fields().map(|f| f.tag).collect::<Vec<_>>()
        ),
        Err(other) => panic!("reading the output's EXIF failed otherwise: {other}"),
    }
    let contains = |needle: &[u8]| prepared.bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(b"Exif\0\0"));
    assert!(!contains(b"http://ns.adobe.com/xap/"), "no XMP either");
}

#[test]
fn orientation_is_applied_before_stripping() {
    // Stored sideways, left red and right blue; EXIF 6 says: turn 90°
    // clockwise to view, so red ends on top.
    let input = with_exif(&jpeg(&red_then_blue(40, 20)), 6);
    let prepared = prepare(&input).expect("prepare");
    assert_eq!((prepared.width, prepared.height), (20, 40));
    let output = image::load_from_memory(&prepared.bytes).expect("decode output");
    assert_eq!(output.dimensions(), (20, 40));
    let top = output.get_pixel(10, 5).0;
    let bottom = output.get_pixel(10, 35).0;
    assert!(top[0] > 200 && top[2] < 60, "top is red: {top:?}");
    assert!(
        bottom[2] > 200 && bottom[0] < 60,
        "bottom is blue: {bottom:?}"
    );
}

#[test]
fn large_photo_is_resized_keeping_its_aspect() {
    // A PNG of gradients: decoding a 3 MP JPEG unoptimised takes seconds.
    let input = encode_as(gradient(3000, 1000), ImageFormat::Png);
    let prepared = prepare(&input).expect("prepare");
    assert_eq!((prepared.width, prepared.height), (2048, 683));
    let output = image::load_from_memory(&prepared.bytes).expect("decode output");
    assert_eq!(output.dimensions(), (2048, 683));
}

#[test]
fn tall_photo_is_resized_on_its_height() {
    let input = encode_as(gradient(500, 2100), ImageFormat::Png);
    let prepared = prepare(&input).expect("prepare");
    assert_eq!((prepared.width, prepared.height), (488, 2048));
}

#[test]
fn small_photo_is_not_upscaled() {
    let prepared = prepare(&jpeg(&photo(300, 200))).expect("prepare");
    assert_eq!((prepared.width, prepared.height), (300, 200));
}

#[test]
fn transparency_makes_a_png_and_opacity_a_jpeg() {
    let mut image = RgbaImage::from_pixel(32, 32, Rgba([200, 30, 30, 255]));
    image.put_pixel(3, 3, Rgba([0, 0, 0, 128]));
    let prepared = prepare(&encode_as(image, ImageFormat::Png)).expect("prepare");
    assert_eq!(prepared.kind, PhotoKind::Png);
    assert_eq!(
        image::guess_format(&prepared.bytes).ok(),
        Some(ImageFormat::Png)
    );
    let output = image::load_from_memory(&prepared.bytes)
        .expect("decode")
        .to_rgba8();
    assert_eq!(output.get_pixel(3, 3).0[3], 128);

    // An alpha channel that is all opaque is not transparency.
    let opaque = RgbaImage::from_pixel(32, 32, Rgba([200, 30, 30, 255]));
    let prepared = prepare(&encode_as(opaque, ImageFormat::Png)).expect("prepare");
    assert_eq!(prepared.kind, PhotoKind::Jpeg);
    assert_eq!(
        image::guess_format(&prepared.bytes).ok(),
        Some(ImageFormat::Jpeg)
    );
}

#[test]
fn webp_and_gif_are_read() {
    let image = RgbaImage::from_pixel(24, 16, Rgba([10, 120, 240, 255]));
    for format in [ImageFormat::WebP, ImageFormat::Gif] {
        let prepared = prepare(&encode_as(image.clone(), format)).expect("prepare");
        assert_eq!((prepared.width, prepared.height), (24, 16), "{format:?}");
        assert_eq!(prepared.kind, PhotoKind::Jpeg, "{format:?}");
    }
}

#[test]
fn sha256_is_of_the_bytes_sent() {
    let prepared = prepare(&jpeg(&photo(50, 40))).expect("prepare");
    let expected = BlobId::of_digest(&Sha256::digest(&prepared.bytes).into());
    assert_eq!(prepared.blob, expected);
    assert!(prepared.bytes.len() as u64 <= MAX_PHOTO_BYTES);
    let reference = prepared.reference();
    assert_eq!(reference.bytes, prepared.bytes.len() as u64);
    // What a message says of it passes the protocol's bounds on the way in.
    let json = serde_json::to_value(&reference).expect("json");
    assert_eq!(
        serde_json::from_value::<PhotoRef>(json).expect("read"),
        reference
    );
    // Debug shows the size, not megabytes of numbers.
    assert!(format!("{prepared:?}").contains(&format!("<{} bytes>", prepared.bytes.len())));
}

#[test]
fn preview_round_trips_to_a_small_png() {
    let prepared = prepare(&jpeg(&photo(120, 60))).expect("prepare");
    assert!(!prepared.preview.is_empty());
    assert!(prepared.preview.len() <= MAX_PREVIEW_CHARS);
    let png = preview_png(&prepared.preview).expect("preview");
    assert_eq!(image::guess_format(&png).ok(), Some(ImageFormat::Png));
    let preview = image::load_from_memory(&png).expect("decode preview");
    let (w, h) = preview.dimensions();
    assert!(w <= 32 && h <= 32, "{w} × {h}");
    // ThumbHash keeps the aspect ratio roughly: 2:1 here.
    assert!(w > h, "{w} × {h}");
}

#[test]
fn prepare_file_reads_a_photo() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("photo.jpg");
    let input = with_exif(&jpeg(&photo(64, 48)), 1);
    std::fs::write(&path, &input).expect("write");
    let prepared = prepare_file(&path).expect("prepare file");
    assert_eq!(prepared, prepare(&input).expect("prepare"));
    // The file is left as it was.
    assert_eq!(std::fs::read(&path).expect("read back"), input);
}
