//! Copies the write-ahead log back into the database file on a thread of its
//! own, so that the message writer does not.
//!
//! By default SQLite checkpoints inside the commit that takes the log past 1,000
//! pages. Under a steady stream of sends that was every few dozen batches, and
//! the writer, which every send waits for, spent the time copying pages and
//! waiting for the database file's fsync. Here a second connection runs a
//! PASSIVE checkpoint (which never blocks the writer) at most every
//! [`INTERVAL`], once the writer has committed something since the last one.
//! Copying pages less often also copies fewer: a page written by many batches
//! in between is copied once.
//!
//! Durability does not change: every commit is still fsynced to the log before
//! it returns. The writer keeps an automatic checkpoint of its own at
//! [`BACKSTOP_PAGES`], so the log stays bounded if this thread falls behind
//! (under a stream with no pause, the log can only start over from the
//! beginning after a checkpoint that caught up with the writer).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// The least time between two checkpoints.
const INTERVAL: Duration = Duration::from_millis(250);

/// The writer's own automatic checkpoint, in log pages (64 MiB at 4 KiB).
pub(super) const BACKSTOP_PAGES: i64 = 16_384;

/// The checkpointing thread. Dropping it stops it, after a last checkpoint if
/// commits are waiting for one.
#[derive(Debug)]
pub(super) struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Whether the thread was found stopped (and said so, once).
    stopped: AtomicBool,
}

impl Checkpointer {
    /// Starts the thread on its own connection to the database at `path`.
    pub(super) fn start(path: &Path) -> std::io::Result<Self> {
        let conn = Connection::open(path)
            .and_then(|conn| conn.busy_timeout(Duration::from_secs(5)).map(|()| conn))
            .map_err(std::io::Error::other)?;
        let (nudge, nudged) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("relay-checkpoint".into())
            .spawn(move || run(&conn, &nudged))?;
        Ok(Self {
            nudge: Some(nudge),
            thread: Some(thread),
            stopped: AtomicBool::new(false),
        })
    }

    /// Tells the thread that the writer has committed.
    pub(super) fn committed(&self) {
        if let Some(nudge) = &self.nudge {
            match nudge.try_send(()) {
                // Full: a checkpoint is due already.
                Ok(()) | Err(TrySendError::Full(())) => {}
                Err(TrySendError::Disconnected(())) => {
                    if !self.stopped.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "the checkpoint thread has stopped; the writer's own checkpoint \
                             at {BACKSTOP_PAGES} pages takes over"
                        );
                    }
                }
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.nudge.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, nudged: &Receiver<()>) {
    let mut due = false;
    loop {
        if !due && nudged.recv().is_err() {
            return;
        }
        checkpoint(conn);
        due = false;
        // Let commits gather for INTERVAL; stop at once when told to.
        let until = Instant::now() + INTERVAL;
        loop {
            match nudged.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(()) => due = true,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    if due {
                        checkpoint(conn);
                    }
                    return;
                }
            }
        }
    }
}

fn checkpoint(conn: &Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "checkpoint failed; the next commit tries again");
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use candor_protocol::frames::Recipient;

    use super::super::test_support::{send, store, users};

    /// The writer's commits reach the database file through this thread: a
    /// copy of `relay.db` alone, without its log, soon holds the message.
    /// (Its size is no sign: a checkpoint of an earlier write may have grown
    /// the file already, with room for the message's pages.)
    #[test]
    fn committed_sends_are_copied_into_the_database_file() {
        let (dir, s) = store();
        let [alice, bob] = users(&s, &["alice", "bob"])[..] else {
            unreachable!()
        };
        let db = dir.path().join("relay.db");
        let copies = tempfile::tempdir().expect("dir");
        let messages_in_the_file_alone = |n: usize| -> Option<i64> {
            let copy = copies.path().join(format!("copy-{n}.db"));
            std::fs::copy(&db, &copy).ok()?;
            let conn = rusqlite::Connection::open(&copy).ok()?;
            conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
                .ok()
        };
        send(&s, alice, Recipient::Direct { user: bob }).expect("send");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut n = 0;
        while messages_in_the_file_alone(n) != Some(1) {
            assert!(
                Instant::now() < deadline,
                "relay.db alone never held the message: nothing was checkpointed"
            );
            n += 1;
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
