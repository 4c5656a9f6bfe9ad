//! Photo blobs on the relay: upload and download throughput through the real
//! relay (HTTP on loopback, authentication, hash check, the files kept and
//! synced, the rows that say who may fetch what), against a floor in the
//! same run on the same disk: a plain copy of each blob's file, synced.
//! `cargo xtask bench relay --blobs`.
//!
//! Photos are written once and read many times, so the ratio that matters
//! most is the download's; both are printed, with the figures.

#[path = "relay/accounts.rs"]
mod accounts;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use candor_relay::{RelayConfig, RelayState, serve};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

/// Blobs per run, and bytes each: about a photo as the app sends it.
const BLOBS: usize = 48;
const BLOB_BYTES: usize = 1536 * 1024;
/// Transfers at once: what one account may have (see `photos`).
const AT_ONCE: usize = 4;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

/// Distinct photo-like blobs: a PNG signature, then bytes that do not
/// compress (as encoded photos do not).
fn blobs(seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..BLOBS)
        .map(|_| {
            let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
            bytes.extend((8..BLOB_BYTES).map(|_| rng.u8(..)));
            let id = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            (id, bytes)
        })
        .collect()
}

async fn bench() {
    let rounds = std::env::var("CANDOR_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = RelayConfig::new(dir.path().join("relay"));
    config.uploads_per_hour = 0;
    config.sign_ups_per_hour = 0;
    config.quotas = candor_relay::storage::Quotas::default();
    let state = RelayState::open(config).expect("relay");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(serve(listener, state, std::future::pending()));
    let token = accounts::accounts(addr, 1).await.remove(0).token;
    let mb = (BLOBS * BLOB_BYTES) as f64 / 1e6;
    println!(
        "{BLOBS} blobs of {} KiB ({mb:.0} MB) per run, {AT_ONCE} at once, {rounds} rounds\n",
        BLOB_BYTES / 1024
    );

    let (mut ups, mut downs, mut copies) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let set = blobs(round as u64);
        let up = transfer(addr, &token, &set, true).await;
        let down = transfer(addr, &token, &set, false).await;
        let copy = copy_floor(&dir.path().join(format!("floor-{round}")), &set);
        println!(
            "#{round}: upload {:.0} MB/s, download {:.0} MB/s, file copy {:.0} MB/s",
            mb / up.as_secs_f64(),
            mb / down.as_secs_f64(),
            mb / copy.as_secs_f64()
        );
        ups.push(up);
        downs.push(down);
        copies.push(copy);
    }
    let (up, down, copy) = (median(ups), median(downs), median(copies));
    let ratio = |t: Duration| copy.as_secs_f64() / t.as_secs_f64();
    println!(
        "\nupload: {:.0} MB/s, {:.2}x the file copy floor ({:.0} MB/s)",
        mb / up.as_secs_f64(),
        ratio(up),
        mb / copy.as_secs_f64()
    );
    println!(
        "download: {:.0} MB/s, {:.2}x the file copy floor",
        mb / down.as_secs_f64(),
        ratio(down)
    );
}

/// Uploads (or downloads) every blob, `AT_ONCE` at a time; how long it took.
async fn transfer(addr: SocketAddr, token: &str, set: &[(String, Vec<u8>)], up: bool) -> Duration {
    let http = reqwest::Client::new();
    let started = Instant::now();
    for chunk in set.chunks(AT_ONCE) {
        let calls = chunk.iter().map(|(id, bytes)| {
            let url = format!("http://{addr}/v1/blobs/{id}");
            let request = match up {
                true => http.put(url).body(bytes.clone()),
                false => http.get(url),
            };
            let request = request.bearer_auth(token);
            async move {
                let resp = request.send().await.expect("request");
                assert!(resp.status().is_success(), "{}", resp.status());
                let body = resp.bytes().await.expect("body");
                if !up {
                    assert_eq!(body.len(), bytes.len());
                }
            }
        });
        futures_util::future::join_all(calls).await;
    }
    started.elapsed()
}

/// The floor: each blob's bytes copied from one file to another and synced
/// (the source written first, outside the time).
fn copy_floor(dir: &Path, set: &[(String, Vec<u8>)]) -> Duration {
    std::fs::create_dir_all(dir.join("from")).expect("dir");
    std::fs::create_dir_all(dir.join("to")).expect("dir");
    for (id, bytes) in set {
        std::fs::write(dir.join("from").join(id), bytes).expect("source");
    }
    let started = Instant::now();
    for (id, _) in set {
        let to = dir.join("to").join(id);
        std::fs::copy(dir.join("from").join(id), &to).expect("copy");
        std::fs::File::open(&to)
            .and_then(|f| f.sync_all())
            .expect("sync");
    }
    started.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}
