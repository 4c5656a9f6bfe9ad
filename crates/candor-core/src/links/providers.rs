//! The platforms Candor recognises, and for each, the path shapes of a video
//! link, its id and its canonical URL.

use serde::{Deserialize, Serialize};
use url::Url;

/// A video platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    TikTok,
    YouTube,
    Instagram,
    Vimeo,
    Twitch,
    Facebook,
    Dailymotion,
}

/// Each platform's own domains. A host is the platform's if it is one of these
/// or a subdomain of one: `m.youtube.com` is, `youtube.com.evil.example` is not.
const DOMAINS: &[(&str, Provider)] = &[
    ("tiktok.com", Provider::TikTok),
    ("youtube.com", Provider::YouTube),
    ("youtu.be", Provider::YouTube),
    ("youtube-nocookie.com", Provider::YouTube),
    ("instagram.com", Provider::Instagram),
    ("vimeo.com", Provider::Vimeo),
    ("twitch.tv", Provider::Twitch),
    ("facebook.com", Provider::Facebook),
    ("fb.watch", Provider::Facebook),
    ("dailymotion.com", Provider::Dailymotion),
    ("dai.ly", Provider::Dailymotion),
];

impl Provider {
    /// The platform whose domain `host` is on (host already lower case).
    pub fn for_host(host: &str) -> Option<Self> {
        DOMAINS
            .iter()
            .find(|(domain, _)| {
                host == *domain
                    || host
                        .strip_suffix(domain)
                        .is_some_and(|sub| sub.ends_with('.'))
            })
            .map(|(_, p)| *p)
    }

    /// The short name a video card carries ("tiktok", "youtube"…).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TikTok => "tiktok",
            Self::YouTube => "youtube",
            Self::Instagram => "instagram",
            Self::Vimeo => "vimeo",
            Self::Twitch => "twitch",
            Self::Facebook => "facebook",
            Self::Dailymotion => "dailymotion",
        }
    }

    /// The platform's name for people.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::TikTok => "TikTok",
            Self::YouTube => "YouTube",
            Self::Instagram => "Instagram",
            Self::Vimeo => "Vimeo",
            Self::Twitch => "Twitch",
            Self::Facebook => "Facebook",
            Self::Dailymotion => "Dailymotion",
        }
    }
}

/// A recognised video: its id and canonical URL.
pub(super) struct Video {
    pub id: String,
    pub canonical: Url,
}

fn video(id: &str, canonical: String) -> Option<Video> {
    Some(Video {
        id: id.to_owned(),
        canonical: Url::parse(&canonical).ok()?,
    })
}

/// The path's non-empty segments.
fn segments(url: &Url) -> Vec<&str> {
    url.path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

fn query<'a>(url: &'a Url, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    url.query_pairs().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 25 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Letters, digits, `_` and `-`: the shape of most platforms' codes.
fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_youtube_id(s: &str) -> bool {
    s.len() == 11 && is_code(s)
}

/// The video `url` (on `host`, a domain of `provider`) points at, if any.
pub(super) fn video_of(provider: Provider, host: &str, url: &Url) -> Option<Video> {
    let segs = segments(url);
    match provider {
        Provider::TikTok => tiktok(host, &segs),
        Provider::YouTube => youtube(host, &segs, url),
        Provider::Instagram => instagram(&segs),
        Provider::Vimeo => vimeo(&segs),
        Provider::Twitch => twitch(host, &segs),
        Provider::Facebook => facebook(host, &segs, url),
        Provider::Dailymotion => dailymotion(host, &segs),
    }
}

fn tiktok(host: &str, segs: &[&str]) -> Option<Video> {
    // vm.tiktok.com/ZMabc/ and vt.tiktok.com/ZSabc/: short links.
    if host == "vm.tiktok.com" || host == "vt.tiktok.com" {
        return match segs {
            [code] if is_code(code) => video(code, format!("https://{host}/{code}/")),
            _ => None,
        };
    }
    match segs {
        [user, "video", id] if user.starts_with('@') && user.len() > 1 && is_digits(id) => {
            video(id, format!("https://www.tiktok.com/{user}/video/{id}"))
        }
        ["t", code] if is_code(code) => video(code, format!("https://www.tiktok.com/t/{code}/")),
        ["v", file] => {
            let id = file.strip_suffix(".html")?;
            is_digits(id).then(|| video(id, format!("https://www.tiktok.com/v/{id}.html")))?
        }
        _ => None,
    }
}

fn youtube(host: &str, segs: &[&str], url: &Url) -> Option<Video> {
    let id = if host == "youtu.be" {
        match segs {
            [id] => *id,
            _ => return None,
        }
    } else {
        match segs {
            ["watch"] => return youtube_watch(&query(url, "v")?, url),
            ["shorts", id] if is_youtube_id(id) => {
                return video(id, format!("https://www.youtube.com/shorts/{id}"));
            }
            ["live" | "embed" | "v", id] => *id,
            _ => return None,
        }
    };
    youtube_watch(id, url)
}

/// `watch?v=ID`, keeping what changes what is shown: the start time and the
/// playlist.
fn youtube_watch(id: &str, url: &Url) -> Option<Video> {
    if !is_youtube_id(id) {
        return None;
    }
    let mut canonical = format!("https://www.youtube.com/watch?v={id}");
    for name in ["t", "start", "list", "index"] {
        if let Some(value) = query(url, name) {
            let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            canonical.push_str(&format!("&{name}={value}"));
        }
    }
    video(id, canonical)
}

fn instagram(segs: &[&str]) -> Option<Video> {
    let code = match segs {
        ["reel" | "reels" | "tv", code] | [_, "reel", code] => *code,
        _ => return None,
    };
    is_code(code).then(|| video(code, format!("https://www.instagram.com/reel/{code}/")))?
}

fn vimeo(segs: &[&str]) -> Option<Video> {
    let (id, hash) = match segs {
        [id] => (*id, None),
        [id, hash] if is_digits(id) && is_code(hash) => (*id, Some(*hash)),
        ["video", id] | ["channels", _, id] | ["groups", _, "videos", id] => (*id, None),
        _ => return None,
    };
    if !is_digits(id) {
        return None;
    }
    match hash {
        // An unlisted video: the hash is part of its address.
        Some(hash) => video(id, format!("https://vimeo.com/{id}/{hash}")),
        None => video(id, format!("https://vimeo.com/{id}")),
    }
}

fn twitch(host: &str, segs: &[&str]) -> Option<Video> {
    let slug = match segs {
        [slug] if host == "clips.twitch.tv" => *slug,
        [_, "clip", slug] => *slug,
        _ => return None,
    };
    is_code(slug).then(|| video(slug, format!("https://clips.twitch.tv/{slug}")))?
}

fn facebook(host: &str, segs: &[&str], url: &Url) -> Option<Video> {
    if host == "fb.watch" {
        return match segs {
            [code] if is_code(code) => video(code, format!("https://fb.watch/{code}/")),
            _ => None,
        };
    }
    let id = match segs {
        ["reel", id] => {
            return is_digits(id)
                .then(|| video(id, format!("https://www.facebook.com/reel/{id}")))?;
        }
        ["watch"] => query(url, "v")?.into_owned(),
        [_, "videos", id] | [_, "videos", _, id] => (*id).to_owned(),
        _ => return None,
    };
    is_digits(&id).then(|| video(&id, format!("https://www.facebook.com/watch/?v={id}")))?
}

fn dailymotion(host: &str, segs: &[&str]) -> Option<Video> {
    let id = match segs {
        [id] if host == "dai.ly" => *id,
        ["video", id] => id.split('_').next().unwrap_or(id),
        _ => return None,
    };
    let ok = id.len() >= 5 && id.len() <= 12 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| video(id, format!("https://www.dailymotion.com/video/{id}")))?
}
