//! Decoding an untrusted file without letting it choose how much memory it
//! gets. A decompression bomb is a small file whose header claims a huge
//! image: the claim is read first and refused before a pixel is decoded, and
//! the decoder runs under `image::Limits` besides, so a header that lies
//! about its size still cannot make it allocate without bound.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{MAX_DECODE_ALLOC, MAX_INPUT_PIXELS, MAX_INPUT_SIDE, PhotoError, sniff};

/// A decoded image as it is stored in its file, and how it is meant to be
/// turned to be seen upright (from a JPEG's EXIF).
#[derive(Debug)]
pub(super) struct Decoded {
    pub image: DynamicImage,
    pub orientation: Orientation,
}

/// `bytes`, decoded: its type told by content, its size checked from its
/// header before decoding, then decoded under limits.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, PhotoError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(PhotoError::Read)?;
    let format = sniff::classify(reader.format(), bytes)?;
    let whole = match format {
        ImageFormat::Jpeg => sniff::jpeg_is_complete(bytes),
        ImageFormat::WebP => sniff::webp_is_complete(bytes),
        // Their decoders report an early end as one.
        _ => true,
    };
    if !whole {
        return Err(PhotoError::Truncated);
    }

    // Reading the header allocates within the memory limit alone, so that a
    // header with too many pixels is reported with its size, as the person
    // can understand it.
    reader.limits(memory_limit());
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| PhotoError::from_decoding(e, None))?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;

    let mut limits = memory_limit();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    // The output buffer counts against the allowance, as in
    // `ImageReader::decode`; what is left bounds the decoder's own buffers.
    let size = Some((width, height));
    limits
        .reserve(decoder.total_bytes())
        .map_err(|e| PhotoError::from_decoding(e, size))?;
    decoder
        .set_limits(limits)
        .map_err(|e| PhotoError::from_decoding(e, size))?;

    // A damaged EXIF block must not stop the photo: it is sent as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image =
        DynamicImage::from_decoder(decoder).map_err(|e| PhotoError::from_decoding(e, size))?;
    Ok(Decoded { image, orientation })
}

fn memory_limit() -> Limits {
    let mut limits = Limits::no_limits();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    limits
}

/// Refuses an image wider or taller than [`MAX_INPUT_SIDE`], or with more
/// than [`MAX_INPUT_PIXELS`]; and an empty one, which nothing can show.
fn check_size(width: u32, height: u32) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt {
            reason: format!("it claims to be {width} × {height} pixels"),
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_INPUT_SIDE || height > MAX_INPUT_SIDE || pixels > MAX_INPUT_PIXELS {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    Ok(())
}
