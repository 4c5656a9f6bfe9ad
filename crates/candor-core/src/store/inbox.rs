//! The inbox: visible conversations, pinned first, then by newest visible activity,
//! paged by keyset so that a page costs the same however many chats there are.

use candor_protocol::ConversationId;
use rusqlite::{OptionalExtension, params};

use super::{Store, sql};
use crate::{
    ConversationKind, CoreError, HiddenConversation, InboxCursor, InboxItem, InboxPage,
    UnreadSummary,
};

pub(crate) const INBOX_COLUMNS: &str =
    "c.id, c.kind, coalesce(c.title, p.display_name, p.handle, ''),
    c.pinned, c.muted_until, c.last_activity_at, m.body, m.sender_id, c.unread_count,
    c.peer_id, coalesce(p.blocked, 0), c.left_at IS NOT NULL, d.body, c.request,
    m.reaction_json IS NOT NULL, coalesce(ms.display_name, ms.handle, ''), rt.body,
    json_array_length(m.photos_json)";

/// What an inbox row is read from, after `FROM conversations c`.
pub(crate) const INBOX_JOINS: &str = "LEFT JOIN messages m ON m.id = c.last_message_id
    LEFT JOIN users p ON p.id = c.peer_id
    LEFT JOIN drafts d ON d.conversation_id = c.id
    LEFT JOIN users ms ON m.reaction_json IS NOT NULL AND ms.id = m.sender_id
    LEFT JOIN messages rt ON m.reaction_json IS NOT NULL
        AND rt.conversation_id = m.conversation_id
        AND rt.sender_id = m.reacts_to_author
        AND rt.wire_id = m.reacts_to";

impl Store {
    /// One page of the inbox (accepted chats), `limit` rows at most, continuing
    /// after `after`.
    pub fn inbox_page(
        &self,
        after: Option<&InboxCursor>,
        limit: u32,
    ) -> Result<InboxPage, CoreError> {
        self.list_page(false, after, limit)
    }

    /// One page of Requests: chats started by people who are not contacts.
    pub fn requests_page(
        &self,
        after: Option<&InboxCursor>,
        limit: u32,
    ) -> Result<InboxPage, CoreError> {
        self.list_page(true, after, limit)
    }

    fn list_page(
        &self,
        requests: bool,
        after: Option<&InboxCursor>,
        limit: u32,
    ) -> Result<InboxPage, CoreError> {
        let limit = limit.clamp(1, 500);
        let me = self.me.map(|u| u.to_string()).unwrap_or_default();
        let sql_text = format!(
            "SELECT {INBOX_COLUMNS}
             FROM conversations c INDEXED BY conversations_inbox {INBOX_JOINS}
             WHERE c.hidden_at IS NULL AND c.request = ? {}
             ORDER BY c.pinned DESC, c.last_activity_at DESC, c.id DESC
             LIMIT ?",
            if after.is_some() {
                "AND (c.pinned, c.last_activity_at, c.id) < (?, ?, ?)"
            } else {
                ""
            }
        );
        let mut stmt = self.conn.prepare_cached(&sql_text)?;
        let map = |r: &rusqlite::Row<'_>| item_from_row(r, &me);
        let fetch = i64::from(limit) + 1;
        let mut items = match after {
            Some(c) => stmt
                .query_map(
                    params![
                        requests,
                        c.pinned,
                        c.last_activity_ms,
                        c.id.to_string(),
                        fetch
                    ],
                    map,
                )?
                .collect::<Result<Vec<_>, _>>()?,
            None => stmt
                .query_map(params![requests, fetch], map)?
                .collect::<Result<Vec<_>, _>>()?,
        };
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| InboxCursor {
                pinned: last.pinned,
                last_activity_ms: sql::ms(last.last_activity_at),
                id: last.id,
            })
        } else {
            None
        };
        Ok(InboxPage { items, next })
    }

    /// One chat as its inbox row shows it (hidden, a request or not): to open a
    /// chat that is not on a loaded page, from search or a notification.
    pub fn inbox_item(&self, conversation: ConversationId) -> Result<InboxItem, CoreError> {
        let me = self.me.map(|u| u.to_string()).unwrap_or_default();
        self.conn
            .prepare_cached(&format!(
                "SELECT {INBOX_COLUMNS}
                 FROM conversations c {INBOX_JOINS}
                 WHERE c.id = ?1"
            ))?
            .query_row([conversation.to_string()], |r| item_from_row(r, &me))
            .optional()?
            .ok_or(CoreError::UnknownConversation(conversation))
    }

    /// The inbox rows of `conversations`, for a notice; unknown ones are left out.
    pub fn inbox_items(
        &self,
        conversations: impl IntoIterator<Item = ConversationId>,
    ) -> Result<Vec<InboxItem>, CoreError> {
        let mut items = Vec::new();
        for conversation in conversations {
            match self.inbox_item(conversation) {
                Ok(item) => items.push(item),
                Err(CoreError::UnknownConversation(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(items)
    }

    /// Marks a conversation as a request (true) or an accepted chat (false), as
    /// the relay says.
    pub fn set_request(
        &mut self,
        conversation: ConversationId,
        request: bool,
    ) -> Result<(), CoreError> {
        let changed = self.conn.execute(
            "UPDATE conversations SET request = ?2 WHERE id = ?1",
            params![conversation.to_string(), request],
        )?;
        if changed == 0 {
            return Err(CoreError::UnknownConversation(conversation));
        }
        Ok(())
    }

    /// Unread, visible messages across the inbox (hidden chats, hidden messages
    /// and requests never count).
    pub fn unread_summary(&self) -> Result<UnreadSummary, CoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FILTER (WHERE unread_count > 0), coalesce(sum(unread_count), 0)
             FROM conversations WHERE hidden_at IS NULL AND request = 0",
            [],
            |r| {
                Ok(UnreadSummary {
                    conversations: r.get(0)?,
                    messages: r.get(1)?,
                })
            },
        )?)
    }

    /// Chats removed from the inbox with "Delete chat", newest first.
    pub fn hidden_conversations(&self) -> Result<Vec<HiddenConversation>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, coalesce(c.title, p.display_name, p.handle, ''), c.hidden_at
             FROM conversations c LEFT JOIN users p ON p.id = c.peer_id
             WHERE c.hidden_at IS NOT NULL ORDER BY c.hidden_at DESC, c.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(HiddenConversation {
                id: sql::id(r, 0)?,
                title: r.get(1)?,
                hidden_at: sql::time(r, 2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks everything up to and including `through_seq` as read on this device.
    pub fn mark_read(
        &mut self,
        conversation: ConversationId,
        through_seq: i64,
    ) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE conversations SET read_seq = max(read_seq, ?2) WHERE id = ?1",
            (conversation.to_string(), through_seq),
        )?;
        if changed == 0 {
            return Err(CoreError::UnknownConversation(conversation));
        }
        super::summary::refresh(&tx, conversation, self.me)?;
        tx.commit()?;
        Ok(())
    }
}

/// What a chat's row says when its newest news is a reaction to one of this
/// account's messages: "Maya reacted ❤️ to: see you at 8".
pub fn reaction_preview(name: &str, emoji: &str, on: &str) -> String {
    const EXCERPT_CHARS: usize = 60;
    let mut excerpt: String = on.chars().take(EXCERPT_CHARS).collect();
    if on.chars().count() > EXCERPT_CHARS {
        excerpt.pop();
        excerpt.push('…');
    }
    format!("{name} reacted {emoji} to: {excerpt}")
}

/// A photo message's row: "📷 Photo", "📷 3 photos", or "📷 " and its caption.
pub fn photo_preview(photos: u32, caption: Option<&str>) -> String {
    match caption.map(str::trim).filter(|c| !c.is_empty()) {
        Some(caption) => format!("📷 {caption}"),
        None if photos == 1 => "📷 Photo".to_owned(),
        None => format!("📷 {photos} photos"),
    }
}

/// An inbox row from the columns of [`INBOX_COLUMNS`].
pub(crate) fn item_from_row(r: &rusqlite::Row<'_>, me: &str) -> rusqlite::Result<InboxItem> {
    let kind: String = r.get(1)?;
    let sender: Option<String> = r.get(7)?;
    Ok(InboxItem {
        id: sql::id(r, 0)?,
        kind: if kind == "group" {
            ConversationKind::Group
        } else {
            ConversationKind::Direct
        },
        title: r.get(2)?,
        pinned: r.get(3)?,
        muted_until: sql::opt_time(r, 4)?,
        last_activity_at: sql::time(r, 5)?,
        preview: if r.get::<_, bool>(14)? {
            // The newest is a reaction to one of ours (see summary::refresh).
            let (name, emoji, on): (String, Option<String>, Option<String>) =
                (r.get(15)?, r.get(6)?, r.get(16)?);
            // Only one emoji is a reaction (a relay could pass on anything).
            emoji
                .as_deref()
                .filter(|e| candor_protocol::is_one_emoji(e))
                .map(|e| reaction_preview(&name, e, on.as_deref().unwrap_or("")))
        } else {
            let body: Option<String> = r.get(6)?;
            match r.get::<_, Option<u32>>(17)? {
                Some(photos) if photos > 0 => Some(photo_preview(photos, body.as_deref())),
                _ => body,
            }
        },
        preview_is_own: sender.as_deref() == Some(me) && !r.get::<_, bool>(14)?,
        unread_count: r.get(8)?,
        peer_id: sql::opt_id(r, 9)?,
        peer_blocked: r.get(10)?,
        left: r.get(11)?,
        draft: r.get(12)?,
        request: r.get(13)?,
    })
}
