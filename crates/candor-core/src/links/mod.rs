//! Video links: finding them in text, recognising the platform and the video,
//! and removing tracking parameters before a link leaves the device.
//!
//! Recognition is by the parsed host (the `url` crate, so case, IDNA and ports
//! are settled) matched against each platform's own domain and its subdomains:
//! `tiktok.com.evil.example` is not TikTok. Each platform's path shapes are
//! checked, and the video's id with them. Two results per link:
//! - `stripped`: the link as written, minus tracking parameters. Only the query
//!   changes, never the host or the path; this is what is sent.
//! - `canonical`: the platform's one URL for the video, for the card. It is a
//!   fixed point: recognising it again gives it back.

mod providers;
mod tracking;

use std::ops::Range;

use linkify::{LinkFinder, LinkKind};
use url::Url;

pub use providers::Provider;

/// A link to a video on a known platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoLink {
    pub provider: Provider,
    /// The video's id on its platform; for a short link (vm.tiktok.com,
    /// fb.watch), the short code, which only the platform can resolve.
    pub id: String,
    /// The platform's one URL for this video.
    pub canonical: Url,
    /// The link as written, without its tracking parameters.
    pub stripped: Url,
    /// The names of the parameters that were removed, in order.
    pub removed: Vec<String>,
}

/// Why a piece of text is not a video link.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("not a web address: {0}")]
    NotAUrl(String),
    #[error("only http and https links can be videos, not {0}:")]
    UnsupportedScheme(String),
    #[error("{0} is not a video site Candor knows")]
    UnknownSite(String),
    #[error("this {0} link does not point at a video")]
    NotAVideo(&'static str),
}

/// Recognises `link` (with or without `https://`) as a video link.
pub fn recognise(link: &str) -> Result<VideoLink, LinkError> {
    let trimmed = link.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| LinkError::NotAUrl(trimmed.to_owned()))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(LinkError::UnsupportedScheme(url.scheme().to_owned()));
    }
    let host = url
        .host_str()
        .map(|h| h.trim_end_matches('.').to_owned())
        .ok_or_else(|| LinkError::NotAUrl(trimmed.to_owned()))?;
    let provider = Provider::for_host(&host).ok_or_else(|| LinkError::UnknownSite(host.clone()))?;
    let video = providers::video_of(provider, &host, &url)
        .ok_or(LinkError::NotAVideo(provider.display_name()))?;
    let (stripped, removed) = strip(provider, &url);
    Ok(VideoLink {
        provider,
        id: video.id,
        canonical: video.canonical,
        stripped,
        removed,
    })
}

/// `url` without `provider`'s tracking parameters, and their names. The host,
/// the path and the fragment are untouched.
fn strip(provider: Provider, url: &Url) -> (Url, Vec<String>) {
    let mut removed = Vec::new();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| {
            let tracking = tracking::is_tracking(provider, name);
            if tracking {
                removed.push(name.to_string());
            }
            !tracking
        })
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    if removed.is_empty() {
        return (url.clone(), removed);
    }
    let mut stripped = url.clone();
    if kept.is_empty() {
        stripped.set_query(None);
    } else {
        stripped.query_pairs_mut().clear().extend_pairs(kept);
    }
    (stripped, removed)
}

/// A video link found in a piece of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundVideo {
    /// Where the link is in the text (bytes).
    pub range: Range<usize>,
    pub link: VideoLink,
}

/// Every video link in `text`, in order. Links are found by linkify, which
/// leaves out punctuation around them ("(see youtu.be/…)." finds the link only).
pub fn find_videos(text: &str) -> Vec<FoundVideo> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(false);
    finder
        .links(text)
        .filter_map(|l| {
            // linkify leaves ASCII punctuation out but keeps closing quotes and
            // marks of other scripts ("«https://…»", "「…」。").
            let written = l.as_str().trim_end_matches(CLOSING_MARKS);
            let end = l.start() + written.len();
            recognise(written).ok().map(|link| FoundVideo {
                range: l.start()..end,
                link,
            })
        })
        .collect()
}

/// Punctuation that may follow a link in text without being part of it.
const CLOSING_MARKS: &[char] = &[
    '»', '«', '”', '“', '’', '‘', '」', '』', '》', '〉', '）', '。', '，', '、', '！', '？', '…',
];

/// `text` with the tracking parameters removed from every video link in it,
/// and whether anything was removed. Other links and all other text stay as
/// written.
pub fn strip_tracking(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut changed = false;
    for found in find_videos(text) {
        if found.link.removed.is_empty() {
            continue;
        }
        out.push_str(&text[at..found.range.start]);
        let written = &text[found.range.clone()];
        // Written without a scheme: keep it that way.
        let stripped = found.link.stripped.as_str();
        if written.contains("://") {
            out.push_str(stripped);
        } else {
            out.push_str(
                stripped
                    .split_once("://")
                    .map_or(stripped, |(_, rest)| rest),
            );
        }
        at = found.range.end;
        changed = true;
    }
    out.push_str(&text[at..]);
    (out, changed)
}
