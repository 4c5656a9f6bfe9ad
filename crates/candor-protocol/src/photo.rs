//! Photos as a message carries them: references to blobs the sender uploaded
//! to the relay before sending, by content hash, with what a recipient needs
//! to lay the photo out and show it blurred before it is fetched.
//!
//! The bytes never travel in a frame. The sender's device uploads each photo
//! (`PUT /v1/blobs/{id}`), already decoded, resized, stripped of its metadata
//! and encoded again there; the relay checks that the bytes hash to the id,
//! and hands them (`GET /v1/blobs/{id}`) only to the uploader and to members
//! of a chat that holds a message naming the id. Everything here is untrusted
//! on arrival, and each field is bounded when it is read.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Photos in one message, at most.
pub const MAX_PHOTOS: usize = 9;

/// Longest side of a photo as it is sent, in pixels.
pub const MAX_PHOTO_SIDE: u32 = 2048;

/// Largest photo blob, in bytes: a [`MAX_PHOTO_SIDE`]-square RGBA image
/// stored uncompressed in a PNG (16 MiB), plus room for its framing. A
/// photo encoded as JPEG is far smaller; only a PNG of noise comes near.
pub const MAX_PHOTO_BYTES: u64 =
    (MAX_PHOTO_SIDE as u64) * (MAX_PHOTO_SIDE as u64) * 4 + 1024 * 1024;

/// Longest blurred preview, in characters of padded base64: a ThumbHash is
/// about 30 bytes, and 64 are taken.
pub const MAX_PREVIEW_CHARS: usize = 88;

/// A blob's name: the SHA-256 of its bytes, in lowercase hexadecimal.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct BlobId(String);

/// Why a text is not a [`BlobId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a blob id is the SHA-256 of its bytes in 64 lowercase hexadecimal digits")]
pub struct BadBlobId;

impl BlobId {
    /// The id of `digest`, a SHA-256.
    pub fn of_digest(digest: &[u8; 32]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hex = digest
            .iter()
            .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
            .map(char::from)
            .collect();
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for BlobId {
    type Err = BadBlobId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if hex {
            Ok(Self(s.to_owned()))
        } else {
            Err(BadBlobId)
        }
    }
}

impl TryFrom<String> for BlobId {
    type Error = BadBlobId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<BlobId> for String {
    fn from(value: BlobId) -> Self {
        value.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", &self.0[..12])
    }
}

/// How a photo's bytes are encoded: JPEG, or PNG for a photo with
/// transparency. Nothing else is sent, whatever the sender picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum PhotoKind {
    Jpeg,
    Png,
}

impl PhotoKind {
    /// The file name extension it is saved with.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
        }
    }

    /// Its media type, which the relay serves it with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// The kind whose signature `bytes` start with, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else {
            None
        }
    }
}

/// One photo of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PhotoFields")]
pub struct PhotoRef {
    pub blob: BlobId,
    pub kind: PhotoKind,
    /// In pixels, each from 1 to [`MAX_PHOTO_SIDE`].
    pub width: u32,
    pub height: u32,
    /// The blob's length, at most [`MAX_PHOTO_BYTES`].
    pub bytes: u64,
    /// A ThumbHash of the photo, in base64 (at most [`MAX_PREVIEW_CHARS`]):
    /// shown blurred until the photo is fetched.
    pub preview: String,
}

/// A [`PhotoRef`] before its bounds are checked.
#[derive(Deserialize)]
struct PhotoFields {
    blob: BlobId,
    kind: PhotoKind,
    width: u32,
    height: u32,
    bytes: u64,
    preview: String,
}

/// Why a photo reference is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoRefError {
    #[error("a photo is 1 to {MAX_PHOTO_SIDE} pixels on each side; this one is {width} × {height}")]
    Size { width: u32, height: u32 },
    #[error("a photo is at most {MAX_PHOTO_BYTES} bytes; this one is {0}")]
    TooLarge(u64),
    #[error("a photo's preview is base64 of at most {MAX_PREVIEW_CHARS} characters")]
    Preview,
}

impl TryFrom<PhotoFields> for PhotoRef {
    type Error = PhotoRefError;
    fn try_from(f: PhotoFields) -> Result<Self, Self::Error> {
        let side = 1..=MAX_PHOTO_SIDE;
        if !side.contains(&f.width) || !side.contains(&f.height) {
            return Err(PhotoRefError::Size {
                width: f.width,
                height: f.height,
            });
        }
        if f.bytes == 0 || f.bytes > MAX_PHOTO_BYTES {
            return Err(PhotoRefError::TooLarge(f.bytes));
        }
        let base64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
        if f.preview.len() > MAX_PREVIEW_CHARS || !f.preview.bytes().all(base64) {
            return Err(PhotoRefError::Preview);
        }
        Ok(Self {
            blob: f.blob,
            kind: f.kind,
            width: f.width,
            height: f.height,
            bytes: f.bytes,
            preview: f.preview,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn photo(width: u32, bytes: u64, preview: &str) -> serde_json::Value {
        serde_json::json!({
            "blob": ID, "kind": "jpeg", "width": width, "height": 10,
            "bytes": bytes, "preview": preview,
        })
    }

    #[test]
    fn a_blob_id_is_a_lowercase_sha256() {
        assert_eq!(
            BlobId::of_digest(&[0xab; 32]).as_str(),
            "ab".repeat(32),
            "hex of the digest"
        );
        assert!(ID.parse::<BlobId>().is_ok());
        for bad in [
            "",
            &ID[1..],
            &ID.to_uppercase(),
            &format!("{ID}0"),
            "../../../../etc/passwd",
            &format!("{}/x", &ID[..62]),
        ] {
            assert_eq!(bad.parse::<BlobId>(), Err(BadBlobId), "{bad:?}");
        }
    }

    #[test]
    fn a_photo_reference_is_bounded_when_read() {
        let ok: PhotoRef =
            serde_json::from_value(photo(2048, 1000, "3OcRJYB4d3h/iIeHeEh3eIhw+j2w")).expect("ok");
        assert_eq!(ok.width, 2048);
        let refused = [
            (photo(0, 1000, ""), "pixels"),
            (photo(2049, 1000, ""), "pixels"),
            (photo(10, 0, ""), "bytes"),
            (photo(10, MAX_PHOTO_BYTES + 1, ""), "bytes"),
            (photo(10, 10, &"A".repeat(MAX_PREVIEW_CHARS + 1)), "preview"),
            (photo(10, 10, "<img src=x>"), "preview"),
        ];
        for (json, says) in refused {
            let e = serde_json::from_value::<PhotoRef>(json).expect_err("refused");
            assert!(e.to_string().contains(says), "{e}");
        }
    }

    #[test]
    fn only_jpeg_and_png_signatures_are_known() {
        assert_eq!(
            PhotoKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(PhotoKind::Jpeg)
        );
        assert_eq!(
            PhotoKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(PhotoKind::Png)
        );
        assert_eq!(PhotoKind::sniff(b"GIF89a"), None);
        assert_eq!(PhotoKind::sniff(b"<svg"), None);
        assert_eq!(PhotoKind::sniff(b""), None);
    }
}
