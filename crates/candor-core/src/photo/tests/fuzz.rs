//! Arbitrary input never panics: random bytes (alone, and behind each
//! supported format's signature, so the decoders themselves are reached),
//! every kind of cut of a real JPEG, and random previews.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::super::*;
use super::fixtures::{jpeg, photo, with_exif};

/// A small camera-like JPEG with EXIF, made once.
fn sample_jpeg() -> &'static [u8] {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    JPEG.get_or_init(|| with_exif(&jpeg(&photo(48, 32)), 6))
}

const SIGNATURES: [&[u8]; 5] = [
    b"",
    b"\xFF\xD8\xFF",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x20\0\0\0WEBPVP8 ",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_bytes_never_panic(
        signature in 0..SIGNATURES.len(),
        rest in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = SIGNATURES[signature].to_vec();
        bytes.extend_from_slice(&rest);
        if let Ok(prepared) = prepare(&bytes) {
            prop_assert!(prepared.width <= MAX_SIDE && prepared.height <= MAX_SIDE);
        }
    }

    #[test]
    fn cut_jpegs_never_panic(cut in 0usize..4096) {
        let whole = sample_jpeg();
        let cut = cut % whole.len();
        let result = prepare(&whole[..cut]);
        // A JPEG cut anywhere before its last bytes is missing its end.
        prop_assert!(result.is_err(), "a cut at {} of {} was accepted", cut, whole.len());
    }

    #[test]
    fn damaged_jpegs_never_panic(at in 0usize..4096, byte in any::<u8>()) {
        let mut bytes = sample_jpeg().to_vec();
        let at = at % bytes.len();
        bytes[at] = byte;
        if let Ok(prepared) = prepare(&bytes) {
            prop_assert!(prepared.width <= MAX_SIDE && prepared.height <= MAX_SIDE);
        }
    }

    #[test]
    fn random_previews_never_panic(hash in proptest::collection::vec(any::<u8>(), 0..80)) {
        use base64::Engine;
        let preview = base64::engine::general_purpose::STANDARD.encode(&hash);
        if let Ok(png) = preview_png(&preview) {
            let image = image::load_from_memory(&png).expect("a PNG it made");
            prop_assert!(image.width() <= 32 && image.height() <= 32);
        }
    }

    #[test]
    fn random_preview_text_never_panics(text in ".{0,120}") {
        let _ = preview_png(&text);
    }
}
