//! Why a photo could not be prepared, in words the composer can show as they
//! are: the person chose the file and needs to know what to do about it.
//!
//! The decoders' own errors are sorted here into what the person can act on
//! (the file is incomplete, too big, or not a photo at all); their text is
//! kept only where it is the best description there is of a damaged file.

use std::io;

use image::ImageError;

use super::{MAX_INPUT_PIXELS, MAX_INPUT_SIDE};

/// A photo that cannot be sent, and why. Nothing is lost: the input is
/// only read.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// No image format recognised from the content (text, HTML, a PDF…).
    #[error("This file is not a photo: Candor sends JPEG, PNG, WebP and GIF images.")]
    NotAnImage,

    /// An image, in a format Candor does not read.
    #[error(
        "{format} images aren't supported yet: Candor sends JPEG, PNG, WebP and GIF images. \
         Export or convert the photo to JPEG first."
    )]
    Unsupported { format: String },

    /// More bytes than [`MAX_INPUT_BYTES`](super::MAX_INPUT_BYTES).
    #[error(
        "This file is {} MB: photos can be at most {} MB.",
        megabytes(*.size),
        megabytes(*.max)
    )]
    TooLarge { size: u64, max: u64 },

    /// Wider or taller than [`MAX_INPUT_SIDE`], more pixels than
    /// [`MAX_INPUT_PIXELS`], or more memory to decode than allowed: what a
    /// decompression bomb claims.
    #[error(
        "This photo is {width} × {height} pixels, too big to open: photos can be at most \
         {MAX_INPUT_SIDE} pixels on a side and {} megapixels.",
        MAX_INPUT_PIXELS / 1_000_000
    )]
    TooManyPixels { width: u32, height: u32 },

    /// The file ends before the image does (a copy or download that did not
    /// finish).
    #[error(
        "This photo is incomplete: the file ends before the image does. \
         It may not have finished downloading or copying."
    )]
    Truncated,

    /// The decoder refused the content.
    #[error("This photo is damaged and can't be opened ({reason}).")]
    Corrupt { reason: String },

    /// The file could not be read.
    #[error("Could not read the photo's file: {0}")]
    Read(#[from] io::Error),

    /// Re-encoding failed. Not expected for an image that decoded; kept as an
    /// error, never a panic.
    #[error("Could not prepare the photo for sending ({reason}).")]
    Encode { reason: String },

    /// A received preview that is not a ThumbHash Candor can draw.
    #[error("This photo's preview is malformed.")]
    BadPreview,
}

impl PhotoError {
    /// `error`, from decoding an image whose header said `width` × `height`
    /// (when it was read that far).
    pub(super) fn from_decoding(error: ImageError, size: Option<(u32, u32)>) -> Self {
        match error {
            ImageError::Limits(_) => match size {
                Some((width, height)) => PhotoError::TooManyPixels { width, height },
                // Refused while reading the header, before its size was known.
                None => PhotoError::Corrupt {
                    reason: "its header asks for more memory than a photo may use".to_owned(),
                },
            },
            ImageError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                PhotoError::Truncated
            }
            other if says_truncated(&other.to_string()) => PhotoError::Truncated,
            other => PhotoError::Corrupt {
                reason: other.to_string(),
            },
        }
    }
}

/// Whether a decoder's message means its input ended early (the PNG, GIF
/// and WebP decoders report it as a format error, in their own words).
fn says_truncated(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "unexpected eof",
        "unexpected end",
        "end of file",
        "no more data",
        // The PNG decoder, when the image data stops short.
        "not have enough data",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// `bytes` in megabytes (10^6), one decimal under ten.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / 1_000_000.0;
    if mb < 10.0 {
        format!("{mb:.1}")
    } else {
        format!("{mb:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photo::MAX_INPUT_BYTES;

    #[test]
    fn messages_name_the_limits() {
        let too_large = PhotoError::TooLarge {
            size: 200_000_000,
            max: MAX_INPUT_BYTES,
        };
        assert_eq!(
            too_large.to_string(),
            "This file is 200 MB: photos can be at most 50 MB."
        );
        let bomb = PhotoError::TooManyPixels {
            width: 60_000,
            height: 60_000,
        };
        assert!(bomb.to_string().contains("60000 × 60000"), "{bomb}");
        assert!(
            bomb.to_string().contains("16384 pixels on a side"),
            "{bomb}"
        );
    }
}
