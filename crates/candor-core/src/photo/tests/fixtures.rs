//! Test inputs, made in memory: photos with gradients and noise, a JPEG that
//! carries EXIF with a GPS position (as a phone's does), and a PNG whose
//! header claims a huge image (a decompression bomb).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// A `width` × `height` image of gradients with noise: not trivially
/// compressible, like a photo.
pub fn photo(width: u32, height: u32) -> RgbImage {
    let mut rng = fastrand::Rng::with_seed(7);
    RgbImage::from_fn(width, height, |x, y| {
        let r = (x * 255 / width.max(1)) as u8;
        let g = (y * 255 / height.max(1)) as u8;
        Rgb([
            r.saturating_add(rng.u8(0..24)),
            g.saturating_add(rng.u8(0..24)),
            128u8.saturating_add(rng.u8(0..24)),
        ])
    })
}

/// An image whose left half is red and right half blue.
pub fn red_then_blue(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(image)
        .expect("encode test JPEG");
    out
}

/// A `width` × `height` image of smooth gradients: quick to make and decode.
pub fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            90,
        ])
    })
}

pub fn encode_as(image: impl Into<DynamicImage>, format: ImageFormat) -> Vec<u8> {
    let image: DynamicImage = image.into();
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

/// `jpeg` with an APP1 EXIF segment right after its SOI: a little-endian
/// TIFF with IFD0 (Orientation, and a pointer to the GPS IFD) and a GPS IFD
/// (version, latitude N 48° 51' 29.52", longitude E 2° 17' 40.2").
pub fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG starts with SOI");
    let tiff = exif_tiff(orientation);
    let mut app1 = vec![0xFF, 0xE1];
    let length = u16::try_from(2 + 6 + tiff.len()).expect("small segment");
    app1.extend_from_slice(&length.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

const SHORT: u16 = 3;
const LONG: u16 = 4;
const BYTE: u16 = 1;
const ASCII: u16 = 2;
const RATIONAL: u16 = 5;

fn exif_tiff(orientation: u16) -> Vec<u8> {
    // Layout: header (8), IFD0 with 2 entries (2 + 24 + 4 = 30) at 8, the
    // GPS IFD with 5 entries (2 + 60 + 4 = 66) at 38, then the latitude's
    // and longitude's three rationals each (24 bytes) at 104 and 128.
    const GPS_IFD: u32 = 38;
    const LATITUDE: u32 = 104;
    const LONGITUDE: u32 = 128;
    let mut t = b"II\x2A\x00".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());

    let mut orientation_value = orientation.to_le_bytes().to_vec();
    orientation_value.extend_from_slice(&[0, 0]);
    ifd(
        &mut t,
        &[
            (0x0112, SHORT, 1, orientation_value),
            (0x8825, LONG, 1, GPS_IFD.to_le_bytes().to_vec()),
        ],
    );
    assert_eq!(t.len(), GPS_IFD as usize);
    ifd(
        &mut t,
        &[
            (0x0000, BYTE, 4, vec![2, 2, 0, 0]),
            (0x0001, ASCII, 2, b"N\0\0\0".to_vec()),
            (0x0002, RATIONAL, 3, LATITUDE.to_le_bytes().to_vec()),
            (0x0003, ASCII, 2, b"E\0\0\0".to_vec()),
            (0x0004, RATIONAL, 3, LONGITUDE.to_le_bytes().to_vec()),
        ],
    );
    assert_eq!(t.len(), LATITUDE as usize);
    for (numerator, denominator) in [(48, 1), (51, 1), (2952, 100), (2, 1), (17, 1), (402, 10)] {
        t.extend_from_slice(&u32::to_le_bytes(numerator));
        t.extend_from_slice(&u32::to_le_bytes(denominator));
    }
    t
}

/// Appends an IFD of `entries` (tag, type, count, 4 bytes of value or
/// offset) with no next IFD.
fn ifd(out: &mut Vec<u8>, entries: &[(u16, u16, u32, Vec<u8>)]) {
    let count = u16::try_from(entries.len()).expect("few entries");
    out.extend_from_slice(&count.to_le_bytes());
    for (tag, kind, n, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        assert_eq!(value.len(), 4);
        out.extend_from_slice(value);
    }
    out.extend_from_slice(&0u32.to_le_bytes());
}

/// A PNG of a few dozen bytes whose header claims `width` × `height` RGBA
/// pixels, with one tiny IDAT (what a bomb's compressed zeros would follow).
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // 8 bits, RGBA, deflate, adaptive filtering, not interlaced.
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // An empty zlib stream.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Writes the e2e tests' photo (`tests/fixtures/photo-with-gps.jpg`): a
/// 640 × 480 camera-like JPEG with GPS and an orientation in its EXIF.
#[test]
#[ignore = "run by hand to make the e2e fixture again"]
fn write_the_e2e_fixture() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/photo-with-gps.jpg"
    );
    std::fs::write(path, with_exif(&jpeg(&photo(640, 480)), 1)).expect("write");
}
