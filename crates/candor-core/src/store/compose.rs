//! Composing: the message and its send job are written in one transaction, with
//! `synchronous=FULL`, so whatever the UI shows as queued survives a crash or power
//! loss. The send itself is the sync engine's job; it reads the outbox.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};

use candor_protocol::{ConversationId, MessageId, MessageText, PhotoRef, UserId, VideoCard};

use super::{Store, conversations::ensure_conversation, drafts, sql, summary};
use crate::{CoreError, DeliveryStatus, Draft, InboxItem};

/// Positions of messages that have no seq yet start here, after any seq the relay
/// can assign, so pending messages always sort last, in the order written.
pub(crate) const PENDING_POSITION_BASE: i64 = 1 << 62;

/// The most chats one share may go to at once.
pub const MAX_SHARE_CHATS: usize = 32;

/// What `compose_into` writes: words (and a card), photos, a reply.
struct Message {
    draft: Draft,
    photos: Vec<PhotoRef>,
    reply_to: Option<MessageId>,
}

impl From<Draft> for Message {
    fn from(draft: Draft) -> Self {
        Self {
            draft,
            photos: Vec::new(),
            reply_to: None,
        }
    }
}

/// A send job waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub attempts: u32,
    /// End of the undo-send window: not sent before this.
    pub not_before: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
}

/// What the composer gets back from a send: the message as the chat shows it,
/// and the chat's inbox row after it, so the window asks nothing more.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct Composed {
    pub message: crate::Message,
    pub chat: InboxItem,
}

impl Store {
    /// Sends what was written in a chat's composer: into the outbox, waiting
    /// out this device's undo-send window; the chat's draft goes with it.
    pub fn send_from_composer(
        &mut self,
        conversation: ConversationId,
        draft: Draft,
        reply_to: Option<MessageId>,
    ) -> Result<Composed, CoreError> {
        self.send_with_photos(conversation, draft, Vec::new(), reply_to)
    }

    /// As `send_from_composer`, with photos kept here by `keep_prepared`
    /// (the draft's text is their caption, and may be empty). They are
    /// uploaded when the message leaves, after its undo-send window.
    pub fn send_with_photos(
        &mut self,
        conversation: ConversationId,
        draft: Draft,
        photos: Vec<PhotoRef>,
        reply_to: Option<MessageId>,
    ) -> Result<Composed, CoreError> {
        let window = self.undo_send_window()?.duration();
        let message = Message {
            draft,
            photos,
            reply_to,
        };
        let ids = self.compose_into(&[conversation], message, window, None)?;
        let message = self.message(ids[0])?;
        let chat = self.inbox_item(conversation)?;
        Ok(Composed { message, chat })
    }

    /// Shares the video at `link` to several chats at once: one message in each,
    /// the note then the link with its tracking removed, carrying `card` if it is
    /// this video's (fetched by the share dialog) or else a plain one. One
    /// undo-send window for all of them; returns their ids.
    pub fn share_video(
        &mut self,
        conversations: &[ConversationId],
        link: &str,
        note: &str,
        card: Option<VideoCard>,
    ) -> Result<Vec<MessageId>, CoreError> {
        let video = crate::links::recognise(link)?;
        let card = card
            .filter(|c| c.url == video.canonical.as_str())
            .unwrap_or_else(|| crate::links::plain_card(&video));
        let link = video.stripped.to_string();
        let text = match note.trim() {
            "" => link,
            note => format!("{note} {link}"),
        };
        let window = self.undo_send_window()?.duration();
        self.share(
            conversations,
            Draft {
                text,
                card: Some(card),
            },
            window,
        )
    }

    /// Writes a new message of one's own into the conversation and the outbox.
    /// It will not leave the device before `undo_window` has passed.
    pub fn compose(
        &mut self,
        conversation: ConversationId,
        draft: Draft,
        undo_window: Duration,
    ) -> Result<crate::Message, CoreError> {
        let ids = self.compose_into(&[conversation], draft.into(), undo_window, None)?;
        self.message(ids[0])
    }

    /// Shares one message (a video and an optional note) to several chats at
    /// once: one message in each, written together, waiting out one undo-send
    /// window; Undo on any of them takes back all of them.
    pub fn share(
        &mut self,
        conversations: &[ConversationId],
        draft: Draft,
        undo_window: Duration,
    ) -> Result<Vec<MessageId>, CoreError> {
        if conversations.is_empty() || conversations.len() > MAX_SHARE_CHATS {
            return Err(CoreError::ShareSize(conversations.len()));
        }
        let share = uuid::Uuid::now_v7().to_string();
        self.compose_into(conversations, draft.into(), undo_window, Some(&share))
    }

    /// The one transaction behind `compose` and `share`.
    fn compose_into(
        &mut self,
        conversations: &[ConversationId],
        message: Message,
        undo_window: Duration,
        share: Option<&str>,
    ) -> Result<Vec<MessageId>, CoreError> {
        let Message {
            draft,
            photos,
            reply_to,
        } = message;
        let me = self.me()?;
        let text = match photos.is_empty() {
            true => MessageText::new(draft.text)?,
            false => MessageText::caption(draft.text)?,
        };
        candor_protocol::check_content(&text, draft.card.is_some(), &photos, false)?;
        if let Some(card) = &draft.card {
            crate::links::check_card(card)?;
        }
        // Each photo must be here to be uploaded when the message leaves.
        if photos.iter().any(|p| !self.photos.holds(&p.blob)) {
            return Err(CoreError::PhotoNotShown);
        }
        let photos_json =
            match photos.is_empty() {
                true => None,
                false => Some(serde_json::to_string(&photos).map_err(|e| {
                    CoreError::CorruptValue(format!("photos cannot be encoded: {e}"))
                })?),
            };
        let now = self.outbox_now()?;
        let card_json = draft
            .card
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| CoreError::CorruptValue(format!("video card cannot be encoded: {e}")))?;
        let not_before = sql::ms(now + undo_window);

        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(conversations.len());
        for &conversation in conversations {
            ensure_conversation(&tx, conversation)?;
            let reply_json = match reply_to {
                Some(original) => Some(quote_of(&tx, conversation, original)?),
                None => None,
            };
            let id = MessageId::new();
            let position: i64 = tx.query_row(
                "SELECT coalesce(max(position) + 1, ?2) FROM messages
                 WHERE conversation_id = ?1 AND position >= ?2",
                params![conversation.to_string(), PENDING_POSITION_BASE],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO messages (id, conversation_id, position, sender_id, body, card_json,
                                       created_at, status, share_id, wire_id, reply_json,
                                       photos_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?1, ?10, ?11)",
                params![
                    id.to_string(),
                    conversation.to_string(),
                    position,
                    me.to_string(),
                    text.as_str(),
                    card_json,
                    sql::ms(now),
                    DeliveryStatus::Queued.as_sql(),
                    share,
                    reply_json,
                    photos_json,
                ],
            )?;
            super::photos::name_in(&tx, &id.to_string(), &photos)?;
            tx.execute(
                "INSERT INTO outbox (message_id, not_before, next_attempt_at) VALUES (?1, ?2, ?2)",
                params![id.to_string(), not_before],
            )?;
            // Writing into a chat deleted on this device brings it back.
            tx.execute(
                "UPDATE conversations SET hidden_at = NULL WHERE id = ?1",
                [conversation.to_string()],
            )?;
            // Sent from the composer: what was in it is no longer a draft. A
            // share comes from the share dialog and leaves drafts alone.
            if share.is_none() {
                drafts::write_draft(&tx, conversation, "", sql::ms(now))?;
            }
            summary::refresh(&tx, conversation, Some(me))?;
            ids.push(id);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Every send job, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.message_id, m.conversation_id, o.attempts, o.not_before, o.next_attempt_at
             FROM outbox o JOIN messages m ON m.id = o.message_id
             ORDER BY m.conversation_id, m.position",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(OutboxEntry {
                message_id: sql::id(r, 0)?,
                conversation_id: sql::id(r, 1)?,
                attempts: r.get(2)?,
                not_before: sql::time(r, 3)?,
                next_attempt_at: sql::time(r, 4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The quote of `original` for a reply in `conversation`, as JSON: its
/// author, the client id the relay and every device know it by, and an
/// excerpt of its text taken here. Refused if it is not a message of that
/// chat that this device shows (one deleted for you is not replied to).
fn quote_of(
    tx: &rusqlite::Connection,
    conversation: ConversationId,
    original: MessageId,
) -> Result<String, CoreError> {
    let found: Option<(UserId, MessageId, String)> = tx
        .query_row(
            "SELECT sender_id, coalesce(wire_id, id), body FROM messages
             WHERE id = ?1 AND conversation_id = ?2 AND hidden_at IS NULL
               AND reaction_json IS NULL",
            params![original.to_string(), conversation.to_string()],
            |r| Ok((sql::id(r, 0)?, sql::id(r, 1)?, r.get(2)?)),
        )
        .optional()?;
    let (author, message, body) = found.ok_or(CoreError::ReplyToUnknown(original))?;
    let quote = candor_protocol::Quote::of(author, message, &body);
    serde_json::to_string(&quote)
        .map_err(|e| CoreError::CorruptValue(format!("a quote cannot be encoded: {e}")))
}
