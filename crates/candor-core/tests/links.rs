//! Video links: a corpus of real-world shapes (tests/corpus/video_links.tsv),
//! tracking removal, and properties over generated links.

use candor_core::links::{Provider, find_videos, preview, recognise, shared_link, strip_tracking};
use proptest::prelude::*;

const CORPUS: &str = include_str!("corpus/video_links.tsv");

fn corpus() -> Vec<(&'static str, &'static str, &'static str)> {
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let kind = cols.next().expect("kind");
            let input = cols.next().expect("input");
            let expected = cols.next().expect("expected");
            (kind, input, expected)
        })
        .collect()
}

#[test]
fn the_corpus_is_large_and_every_shape_is_read_as_expected() {
    let rows = corpus();
    assert!(rows.len() >= 150, "{} rows", rows.len());
    let mut wrong = Vec::new();
    for (kind, input, expected) in &rows {
        let got = match *kind {
            "url" => match recognise(input) {
                Ok(v) => format!("{} {} {}", v.provider.as_str(), v.id, v.canonical),
                Err(_) => "-".to_owned(),
            },
            "text" => find_videos(input)
                .first()
                .map_or("-".to_owned(), |f| f.link.canonical.to_string()),
            other => panic!("unknown row kind {other}"),
        };
        if got != *expected {
            wrong.push(format!(
                "{input}\n    expected {expected}\n    got      {got}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_platform_and_every_kind_of_case_is_in_the_corpus() {
    let rows = corpus();
    for provider in [
        "tiktok",
        "youtube",
        "instagram",
        "vimeo",
        "twitch",
        "facebook",
        "dailymotion",
    ] {
        assert!(
            rows.iter().any(|(_, _, e)| e.starts_with(provider)),
            "{provider}"
        );
    }
    let has = |needle: &str| rows.iter().any(|(_, i, _)| i.contains(needle));
    for shape in [
        "evil.example",
        "vm.tiktok",
        "vt.tiktok",
        "youtu.be",
        "m.",
        "HTTPS://",
        "fb.watch",
        "dai.ly",
    ] {
        assert!(has(shape), "{shape}");
    }
    assert!(rows.iter().filter(|(_, _, e)| *e == "-").count() >= 50);
}

#[test]
fn tracking_parameters_go_and_what_changes_the_video_stays() {
    let cases = [
        (
            "https://www.tiktok.com/@maya/video/7312345678901234567?is_from_webapp=1&sender_device=pc&sender_web_id=123&_r=1&_t=8x&refer=embed&tt_from=copy&share_item_id=7&u_code=abc&utm_campaign=x",
            "https://www.tiktok.com/@maya/video/7312345678901234567",
        ),
        (
            "https://youtu.be/dQw4w9WgXcQ?si=AbC&t=42",
            "https://youtu.be/dQw4w9WgXcQ?t=42",
        ),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&pp=ygU&list=PL1&gclid=x",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1",
        ),
        (
            "https://www.instagram.com/reel/C1aBcDeFgHi/?igsh=MWQ1&igshid=YmM",
            "https://www.instagram.com/reel/C1aBcDeFgHi/",
        ),
        (
            "https://www.facebook.com/watch/?v=987654321098765&mibextid=x&fbclid=y",
            "https://www.facebook.com/watch/?v=987654321098765",
        ),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
    ];
    for (input, stripped) in cases {
        let link = recognise(input).expect(input);
        assert_eq!(link.stripped.as_str(), stripped, "{input}");
    }
    let link = recognise("https://youtu.be/dQw4w9WgXcQ?si=AbC&t=42").expect("link");
    assert_eq!(link.removed, ["si"]);
    assert_eq!(link.provider, Provider::YouTube);
}

#[test]
fn stripping_text_changes_only_the_video_links_in_it() {
    let text = "lol https://vm.tiktok.com/ZMabc/?_r=1&_t=8x and https://example.com/?utm_source=x (youtu.be/dQw4w9WgXcQ?si=q)";
    let (clean, changed) = strip_tracking(text);
    assert!(changed);
    assert_eq!(
        clean,
        "lol https://vm.tiktok.com/ZMabc/ and https://example.com/?utm_source=x (youtu.be/dQw4w9WgXcQ)"
    );
    assert_eq!(
        strip_tracking("nothing to see"),
        ("nothing to see".to_owned(), false)
    );
    let plain = "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3";
    assert_eq!(strip_tracking(plain), (plain.to_owned(), false));
}

#[test]
fn a_message_with_a_video_link_previews_its_card_and_clean_text() {
    let p = preview("haha https://vm.tiktok.com/ZMabc/?_r=1 look").expect("a video");
    assert_eq!(p.card.provider, "tiktok");
    assert_eq!(p.card.url, "https://vm.tiktok.com/ZMabc/");
    assert_eq!(p.provider_name, "TikTok");
    assert_eq!(p.clean_text, "haha https://vm.tiktok.com/ZMabc/ look");
    assert!(p.tracking_removed);
    let clean = preview("https://youtu.be/dQw4w9WgXcQ").expect("a video");
    assert!(!clean.tracking_removed);
    assert_eq!(
        clean.card.url,
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    );
    assert!(preview("https://example.com/?utm_source=x").is_none());
}

#[test]
fn the_player_loads_each_platforms_embed_page_or_the_video_page() {
    let player = |link: &str| recognise(link).expect(link).player_url().to_string();
    assert_eq!(
        player("https://youtu.be/dQw4w9WgXcQ?t=3"),
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    );
    assert_eq!(
        player("https://www.tiktok.com/@maya/video/7312345678901234567"),
        "https://www.tiktok.com/embed/v2/7312345678901234567"
    );
    assert_eq!(
        player("https://vimeo.com/76979871/0a1b2c3d4e"),
        "https://player.vimeo.com/video/76979871?h=0a1b2c3d4e"
    );
    assert_eq!(
        player("https://www.facebook.com/reel/1234567890123456"),
        "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2Freel%2F1234567890123456"
    );
    // No embed that works outside a page: the video's own page.
    assert_eq!(
        player("https://vm.tiktok.com/ZMabc/"),
        "https://vm.tiktok.com/ZMabc/"
    );
    assert_eq!(
        player("https://clips.twitch.tv/Slug-1"),
        "https://clips.twitch.tv/Slug-1"
    );
    for row in corpus().iter().filter(|(k, _, e)| *k == "url" && *e != "-") {
        let url = recognise(row.1).expect("video").player_url();
        assert_eq!(url.scheme(), "https", "{}", row.1);
    }
}

#[test]
fn a_share_deep_link_hands_over_its_video_link_only() {
    assert_eq!(
        shared_link("candor://share?url=https%3A%2F%2Fyoutu.be%2FdQw4w9WgXcQ%3Fsi%3Dx").as_deref(),
        Some("https://youtu.be/dQw4w9WgXcQ?si=x")
    );
    assert_eq!(
        shared_link("candor://share/?url=https://vm.tiktok.com/ZMabc/").as_deref(),
        Some("https://vm.tiktok.com/ZMabc/")
    );
    for not in [
        "candor://share?url=https%3A%2F%2Fexample.com%2F",
        "candor://share",
        "candor://open?url=https%3A%2F%2Fyoutu.be%2FdQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "--profile",
        "",
    ] {
        assert_eq!(shared_link(not), None, "{not}");
    }
}

/// Hosts of every platform (and some that only look like them), path shapes
/// and query parameters, tracking and not, in any order.
fn arbitrary_link() -> impl Strategy<Value = String> {
    let hosts = prop::sample::select(vec![
        "www.tiktok.com",
        "m.tiktok.com",
        "vm.tiktok.com",
        "vt.tiktok.com",
        "tiktok.com",
        "www.youtube.com",
        "m.youtube.com",
        "youtu.be",
        "www.instagram.com",
        "vimeo.com",
        "player.vimeo.com",
        "clips.twitch.tv",
        "www.twitch.tv",
        "www.facebook.com",
        "fb.watch",
        "www.dailymotion.com",
        "dai.ly",
        "tiktok.com.evil.example",
        "example.com",
    ]);
    let segment = prop::sample::select(vec![
        "@maya",
        "video",
        "7312345678901234567",
        "t",
        "ZMabc",
        "watch",
        "shorts",
        "live",
        "embed",
        "dQw4w9WgXcQ",
        "reel",
        "C1aBcDeFgHi",
        "clip",
        "Slug-1",
        "videos",
        "987654321",
        "x8abc12",
        "v",
        "%41",
        "",
    ]);
    let param = prop::sample::select(vec![
        "v=dQw4w9WgXcQ",
        "t=42",
        "list=PL1",
        "si=abc",
        "feature=share",
        "is_from_webapp=1",
        "_r=1",
        "utm_source=x",
        "UTM_Medium=y",
        "fbclid=z",
        "igsh=q",
        "mibextid=m",
        "lang=en",
        "v=987654321",
        "a=%20b",
        "flag",
    ]);
    (
        prop::sample::select(vec!["https://", "http://", "HTTPS://", ""]),
        hosts,
        prop::collection::vec(segment, 0..4),
        prop::collection::vec(param, 0..5),
        prop::option::of(Just("#frag")),
    )
        .prop_map(|(scheme, host, segs, params, frag)| {
            let mut s = format!("{scheme}{host}/{}", segs.join("/"));
            if !params.is_empty() {
                s.push('?');
                s.push_str(&params.join("&"));
            }
            if let Some(f) = frag {
                s.push_str(f);
            }
            s
        })
}

proptest! {
    #[test]
    fn never_panics_on_any_text(text in ".{0,200}") {
        let _ = recognise(&text);
        let _ = find_videos(&text);
        let _ = strip_tracking(&text);
    }

    #[test]
    fn canonical_links_are_fixed_points(link in arbitrary_link()) {
        if let Ok(video) = recognise(&link) {
            let again = recognise(video.canonical.as_str()).expect("the canonical link is a video");
            prop_assert_eq!(&again.canonical, &video.canonical);
            prop_assert_eq!(again.provider, video.provider);
            prop_assert_eq!(&again.id, &video.id);
            prop_assert!(again.removed.is_empty(), "canonical links carry no tracking");
        }
    }

    #[test]
    fn stripping_keeps_host_path_and_fragment(link in arbitrary_link()) {
        if let Ok(video) = recognise(&link) {
            let original = url::Url::parse(&if link.contains("://") { link.clone() } else { format!("https://{link}") }).expect("parsed");
            prop_assert_eq!(video.stripped.host_str(), original.host_str());
            prop_assert_eq!(video.stripped.path(), original.path());
            prop_assert_eq!(video.stripped.fragment(), original.fragment());
            prop_assert_eq!(video.stripped.scheme(), original.scheme());
            // Stripping again removes nothing more.
            let twice = recognise(video.stripped.as_str()).expect("still a video");
            prop_assert!(twice.removed.is_empty());
            prop_assert_eq!(&twice.stripped, &video.stripped);
        }
    }
}
