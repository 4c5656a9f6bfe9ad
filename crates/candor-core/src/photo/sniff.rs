//! What a file is, from its content, never its name: a renamed HTML page or
//! a HEIC photo saved as `.jpg` must be told apart from a JPEG before any
//! decoder sees it. And whether a JPEG or WebP file is whole: the JPEG
//! decoder fills a file that ends early with grey and reports success (a
//! half-copied photo would be sent with its lower half missing), and the
//! WebP decoder calls one "corrupt", which is not what the person can act on.

use image::ImageFormat;

use super::PhotoError;

/// The formats Candor reads: what cameras, phones, screenshots and the web
/// make. A GIF is sent as its first frame.
pub(super) const SUPPORTED: [ImageFormat; 4] = [
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::WebP,
    ImageFormat::Gif,
];

/// `guessed` (the image crate's guess from the first bytes of `bytes`) as a
/// format Candor reads, or why not.
pub(super) fn classify(
    guessed: Option<ImageFormat>,
    bytes: &[u8],
) -> Result<ImageFormat, PhotoError> {
    if let Some(format) = iso_media_image(bytes) {
        return Err(PhotoError::Unsupported {
            format: format.to_owned(),
        });
    }
    match guessed {
        Some(format) if SUPPORTED.contains(&format) => Ok(format),
        // Two-letter signatures ("BM", "P1"…"P7") also start ordinary text:
        // only call it that format when the rest of the header agrees.
        Some(ImageFormat::Bmp) if !looks_like_bmp(bytes) => Err(PhotoError::NotAnImage),
        Some(ImageFormat::Pnm) if !bytes.get(2).is_some_and(u8::is_ascii_whitespace) => {
            Err(PhotoError::NotAnImage)
        }
        Some(format) => Err(PhotoError::Unsupported {
            format: format!("{format:?}").to_uppercase(),
        }),
        None => Err(PhotoError::NotAnImage),
    }
}

/// HEIC/HEIF (iPhones' default) or AVIF: an ISO media file whose major brand
/// is an image's. The image crate knows AVIF's signature only with a 16-bit
/// box size, and HEIC not at all.
fn iso_media_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.get(4..8) != Some(b"ftyp") {
        return None;
    }
    match bytes.get(8..12)? {
        b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs" | b"mif1"
        | b"msf1" => Some("HEIC"),
        b"avif" | b"avis" => Some("AVIF"),
        _ => None,
    }
}

/// A BMP file header followed by one of the DIB header sizes in use.
fn looks_like_bmp(bytes: &[u8]) -> bool {
    bytes
        .get(14..18)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .is_some_and(|size| matches!(size, 12 | 40 | 52 | 56 | 64 | 108 | 124))
}

/// Whether `bytes` holds all of its RIFF container, as its header says.
pub(super) fn webp_is_complete(bytes: &[u8]) -> bool {
    bytes
        .get(4..8)
        .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        .is_some_and(|riff| 8 + riff <= bytes.len() as u64)
}

/// Whether the JPEG in `bytes` reaches its end-of-image marker: its
/// segments are walked by their lengths up to the first scan, and every
/// scan's entropy-coded data to the marker after it, so an EOI's bytes
/// inside a segment (an EXIF thumbnail has its own) do not count.
pub(super) fn jpeg_is_complete(bytes: &[u8]) -> bool {
    const SOI: u8 = 0xD8;
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    if bytes.get(..2) != Some(&[0xFF, SOI]) {
        return false;
    }
    let mut at = 2;
    loop {
        // The next marker: 0xFF, any fill bytes, then its code. Stray bytes
        // between segments are skipped, as the decoder skips them.
        let Some(ff) = bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
        else {
            return false;
        };
        at += ff;
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&code) = bytes.get(at) else {
            return false;
        };
        at += 1;
        match code {
            EOI => return true,
            // Standalone markers: no length.
            0x01 | 0xD0..=0xD7 | 0x00 => continue,
            _ => {}
        }
        let Some(&[hi, lo]) = bytes.get(at..at + 2) else {
            return false;
        };
        let length = usize::from(u16::from_be_bytes([hi, lo]));
        if length < 2 || at + length > bytes.len() {
            return false;
        }
        at += length;
        if code == SOS {
            match scan_end(bytes, at) {
                Some(end) => at = end,
                None => return false,
            }
        }
    }
}

/// Where the entropy-coded data starting at `at` ends: the offset of the
/// 0xFF of the first marker that is neither a stuffed byte (FF 00) nor a
/// restart marker, or `None` if the data runs to the end of `bytes`.
fn scan_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at += bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        match bytes.get(at + 1)? {
            0x00 | 0xD0..=0xD7 => at += 2,
            // Fill bytes before a marker.
            0xFF => at += 1,
            _ => return Some(at),
        }
    }
}
