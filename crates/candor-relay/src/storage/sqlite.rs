//! The embedded backend: one SQLite file in the data directory, WAL with
//! `synchronous=FULL`, one writer at a time.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};
use uuid::Uuid;

use candor_protocol::api::UserInfo;
use candor_protocol::frames::{
    ConversationInfo, ConversationKind, Recipient, direct_conversation_id,
};
use candor_protocol::{
    ConversationId, DeliveredMessage, MessageId, MessageText, ServerMessageId, UserId,
};

use super::{NewMessage, Storage, StorageError, Stored};

const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("schema_v1.sql"))];

#[derive(Debug)]
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

impl SqliteStorage {
    /// Opens (creating if needed) `relay.db` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StorageError> {
        let open_err = |reason: String| StorageError::Open {
            path: data_dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| open_err(e.to_string()))?;
        let mut conn =
            Connection::open(data_dir.join("relay.db")).map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .map_err(|e| open_err(e.to_string()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut conn)
            .map_err(|e| open_err(e.to_string()))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
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
    Ok(Some(ConversationInfo {
        id,
        kind: if kind == "group" {
            ConversationKind::Group
        } else {
            ConversationKind::Direct
        },
        title,
        members,
    }))
}

fn member_ids(tx: &Transaction<'_>, id: ConversationId) -> Result<Vec<UserId>, StorageError> {
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

    fn store_message(&self, m: NewMessage) -> Result<Stored, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;

        // A repeated client id: the same answer, nothing new written.
        let earlier = tx
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.sender_id = ?1 AND m.client_id = ?2"
            ))?
            .query_row(
                [m.sender.to_string(), m.client_id.to_string()],
                message_from_row,
            )
            .optional()?;
        if let Some((cursor, message)) = earlier {
            let members = member_ids(&tx, message.conversation_id)?;
            return Ok(Stored {
                message,
                cursor,
                duplicate: true,
                created: None,
                members,
            });
        }

        let mut created = false;
        let conversation = match m.to {
            Recipient::Conversation { id } => id,
            Recipient::Direct { user } => {
                let exists = tx
                    .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
                    .exists([user.to_string()])?;
                if !exists || user == m.sender {
                    return Err(StorageError::UnknownUser);
                }
                let id = direct_conversation_id(m.sender, user);
                let inserted = tx.execute(
                    "INSERT INTO conversations (id, kind, created_at) VALUES (?1, 'direct', ?2)
                     ON CONFLICT (id) DO NOTHING",
                    params![id.to_string(), ms(m.at)],
                )?;
                if inserted == 1 {
                    created = true;
                    for member in [m.sender, user] {
                        tx.execute(
                            "INSERT INTO members (conversation_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
                            params![id.to_string(), member.to_string(), ms(m.at)],
                        )?;
                    }
                }
                id
            }
        };
        let is_member = tx
            .prepare_cached("SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2")?
            .exists([conversation.to_string(), m.sender.to_string()])?;
        if !is_member {
            return Err(StorageError::NotMember);
        }

        let seq: i64 = tx.query_row(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ?1 RETURNING last_seq",
            [conversation.to_string()],
            |r| r.get(0),
        )?;
        let server_id = ServerMessageId::new();
        let card_json = m
            .card
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        // Millisecond precision, as stored, so the ack and the stored copy agree.
        let sent_at = DateTime::from_timestamp_millis(ms(m.at)).unwrap_or(m.at);
        tx.execute(
            "INSERT INTO messages (server_id, conversation_id, seq, sender_id, client_id, body, card_json, sent_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                server_id.to_string(),
                conversation.to_string(),
                seq,
                m.sender.to_string(),
                m.client_id.to_string(),
                m.text.as_str(),
                card_json,
                ms(sent_at),
            ],
        )?;
        let cursor = tx.last_insert_rowid() as u64;
        let members = member_ids(&tx, conversation)?;
        let created = if created {
            conversation_info(&tx, conversation)?
        } else {
            None
        };
        tx.commit()?;
        Ok(Stored {
            message: DeliveredMessage {
                server_id,
                client_id: m.client_id,
                conversation_id: conversation,
                seq,
                sender_id: m.sender,
                text: m.text,
                card: m.card,
                sent_at,
            },
            cursor,
            duplicate: false,
            created,
            members,
        })
    }

    fn conversations_of(&self, user: UserId) -> Result<Vec<ConversationInfo>, StorageError> {
        let conn = self.conn();
        let ids = conn
            .prepare_cached("SELECT conversation_id FROM members WHERE user_id = ?1")?
            .query_map([user.to_string()], |r| uuid_col(r, 0).map(ConversationId))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(info) = conversation_info(&conn, id)? {
                out.push(info);
            }
        }
        Ok(out)
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
                 WHERE mb.user_id = ?1 ORDER BY m.cursor LIMIT ?3"
            ))?
            .query_map(
                params![user.to_string(), cursor as i64, limit],
                message_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
