//! The app's card fetcher: the platforms' own endpoints under the strict
//! policy. `CANDOR_OEMBED_ORIGIN=http://127.0.0.1:PORT` points every platform
//! at one loopback stand-in instead (`/oembed/<provider>`, and video pages at
//! their own paths), which is then the only plain-http origin allowed: for
//! tests and development without reaching the real platforms.

use std::net::SocketAddr;

use candor_core::links::Provider;
use candor_core::links::fetch::{CardFetcher, FetchPolicy};
use tauri::Url;

const STAND_IN: &str = "CANDOR_OEMBED_ORIGIN";

pub fn fetcher() -> Option<CardFetcher> {
    let stand_in = std::env::var(STAND_IN).ok().and_then(|origin| {
        let url = Url::parse(&origin).ok()?;
        let addr: SocketAddr = format!("{}:{}", url.host_str()?, url.port()?)
            .parse()
            .ok()?;
        addr.ip().is_loopback().then_some((url, addr))
    });
    let policy = FetchPolicy {
        test_origin: stand_in.as_ref().map(|(_, addr)| *addr),
        ..FetchPolicy::default()
    };
    let mut fetcher = match CardFetcher::new(policy) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("candor: video cards will have no details: {e}");
            return None;
        }
    };
    if let Some((origin, _)) = stand_in {
        fetcher = fetcher.with_page_origin(origin.clone());
        for provider in [
            Provider::TikTok,
            Provider::YouTube,
            Provider::Vimeo,
            Provider::Dailymotion,
        ] {
            if let Ok(endpoint) = origin.join(&format!("/oembed/{}", provider.as_str())) {
                fetcher = fetcher.with_endpoint(provider, endpoint);
            }
        }
    }
    Some(fetcher)
}
