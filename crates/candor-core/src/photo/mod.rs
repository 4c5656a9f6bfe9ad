//! Photos, made fit to leave the sender's device.
//!
//! A photo straight from a camera says more than its pixels: EXIF carries
//! where it was taken (GPS), when, and with what; and it is often far larger
//! than a chat can show. So before a photo is sent, [`prepare`]:
//!
//! 1. tells its type by content (JPEG, PNG, WebP, or a GIF's first frame)
//!    and refuses anything else with a clear [`PhotoError`];
//! 2. checks its size in bytes, then its dimensions from the header, before
//!    decoding: a decompression bomb is refused before it can allocate, and
//!    the decoder runs under limits besides;
//! 3. decodes it, turns it upright by its EXIF orientation (which is about to
//!    be dropped), and scales it so its longest side is at most [`MAX_SIDE`];
//! 4. encodes it anew, as JPEG, or as PNG when it has transparency. The
//!    encoders write no metadata, so nothing of the original file's EXIF,
//!    XMP or GPS data leaves; and makes the blurred [`preview`](preview_png)
//!    that travels inside the message.
//!
//! Nothing here panics on any input, and nothing is written: a refused file
//! is left as it was.

mod cache;
mod decode;
mod error;
mod preview;
mod sniff;

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use image::imageops::FilterType;
use image::{DynamicImage, ImageEncoder};
use sha2::{Digest, Sha256};

pub use cache::{PhotoCache, hashes_to};
pub use error::PhotoError;
pub use preview::{MAX_PREVIEW_BYTES, MAX_PREVIEW_CHARS, preview_png};

/// The longest side of a photo as sent (the protocol's bound): sharp on a
/// 4K screen at full window size, and a twelfth of a 12 MP photo's pixels.
pub use candor_protocol::photo::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE as MAX_SIDE};
pub use candor_protocol::{BlobId, PhotoKind, PhotoRef};

/// The largest file taken: above the biggest camera JPEGs (a 108 MP phone
/// photo is about 25 MB) and large PNG screenshots, and small enough to read
/// into memory at once.
pub const MAX_INPUT_BYTES: u64 = 50_000_000;

/// The widest or tallest image taken, either way: 16384 is the largest side
/// that panoramas are usually exported at, and what GPUs take as a texture.
pub const MAX_INPUT_SIDE: u32 = 16_384;

/// The most pixels taken: a 108 MP phone photo (12000 × 9000) passes; a
/// decoded image is then at most 480 MB (RGBA, 8 bits).
pub const MAX_INPUT_PIXELS: u64 = 120_000_000;

/// What a decoder may allocate for one photo, its output included: a
/// [`MAX_INPUT_PIXELS`] image with alpha fits, a 16-bit one does not.
pub const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// The JPEG quality photos are sent at: no visible loss on a photo at
/// [`MAX_SIDE`], at about a third of the bytes of quality 95.
pub const JPEG_QUALITY: u8 = 85;

/// Catmull-Rom (bicubic): as sharp as Lanczos3 at the 1–8× reductions
/// photos need, with less ringing at hard edges (text in screenshots), and a
/// third fewer taps per pixel, which is most of the time spent preparing a
/// large photo. Box-like filters (`Triangle`, `Nearest`) blur or alias.
pub const RESIZE_FILTER: FilterType = FilterType::CatmullRom;

/// A photo ready to send: re-encoded, upright, at most [`MAX_SIDE`] a side,
/// with no metadata.
#[derive(Clone, PartialEq, Eq)]
pub struct PreparedPhoto {
    /// The encoded photo, at most [`MAX_PHOTO_BYTES`].
    pub bytes: Vec<u8>,
    pub kind: PhotoKind,
    pub width: u32,
    pub height: u32,
    /// Its name: the SHA-256 of `bytes`.
    pub blob: BlobId,
    /// Its ThumbHash in standard base64 with padding (at most
    /// [`MAX_PREVIEW_CHARS`]); [`preview_png`] draws it.
    pub preview: String,
}

impl fmt::Debug for PreparedPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedPhoto")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("kind", &self.kind)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("blob", &self.blob)
            .field("preview", &self.preview)
            .finish()
    }
}

impl PreparedPhoto {
    /// What a message says of it.
    pub fn reference(&self) -> PhotoRef {
        PhotoRef {
            blob: self.blob.clone(),
            kind: self.kind,
            width: self.width,
            height: self.height,
            bytes: self.bytes.len() as u64,
            preview: self.preview.clone(),
        }
    }
}

/// A message's photo as the page lays it out: its blurred preview drawn as
/// a PNG data URL (none if the sender's preview cannot be drawn).
pub fn shown(photo: PhotoRef) -> crate::Photo {
    use base64::Engine;
    let preview = preview_png(&photo.preview)
        .map(|png| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(png);
            format!("data:image/png;base64,{b64}")
        })
        .unwrap_or_default();
    crate::Photo {
        blob: photo.blob,
        width: photo.width,
        height: photo.height,
        preview,
    }
}

/// Checks a photo that came from the relay before it is shown: a JPEG or a
/// PNG, by content, whose header gives sides of at most [`MAX_SIDE`] (what
/// every Candor sends). The webview decodes it; this keeps a sender's bomb
/// or a mislabelled file from reaching it.
pub fn check_received(bytes: &[u8]) -> Result<PhotoKind, PhotoError> {
    let kind = PhotoKind::sniff(bytes).ok_or(PhotoError::NotAnImage)?;
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(PhotoError::Read)?;
    let (width, height) = reader.into_dimensions().map_err(|e| PhotoError::Corrupt {
        reason: e.to_string(),
    })?;
    if width == 0 || height == 0 || width.max(height) > MAX_SIDE {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    Ok(kind)
}

/// `bytes` (the content of a file the person chose), made ready to send, or
/// why it cannot be.
pub fn prepare(bytes: &[u8]) -> Result<PreparedPhoto, PhotoError> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > MAX_INPUT_BYTES {
        return Err(PhotoError::TooLarge {
            size,
            max: MAX_INPUT_BYTES,
        });
    }
    let decoded = decode::decode(bytes)?;
    let transparent = uses_alpha(&decoded.image);
    // Scaling before turning upright is the same as after (the bound is a
    // square), and turns far fewer pixels.
    let mut image = fit(decoded.image);
    image.apply_orientation(decoded.orientation);
    let (kind, bytes) = encode(&image, transparent)?;
    if bytes.len() as u64 > MAX_PHOTO_BYTES {
        return Err(PhotoError::Encode {
            reason: format!("{} bytes encoded, more than {MAX_PHOTO_BYTES}", bytes.len()),
        });
    }
    let blob = BlobId::of_digest(&Sha256::digest(&bytes).into());
    Ok(PreparedPhoto {
        preview: preview::make(&image),
        width: image.width(),
        height: image.height(),
        kind,
        bytes,
        blob,
    })
}

/// The file at `path`, made ready to send. Its length is checked before
/// anything is read, so a file far too large is refused at once, and it is
/// read through a bound in case it grows meanwhile.
pub fn prepare_file(path: &Path) -> Result<PreparedPhoto, PhotoError> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    if size > MAX_INPUT_BYTES {
        return Err(PhotoError::TooLarge {
            size,
            max: MAX_INPUT_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    prepare(&bytes)
}

/// `image`, scaled down so its longest side is at most [`MAX_SIDE`],
/// keeping its aspect ratio; never scaled up.
fn fit(image: DynamicImage) -> DynamicImage {
    if image.width().max(image.height()) <= MAX_SIDE {
        return image;
    }
    image.resize(MAX_SIDE, MAX_SIDE, RESIZE_FILTER)
}

/// Whether any pixel of `image` is less than fully opaque.
fn uses_alpha(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageRgb32F(_) => false,
        DynamicImage::ImageLumaA8(i) => i.pixels().any(|p| p.0[1] < u8::MAX),
        DynamicImage::ImageRgba8(i) => i.pixels().any(|p| p.0[3] < u8::MAX),
        DynamicImage::ImageLumaA16(i) => i.pixels().any(|p| p.0[1] < u16::MAX),
        DynamicImage::ImageRgba16(i) => i.pixels().any(|p| p.0[3] < u16::MAX),
        DynamicImage::ImageRgba32F(i) => i.pixels().any(|p| p.0[3] < 1.0),
        other => other.color().has_alpha() && other.to_rgba8().pixels().any(|p| p.0[3] < 255),
    }
}

/// `image` as PNG if `transparent`, else as JPEG at [`JPEG_QUALITY`]; with
/// 8 bits a channel either way. Neither encoder writes metadata.
fn encode(image: &DynamicImage, transparent: bool) -> Result<(PhotoKind, Vec<u8>), PhotoError> {
    let failed = |e: image::ImageError| PhotoError::Encode {
        reason: e.to_string(),
    };
    let mut out = Vec::new();
    if transparent {
        let rgba = image.to_rgba8();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                rgba.as_raw(),
                rgba.width(),
                rgba.height(),
                image::ExtendedColorType::Rgba8,
            )
            .map_err(failed)?;
        return Ok((PhotoKind::Png, out));
    }
    let mut jpeg = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    match image {
        DynamicImage::ImageLuma8(gray) => jpeg.encode_image(gray),
        DynamicImage::ImageRgb8(rgb) => jpeg.encode_image(rgb),
        other => jpeg.encode_image(&other.to_rgb8()),
    }
    .map_err(failed)?;
    Ok((PhotoKind::Jpeg, out))
}
