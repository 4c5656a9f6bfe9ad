//! Card details (title, author, a small thumbnail), fetched on the sender's
//! device only, from the platform's oEmbed endpoint, under strict limits:
//!
//! - https only, and never to a loopback, private, link-local or otherwise
//!   non-public address: every host is resolved here and each address checked
//!   (an IP in the URL too), including on each redirect, of which there may be
//!   at most 3;
//! - 5 s to connect and 5 s between reads; bodies of at most 512 KiB;
//! - no cookies and no proxy (a proxy would resolve hosts where they can't be
//!   checked).
//!
//! The thumbnail is decoded and scaled down here to a JPEG of at most 32 KiB,
//! which travels inside the message, so a recipient's app never makes a request
//! because a message arrived. Any failure gives the plain card: fetching never
//! blocks a send.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use candor_protocol::VideoCard;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::Deserialize;
use url::Url;

use super::{MAX_CARD_TEXT_CHARS, MAX_THUMBNAIL_BYTES, Provider, VideoLink, plain_card};

/// The most a response body may weigh.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// The most redirects one fetch follows.
pub const MAX_REDIRECTS: usize = 3;
/// The thumbnail's longest side, in pixels.
const THUMBNAIL_SIDE: u32 = super::MAX_THUMBNAIL_SIDE;

/// Why a card's details could not be fetched. The card is then sent plain.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("only https addresses are fetched, not {0}")]
    NotHttps(String),
    #[error("{0} is not a public address")]
    ForbiddenAddress(IpAddr),
    #[error("{0} could not be resolved")]
    Unresolvable(String),
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("no answer in time")]
    Timeout,
    #[error("the answer is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the answer is not oEmbed JSON: {0}")]
    NotJson(String),
    #[error("the platform answered {0}")]
    Status(u16),
    #[error("the thumbnail is not an image that can be read: {0}")]
    BadImage(String),
    #[error("{provider} has no public endpoint for details")]
    NoEndpoint { provider: &'static str },
    #[error("the video's page names no title or image")]
    NoDetails,
    #[error("the request failed: {0}")]
    Network(String),
}

/// Where and how the fetcher may connect.
#[derive(Clone, Debug)]
pub struct FetchPolicy {
    pub connect_timeout: Duration,
    /// The longest wait between two reads of an answer.
    pub read_timeout: Duration,
    /// One loopback origin that may be fetched over plain http: a test's
    /// stand-in for a platform. None in the app.
    pub test_origin: Option<SocketAddr>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            test_origin: None,
        }
    }
}

impl FetchPolicy {
    /// Whether `url` may be requested: https to a host whose address (if the
    /// URL names one) is public, or the test origin.
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(FetchError::NotHttps(url.to_string())),
        };
        if let (Some(origin), Some(ip)) = (self.test_origin, ip)
            && origin.ip() == ip
            && url.port_or_known_default() == Some(origin.port())
        {
            return Ok(());
        }
        if url.scheme() != "https" {
            return Err(FetchError::NotHttps(url.scheme().to_owned()));
        }
        match ip {
            Some(ip) if !is_public(ip) => Err(FetchError::ForbiddenAddress(ip)),
            _ => Ok(()),
        }
    }
}

/// Whether `ip` is an ordinary public address: not loopback, private,
/// link-local, shared (CGNAT), documentation, multicast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// Resolves hosts and refuses any that has a non-public address.
#[derive(Debug)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Box::new(FetchError::Unresolvable(host.clone())))?
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(FetchError::Unresolvable(host)) as _);
            }
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(Box::new(FetchError::ForbiddenAddress(bad.ip())) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// What an oEmbed endpoint answers (the fields a card uses).
#[derive(Debug, Deserialize)]
struct OEmbed {
    title: Option<String>,
    author_name: Option<String>,
    thumbnail_url: Option<String>,
}

/// Fetches card details under a [`FetchPolicy`].
#[derive(Debug, Clone)]
pub struct CardFetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
    /// Overrides of the platforms' oEmbed endpoints (tests).
    endpoints: Vec<(Provider, Url)>,
    /// Where video pages are fetched from instead of the platforms (tests):
    /// the same path on this origin.
    page_origin: Option<Url>,
}

impl CardFetcher {
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        let redirects = policy.clone();
        let tls = crate::tls::client_config().map_err(|e| FetchError::Network(e.to_string()))?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            .connect_timeout(policy.connect_timeout)
            .read_timeout(policy.read_timeout)
            .timeout(policy.connect_timeout + policy.read_timeout * 2)
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    return attempt.error(FetchError::TooManyRedirects);
                }
                match redirects.check(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(e) => attempt.error(e),
                }
            }))
            .user_agent("Candor (card preview)")
            .build()
            .map_err(|e| FetchError::Network(e.to_string()))?;
        Ok(Self {
            client,
            policy,
            endpoints: Vec::new(),
            page_origin: None,
        })
    }

    /// Fetches video pages (for platforms without oEmbed) from `origin`
    /// instead, at the same path.
    pub fn with_page_origin(mut self, origin: Url) -> Self {
        self.page_origin = Some(origin);
        self
    }

    /// Uses `endpoint` (given `?url=…` and `format=json`) for `provider`.
    pub fn with_endpoint(mut self, provider: Provider, endpoint: Url) -> Self {
        self.endpoints.push((provider, endpoint));
        self
    }

    /// The card for `link`: with the platform's details when they can be had,
    /// else plain. Never fails.
    pub async fn card(&self, link: &VideoLink) -> VideoCard {
        match self.fetch(link).await {
            Ok(card) => card,
            Err(e) => {
                tracing::debug!("card details for {}: {e}", link.canonical);
                plain_card(link)
            }
        }
    }

    /// The card for `link` with the platform's details, or why not: from its
    /// oEmbed endpoint, or for a platform without one, from the Open Graph
    /// tags of the video's page.
    pub async fn fetch(&self, link: &VideoLink) -> Result<VideoCard, FetchError> {
        let endpoint = match self.endpoint(link.provider) {
            Ok(endpoint) => endpoint,
            Err(FetchError::NoEndpoint { .. }) => return self.page_card(link).await,
            Err(e) => return Err(e),
        };
        let mut url = endpoint;
        url.query_pairs_mut()
            .append_pair("format", "json")
            .append_pair("url", link.canonical.as_str());
        let body = self.get(&url).await?;
        let oembed: OEmbed = serde_json::from_slice(&body).map_err(|e| {
            let start = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
            FetchError::NotJson(format!("{e} (it starts {start:?})"))
        })?;
        let thumbnail_jpeg = match oembed.thumbnail_url.as_deref().map(Url::parse) {
            Some(Ok(thumb)) => match self.thumbnail(&thumb).await {
                Ok(jpeg) => Some(jpeg),
                Err(e) => {
                    tracing::debug!("thumbnail for {}: {e}", link.canonical);
                    None
                }
            },
            _ => None,
        };
        Ok(VideoCard {
            thumbnail_jpeg,
            title: oembed.title.map(|t| clip(&t)).filter(|t| !t.is_empty()),
            author: oembed
                .author_name
                .map(|a| clip(&a))
                .filter(|a| !a.is_empty()),
            ..plain_card(link)
        })
    }

    /// The card from the video page's `og:title` and `og:image`.
    async fn page_card(&self, link: &VideoLink) -> Result<VideoCard, FetchError> {
        let mut page = link.canonical.clone();
        if let Some(origin) = &self.page_origin {
            page = origin
                .join(link.canonical.path())
                .map_err(|e| FetchError::Network(e.to_string()))?;
        }
        let body = self.get(&page).await?;
        let tags = open_graph(&String::from_utf8_lossy(&body));
        if tags.title.is_none() && tags.image.is_none() {
            return Err(FetchError::NoDetails);
        }
        let thumbnail_jpeg = match tags.image.and_then(|i| page.join(&i).ok()) {
            Some(image) => self.thumbnail(&image).await.ok(),
            None => None,
        };
        Ok(VideoCard {
            thumbnail_jpeg,
            title: tags.title.map(|t| clip(&t)).filter(|t| !t.is_empty()),
            ..plain_card(link)
        })
    }

    fn endpoint(&self, provider: Provider) -> Result<Url, FetchError> {
        if let Some((_, url)) = self.endpoints.iter().find(|(p, _)| *p == provider) {
            return Ok(url.clone());
        }
        let default = match provider {
            Provider::TikTok => "https://www.tiktok.com/oembed",
            Provider::YouTube => "https://www.youtube.com/oembed",
            Provider::Vimeo => "https://vimeo.com/api/oembed.json",
            Provider::Dailymotion => "https://www.dailymotion.com/services/oembed",
            // Instagram and Facebook want an app token; Twitch clips have no
            // oEmbed. Their pages' Open Graph tags are read instead.
            Provider::Instagram | Provider::Facebook | Provider::Twitch => {
                return Err(FetchError::NoEndpoint {
                    provider: provider.display_name(),
                });
            }
        };
        Url::parse(default).map_err(|e| FetchError::Network(e.to_string()))
    }

    /// The body at `url`, within the policy and the size limit.
    async fn get(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        self.policy.check(url)?;
        let mut response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(classify)?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The image at `url`, scaled down to a JPEG of at most 32 KiB, in base64.
    async fn thumbnail(&self, url: &Url) -> Result<String, FetchError> {
        let bytes = self.get(url).await?;
        let jpeg = tokio::task::spawn_blocking(move || small_jpeg(&bytes))
            .await
            .map_err(|e| FetchError::BadImage(e.to_string()))??;
        Ok(base64::engine::general_purpose::STANDARD.encode(jpeg))
    }
}

/// `bytes` (any image the decoder reads) as a JPEG whose longest side is at
/// most 160 px and which weighs at most 32 KiB.
pub fn small_jpeg(bytes: &[u8]) -> Result<Vec<u8>, FetchError> {
    let image = image::load_from_memory(bytes).map_err(|e| FetchError::BadImage(e.to_string()))?;
    let mut side = THUMBNAIL_SIDE;
    loop {
        let scaled = image.thumbnail(side, side).to_rgb8();
        for quality in [80, 65, 50, 35] {
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
                .encode_image(&scaled)
                .map_err(|e| FetchError::BadImage(e.to_string()))?;
            if out.len() <= MAX_THUMBNAIL_BYTES {
                return Ok(out);
            }
        }
        if side <= 40 {
            return Err(FetchError::BadImage("too detailed to make small".into()));
        }
        side /= 2;
    }
}

/// A page's Open Graph title and image.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OpenGraph {
    pub title: Option<String>,
    pub image: Option<String>,
}

/// The `og:title` and `og:image` of an HTML page (scraper's HTML5 parser, so
/// entities and odd markup read as a browser would read them).
pub fn open_graph(html: &str) -> OpenGraph {
    let document = scraper::Html::parse_document(html);
    let Ok(meta) = scraper::Selector::parse("meta[content]") else {
        return OpenGraph::default();
    };
    let mut tags = OpenGraph::default();
    for element in document.select(&meta) {
        let el = element.value();
        let name = el.attr("property").or_else(|| el.attr("name"));
        let content = el.attr("content").map(str::trim).filter(|c| !c.is_empty());
        match (name, content) {
            (Some("og:title"), Some(c)) if tags.title.is_none() => tags.title = Some(c.to_owned()),
            (Some("og:image"), Some(c)) if tags.image.is_none() => tags.image = Some(c.to_owned()),
            _ => {}
        }
    }
    tags
}

/// At most [`MAX_CARD_TEXT_CHARS`] characters, trimmed.
fn clip(text: &str) -> String {
    text.trim().chars().take(MAX_CARD_TEXT_CHARS).collect()
}

/// A reqwest error as the typed error behind it, if it is one of ours (the
/// resolver and the redirect policy raise those), else by kind.
fn classify(e: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if let Some(ours) = err.downcast_ref::<FetchError>() {
            return match ours {
                FetchError::ForbiddenAddress(ip) => FetchError::ForbiddenAddress(*ip),
                FetchError::TooManyRedirects => FetchError::TooManyRedirects,
                FetchError::NotHttps(s) => FetchError::NotHttps(s.clone()),
                FetchError::Unresolvable(h) => FetchError::Unresolvable(h.clone()),
                other => FetchError::Network(other.to_string()),
            };
        }
        source = err.source();
    }
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Network(e.to_string())
    }
}
