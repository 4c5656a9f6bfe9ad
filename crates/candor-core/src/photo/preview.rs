//! The blurred preview that travels inside a photo message, so the chat can
//! show the photo's shape and colours at once while the photo itself loads.
//!
//! It is a ThumbHash (about 25 bytes: the image's average colour, a few
//! low-frequency components and its aspect ratio), in standard base64 with
//! padding. The receiver gets it from another person, so [`preview_png`]
//! treats it as untrusted: its length is bounded before it is decoded, and
//! malformed input is an error, never a panic.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use image::{DynamicImage, ImageFormat, RgbaImage};

use super::PhotoError;

/// The most bytes a preview may decode to. A ThumbHash is at most about 30
/// (5 header bytes, one for alpha, and half a byte per component).
pub const MAX_PREVIEW_BYTES: usize = 64;

/// The longest preview text: [`MAX_PREVIEW_BYTES`] in padded base64 (the
/// protocol's bound).
pub use candor_protocol::photo::MAX_PREVIEW_CHARS;
const _: () = assert!(MAX_PREVIEW_CHARS == MAX_PREVIEW_BYTES.div_ceil(3) * 4);

/// The side ThumbHash encodes from: it wants at most 100 × 100 pixels, and
/// more would be slower with nothing to gain.
const HASH_SIDE: u32 = 100;

/// The preview of `image` (already upright): its ThumbHash, in base64.
pub(super) fn make(image: &DynamicImage) -> String {
    let small = image.thumbnail(HASH_SIDE, HASH_SIDE).to_rgba8();
    let (width, height) = small.dimensions();
    // `thumbnail` keeps within the box and at least 1 pixel a side, as
    // ThumbHash requires.
    let hash = thumbhash::rgba_to_thumb_hash(width as usize, height as usize, small.as_raw());
    STANDARD.encode(hash)
}

/// The preview `preview` (base64 of a ThumbHash, from a message) as a small
/// PNG, at most 32 pixels a side, in the photo's aspect ratio: the UI scales
/// it up, blurred, until the photo arrives.
pub fn preview_png(preview: &str) -> Result<Vec<u8>, PhotoError> {
    if preview.len() > MAX_PREVIEW_CHARS {
        return Err(PhotoError::BadPreview);
    }
    let hash = STANDARD
        .decode(preview)
        .map_err(|_| PhotoError::BadPreview)?;
    if hash.len() > MAX_PREVIEW_BYTES {
        return Err(PhotoError::BadPreview);
    }
    let (width, height, rgba) =
        thumbhash::thumb_hash_to_rgba(&hash).map_err(|()| PhotoError::BadPreview)?;
    // A header whose aspect says 0 decodes to an empty image: nothing to show.
    let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(PhotoError::BadPreview);
    };
    if width == 0 || height == 0 {
        return Err(PhotoError::BadPreview);
    }
    let image = RgbaImage::from_raw(width, height, rgba).ok_or(PhotoError::BadPreview)?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| PhotoError::Encode {
            reason: e.to_string(),
        })?;
    Ok(png)
}
