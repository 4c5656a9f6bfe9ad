//! Message content as it travels: validated text, and an optional video card
//! or up to [`MAX_PHOTOS`] photos.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::photo::{MAX_PHOTOS, PhotoRef};
use crate::{ConversationId, MAX_TEXT_CHARS, MessageId, ServerMessageId, UserId};

/// Why a text cannot be a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but whitespace.
    #[error("a message needs some text")]
    Empty,
    /// Longer than [`MAX_TEXT_CHARS`].
    #[error("a message can be at most {max} characters; this one has {chars}")]
    TooLong { chars: usize, max: usize },
}

/// Message text that has passed the shared limits: not blank, at most
/// [`MAX_TEXT_CHARS`] characters. The text itself is kept exactly as written.
///
/// A photo needs no caption, so there is one more value, [`MessageText::none`]:
/// the empty string, which is what a photo without words carries. Whether a
/// message may be without words is [`check_content`]'s to say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageText(String);

impl MessageText {
    /// Words someone wrote: refused if blank or too long.
    pub fn new(text: impl Into<String>) -> Result<Self, TextError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(TextError::Empty);
        }
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(TextError::TooLong {
                chars,
                max: MAX_TEXT_CHARS,
            });
        }
        Ok(Self(text))
    }

    /// No words: a photo without a caption.
    pub fn none() -> Self {
        Self(String::new())
    }

    /// The caption of photos: no words if `text` is blank.
    pub fn caption(text: impl Into<String>) -> Result<Self, TextError> {
        match Self::new(text) {
            Err(TextError::Empty) => Ok(Self::none()),
            other => other,
        }
    }

    pub fn is_none(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MessageText {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.is_empty() {
            return Ok(Self::none());
        }
        Self::new(value)
    }
}

/// Why the parts of a message do not make one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("a message needs some text or a photo")]
    Empty,
    #[error("a message can carry at most {MAX_PHOTOS} photos; this one has {0}")]
    TooManyPhotos(usize),
    #[error("photos travel with a caption only, not with a video card or as a reaction")]
    PhotosWith,
}

/// What makes a message: words, or photos with or without a caption. A
/// video card goes with words (its link), and photos go with neither a card
/// nor a reaction.
pub fn check_content(
    text: &MessageText,
    card: bool,
    photos: &[PhotoRef],
    reaction: bool,
) -> Result<(), ContentError> {
    if photos.len() > MAX_PHOTOS {
        return Err(ContentError::TooManyPhotos(photos.len()));
    }
    if !photos.is_empty() && (card || reaction) {
        return Err(ContentError::PhotosWith);
    }
    if text.is_none() && photos.is_empty() {
        return Err(ContentError::Empty);
    }
    Ok(())
}

impl From<MessageText> for String {
    fn from(value: MessageText) -> Self {
        value.0
    }
}

/// A shared video, as the sender's device described it. Every field is untrusted
/// text from a web page and must reach a screen only as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VideoCard {
    /// Short provider name, such as "tiktok" or "youtube".
    pub provider: String,
    /// The canonical link, tracking parameters removed.
    pub url: String,
    pub title: Option<String>,
    pub author: Option<String>,
    /// A small JPEG (base64, at most 32 KiB decoded) made on the sender's
    /// device, so that a recipient's app never fetches anything because a
    /// message arrived. Shown only as a `data:image/jpeg` image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub thumbnail_jpeg: Option<String>,
}

/// The most characters of the original a reply carries.
pub const MAX_EXCERPT_CHARS: usize = 160;

/// What a reply quotes: the original by its author and the author's client
/// id (the one key every device and the relay share for it), and an excerpt
/// taken on the replier's device. The excerpt is the replier's word for what
/// the original said: a device that holds the original shows the original,
/// and one that does not shows the excerpt marked as quoted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub author: UserId,
    pub message: MessageId,
    /// At most [`MAX_EXCERPT_CHARS`] characters (longer ones are refused).
    #[serde(deserialize_with = "excerpt")]
    pub excerpt: String,
}

fn excerpt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    let chars = text.chars().count();
    if chars > MAX_EXCERPT_CHARS {
        return Err(serde::de::Error::custom(format!(
            "a quote's excerpt can be at most {MAX_EXCERPT_CHARS} characters; this one has {chars}"
        )));
    }
    Ok(text)
}

impl Quote {
    /// A quote of `text` by `author`, cut to [`MAX_EXCERPT_CHARS`].
    pub fn of(author: UserId, message: MessageId, text: &str) -> Self {
        let mut excerpt: String = text.chars().take(MAX_EXCERPT_CHARS).collect();
        if text.chars().count() > MAX_EXCERPT_CHARS {
            excerpt.pop();
            excerpt.push('…');
        }
        Self {
            author,
            message,
            excerpt,
        }
    }
}

/// A reaction: the sender's one emoji on one message of the same
/// conversation, by that message's author and client id. It travels as a
/// message (so it is durable, idempotent, ordered and caught up like one)
/// whose text is the emoji. The latest reaction a person sent on a message is
/// theirs; one with `removed` takes theirs back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub author: UserId,
    pub message: MessageId,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

/// Whether `text` is one emoji, as Unicode lists them (skin tones included):
/// the only text a reaction may carry.
pub fn is_one_emoji(text: &str) -> bool {
    emojis::get(text).is_some()
}

/// A message the relay stored and now hands to a member of its conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveredMessage {
    pub server_id: ServerMessageId,
    /// The author's client message id.
    pub client_id: MessageId,
    pub conversation_id: ConversationId,
    /// Position in the conversation's one gapless sequence, starting at 1.
    pub seq: i64,
    pub sender_id: UserId,
    pub text: MessageText,
    pub card: Option<VideoCard>,
    /// The message this one replies to, if it is a reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Quote>,
    /// Set when this is a reaction (its text is the emoji), not a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<Reaction>,
    /// Its photos, in the order the sender put them; `text` is their caption.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<PhotoRef>,
    /// When the relay stored it.
    pub sent_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_are_counted_in_characters() {
        assert_eq!(MessageText::new("   \n\t"), Err(TextError::Empty));
        let at_limit = "é".repeat(MAX_TEXT_CHARS);
        assert!(MessageText::new(at_limit.clone()).is_ok());
        assert_eq!(
            MessageText::new(at_limit + "x"),
            Err(TextError::TooLong {
                chars: MAX_TEXT_CHARS + 1,
                max: MAX_TEXT_CHARS
            })
        );
    }

    #[test]
    fn a_message_is_words_or_photos() {
        let photo: PhotoRef = serde_json::from_value(serde_json::json!({
            "blob": "ab".repeat(32), "kind": "png", "width": 3, "height": 4,
            "bytes": 99, "preview": "",
        }))
        .expect("photo");
        let words = MessageText::new("hi").expect("text");
        let none = MessageText::caption(" \n ").expect("no caption");
        assert!(none.is_none());
        assert_eq!(check_content(&words, false, &[], false), Ok(()));
        assert_eq!(
            check_content(&none, false, &[], false),
            Err(ContentError::Empty)
        );
        assert_eq!(
            check_content(&none, false, std::slice::from_ref(&photo), false),
            Ok(())
        );
        assert_eq!(
            check_content(&none, false, &vec![photo.clone(); 10], false),
            Err(ContentError::TooManyPhotos(10))
        );
        assert_eq!(
            check_content(&words, true, std::slice::from_ref(&photo), false),
            Err(ContentError::PhotosWith)
        );
        assert_eq!(
            check_content(&words, false, &[photo], true),
            Err(ContentError::PhotosWith)
        );
        // On the wire, no words is the empty string; blank words are refused.
        assert_eq!(
            serde_json::from_str::<MessageText>("\"\"").expect("none"),
            none
        );
        assert!(serde_json::from_str::<MessageText>("\" \"").is_err());
        assert_eq!(MessageText::new(""), Err(TextError::Empty));
    }

    #[test]
    fn a_reaction_is_one_emoji() {
        for one in ["❤️", "👍", "👍🏽", "😂", "🇫🇷", "👩‍👩‍👧", "🫶🏿"]
        {
            assert!(is_one_emoji(one), "{one}");
        }
        for not in ["", "a", "❤️❤️", "👍 ", ":heart:", "<3", "👍x", "\u{200d}"] {
            assert!(!is_one_emoji(not), "{not:?}");
        }
    }

    #[test]
    fn a_quote_is_cut_on_the_way_out_and_refused_too_long_on_the_way_in() {
        let long = "ü".repeat(MAX_EXCERPT_CHARS + 10);
        let q = Quote::of(UserId::new(), MessageId::new(), &long);
        assert_eq!(q.excerpt.chars().count(), MAX_EXCERPT_CHARS);
        assert!(q.excerpt.ends_with('…'));
        let mut json = serde_json::to_value(&q).expect("json");
        json["excerpt"] = serde_json::Value::String(long);
        let err = serde_json::from_value::<Quote>(json).expect_err("refused");
        assert!(err.to_string().contains("at most 160 characters"), "{err}");
    }

    #[test]
    fn oversized_text_is_refused_when_decoding_a_frame() {
        let json = serde_json::to_string(&"a".repeat(MAX_TEXT_CHARS + 1)).expect("json");
        let err = serde_json::from_str::<MessageText>(&json).expect_err("must be refused");
        assert!(err.to_string().contains("at most 4000 characters"), "{err}");
    }
}
