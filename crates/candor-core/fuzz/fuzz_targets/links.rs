//! Any text through the video-link parser: it must never panic, and what it
//! recognises must hold the same properties the proptests check.
#![no_main]

use candor_core::links::{find_videos, recognise, strip_tracking};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(video) = recognise(text) {
        let again = recognise(video.canonical.as_str()).expect("canonical is a video");
        assert_eq!(again.canonical, video.canonical);
        let stripped = recognise(video.stripped.as_str()).expect("stripped is a video");
        assert!(stripped.removed.is_empty());
    }
    for found in find_videos(text) {
        assert!(text.get(found.range.clone()).is_some());
    }
    let _ = strip_tracking(text);
});
