//! Web links in a message's text: which parts of it the page shows as links,
//! and the one check every address passes before the browser is asked to open
//! it.
//!
//! Only `http` and `https` addresses written with their scheme are links.
//! Nothing else is ever clickable (`javascript:`, `file:`, `data:`, custom
//! schemes), and a bare `example.com` stays text: guessing at domains turns
//! file names and typos into addresses. No preview is fetched for any of these
//! links; only video links get cards, and only on the sender's device.
//!
//! The address a link opens is the parsed one (`url`): the host in its ASCII
//! form, so a look-alike host written in another script shows as the `xn--`
//! name it really is when hovered. An address with a name before its host
//! (`https://bank.example@evil.example`) is no link at all.

use linkify::{LinkFinder, LinkKind};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use super::{CLOSING_MARKS, LinkError};

/// One link in a message's text. `start` and `end` count UTF-16 code units,
/// the way the page indexes its strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct TextLink {
    pub start: u32,
    pub end: u32,
    /// The address it opens: parsed, with an ASCII host.
    pub url: String,
}

/// The most links one message's text is given: a message of nothing but
/// addresses is shown as plain text past this many.
pub const MAX_LINKS: usize = 64;

/// The http and https links in `text`, in order.
pub fn web_links(text: &str) -> Vec<TextLink> {
    // Most messages have no scheme in them at all: skip the finder.
    if !text.contains("://") {
        return Vec::new();
    }
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    let mut utf16_at = 0u32;
    let mut byte_at = 0usize;
    finder
        .links(text)
        .filter_map(|l| {
            let written = l.as_str().trim_end_matches(CLOSING_MARKS);
            let url = web_link(written).ok()?;
            let start = utf16_at + utf16_len(&text[byte_at..l.start()]);
            let end = start + utf16_len(written);
            utf16_at = end;
            byte_at = l.start() + written.len();
            Some(TextLink {
                start,
                end,
                url: url.into(),
            })
        })
        .take(MAX_LINKS)
        .collect()
}

/// `address` as a link the browser may open: an absolute http or https URL
/// with a host. Anything else is refused with the reason.
pub fn web_link(address: &str) -> Result<Url, LinkError> {
    let url = Url::parse(address.trim()).map_err(|_| LinkError::NotAUrl(address.to_owned()))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(LinkError::UnsupportedScheme(url.scheme().to_owned()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(LinkError::NotAUrl(address.to_owned()));
    }
    // "https://bank.example@evil.example/" goes to evil.example: a name
    // before an @ only disguises where a link goes, so it is no link.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkError::NotAUrl(address.to_owned()));
    }
    Ok(url)
}

fn utf16_len(s: &str) -> u32 {
    u32::try_from(s.encode_utf16().count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text each link covers, cut the way the page cuts it (UTF-16).
    fn covered(text: &str) -> Vec<(String, String)> {
        let units: Vec<u16> = text.encode_utf16().collect();
        web_links(text)
            .into_iter()
            .map(|l| {
                let part = String::from_utf16(&units[l.start as usize..l.end as usize]).unwrap();
                (part, l.url)
            })
            .collect()
    }

    #[test]
    fn http_and_https_links_are_found_where_they_are_written() {
        assert_eq!(
            covered("see https://example.com/a?b=1 and http://example.org."),
            vec![
                (
                    "https://example.com/a?b=1".into(),
                    "https://example.com/a?b=1".into()
                ),
                ("http://example.org".into(), "http://example.org/".into()),
            ]
        );
    }

    #[test]
    fn offsets_count_utf16_units_after_emoji_and_other_scripts() {
        assert_eq!(
            covered("👋🏽 日本語 «https://example.com/ü»。 https://b.example"),
            vec![
                (
                    "https://example.com/ü".into(),
                    "https://example.com/%C3%BC".into()
                ),
                ("https://b.example".into(), "https://b.example/".into()),
            ]
        );
    }

    #[test]
    fn no_other_scheme_is_ever_a_link() {
        for text in [
            "javascript:alert(1)",
            "javascript://example.com/%0Aalert(1)",
            "JAVASCRIPT://x%0Aalert(1)",
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "ftp://example.com/file",
            "candor://share?url=https%3A%2F%2Fexample.com",
            "vbscript://x",
        ] {
            assert_eq!(web_links(text), vec![], "{text}");
        }
        assert!(matches!(
            web_link("javascript:alert(1)"),
            Err(LinkError::UnsupportedScheme(s)) if s == "javascript"
        ));
    }

    #[test]
    fn bare_domains_stay_text() {
        assert_eq!(
            web_links("main.rs and example.com and www.example.com"),
            vec![]
        );
    }

    #[test]
    fn a_look_alike_host_opens_as_its_ascii_name() {
        // Cyrillic "а" in "аpple.com".
        let links = web_links("https://\u{0430}pple.com/login");
        assert_eq!(links[0].url, "https://xn--pple-43d.com/login");
    }

    #[test]
    fn an_address_with_a_name_before_its_host_is_no_link() {
        assert_eq!(
            web_links("log in at https://bank.example@evil.example/login"),
            vec![]
        );
        assert_eq!(web_links("https://user:pass@example.com/"), vec![]);
        assert!(web_link("https://bank.example@evil.example/").is_err());
    }

    #[test]
    fn a_wall_of_links_is_cut_at_the_limit() {
        let text = "https://example.com/x ".repeat(MAX_LINKS + 10);
        assert_eq!(web_links(&text).len(), MAX_LINKS);
    }

    #[test]
    fn only_absolute_web_addresses_may_be_opened() {
        assert!(web_link("https://example.com/a").is_ok());
        assert!(matches!(
            web_link("example.com"),
            Err(LinkError::NotAUrl(_))
        ));
        assert!(web_link("https://").is_err());
        assert!(matches!(
            web_link("mailto:a@example.com"),
            Err(LinkError::UnsupportedScheme(_))
        ));
    }
}
