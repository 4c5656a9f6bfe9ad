//! The embedded backend: one SQLite file in the data directory, WAL with
//! `synchronous=FULL`, one writer at a time.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use candor_protocol::MAX_GROUP_MEMBERS;
use candor_protocol::api::{AccountSettings, UserInfo, WhoCanMessage};
use candor_protocol::frames::{ConversationInfo, ConversationKind};
use candor_protocol::{
    ConversationId, DeliveredMessage, MessageId, MessageText, ServerMessageId, UserId,
};

use super::{NewMessage, Receipt, Storage, StorageError, Stored};

mod checkpointer;
mod messages;
mod migrations;
mod permits;
mod sequences;
#[cfg(test)]
mod test_support;
use checkpointer::Checkpointer;
use messages::{check_direct, store_one};
use permits::Permits;
use sequences::{Sequences, last_seq};

#[derive(Debug)]
pub struct SqliteStorage {
    conn: Mutex<Connection>,
    /// The writer's memory of who may write where. Locked only while `conn` is
    /// held, after it.
    permits: Mutex<Permits>,
    /// The writer's memory of each chat's last seq. Locked only by the writer,
    /// while `conn` is held, after `permits`.
    sequences: Mutex<Sequences>,
    /// Copies the log into the database file, off the writer's path.
    checkpointer: Checkpointer,
}

impl SqliteStorage {
    /// Opens (creating if needed) `relay.db` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StorageError> {
        let open_err = |reason: String| StorageError::Open {
            path: data_dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| open_err(e.to_string()))?;
        let path = data_dir.join("relay.db");
        let mut conn = Connection::open(&path).map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .map_err(|e| open_err(e.to_string()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "wal_autocheckpoint", checkpointer::BACKSTOP_PAGES)?;
        // 64 MiB of page cache (the default is 2 MiB): the indexes every send
        // touches stay in memory as the message table grows.
        conn.pragma_update(None, "cache_size", -65536)?;
        // Every query here is prepared once and cached; the default 16 would
        // evict some of the 23 on a busy relay and prepare them again.
        conn.set_prepared_statement_cache_capacity(64);
        migrations::migrations()
            .to_latest(&mut conn)
            .map_err(|e| open_err(e.to_string()))?;
        let checkpointer = Checkpointer::start(&path).map_err(|e| open_err(e.to_string()))?;
        Ok(Self {
            conn: Mutex::new(conn),
            permits: Mutex::default(),
            sequences: Mutex::default(),
            checkpointer,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection, for a change to members, blocks or settings: what the
    /// writer remembers of them is forgotten before the change is made.
    fn conn_changing_permits(&self) -> std::sync::MutexGuard<'_, Connection> {
        let conn = self.conn();
        self.permits().clear();
        conn
    }

    fn permits(&self) -> std::sync::MutexGuard<'_, Permits> {
        self.permits.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn uuid_col(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let s: String = r.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserInfo> {
    Ok(UserInfo {
        id: UserId(uuid_col(r, 0)?),
        handle: r.get(1)?,
        display_name: r.get(2)?,
    })
}

fn message_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(u64, DeliveredMessage)> {
    let text: String = r.get(6)?;
    let card: Option<String> = r.get(7)?;
    let sent_at: i64 = r.get(8)?;
    let bad = |idx, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e)
    };
    Ok((
        r.get::<_, i64>(0)? as u64,
        DeliveredMessage {
            server_id: ServerMessageId(uuid_col(r, 1)?),
            client_id: MessageId(uuid_col(r, 2)?),
            conversation_id: ConversationId(uuid_col(r, 3)?),
            seq: r.get(4)?,
            sender_id: UserId(uuid_col(r, 5)?),
            text: MessageText::new(text).map_err(|e| bad(6, Box::new(e)))?,
            card: card
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(|e| bad(7, Box::new(e)))?,
            sent_at: DateTime::from_timestamp_millis(sent_at)
                .ok_or_else(|| bad(8, "time out of range".into()))?,
        },
    ))
}

const MESSAGE_COLUMNS: &str = "m.cursor, m.server_id, m.client_id, m.conversation_id, m.seq, m.sender_id, m.body, m.card_json, m.sent_at";

fn conversation_info(
    conn: &Connection,
    id: ConversationId,
    viewer: UserId,
) -> Result<Option<ConversationInfo>, StorageError> {
    let Some((kind, title)) = conn
        .prepare_cached("SELECT kind, title FROM conversations WHERE id = ?1")?
        .query_row([id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let members = conn
        .prepare_cached(
            "SELECT u.id, u.handle, u.display_name FROM members m JOIN users u ON u.id = m.user_id
             WHERE m.conversation_id = ?1 ORDER BY u.handle",
        )?
        .query_map([id.to_string()], user_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let request = conn
        .prepare_cached(
            "SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2 AND state = 'request'",
        )?
        .exists([id.to_string(), viewer.to_string()])?;
    Ok(Some(ConversationInfo {
        id,
        kind: if kind == "group" {
            ConversationKind::Group
        } else {
            ConversationKind::Direct
        },
        title,
        members,
        request,
    }))
}

fn is_contact(conn: &Connection, user: UserId, other: UserId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM contacts WHERE user_id = ?1 AND contact_id = ?2")?
        .exists([user.to_string(), other.to_string()])
}

fn add_contact(conn: &Connection, user: UserId, other: UserId, at: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO contacts (user_id, contact_id, added_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![user.to_string(), other.to_string(), at])?;
    Ok(())
}

fn user_exists(conn: &Connection, user: UserId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
        .exists([user.to_string()])
}

fn is_member(
    conn: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2")?
        .exists([conversation.to_string(), user.to_string()])
}

fn is_group(conn: &Connection, conversation: ConversationId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1 AND kind = 'group'")?
        .exists([conversation.to_string()])
}

/// `user`'s receipt in `conversation`, as the other members may see it.
fn member_receipt(
    conn: &Connection,
    conversation: ConversationId,
    user: UserId,
) -> rusqlite::Result<Receipt> {
    conn.prepare_cached(
        "SELECT conversation_id, user_id, delivered_seq, read_seq, state FROM members
         WHERE conversation_id = ?1 AND user_id = ?2",
    )?
    .query_row([conversation.to_string(), user.to_string()], receipt_row)
}

/// A member's receipt as others may see it.
fn receipt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Receipt> {
    let state: String = r.get(4)?;
    Ok(Receipt {
        conversation: ConversationId(uuid_col(r, 0)?),
        user: UserId(uuid_col(r, 1)?),
        delivered_seq: r.get(2)?,
        read_seq: if state == "request" { 0 } else { r.get(3)? },
    })
}

fn member_ids(tx: &Connection, id: ConversationId) -> Result<Vec<UserId>, StorageError> {
    let ids = tx
        .prepare_cached("SELECT user_id FROM members WHERE conversation_id = ?1")?
        .query_map([id.to_string()], |r| uuid_col(r, 0).map(UserId))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

impl Storage for SqliteStorage {
    fn create_user(
        &self,
        handle: &str,
        display_name: &str,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<UserInfo, StorageError> {
        let user = UserInfo {
            id: UserId::new(),
            handle: handle.to_owned(),
            display_name: display_name.to_owned(),
        };
        let result = self.conn().execute(
            "INSERT INTO users (id, handle, display_name, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                user.id.to_string(),
                handle,
                display_name,
                password_hash,
                ms(at)
            ],
        );
        match result {
            Ok(_) => Ok(user),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
                Err(StorageError::HandleTaken)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn credentials(&self, handle: &str) -> Result<Option<(UserInfo, String)>, StorageError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, handle, display_name, password_hash FROM users WHERE handle = ?1",
                [handle],
                |r| Ok((user_from_row(r)?, r.get(3)?)),
            )
            .optional()?)
    }

    fn user_by_handle(&self, handle: &str) -> Result<Option<UserInfo>, StorageError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, handle, display_name FROM users WHERE handle = ?1",
                [handle],
                user_from_row,
            )
            .optional()?)
    }

    fn create_session(
        &self,
        user: UserId,
        token_hash: &[u8],
        device_name: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.conn().execute(
            "INSERT INTO sessions (token_hash, user_id, device_name, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, user.to_string(), device_name, ms(at)],
        )?;
        Ok(())
    }

    fn session_user(&self, token_hash: &[u8]) -> Result<Option<UserInfo>, StorageError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT u.id, u.handle, u.display_name FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.revoked_at IS NULL",
            )?
            .query_row([token_hash], user_from_row)
            .optional()?)
    }

    fn revoke_session(&self, token_hash: &[u8], at: DateTime<Utc>) -> Result<bool, StorageError> {
        let n = self.conn().execute(
            "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            params![token_hash, ms(at)],
        )?;
        Ok(n == 1)
    }

    fn store_messages(
        &self,
        batch: Vec<NewMessage>,
    ) -> Result<Vec<Result<Stored, StorageError>>, StorageError> {
        let mut conn = self.conn();
        let mut permits = self.permits();
        let mut seqs = self.sequences.lock().unwrap_or_else(|e| e.into_inner());
        let stored = (|| {
            let tx = conn.transaction()?;
            let mut results = Vec::with_capacity(batch.len());
            for m in batch {
                // A refusal comes before a message writes anything (see
                // `store_one`), so it costs only that message; a database error
                // fails the whole batch, and dropping `tx` rolls it back.
                match store_one(&tx, &mut permits, &mut seqs, m) {
                    Ok(stored) => results.push(Ok(stored)),
                    Err(e) if e.is_refusal() => results.push(Err(e)),
                    Err(e) => return Err(e),
                }
            }
            tx.commit()?;
            Ok(results)
        })();
        self.checkpointer.committed();
        if stored.is_err() {
            // What the batch created or changed was rolled back.
            permits.clear();
            seqs.clear();
        }
        stored
    }

    fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationInfo>, StorageError> {
        let conn = self.conn();
        let ids = conn
            .prepare_cached("SELECT conversation_id FROM members WHERE user_id = ?1")?
            .query_map([user.to_string()], |r| uuid_col(r, 0).map(ConversationId))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(info) = conversation_info(&conn, id, user)? {
                out.push(info);
            }
        }
        Ok(out)
    }

    fn conversation_for(
        &self,
        conversation: ConversationId,
        viewer: UserId,
    ) -> Result<ConversationInfo, StorageError> {
        let conn = self.conn();
        if !is_member(&conn, viewer, conversation)? {
            return Err(StorageError::NotMember);
        }
        conversation_info(&conn, conversation, viewer)?.ok_or(StorageError::NotMember)
    }

    fn create_group(
        &self,
        creator: UserId,
        title: &str,
        members: &[UserId],
        at: DateTime<Utc>,
    ) -> Result<(ConversationId, Vec<UserId>), StorageError> {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 64 {
            return Err(StorageError::InvalidGroup(
                "a group needs a title of 1 to 64 characters".into(),
            ));
        }
        // Bound the work before looking at the list.
        if members.len() > MAX_GROUP_MEMBERS {
            return Err(StorageError::InvalidGroup(format!(
                "a group has 2 to {MAX_GROUP_MEMBERS} members, you included"
            )));
        }
        let mut all = vec![creator];
        for m in members {
            if !all.contains(m) {
                all.push(*m);
            }
        }
        if all.len() < 2 || all.len() > MAX_GROUP_MEMBERS {
            return Err(StorageError::InvalidGroup(format!(
                "a group has 2 to {MAX_GROUP_MEMBERS} members, you included"
            )));
        }
        let mut conn = self.conn_changing_permits();
        let tx = conn.transaction()?;
        // Every other member must exist, and nobody is put in a group by someone
        // they blocked or do not accept: one check answers both (the creator is
        // signed in, so exists).
        for m in all.iter().filter(|m| **m != creator) {
            check_direct(&tx, creator, *m)?;
        }
        let id = ConversationId::new();
        tx.execute(
            "INSERT INTO conversations (id, kind, title, created_at) VALUES (?1, 'group', ?2, ?3)",
            params![id.to_string(), title, ms(at)],
        )?;
        for m in &all {
            tx.execute(
                "INSERT INTO members (conversation_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
                params![id.to_string(), m.to_string(), ms(at)],
            )?;
        }
        tx.commit()?;
        Ok((id, all))
    }

    fn add_member(
        &self,
        actor: UserId,
        conversation: ConversationId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Vec<UserId>, StorageError> {
        let mut conn = self.conn_changing_permits();
        let tx = conn.transaction()?;
        if !is_member(&tx, actor, conversation)? {
            return Err(StorageError::NotMember);
        }
        if !is_group(&tx, conversation)? {
            return Err(StorageError::InvalidGroup(
                "only groups take new members".into(),
            ));
        }
        // Unknown, blocked or not accepting: one check.
        check_direct(&tx, actor, user)?;
        let members = member_ids(&tx, conversation)?;
        if !members.contains(&user) && members.len() >= MAX_GROUP_MEMBERS {
            return Err(StorageError::InvalidGroup(format!(
                "a group has at most {MAX_GROUP_MEMBERS} members"
            )));
        }
        tx.execute(
            "INSERT INTO members (conversation_id, user_id, joined_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![conversation.to_string(), user.to_string(), ms(at)],
        )?;
        let members = member_ids(&tx, conversation)?;
        tx.commit()?;
        Ok(members)
    }

    fn leave(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Vec<UserId>, StorageError> {
        let mut conn = self.conn_changing_permits();
        let tx = conn.transaction()?;
        if !is_group(&tx, conversation)? {
            return Err(StorageError::InvalidGroup(
                "only a group can be left".into(),
            ));
        }
        let removed = tx.execute(
            "DELETE FROM members WHERE conversation_id = ?1 AND user_id = ?2",
            [conversation.to_string(), user.to_string()],
        )?;
        if removed == 0 {
            return Err(StorageError::NotMember);
        }
        let members = member_ids(&tx, conversation)?;
        tx.commit()?;
        Ok(members)
    }

    fn accept(
        &self,
        user: UserId,
        conversation: ConversationId,
        at: DateTime<Utc>,
    ) -> Result<(Receipt, Vec<UserId>), StorageError> {
        let mut conn = self.conn_changing_permits();
        let tx = conn.transaction()?;
        if !is_member(&tx, user, conversation)? {
            return Err(StorageError::NotMember);
        }
        tx.execute(
            "UPDATE members SET state = 'accepted' WHERE conversation_id = ?1 AND user_id = ?2",
            [conversation.to_string(), user.to_string()],
        )?;
        let others: Vec<UserId> = member_ids(&tx, conversation)?
            .into_iter()
            .filter(|m| *m != user)
            .collect();
        for other in &others {
            add_contact(&tx, user, *other, ms(at))?;
        }
        let receipt = member_receipt(&tx, conversation, user)?;
        tx.commit()?;
        Ok((receipt, others))
    }

    fn settings(&self, user: UserId) -> Result<AccountSettings, StorageError> {
        let who: String = self.conn().query_row(
            "SELECT who_can_message FROM users WHERE id = ?1",
            [user.to_string()],
            |r| r.get(0),
        )?;
        Ok(AccountSettings {
            who_can_message: if who == "contacts" {
                WhoCanMessage::Contacts
            } else {
                WhoCanMessage::Everyone
            },
        })
    }

    fn set_display_name(&self, user: UserId, display_name: &str) -> Result<UserInfo, StorageError> {
        let conn = self.conn();
        conn.execute(
            "UPDATE users SET display_name = ?2 WHERE id = ?1",
            params![user.to_string(), display_name],
        )?;
        conn.prepare_cached("SELECT id, handle, display_name FROM users WHERE id = ?1")?
            .query_row([user.to_string()], user_from_row)
            .optional()?
            .ok_or(StorageError::UnknownUser)
    }

    fn set_settings(&self, user: UserId, settings: &AccountSettings) -> Result<(), StorageError> {
        let who = match settings.who_can_message {
            WhoCanMessage::Everyone => "everyone",
            WhoCanMessage::Contacts => "contacts",
        };
        self.conn_changing_permits().execute(
            "UPDATE users SET who_can_message = ?2 WHERE id = ?1",
            params![user.to_string(), who],
        )?;
        Ok(())
    }

    fn block(&self, user: UserId, blocked: UserId, at: DateTime<Utc>) -> Result<(), StorageError> {
        let conn = self.conn_changing_permits();
        if !user_exists(&conn, blocked)? || blocked == user {
            return Err(StorageError::UnknownUser);
        }
        conn.execute(
            "INSERT INTO blocks (user_id, blocked_id, blocked_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![user.to_string(), blocked.to_string(), ms(at)],
        )?;
        Ok(())
    }

    fn unblock(&self, user: UserId, blocked: UserId) -> Result<(), StorageError> {
        self.conn_changing_permits().execute(
            "DELETE FROM blocks WHERE user_id = ?1 AND blocked_id = ?2",
            [user.to_string(), blocked.to_string()],
        )?;
        Ok(())
    }

    fn record_receipt(
        &self,
        user: UserId,
        conversation: ConversationId,
        delivered: Option<i64>,
        read: Option<i64>,
    ) -> Result<(Receipt, Vec<UserId>), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if !is_member(&tx, user, conversation)? {
            return Err(StorageError::NotMember);
        }
        // Reading implies having received; neither goes past the last message.
        let last = last_seq(&tx, conversation)?;
        let read = read.unwrap_or(0).min(last);
        let delivered = delivered.unwrap_or(0).min(last).max(read);
        // Only a receipt that moved is passed on: repeats cost the others nothing.
        let changed = tx.execute(
            "UPDATE members SET delivered_seq = max(delivered_seq, ?3), read_seq = max(read_seq, ?4)
             WHERE conversation_id = ?1 AND user_id = ?2 AND (delivered_seq < ?3 OR read_seq < ?4)",
            params![conversation.to_string(), user.to_string(), delivered, read],
        )?;
        let receipt = member_receipt(&tx, conversation, user)?;
        let others = if changed == 0 {
            Vec::new()
        } else {
            member_ids(&tx, conversation)?
                .into_iter()
                .filter(|m| *m != user)
                .collect()
        };
        tx.commit()?;
        Ok((receipt, others))
    }

    fn receipts_for(&self, user: UserId) -> Result<Vec<Receipt>, StorageError> {
        let conn = self.conn();
        let rows = conn
            .prepare_cached(
                "SELECT o.conversation_id, o.user_id, o.delivered_seq, o.read_seq, o.state
                 FROM members me JOIN members o ON o.conversation_id = me.conversation_id
                 WHERE me.user_id = ?1 AND o.user_id != ?1 AND (o.delivered_seq > 0 OR o.read_seq > 0)",
            )?
            .query_map([user.to_string()], receipt_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn members_if_member(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> Result<Vec<UserId>, StorageError> {
        let conn = self.conn();
        if !is_member(&conn, user, conversation)? {
            return Err(StorageError::NotMember);
        }
        member_ids(&conn, conversation)
    }

    fn stream_end(&self) -> Result<u64, StorageError> {
        let end: i64 =
            self.conn()
                .query_row("SELECT coalesce(max(cursor), 0) FROM messages", [], |r| {
                    r.get(0)
                })?;
        Ok(end.max(0) as u64)
    }

    fn stream_after(
        &self,
        user: UserId,
        cursor: u64,
        limit: u32,
    ) -> Result<Vec<(u64, DeliveredMessage)>, StorageError> {
        let conn = self.conn();
        let rows = conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM members mb
                 JOIN messages m ON m.conversation_id = mb.conversation_id AND m.cursor > ?2
                 WHERE mb.user_id = ?1 AND m.sent_at >= mb.joined_at
                 ORDER BY m.cursor LIMIT ?3"
            ))?
            .query_map(
                params![user.to_string(), cursor as i64, limit],
                message_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
