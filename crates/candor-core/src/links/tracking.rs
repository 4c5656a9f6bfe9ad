//! Query parameters that only tell a platform who shared a link, from where and
//! how. Candor removes them before a link leaves the device; parameters that
//! change what is shown (YouTube's `t` or `list`, Facebook's `v`) stay.

use super::Provider;

/// Parameters that track on any site.
const EVERYWHERE: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "twclid", "ttclid", "mc_cid",
    "mc_eid", "igshid", "igsh", "_ga", "_gl", "yclid",
];

/// Parameters named by a prefix (`utm_source`, `utm_medium`…).
const PREFIXES: &[&str] = &["utm_"];

const TIKTOK: &[&str] = &[
    "is_from_webapp",
    "is_copy_url",
    "sender_device",
    "sender_web_id",
    "_r",
    "_t",
    "_d",
    "refer",
    "tt_from",
    "share_item_id",
    "share_app_id",
    "share_app_name",
    "share_link_id",
    "share_author_id",
    "share_iid",
    "share_region",
    "share_scene",
    "sharer_language",
    "u_code",
    "user_id",
    "sec_user_id",
    "sec_uid",
    "timestamp",
    "social_sharing",
    "source",
    "checksum",
    "web_id",
    "enter_from",
    "enter_method",
    "preview_pb",
    "ug_btm",
    "embed_source",
];

const YOUTUBE: &[&str] = &["si", "feature", "pp", "ab_channel", "embeds_referring_euri"];

const INSTAGRAM: &[&str] = &["igsh", "igshid", "img_index", "utm_source"];

const FACEBOOK: &[&str] = &[
    "mibextid",
    "rdid",
    "share_url",
    "sfnsn",
    "extid",
    "ref",
    "__tn__",
    "__cft__[0]",
];

const TWITCH: &[&str] = &["tt_medium", "tt_content", "featured"];

const VIMEO: &[&str] = &["share", "fl", "fe"];

const DAILYMOTION: &[&str] = &["playlist_source"];

/// Whether `name` is a tracking parameter on `provider`'s links.
pub fn is_tracking(provider: Provider, name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let own: &[&str] = match provider {
        Provider::TikTok => TIKTOK,
        Provider::YouTube => YOUTUBE,
        Provider::Instagram => INSTAGRAM,
        Provider::Facebook => FACEBOOK,
        Provider::Twitch => TWITCH,
        Provider::Vimeo => VIMEO,
        Provider::Dailymotion => DAILYMOTION,
    };
    EVERYWHERE.contains(&lower.as_str())
        || own.contains(&lower.as_str())
        || PREFIXES.iter().any(|p| lower.starts_with(p))
}
