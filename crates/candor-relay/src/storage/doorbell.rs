//! What a shared store offers the relay's nodes so that each can deliver
//! live what another stored (see `crate::cluster`): a doorbell, not a
//! second truth. The store rings it in the transaction that stores a batch
//! of messages, so the rings come in the stream's order and only for what
//! was committed; a node that hears one reads the messages back from the
//! store. The embedded store, one process by design, has none.

use candor_protocol::{DeliveredMessage, UserId};
use uuid::Uuid;

use super::StorageError;

/// One node of the relay: which of them stored a batch, or rang.
pub type NodeId = Uuid;

/// A ring longer than this is not sent (PostgreSQL's NOTIFY takes 8,000
/// bytes): what the relay rings is far smaller (a group has 32 members).
pub const MAX_RING_BYTES: usize = 7_900;

/// What a node hears on the doorbell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// `node` committed the messages at cursors `first..=last` of the
    /// stream, at `at` by its clock.
    Stored {
        node: NodeId,
        first: u64,
        last: u64,
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Connections every node must close: rung by the store in the
    /// transaction that ended their right to be open, so that no node
    /// that hears at all can miss it.
    Closed(Closing),
    /// Something a node rang (see `Doorbell::ring`), as it rang it.
    Rung(String),
}

/// Connections to close (see [`Heard::Closed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Closing {
    /// Those opened with the session of this token hash (signed out).
    Session(Vec<u8>),
    /// Every one of this account's (suspended).
    User(UserId),
}

/// A message read back for live delivery: its cursor, the message, and who
/// may see it (the members whose span holds its seq).
pub type Fanned = (u64, DeliveredMessage, Vec<UserId>);

/// A `Heard::Stored` as it goes on a doorbell: "node first last at_ms".
pub fn stored_payload(node: NodeId, first: u64, last: u64) -> String {
    let at = chrono::Utc::now().timestamp_millis();
    format!("{node} {first} {last} {at}")
}

/// Reads what `stored_payload` wrote; None if it is not that.
pub fn parse_stored(payload: &str) -> Option<Heard> {
    let mut parts = payload.split(' ');
    let node = parts.next()?.parse().ok()?;
    let first = parts.next()?.parse().ok()?;
    let last = parts.next()?.parse().ok()?;
    let at = chrono::DateTime::from_timestamp_millis(parts.next()?.parse().ok()?)?;
    if parts.next().is_some() || first > last {
        return None;
    }
    Some(Heard::Stored {
        node,
        first,
        last,
        at,
    })
}

/// The node's side of the doorbell.
pub trait Doorbell: Send + Sync + 'static {
    /// This node, as named in what it stores and rings.
    fn node(&self) -> NodeId;

    /// Whether what is rung may go unheard, late or out of order while a
    /// node goes on listening (a bus that keeps nothing for a subscriber it
    /// could not reach). Then the listener believes a wake only as far as
    /// the stream's head.
    fn may_miss(&self) -> bool {
        false
    }

    /// This node committed the messages at `first..=last`: for a doorbell
    /// rung after the commit rather than in it. It must not wait: it is
    /// called on the path that answers senders.
    fn stored(&self, _first: u64, _last: u64) {}

    /// Starts listening: everything stored or rung from now on is heard on
    /// what this returns; in the order it was committed, and without fail
    /// while it listens, unless `may_miss`.
    fn listen(&self) -> Result<Box<dyn Listening>, StorageError>;

    /// Rings each of `rings` for every node (this one hears them too).
    fn ring(&self, rings: &[String]) -> Result<(), StorageError>;
}

/// A listening connection. It also reads back what it hears of, so that
/// live delivery needs nothing from the pool the handlers share.
pub trait Listening: Send {
    /// The next thing heard, waiting at most `wait`; None if nothing came.
    /// An error means the connection is gone (or no longer answers), and
    /// what was rung meanwhile was missed.
    fn next(&mut self, wait: std::time::Duration) -> Result<Option<Heard>, StorageError>;

    /// The messages at cursors `first..=last`, in order, with who may see
    /// each.
    fn stored(&mut self, first: u64, last: u64) -> Result<Vec<Fanned>, StorageError>;

    /// The stream's head: the last cursor committed (0 before the first).
    /// Every cursor at or below it is committed too (see the stream's lock).
    fn head(&mut self) -> Result<u64, StorageError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_ring_is_read_back_as_written() {
        let node = NodeId::now_v7();
        let Some(Heard::Stored {
            node: read,
            first,
            last,
            at,
        }) = parse_stored(&stored_payload(node, 7, 9))
        else {
            panic!("read back");
        };
        assert_eq!((read, first, last), (node, 7, 9));
        assert!((chrono::Utc::now() - at).num_seconds().abs() < 5);
        assert_eq!(parse_stored("not a node 7 9 1765000000123"), None);
        assert_eq!(parse_stored(&format!("{node} 7 9")), None);
        assert_eq!(parse_stored(&format!("{node} 9 7 1765000000123")), None);
        assert_eq!(parse_stored(&format!("{node} 7 9 1765000000123 x")), None);
    }
}
