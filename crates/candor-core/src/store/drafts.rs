//! Drafts: each chat keeps the text left unsent in its composer, so that
//! switching chats, quitting or a crash never loses what someone was writing.
//! A draft is not a message: it is never sent, never found by search, and
//! "Delete for me" and Erase leave it alone. Sending from the composer removes
//! it in the same transaction that writes the message; Undo send puts the
//! message's text back into it, ahead of anything typed since.

use rusqlite::{OptionalExtension, Transaction, params};

use candor_protocol::{ConversationId, MAX_TEXT_CHARS};

use super::{Store, sql};
use crate::CoreError;

/// The longest draft kept, in characters. A draft may run past what one
/// message can carry (the composer says by how much, so that it can be cut
/// down), but not without bound.
pub const MAX_DRAFT_CHARS: usize = 4 * MAX_TEXT_CHARS;

impl Store {
    /// Keeps `text` as the chat's draft; text that is empty or only spaces
    /// removes the draft. A draft thrown away leaves no copy in the database's
    /// log: every version of it saved while it was typed is checkpointed out.
    pub fn save_draft(
        &mut self,
        conversation: ConversationId,
        text: &str,
    ) -> Result<(), CoreError> {
        let chars = text.chars().count();
        if chars > MAX_DRAFT_CHARS {
            return Err(CoreError::DraftTooLong {
                chars,
                max: MAX_DRAFT_CHARS,
            });
        }
        let now = sql::ms(self.clock.now());
        let tx = self.conn.transaction()?;
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM conversations WHERE id = ?1)",
            [conversation.to_string()],
            |r| r.get(0),
        )?;
        if !known {
            return Err(CoreError::UnknownConversation(conversation));
        }
        let removed = write_draft(&tx, conversation, text, now)?;
        tx.commit()?;
        if removed && let Err(e) = self.scrub_log() {
            tracing::warn!("the log still holds a draft thrown away: {e}");
        }
        Ok(())
    }

    /// The chat's draft, if it has one.
    pub fn draft(&self, conversation: ConversationId) -> Result<Option<String>, CoreError> {
        read_draft(&self.conn, conversation)
    }
}

fn read_draft(
    conn: &rusqlite::Connection,
    conversation: ConversationId,
) -> Result<Option<String>, CoreError> {
    Ok(conn
        .prepare_cached("SELECT body FROM drafts WHERE conversation_id = ?1")?
        .query_row([conversation.to_string()], |r| r.get(0))
        .optional()?)
}

/// Writes (or, for blank text, removes) a chat's draft inside `tx`. Returns
/// whether a draft was removed.
pub(super) fn write_draft(
    tx: &Transaction<'_>,
    conversation: ConversationId,
    text: &str,
    now_ms: i64,
) -> Result<bool, CoreError> {
    if text.trim().is_empty() {
        let removed = tx.execute(
            "DELETE FROM drafts WHERE conversation_id = ?1",
            [conversation.to_string()],
        )?;
        return Ok(removed > 0);
    }
    tx.execute(
        "INSERT INTO drafts (conversation_id, body, saved_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (conversation_id) DO UPDATE
             SET body = excluded.body, saved_at = excluded.saved_at",
        params![conversation.to_string(), text, now_ms],
    )?;
    Ok(false)
}

/// Puts an undone message's text back into its chat's draft, ahead of what was
/// typed since, the way the composer shows it.
pub(super) fn restore_into_draft(
    tx: &Transaction<'_>,
    conversation: ConversationId,
    undone: &str,
    now_ms: i64,
) -> Result<(), CoreError> {
    let typed = read_draft(tx, conversation)?;
    let text = match typed {
        Some(typed) if !typed.trim().is_empty() => format!("{undone}\n{typed}"),
        _ => undone.to_owned(),
    };
    // Never longer than a draft may be: what was typed since is cut, never the
    // message that came back.
    let text: String = text.chars().take(MAX_DRAFT_CHARS).collect();
    write_draft(tx, conversation, &text, now_ms).map(drop)
}
