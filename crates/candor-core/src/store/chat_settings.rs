//! What a person sets on a chat or a person on this device: pinned, muted,
//! blocked; device preferences; and finding chats by name. Pin and mute are this
//! device's alone; a block is the relay's (the app calls it first) mirrored here.

use candor_protocol::{ConversationId, UserId};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::conversations::ensure_conversation;
use super::inbox::{INBOX_COLUMNS, INBOX_JOINS, item_from_row};
use super::{Store, sql};
use crate::{CoreError, InboxItem, OpenVideosIn};

const NOTIFICATIONS: &str = "notifications";
const OPEN_VIDEOS_IN: &str = "open_videos_in";

impl Store {
    /// Pins a chat to the top of the inbox, or unpins it.
    pub fn set_pinned(
        &mut self,
        conversation: ConversationId,
        pinned: bool,
    ) -> Result<(), CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        self.conn.execute(
            "UPDATE conversations SET pinned = ?2 WHERE id = ?1",
            params![conversation.to_string(), pinned],
        )?;
        Ok(())
    }

    /// Mutes a chat until `until` (no notifications, no tray count change is
    /// implied: unread still counts), or unmutes it with None.
    pub fn set_muted_until(
        &mut self,
        conversation: ConversationId,
        until: Option<DateTime<Utc>>,
    ) -> Result<(), CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        self.conn.execute(
            "UPDATE conversations SET muted_until = ?2 WHERE id = ?1",
            params![conversation.to_string(), until.map(sql::ms)],
        )?;
        Ok(())
    }

    /// Records that this account left the group `conversation` (the relay has
    /// already removed it). Its messages stay readable here.
    pub fn set_left(&mut self, conversation: ConversationId) -> Result<(), CoreError> {
        ensure_conversation(&self.conn, conversation)?;
        let now = sql::ms(self.clock.now());
        self.conn.execute(
            "UPDATE conversations SET left_at = ?2 WHERE id = ?1 AND kind = 'group'",
            params![conversation.to_string(), now],
        )?;
        Ok(())
    }

    /// Records that `user` is blocked (or not) by this account.
    pub fn set_blocked(&mut self, user: UserId, blocked: bool) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE users SET blocked = ?2 WHERE id = ?1",
            params![user.to_string(), blocked],
        )?;
        if changed == 0 {
            return Err(CoreError::UnknownUser(user));
        }
        // Their messages in the groups shared with them (or once shared)
        // leave, or come back to, each chat's preview and unread count.
        let shared: Vec<ConversationId> = tx
            .prepare_cached(
                "SELECT conversation_id FROM members WHERE user_id = ?1
                 UNION SELECT conversation_id FROM messages WHERE sender_id = ?1",
            )?
            .query_map([user.to_string()], |r| sql::id(r, 0))?
            .collect::<Result<_, _>>()?;
        for conversation in shared {
            super::summary::refresh(&tx, conversation, self.me)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether this device shows notifications for new messages (default: yes).
    pub fn notifications_enabled(&self) -> Result<bool, CoreError> {
        Ok(self.preference(NOTIFICATIONS)?.is_none_or(|v| v != "off"))
    }

    pub fn set_notifications_enabled(&mut self, on: bool) -> Result<(), CoreError> {
        self.set_preference(NOTIFICATIONS, if on { "on" } else { "off" })
    }

    /// Where shared videos play on this device (the player window unless changed).
    pub fn open_videos_in(&self) -> Result<OpenVideosIn, CoreError> {
        Ok(match self.preference(OPEN_VIDEOS_IN)?.as_deref() {
            Some("browser") => OpenVideosIn::Browser,
            _ => OpenVideosIn::Player,
        })
    }

    pub fn set_open_videos_in(&mut self, place: OpenVideosIn) -> Result<(), CoreError> {
        let value = match place {
            OpenVideosIn::Player => "player",
            OpenVideosIn::Browser => "browser",
        };
        self.set_preference(OPEN_VIDEOS_IN, value)
    }

    pub(super) fn preference(&self, key: &str) -> Result<Option<String>, CoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM preferences WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub(super) fn set_preference(&mut self, key: &str, value: &str) -> Result<(), CoreError> {
        self.conn.execute(
            "INSERT INTO preferences (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Visible chats (requests too) whose name or handle contains `query`,
    /// ignoring case, newest activity first: the inbox filter and the quick
    /// switcher.
    pub fn chats_named(&self, query: &str, limit: u32) -> Result<Vec<InboxItem>, CoreError> {
        let needle = query.trim();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let pattern = format!(
            "%{}%",
            needle
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let me = self.me.map(|u| u.to_string()).unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INBOX_COLUMNS}
             FROM conversations c {INBOX_JOINS}
             WHERE c.hidden_at IS NULL
               AND (c.title LIKE ?1 ESCAPE '\\' OR p.display_name LIKE ?1 ESCAPE '\\'
                    OR p.handle LIKE ?1 ESCAPE '\\')
             ORDER BY c.pinned DESC, c.last_activity_at DESC
             LIMIT ?2"
        ))?;
        let items = stmt
            .query_map(params![pattern, i64::from(limit.clamp(1, 100))], |r| {
                item_from_row(r, &me)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }
}
