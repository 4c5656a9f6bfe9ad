//! Photo benchmark: preparing a 12 MP camera photo for sending against a
//! floor, the image crate's plain decode, resize and encode of the same file,
//! in the same run. `cargo xtask bench photo`.
//!
//! The product's bar: a photo is ready to send (decoded, checked, turned
//! upright, stripped, resized, re-encoded, hashed, with its preview) in at
//! most 1.5× the floor's time. The floor does `image::load_from_memory`,
//! `resize` with the same filter to the same size, and a JPEG encode at the
//! same quality: what any app must do at the least, so the ratio is what
//! Candor's checks and preview add.
//!
//! The photo is made in memory: 4000 × 3000 of gradients and noise (a flat
//! image would encode unrealistically fast), as a JPEG at quality 92 with an
//! EXIF block, as a camera writes it. The two sides run alternately (7 rounds
//! each unless CANDOR_BENCH_ROUNDS says otherwise, after one warm-up each)
//! and their medians are compared: on a shared 2-core machine one run of
//! either can be off by a third, and alternating puts both through the same
//! spells of noise. Exits non-zero if the ratio is over 1.5.

use std::time::{Duration, Instant};

use candor_core::photo::{self, JPEG_QUALITY, MAX_SIDE, RESIZE_FILTER};
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const LIMIT: f64 = 1.5;

fn main() {
    let rounds = std::env::var("CANDOR_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n >= 1)
        .unwrap_or(7);
    let input = camera_jpeg();
    println!(
        "input: {WIDTH} × {HEIGHT} JPEG with EXIF, {:.1} MB; {rounds} rounds each\n",
        input.len() as f64 / 1e6
    );

    // Warm-up, and a check that both made the same size of photo.
    let prepared = photo::prepare(&input).expect("prepare");
    let floor_out = floor(&input);
    let floor_size = image::load_from_memory(&floor_out).expect("floor output");
    assert_eq!(
        (prepared.width, prepared.height),
        (floor_size.width(), floor_size.height())
    );
    println!(
        "prepared: {} × {} {:?}, {:.0} KB (floor's JPEG: {:.0} KB)\n",
        prepared.width,
        prepared.height,
        prepared.kind,
        prepared.bytes.len() as f64 / 1e3,
        floor_out.len() as f64 / 1e3
    );

    let mut ours = Vec::with_capacity(rounds);
    let mut floors = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        ours.push(time(|| {
            std::hint::black_box(photo::prepare(&input).expect("prepare"));
        }));
        floors.push(time(|| {
            std::hint::black_box(floor(&input));
        }));
    }
    let (ours, floors) = (summary(&mut ours), summary(&mut floors));
    println!("photo::prepare   median {}", ours);
    println!("floor            median {}", floors);
    let ratio = ours.median.as_secs_f64() / floors.median.as_secs_f64();
    println!("\nratio {ratio:.2} (limit {LIMIT})");
    if ratio > LIMIT {
        eprintln!("photo::prepare is over {LIMIT}× the floor");
        std::process::exit(1);
    }
}

/// The image crate's plain decode, resize and encode.
fn floor(bytes: &[u8]) -> Vec<u8> {
    let image = image::load_from_memory(bytes).expect("decode");
    let resized = image.resize(MAX_SIDE, MAX_SIDE, RESIZE_FILTER);
    let mut out = Vec::new();
    resized
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        .expect("encode");
    out
}

/// A camera-like photo: gradients with noise, quality 92, and an EXIF
/// block (orientation "as stored") right after the SOI.
fn camera_jpeg() -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(12);
    let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let base = [
            x * 255 / WIDTH,
            y * 255 / HEIGHT,
            (x + y) * 255 / (WIDTH + HEIGHT),
        ];
        Rgb(base.map(|c| (c as u8).saturating_add(rng.u8(0..32))))
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(&image)
        .expect("encode input");
    // A little-endian TIFF with one IFD holding Orientation = 1.
    let mut tiff = b"II\x2A\x00\x08\x00\x00\x00\x01\x00".to_vec();
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&u16::try_from(8 + tiff.len()).expect("small").to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

struct Summary {
    median: Duration,
    min: Duration,
    max: Duration,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>7.1} ms  (min {:.1}, max {:.1})",
            ms(self.median),
            ms(self.min),
            ms(self.max)
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summary(samples: &mut [Duration]) -> Summary {
    samples.sort();
    Summary {
        median: samples[samples.len() / 2],
        min: samples[0],
        max: samples[samples.len() - 1],
    }
}
