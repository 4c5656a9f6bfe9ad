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

pub mod fetch;
mod providers;
mod tracking;
mod web;

pub use web::{MAX_LINKS, TextLink, web_link, web_links};

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

/// What the composer offers for a message with a video link in it: the card
/// to send with it (provider and canonical link; the fetcher may add a title,
/// an author and a thumbnail), and the text with tracking removed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct LinkPreview {
    pub card: candor_protocol::VideoCard,
    /// The platform's name for people ("TikTok").
    pub provider_name: String,
    /// The message text with tracking parameters removed from its video links.
    pub clean_text: String,
    /// Whether `clean_text` differs from what was written.
    pub tracking_removed: bool,
}

/// The preview for the first video link in `text`, if it has one.
pub fn preview(text: &str) -> Option<LinkPreview> {
    let first = find_videos(text).into_iter().next()?;
    let (clean_text, tracking_removed) = strip_tracking(text);
    Some(LinkPreview {
        card: plain_card(&first.link),
        provider_name: first.link.provider.display_name().to_owned(),
        clean_text,
        tracking_removed,
    })
}

/// A card with only what the link itself says: what is sent when the
/// platform's details can't be had.
pub fn plain_card(link: &VideoLink) -> candor_protocol::VideoCard {
    candor_protocol::VideoCard {
        provider: link.provider.as_str().to_owned(),
        url: link.canonical.to_string(),
        title: None,
        author: None,
        thumbnail_jpeg: None,
    }
}

/// The most a thumbnail may weigh, decoded.
pub const MAX_THUMBNAIL_BYTES: usize = 32 * 1024;
/// A thumbnail's longest side, in pixels, at most.
pub const MAX_THUMBNAIL_SIDE: u32 = 160;
/// The most characters a card's title or author may have.
pub const MAX_CARD_TEXT_CHARS: usize = 300;

/// Why a card can't go with a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("the card's link is not a video link: {0}")]
    NotAVideo(#[from] LinkError),
    #[error("the card's link is not in its canonical form ({0})")]
    NotCanonical(String),
    #[error("the card says {said} but its link is on {actual}")]
    WrongProvider { said: String, actual: String },
    #[error("the card's {0} is longer than {MAX_CARD_TEXT_CHARS} characters")]
    TooLong(&'static str),
    #[error("the card's thumbnail is not a base64 JPEG of at most {MAX_THUMBNAIL_BYTES} bytes")]
    BadThumbnail,
}

/// Checks a card before it is sent: its link is a canonical video link of the
/// platform it names, its texts are short, and its thumbnail is small base64.
pub fn check_card(card: &candor_protocol::VideoCard) -> Result<(), CardError> {
    let link = recognise(&card.url)?;
    if link.canonical.as_str() != card.url {
        return Err(CardError::NotCanonical(link.canonical.to_string()));
    }
    if link.provider.as_str() != card.provider {
        return Err(CardError::WrongProvider {
            said: card.provider.clone(),
            actual: link.provider.as_str().to_owned(),
        });
    }
    for (name, text) in [("title", &card.title), ("author", &card.author)] {
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_CARD_TEXT_CHARS)
        {
            return Err(CardError::TooLong(name));
        }
    }
    if let Some(b64) = &card.thumbnail_jpeg
        && !is_small_base64(b64)
    {
        return Err(CardError::BadThumbnail);
    }
    Ok(())
}

/// What a recipient keeps of a card that came with a message: nothing if its
/// link is not a canonical video link of the platform it names or its texts
/// are too long (the message's text stays); and its thumbnail only if it
/// decodes as a JPEG of at most [`MAX_THUMBNAIL_SIDE`] pixels a side and
/// [`MAX_THUMBNAIL_BYTES`] bytes. The sender's app makes cards like that;
/// anyone else's may send anything, and the page would hand the bytes to
/// the web view's image decoders (which sniff the format and size nothing).
pub fn received_card(mut card: candor_protocol::VideoCard) -> Option<candor_protocol::VideoCard> {
    if card
        .thumbnail_jpeg
        .as_deref()
        .is_some_and(|b64| !is_small_jpeg(b64))
    {
        card.thumbnail_jpeg = None;
    }
    check_card(&card).ok().map(|()| card)
}

/// Whether `b64` is a JPEG that decodes within the thumbnail's limits.
fn is_small_jpeg(b64: &str) -> bool {
    use base64::Engine;
    use image::{ImageFormat, ImageReader, Limits};
    if !is_small_base64(b64) {
        return false;
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return false;
    };
    if image::guess_format(&bytes).ok() != Some(ImageFormat::Jpeg) {
        return false;
    }
    let mut reader = ImageReader::with_format(std::io::Cursor::new(&bytes), ImageFormat::Jpeg);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_THUMBNAIL_SIDE);
    limits.max_image_height = Some(MAX_THUMBNAIL_SIDE);
    limits.max_alloc = Some(4 * 1024 * 1024);
    reader.limits(limits);
    reader.decode().is_ok()
}

/// Standard base64 (with padding) of at most [`MAX_THUMBNAIL_BYTES`] bytes.
pub fn is_small_base64(b64: &str) -> bool {
    let body = b64.trim_end_matches('=');
    b64.len().is_multiple_of(4)
        && b64.len() - body.len() <= 2
        && !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        && body.len() * 3 / 4 <= MAX_THUMBNAIL_BYTES
}

impl VideoLink {
    /// What Candor's player window loads: the platform's embed page for the
    /// video where it has one that works outside a web page, else the video's
    /// own page.
    pub fn player_url(&self) -> Url {
        let id = &self.id;
        let embed = match self.provider {
            Provider::YouTube => Some(format!("https://www.youtube-nocookie.com/embed/{id}")),
            Provider::TikTok if id.bytes().all(|b| b.is_ascii_digit()) => {
                Some(format!("https://www.tiktok.com/embed/v2/{id}"))
            }
            Provider::Vimeo => {
                // An unlisted video's hash is the second part of its path.
                let hash = self.canonical.path_segments().and_then(|mut s| s.nth(1));
                Some(match hash {
                    Some(h) => format!("https://player.vimeo.com/video/{id}?h={h}"),
                    None => format!("https://player.vimeo.com/video/{id}"),
                })
            }
            Provider::Dailymotion => Some(format!("https://www.dailymotion.com/embed/video/{id}")),
            Provider::Instagram => Some(format!("https://www.instagram.com/reel/{id}/embed/")),
            Provider::Facebook if self.canonical.host_str() != Some("fb.watch") => {
                let href: String =
                    url::form_urlencoded::byte_serialize(self.canonical.as_str().as_bytes())
                        .collect();
                Some(format!(
                    "https://www.facebook.com/plugins/video.php?href={href}"
                ))
            }
            // Twitch embeds only inside a named parent site; short links need
            // the platform to resolve them.
            _ => None,
        };
        embed
            .and_then(|e| Url::parse(&e).ok())
            .unwrap_or_else(|| self.canonical.clone())
    }
}

/// The video link in a `candor://share?url=…` deep link (how other apps and
/// the browser hand Candor a video to share), if it is one.
pub fn shared_link(deep_link: &str) -> Option<String> {
    let url = Url::parse(deep_link.trim()).ok()?;
    if url.scheme() != "candor" || url.host_str() != Some("share") {
        return None;
    }
    let link = url
        .query_pairs()
        .find(|(name, _)| name == "url")
        .map(|(_, v)| v.into_owned())?;
    recognise(&link).ok().map(|_| link)
}
