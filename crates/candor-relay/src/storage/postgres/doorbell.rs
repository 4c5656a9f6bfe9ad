//! The doorbell over LISTEN/NOTIFY. A batch's transaction notifies
//! `candor_stream` with the cursors it stored; PostgreSQL delivers a
//! notification only if its transaction commits, and delivers those of
//! different transactions in commit order. The stream's lock makes commit
//! order cursor order (see the module docs of `super`), so every node hears
//! every batch, in the stream's order, and nothing that was rolled back.
//! Revoked sessions and suspended accounts go on `candor_closed`, in the
//! transaction that revoked or suspended them. What a node rings
//! (receipts, typing, changes) goes on `candor_live`.

use std::time::{Duration, Instant};

use candor_protocol::UserId;
use postgres::fallible_iterator::FallibleIterator;

use super::db::Db;
use super::messages::{MESSAGE_COLUMN_COUNT, MESSAGE_COLUMNS, message_from_row};
use super::{Pool, conn_of};
use crate::storage::StorageError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::storage::doorbell::{
    Closing, Doorbell, Fanned, Heard, Listening, MAX_RING_BYTES, NodeId, parse_stored,
    stored_payload,
};

const STORED: &str = "candor_stream";
const CLOSED: &str = "candor_closed";
const RUNG: &str = "candor_live";

pub(super) struct PgDoorbell {
    pub(super) node: NodeId,
    pub(super) link: super::DatabaseLink,
    pub(super) pool: Pool,
    /// Whether a bus (see `crate::bus`) carries what is stored and rung:
    /// then the database carries only the closings, which must not be
    /// missed, and batches commit without a notification.
    pub(super) bus: bool,
}

/// Rings, in the transaction that stored them, that this node stored the
/// cursors `first..=last`.
pub(super) fn ring_stored(
    db: &mut Db,
    node: NodeId,
    first: u64,
    last: u64,
) -> Result<(), StorageError> {
    db.execute(
        "SELECT pg_notify($1, $2)",
        &[&STORED, &stored_payload(node, first, last)],
    )?;
    Ok(())
}

/// Rings, in the transaction that revoked or suspended it, that every
/// node must close `closing`'s connections.
pub(super) fn ring_closed(db: &mut Db, closing: &Closing) -> Result<(), StorageError> {
    let payload = match closing {
        Closing::Session(hash) => format!("session {}", URL_SAFE_NO_PAD.encode(hash)),
        Closing::User(user) => format!("user {user}"),
    };
    db.execute("SELECT pg_notify($1, $2)", &[&CLOSED, &payload])?;
    Ok(())
}

fn parse_closed(payload: &str) -> Option<Closing> {
    match payload.split_once(' ')? {
        ("session", hash) => URL_SAFE_NO_PAD.decode(hash).ok().map(Closing::Session),
        ("user", user) => user.parse().ok().map(UserId).map(Closing::User),
        _ => None,
    }
}

impl Doorbell for PgDoorbell {
    fn node(&self) -> NodeId {
        self.node
    }

    fn listen(&self) -> Result<Box<dyn Listening>, StorageError> {
        // A connection that went silent (a partition, a failover) is found
        // within seconds, not TCP's hours: keepalives while idle, a bound
        // on unacknowledged data, and a probe when nothing was heard.
        let mut link = self.link.clone();
        link.config_mut()
            .application_name(LISTENER)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(15));
        let mut client = link.connect()?;
        if self.bus {
            client.batch_execute(&format!("LISTEN {CLOSED}"))?;
        } else {
            client.batch_execute(&format!("LISTEN {STORED}; LISTEN {CLOSED}; LISTEN {RUNG}"))?;
        }
        let head = client.prepare("SELECT last_cursor FROM relay_stream")?;
        let read_back = client.prepare(&format!(
            "SELECT {MESSAGE_COLUMNS}, ARRAY(
                 SELECT s.user_id FROM member_spans s
                 WHERE s.conversation_id = m.conversation_id AND m.seq > s.after_seq
                   AND (s.through_seq IS NULL OR m.seq <= s.through_seq))
             FROM messages m WHERE m.cursor >= $1 AND m.cursor <= $2
             ORDER BY m.cursor"
        ))?;
        Ok(Box::new(PgListening {
            client,
            read_back,
            head,
            heard_at: Instant::now(),
        }))
    }

    fn ring(&self, rings: &[String]) -> Result<(), StorageError> {
        let rings: Vec<&str> = rings
            .iter()
            .map(String::as_str)
            .filter(|r| {
                let fits = r.len() <= MAX_RING_BYTES;
                if !fits {
                    tracing::error!(bytes = r.len(), "a ring too long for the doorbell");
                }
                fits
            })
            .collect();
        if rings.is_empty() {
            return Ok(());
        }
        let mut db = conn_of(&self.pool)?;
        db.execute(
            "SELECT pg_notify($1, r) FROM unnest($2::text[]) AS r",
            &[&RUNG, &rings],
        )?;
        Ok(())
    }
}

struct PgListening {
    client: postgres::Client,
    /// The read-back of a batch (see `Listening::stored`), prepared once.
    read_back: postgres::Statement,
    /// The stream's head (see `Listening::head`).
    head: postgres::Statement,
    /// When the server was last heard from on this connection.
    heard_at: Instant,
}

/// The listening connection's name on the server (`pg_stat_activity`).
pub const LISTENER: &str = "candor-relay listener";

/// How long a listening connection may hear nothing before it asks the
/// server whether it is still there.
const PROBE_AFTER: Duration = Duration::from_secs(10);

impl Listening for PgListening {
    fn next(&mut self, wait: Duration) -> Result<Option<Heard>, StorageError> {
        loop {
            let next = if wait.is_zero() {
                // What has come, without waiting on the network.
                self.client.notifications().iter().next()?
            } else {
                self.client.notifications().timeout_iter(wait).next()?
            };
            let Some(n) = next else {
                if self.client.is_closed() {
                    return Err(StorageError::Unavailable(
                        "the doorbell's connection closed".into(),
                    ));
                }
                if self.heard_at.elapsed() >= PROBE_AFTER {
                    self.client.simple_query("")?;
                    self.heard_at = Instant::now();
                }
                return Ok(None);
            };
            self.heard_at = Instant::now();
            match n.channel() {
                STORED => match parse_stored(n.payload()) {
                    Some(heard) => return Ok(Some(heard)),
                    None => tracing::error!(payload = n.payload(), "a malformed stored ring"),
                },
                CLOSED => match parse_closed(n.payload()) {
                    Some(closing) => return Ok(Some(Heard::Closed(closing))),
                    None => tracing::error!(payload = n.payload(), "a malformed closing ring"),
                },
                _ => return Ok(Some(Heard::Rung(n.payload().to_owned()))),
            }
        }
    }

    fn stored(&mut self, first: u64, last: u64) -> Result<Vec<Fanned>, StorageError> {
        let rows = self
            .client
            .query(&self.read_back, &[&(first as i64), &(last as i64)])?;
        self.heard_at = Instant::now();
        rows.iter()
            .map(|r| {
                let (cursor, message) = message_from_row(r)?;
                // After the message's columns.
                let members: Vec<String> = r.try_get(MESSAGE_COLUMN_COUNT)?;
                let members = members
                    .iter()
                    .map(|m| {
                        m.parse()
                            .map(UserId)
                            .map_err(|e| StorageError::Corrupt(format!("member id {m}: {e}")))
                    })
                    .collect::<Result<_, _>>()?;
                Ok((cursor, message, members))
            })
            .collect()
    }

    fn head(&mut self) -> Result<u64, StorageError> {
        let head: i64 = self.client.query_one(&self.head, &[])?.try_get(0)?;
        self.heard_at = Instant::now();
        Ok(head.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_ring_names_what_it_closes() {
        let user = UserId::new();
        assert_eq!(
            parse_closed(&format!("user {user}")),
            Some(Closing::User(user))
        );
        let hash = vec![0u8, 255, 7, 42];
        let payload = format!("session {}", URL_SAFE_NO_PAD.encode(&hash));
        assert_eq!(parse_closed(&payload), Some(Closing::Session(hash)));
        assert_eq!(parse_closed("session not base64!"), None);
        assert_eq!(parse_closed("everyone"), None);
    }
}
