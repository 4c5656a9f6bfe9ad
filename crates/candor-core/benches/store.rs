//! Store benchmark: the domain API against a floor of bare rusqlite statements on
//! the same schema and the same data, in the same run. Run with
//! `cargo xtask bench store`; it prints each figure and its ratio to the floor.
//!
//! Data: 10,000 conversations and 1,000,000 messages; one conversation holds
//! 200,000 of them so that a page 100,000 messages deep exists.

use std::sync::Arc;
use std::time::{Duration, Instant};

use candor_core::protocol::{
    ConversationId, DeliveredMessage, MessageId, MessageText, ServerMessageId, UserId,
};
use candor_core::{ManualClock, MessageCursor, Profile, Store};
use chrono::{TimeZone, Utc};
use rusqlite::{Connection, params};

const CONVERSATIONS: usize = 10_000;
const MESSAGES: usize = 1_000_000;
const BIG_CONVERSATION: usize = 200_000;
const PAGE: u32 = 50;
const DEEP: usize = 100_000;
const BATCH: usize = 10_000;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("time");
    let clock = Arc::new(ManualClock::new(start));
    let mut store = Store::open_with_clock(&path, clock).expect("open store");
    let me = UserId::new();
    store
        .set_profile(&Profile {
            user_id: me,
            handle: "bench".into(),
            display_name: "Bench".into(),
            relay_url: "ws://127.0.0.1:1".into(),
        })
        .expect("profile");

    let t = Instant::now();
    let world = generate(store.connection(), me);
    println!(
        "generated {CONVERSATIONS} conversations, {MESSAGES} messages in {:.1?} ({:.0} MiB)\n",
        t.elapsed(),
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0
    );
    let floor = Connection::open(&path).expect("floor connection");
    floor
        .pragma_update(None, "synchronous", "FULL")
        .expect("pragma");

    let mut report = Report::default();

    // Latest page of the big conversation.
    let big = world.big;
    let latest = sample(1000, || {
        let page = store.conversation_page(big, None, PAGE).expect("page");
        assert_eq!(page.messages.len(), PAGE as usize);
    });
    let mut floor_page = floor
        .prepare(
            "SELECT id, conversation_id, server_id, seq, sender_id, body, card_json, created_at,
                    status, hidden_at, position
             FROM messages WHERE conversation_id = ?1 AND hidden_at IS NULL AND position < ?2
             ORDER BY position DESC LIMIT ?3",
        )
        .expect("prepare");
    let latest_floor = sample(1000, || {
        let n = floor_rows(&mut floor_page, &big.to_string(), i64::MAX);
        assert_eq!(n, PAGE as usize);
    });
    report.row("latest page (50 of 200k)", &latest, &latest_floor);

    // A page 100,000 messages deep, reached by paging like the UI does.
    let mut cursor: Option<MessageCursor> = None;
    for _ in 0..DEEP / PAGE as usize {
        cursor = store
            .conversation_page(big, cursor, PAGE)
            .expect("page")
            .before;
    }
    let deep_position = (BIG_CONVERSATION - DEEP) as i64 + 1;
    let deep = sample(1000, || {
        let page = store
            .conversation_page(big, cursor, PAGE)
            .expect("deep page");
        assert_eq!(page.messages.len(), PAGE as usize);
    });
    let deep_floor = sample(1000, || {
        let n = floor_rows(&mut floor_page, &big.to_string(), deep_position);
        assert_eq!(n, PAGE as usize);
    });
    report.row("page 100k deep", &deep, &deep_floor);

    // Inbox first page.
    let inbox = sample(1000, || {
        let page = store.inbox_page(None, PAGE).expect("inbox");
        assert_eq!(page.items.len(), PAGE as usize);
    });
    let mut floor_inbox = floor
        .prepare(
            "SELECT c.id, c.kind, c.title, c.pinned, c.muted_until, c.last_activity_at,
                    c.unread_count, m.body
             FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id
             WHERE c.hidden_at IS NULL AND c.request = 0
             ORDER BY c.pinned DESC, c.last_activity_at DESC, c.id DESC LIMIT ?1",
        )
        .expect("prepare");
    let inbox_floor = sample(1000, || {
        let rows = floor_inbox
            .query_map([PAGE], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .expect("query")
            .count();
        assert_eq!(rows, PAGE as usize);
    });
    report.row("inbox first page (10k chats)", &inbox, &inbox_floor);

    // hide_message on distinct messages of the big conversation.
    let ids: Vec<String> = {
        let mut stmt = floor
            .prepare("SELECT id FROM messages WHERE conversation_id = ?1 LIMIT 400")
            .expect("prepare");
        stmt.query_map([big.to_string()], |r| r.get(0))
            .expect("ids")
            .collect::<Result<_, _>>()
            .expect("ids")
    };
    let (domain_ids, floor_ids) = ids.split_at(200);
    let mut it = domain_ids.iter();
    let hide = sample(200, || {
        let id: MessageId = it.next().expect("id").parse().expect("uuid");
        store.hide_message(id).expect("hide");
    });
    let mut it = floor_ids.iter();
    let hide_floor = sample(200, || {
        floor
            .execute(
                "UPDATE messages SET hidden_at = ?2, hidden_with = 'message' WHERE id = ?1",
                params![it.next().expect("id"), 1],
            )
            .expect("hide");
    });
    report.row("hide_message", &hide, &hide_floor);

    // Applying a received batch of 10,000 messages vs a bare insert loop.
    let sender = UserId::new();
    let mut seq = 0i64;
    let target = world.small[0];
    let apply = sample(5, || {
        let batch: Vec<DeliveredMessage> = (0..BATCH)
            .map(|i| {
                seq += 1;
                delivered(target, seq + 1_000_000, sender, i)
            })
            .collect();
        let t = Instant::now();
        let outcome = store.apply_received(&batch).expect("apply");
        assert_eq!(outcome.inserted, BATCH);
        t.elapsed()
    });
    let floor_target = world.small[1].to_string();
    let mut floor_seq = 1_000_000i64;
    let apply_floor = sample(5, || {
        let t = Instant::now();
        let tx = floor.unchecked_transaction().expect("tx");
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (id, conversation_id, server_id, seq, position,
                         sender_id, body, card_json, created_at, status)
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, NULL, ?7, 'received')",
                )
                .expect("prepare");
            for i in 0..BATCH {
                floor_seq += 1;
                insert
                    .execute(params![
                        MessageId::new().to_string(),
                        floor_target,
                        ServerMessageId::new().to_string(),
                        floor_seq,
                        sender.to_string(),
                        format!("message number {i} in a batch"),
                        1_700_000_000_000i64 + i as i64,
                    ])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
        t.elapsed()
    });
    report.rate_row("apply 10k received (rate)", &apply, &apply_floor);

    report.print();
    println!();
    let latest_p95 = p(&latest, 95);
    let checks = [
        (
            "latest page p95 <= 2 ms",
            latest_p95 <= Duration::from_millis(2),
        ),
        (
            "deep page p95 <= 1.2x latest page p95",
            p(&deep, 95).as_secs_f64() <= 1.2 * latest_p95.as_secs_f64(),
        ),
        (
            "inbox first page p95 <= 5 ms",
            p(&inbox, 95) <= Duration::from_millis(5),
        ),
        (
            "batch apply rate >= 0.5x floor (p50)",
            p(&apply_floor, 50).as_secs_f64() / p(&apply, 50).as_secs_f64() >= 0.5,
        ),
    ];
    for (name, ok) in checks {
        println!("{} {name}", if ok { "PASS" } else { "MISS" });
    }
}

struct World {
    big: ConversationId,
    small: Vec<ConversationId>,
}

/// Fills the store's own schema with bare inserts (fast), then computes each
/// conversation's summary the way the store keeps it.
fn generate(conn: &Connection, me: UserId) -> World {
    let tx = conn.unchecked_transaction().expect("tx");
    let peer = UserId::new().to_string();
    tx.execute(
        "INSERT INTO users (id, handle, display_name) VALUES (?1, 'peer', 'Peer')",
        [&peer],
    )
    .expect("user");
    let mut ids = Vec::with_capacity(CONVERSATIONS);
    {
        let mut conv = tx
            .prepare(
                "INSERT INTO conversations (id, kind, title, created_at, last_activity_at, read_seq)
                 VALUES (?1, 'group', ?2, 0, 0, ?3)",
            )
            .expect("prepare");
        let mut msg = tx
            .prepare(
                "INSERT INTO messages (id, conversation_id, server_id, seq, position, sender_id,
                     body, created_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)",
            )
            .expect("prepare");
        let per_small = (MESSAGES - BIG_CONVERSATION) / (CONVERSATIONS - 1);
        let mut t = 1_700_000_000_000i64;
        for c in 0..CONVERSATIONS {
            let id = ConversationId::new();
            let count = if c == 0 { BIG_CONVERSATION } else { per_small };
            conv.execute(params![id.to_string(), format!("Chat {c}"), count as i64])
                .expect("conversation");
            for s in 1..=count {
                t += 1;
                let own = s % 3 == 0;
                msg.execute(params![
                    MessageId::new().to_string(),
                    id.to_string(),
                    ServerMessageId::new().to_string(),
                    s as i64,
                    if own { me.to_string() } else { peer.clone() },
                    format!("message {s} of chat {c}: a line of ordinary chat text"),
                    t,
                    if own { "read" } else { "received" },
                ])
                .expect("message");
            }
            ids.push(id);
        }
    }
    tx.execute_batch(
        "UPDATE conversations SET
            last_message_id = (SELECT id FROM messages m WHERE m.conversation_id = conversations.id
                               ORDER BY position DESC LIMIT 1),
            last_activity_at = (SELECT max(created_at) FROM messages m
                                WHERE m.conversation_id = conversations.id);",
    )
    .expect("summaries");
    tx.commit().expect("commit");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
        .expect("checkpoint");
    let big = ids[0];
    World {
        big,
        small: ids[1..].to_vec(),
    }
}

fn delivered(chat: ConversationId, seq: i64, sender: UserId, i: usize) -> DeliveredMessage {
    DeliveredMessage {
        photos: Vec::new(),
        reaction: None,
        server_id: ServerMessageId::new(),
        client_id: MessageId::new(),
        conversation_id: chat,
        seq,
        sender_id: sender,
        text: MessageText::new(format!("message number {i} in a batch")).expect("text"),
        card: None,
        sent_at: Utc
            .timestamp_millis_opt(1_700_000_000_000 + i as i64)
            .single()
            .expect("time"),
        reply: None,
    }
}

fn floor_rows(stmt: &mut rusqlite::Statement<'_>, conversation: &str, before: i64) -> usize {
    stmt.query_map(params![conversation, before, PAGE], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, i64>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, Option<i64>>(9)?,
        ))
    })
    .expect("query")
    .count()
}

/// Runs `f` `n` times (after a short warm-up for cheap operations) and returns the
/// sorted durations. `f` may return its own measured duration (to leave set-up out).
fn sample<R: IntoElapsed>(n: usize, mut f: impl FnMut() -> R) -> Vec<Duration> {
    let mut out: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f().into_elapsed(t.elapsed())
        })
        .collect();
    out.sort();
    out
}

trait IntoElapsed {
    fn into_elapsed(self, measured: Duration) -> Duration;
}
impl IntoElapsed for () {
    fn into_elapsed(self, measured: Duration) -> Duration {
        measured
    }
}
impl IntoElapsed for Duration {
    fn into_elapsed(self, _: Duration) -> Duration {
        self
    }
}

fn p(sorted: &[Duration], pct: usize) -> Duration {
    let idx = ((sorted.len() * pct).div_ceil(100)).saturating_sub(1);
    sorted[idx.min(sorted.len() - 1)]
}

#[derive(Default)]
struct Report {
    rows: Vec<String>,
}

impl Report {
    fn row(&mut self, name: &str, domain: &[Duration], floor: &[Duration]) {
        let ratio = p(domain, 95).as_secs_f64() / p(floor, 95).as_secs_f64();
        self.rows.push(format!(
            "{name:<30} {:>10.3?} {:>10.3?} {:>10.3?} {:>10.3?} {:>8.2}x time",
            p(domain, 50),
            p(domain, 95),
            p(floor, 50),
            p(floor, 95),
            ratio
        ));
    }

    fn rate_row(&mut self, name: &str, domain: &[Duration], floor: &[Duration]) {
        let rate = |d: Duration| BATCH as f64 / d.as_secs_f64();
        let ratio = rate(p(domain, 50)) / rate(p(floor, 50));
        self.rows.push(format!(
            "{name:<30} {:>10.3?} {:>10.3?} {:>10.3?} {:>10.3?} {:>8.2}x rate ({:.0}/s vs {:.0}/s)",
            p(domain, 50),
            p(domain, 95),
            p(floor, 50),
            p(floor, 95),
            ratio,
            rate(p(domain, 50)),
            rate(p(floor, 50)),
        ));
    }

    fn print(&self) {
        println!(
            "{:<30} {:>10} {:>10} {:>10} {:>10} {:>9}",
            "operation", "p50", "p95", "floor p50", "floor p95", "vs floor"
        );
        for r in &self.rows {
            println!("{r}");
        }
    }
}
