//! Bad input: each is refused with the error the person needs, quickly, and
//! without reading more than it must.

use std::fs::File;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use image::{ImageFormat, Rgba, RgbaImage};

use super::super::*;
use super::fixtures::{encode_as, jpeg, photo, png_claiming};

#[test]
fn text_and_html_are_not_images() {
    for input in [
        &b""[..],
        b"hello",
        b"Hello, this is a plain text file.\n",
        b"<!DOCTYPE html><html><body>not a photo</body></html>",
        b"%PDF-1.7\n",
        // Starts like a BMP ("BM") and a PNM ("P3"), but is text.
        b"BMX bikes are fun",
        b"P3rhaps not",
    ] {
        let error = prepare(input).expect_err("not an image");
        assert!(
            matches!(error, PhotoError::NotAnImage),
            "{input:?}: {error:?}"
        );
    }
    assert_eq!(
        PhotoError::NotAnImage.to_string(),
        "This file is not a photo: Candor sends JPEG, PNG, WebP and GIF images."
    );
}

#[test]
fn heic_and_other_formats_are_named() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    match prepare(heic) {
        Err(PhotoError::Unsupported { format }) => assert_eq!(format, "HEIC"),
        other => panic!("{other:?}"),
    }
    let error = prepare(b"II*\0\x08\0\0\0").expect_err("TIFF");
    assert!(matches!(&error, PhotoError::Unsupported { format } if format == "TIFF"));
    assert!(
        error
            .to_string()
            .starts_with("TIFF images aren't supported"),
        "{error}"
    );
}

#[test]
fn truncated_jpeg_is_refused() {
    let whole = jpeg(&photo(64, 48));
    assert!(prepare(&whole).is_ok());
    let half = &whole[..whole.len() / 2];
    let error = prepare(half).expect_err("truncated");
    assert!(matches!(error, PhotoError::Truncated), "{error:?}");
    // Cut just before its end-of-image marker too.
    let error = prepare(&whole[..whole.len() - 2]).expect_err("truncated");
    assert!(matches!(error, PhotoError::Truncated), "{error:?}");
    // Only the header.
    let error = prepare(&whole[..20]).expect_err("truncated");
    assert!(matches!(error, PhotoError::Truncated), "{error:?}");
}

#[test]
fn truncated_png_webp_and_gif_are_refused() {
    let mut image = RgbaImage::from_pixel(64, 64, Rgba([1, 2, 3, 255]));
    image.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
    for format in [ImageFormat::Png, ImageFormat::WebP, ImageFormat::Gif] {
        let whole = encode_as(image.clone(), format);
        assert!(prepare(&whole).is_ok(), "{format:?}");
        for cut in [30, whole.len() / 2] {
            let error = prepare(&whole[..cut]).expect_err("truncated");
            assert!(
                matches!(error, PhotoError::Truncated),
                "{format:?} {cut}: {error:?}"
            );
        }
    }
}

#[test]
fn decompression_bomb_is_refused_from_its_header() {
    let bomb = png_claiming(60_000, 60_000);
    assert!(bomb.len() < 100, "{} bytes", bomb.len());
    let started = Instant::now();
    let error = prepare(&bomb).expect_err("bomb");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            error,
            PhotoError::TooManyPixels {
                width: 60_000,
                height: 60_000
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("60000 × 60000 pixels"),
        "{error}"
    );

    // A header within the limits (48 MP) with no image data after it: the
    // decoder's buffer is allowed, and the missing data found at once.
    let started = Instant::now();
    let error = prepare(&png_claiming(8000, 6000)).expect_err("lying header");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(error, PhotoError::Truncated), "{error:?}");

    // Within the side limit, over the pixel limit (256 MP).
    let error = prepare(&png_claiming(16_000, 16_000)).expect_err("bomb");
    assert!(
        matches!(error, PhotoError::TooManyPixels { .. }),
        "{error:?}"
    );
    // Zero pixels.
    let error = prepare(&png_claiming(0, 10)).expect_err("empty");
    assert!(
        matches!(
            error,
            PhotoError::Corrupt { .. } | PhotoError::TooManyPixels { .. }
        ),
        "{error:?}"
    );
}

#[test]
fn huge_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.jpg");
    // Sparse: 200 MB long, nothing written.
    File::create(&path)
        .and_then(|f| f.set_len(200_000_000))
        .expect("sparse file");
    let started = Instant::now();
    let error = prepare_file(&path).expect_err("too large");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            error,
            PhotoError::TooLarge {
                size: 200_000_000,
                max: MAX_INPUT_BYTES
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "This file is 200 MB: photos can be at most 50 MB."
    );
}

#[test]
fn too_many_bytes_in_memory_are_refused() {
    let bytes = vec![0u8; usize::try_from(MAX_INPUT_BYTES).expect("fits") + 1];
    let error = prepare(&bytes).expect_err("too large");
    assert!(matches!(error, PhotoError::TooLarge { .. }), "{error:?}");
}

#[test]
fn unreadable_file_is_an_io_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = prepare_file(&dir.path().join("missing.jpg")).expect_err("missing");
    assert!(matches!(error, PhotoError::Read(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("Could not read the photo's file"),
        "{error}"
    );
}

#[test]
fn malformed_previews_are_errors() {
    let too_long = "A".repeat(MAX_PREVIEW_CHARS + 4);
    let long_hash = STANDARD.encode([0x55u8; MAX_PREVIEW_BYTES + 3]);
    let short_hash = STANDARD.encode([1u8, 2, 3]);
    // A header whose aspect is 0: lx 0 of a portrait hash.
    let flat = STANDARD.encode([0u8; 24]);
    for preview in [
        "",
        "!!!!",
        "not base64 at all",
        "AAAA=",
        too_long.as_str(),
        long_hash.as_str(),
        short_hash.as_str(),
        flat.as_str(),
    ] {
        let error = preview_png(preview).expect_err(preview);
        assert!(
            matches!(error, PhotoError::BadPreview),
            "{preview:?}: {error:?}"
        );
    }
}
