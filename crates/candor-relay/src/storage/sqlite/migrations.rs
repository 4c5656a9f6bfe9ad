//! The relay store's schema history, applied with rusqlite_migration (tracked in
//! SQLite's `user_version`) when the relay opens its data directory. Append-only:
//! a shipped migration is never edited, a change is a new entry. Each entry that
//! carries rows over has a test below that stops at N-1, writes rows the old
//! schema allows, migrates to N and checks them.

use rusqlite_migration::{M, Migrations};

/// Every migration, oldest first.
pub(super) fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("schema_v1.sql")),
    M::up(include_str!("schema_v2.sql")),
    M::up(include_str!("schema_v3.sql")),
    M::up(include_str!("schema_v4.sql")),
    M::up(include_str!("schema_v5.sql")),
    M::up(include_str!("schema_v6.sql")),
    M::up(include_str!("schema_v7.sql")),
    M::up(include_str!("schema_v8.sql")),
    M::up(include_str!("schema_v9.sql")),
    M::up(include_str!("schema_v10.sql")),
    M::up(include_str!("schema_v11.sql")),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn at_version(version: usize) -> Connection {
        let mut conn = Connection::open_in_memory().expect("memory db");
        conn.pragma_update(None, "foreign_keys", true).expect("fk");
        migrations()
            .to_version(&mut conn, version)
            .expect("migrate to version");
        conn
    }

    /// The first column of every row `sql` returns, as text.
    fn names(conn: &Connection, sql: &str) -> Vec<String> {
        conn.prepare(sql)
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names")
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().expect("valid migrations");
    }

    /// Migration 3 rebuilds `messages` with other indexes: every message keeps
    /// its cursor and columns, cursors go on from the old high-water mark (even
    /// past rows that no longer exist), a repeated client id of the same sender
    /// is still refused, and the same client id from another sender is not.
    #[test]
    fn migration_3_keeps_every_message_and_the_stream_position() {
        let mut conn = at_version(2);
        conn.execute_batch(
            "INSERT INTO users (id, handle, display_name, password_hash, created_at)
                 VALUES ('u1', 'maya', 'Maya', 'h', 1), ('u2', 'leo', 'Leo', 'h', 1);
             INSERT INTO conversations (id, kind, last_seq, created_at) VALUES ('c1', 'direct', 3, 1);
             INSERT INTO members (conversation_id, user_id, joined_at, state)
                 VALUES ('c1', 'u1', 1, 'accepted'), ('c1', 'u2', 1, 'request');
             INSERT INTO messages (cursor, server_id, conversation_id, seq, sender_id, client_id, body, card_json, sent_at)
                 VALUES (1, 's1', 'c1', 1, 'u1', 'k1', 'hi', NULL, 5),
                        (2, 's2', 'c1', 2, 'u2', 'k2', 'hello', '{\"url\":\"x\"}', 6),
                        (7, 's3', 'c1', 3, 'u1', 'k3', 'later', NULL, 9);
             UPDATE sqlite_sequence SET seq = 40 WHERE name = 'messages';",
        )
        .expect("rows fit schema 2");
        migrations().to_version(&mut conn, 3).expect("to 3");

        let rows: Vec<(i64, String, i64, String, String, Option<String>)> = conn
            .prepare(
                "SELECT cursor, server_id, seq, sender_id, body, card_json FROM messages ORDER BY cursor",
            )
            .expect("prepare")
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            [
                (1, "s1".into(), 1, "u1".into(), "hi".into(), None),
                (
                    2,
                    "s2".into(),
                    2,
                    "u2".into(),
                    "hello".into(),
                    Some("{\"url\":\"x\"}".into())
                ),
                (7, "s3".into(), 3, "u1".into(), "later".into(), None),
            ]
        );

        let insert = "INSERT INTO messages (server_id, conversation_id, seq, sender_id, client_id, body, sent_at)
                      VALUES (?1, 'c1', ?2, ?3, ?4, 'new', 10)";
        conn.execute(insert, ("s4", 4, "u1", "k4"))
            .expect("a new message");
        assert_eq!(
            conn.last_insert_rowid(),
            41,
            "cursors go on past the old mark"
        );
        assert!(
            conn.execute(insert, ("s5", 5, "u1", "k1")).is_err(),
            "the same sender's client id is a repeat"
        );
        conn.execute(insert, ("s6", 5, "u2", "k1"))
            .expect("another sender's client id is not a repeat");
        assert!(
            conn.execute(insert, ("s2", 6, "u1", "k9")).is_err(),
            "server ids stay unique"
        );

        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT cursor FROM messages WHERE conversation_id = 'c1' AND cursor > 1",
                [],
                |r| r.get(3),
            )
            .expect("plan");
        assert!(
            plan.contains("messages_stream"),
            "catch-up uses the stream index: {plan}"
        );
        let names = names(
            &conn,
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
        );
        assert!(!names.iter().any(|n| n == "messages_v3"), "{names:?}");
        conn.pragma_query(None, "foreign_key_check", |r| {
            panic!(
                "a broken reference after the migration: {:?}",
                r.get::<_, String>(0)
            )
        })
        .expect("foreign key check");
    }

    /// Migration 4 drops `conversations.last_seq`: every conversation and
    /// message stays, and the last seq is read from the messages.
    #[test]
    fn migration_4_reads_the_last_seq_from_the_messages() {
        let mut conn = at_version(3);
        conn.execute_batch(
            "INSERT INTO users (id, handle, display_name, password_hash, created_at)
                 VALUES ('u1', 'maya', 'Maya', 'h', 1), ('u2', 'leo', 'Leo', 'h', 1);
             INSERT INTO conversations (id, kind, last_seq, created_at)
                 VALUES ('c1', 'direct', 2, 1), ('c2', 'group', 0, 2);
             INSERT INTO members (conversation_id, user_id, joined_at, state)
                 VALUES ('c1', 'u1', 1, 'accepted'), ('c1', 'u2', 1, 'accepted'),
                        ('c2', 'u1', 2, 'accepted');
             INSERT INTO messages (server_id, conversation_id, seq, sender_id, client_id, body, sent_at)
                 VALUES ('s1', 'c1', 1, 'u1', 'k1', 'hi', 5), ('s2', 'c1', 2, 'u2', 'k2', 'hello', 6);",
        )
        .expect("rows fit schema 3");
        migrations().to_version(&mut conn, 4).expect("to 4");

        let columns = names(&conn, "SELECT name FROM pragma_table_info('conversations')");
        assert!(!columns.iter().any(|c| c == "last_seq"), "{columns:?}");
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .expect("count")
        };
        assert_eq!((count("conversations"), count("messages")), (2, 2));
        let last = |id: &str| -> i64 {
            conn.query_row(
                "SELECT coalesce((SELECT seq FROM messages WHERE conversation_id = ?1
                                  ORDER BY cursor DESC LIMIT 1), 0)",
                [id],
                |r| r.get(0),
            )
            .expect("last seq")
        };
        assert_eq!((last("c1"), last("c2")), (2, 0));
    }

    /// Migration 5 gives each member a span from what they could read before:
    /// the seqs sent from the moment they joined; and starts the epoch and
    /// identity tables empty.
    #[test]
    fn migration_5_opens_each_members_span_where_their_reading_began() {
        let mut conn = at_version(4);
        conn.execute_batch(
            "INSERT INTO users (id, handle, display_name, password_hash, created_at)
                 VALUES ('u1', 'maya', 'Maya', 'h', 1), ('u2', 'leo', 'Leo', 'h', 1);
             INSERT INTO conversations (id, kind, title, created_at) VALUES ('g1', 'group', 'Trip', 1);
             INSERT INTO members (conversation_id, user_id, joined_at, state)
                 VALUES ('g1', 'u1', 1, 'accepted'), ('g1', 'u2', 10, 'accepted');
             INSERT INTO messages (server_id, conversation_id, seq, sender_id, client_id, body, sent_at)
                 VALUES ('s1', 'g1', 1, 'u1', 'k1', 'before leo', 5),
                        ('s2', 'g1', 2, 'u1', 'k2', 'after leo', 12);",
        )
        .expect("rows fit schema 4");
        migrations().to_version(&mut conn, 5).expect("to 5");
        let spans: Vec<(String, i64, Option<i64>)> = conn
            .prepare("SELECT user_id, after_seq, through_seq FROM member_spans ORDER BY user_id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("spans");
        assert_eq!(spans, [("u1".into(), 0, None), ("u2".into(), 1, None)]);
        let epochs: i64 = conn
            .query_row("SELECT count(*) FROM epochs", [], |r| r.get(0))
            .expect("epochs");
        assert_eq!(epochs, 0);
    }

    /// Migration 6 gives each session a distinct public id and a last-seen
    /// time (when it was made).
    #[test]
    fn migration_6_names_each_session_and_starts_its_last_seen() {
        let mut conn = at_version(5);
        conn.execute_batch(
            "INSERT INTO users (id, handle, display_name, password_hash, created_at)
                 VALUES ('u1', 'maya', 'Maya', 'h', 1);
             INSERT INTO sessions (token_hash, user_id, device_name, created_at, revoked_at)
                 VALUES (x'01', 'u1', 'laptop', 100, NULL), (x'02', 'u1', 'phone', 200, NULL),
                        (x'03', 'u1', 'old', 50, 60);",
        )
        .expect("rows fit schema 5");
        migrations().to_version(&mut conn, 6).expect("to 6");
        let rows: Vec<(String, i64)> = conn
            .prepare("SELECT id, last_seen_at FROM sessions ORDER BY created_at")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("sessions");
        let seen: Vec<i64> = rows.iter().map(|r| r.1).collect();
        assert_eq!(seen, [50, 100, 200]);
        let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(ids.len(), 3, "distinct ids: {rows:?}");
        for (id, _) in &rows {
            assert!(
                uuid::Uuid::parse_str(id).is_ok(),
                "{id} reads as a session id"
            );
        }
    }
    /// Migration 7 makes a group's founding members its admins (the relay
    /// did not record who created it), and nobody else: not someone added
    /// later, and nobody in a direct chat; a group its founders all left
    /// gets one admin.
    #[test]
    fn migration_7_makes_a_groups_founders_its_admins() {
        let mut conn = at_version(6);
        conn.execute_batch(
            "INSERT INTO users (id, handle, display_name, password_hash, created_at)
                 VALUES ('u1', 'maya', 'Maya', 'h', 1), ('u2', 'leo', 'Leo', 'h', 1),
                        ('u3', 'ines', 'Ines', 'h', 1);
             INSERT INTO conversations (id, kind, title, created_at)
                 VALUES ('g1', 'group', 'Trip', 5), ('d1', 'direct', NULL, 5),
                        ('g2', 'group', 'Left by its founders', 1);
             INSERT INTO members (conversation_id, user_id, joined_at, state)
                 VALUES ('g1', 'u1', 5, 'accepted'), ('g1', 'u2', 5, 'accepted'),
                        ('g1', 'u3', 9, 'accepted'),
                        ('d1', 'u1', 5, 'accepted'), ('d1', 'u3', 5, 'request'),
                        ('g2', 'u1', 3, 'request'), ('g2', 'u3', 4, 'accepted');",
        )
        .expect("rows fit schema 6");
        migrations().to_version(&mut conn, 7).expect("to 7");
        let admins = names(
            &conn,
            "SELECT conversation_id || ':' || user_id FROM members WHERE admin = 1 ORDER BY 1",
        );
        // g2's founders left: its longest-standing member who accepted it.
        assert_eq!(admins, ["g1:u1", "g1:u2", "g2:u3"]);
    }
    /// Migration 8 counts what each account has stored so far (bytes of
    /// text and cards, as UTF-8), starts every daily count at nothing, and
    /// makes a relay that takes anyone, with no invites.
    #[test]
    fn migration_8_counts_what_each_account_has_stored() {
        let mut conn = at_version(7);
        conn.execute_batch(
            "INSERT INTO users (id, handle, display_name, password_hash, created_at)
                 VALUES ('u1', 'maya', 'Maya', 'h', 1), ('u2', 'leo', 'Leo', 'h', 1);
             INSERT INTO conversations (id, kind, title, created_at) VALUES ('d1', 'direct', NULL, 1);
             INSERT INTO messages (server_id, conversation_id, seq, sender_id, client_id, body, card_json, sent_at)
                 VALUES ('s1', 'd1', 1, 'u1', 'k1', 'héllo', NULL, 5),
                        ('s2', 'd1', 2, 'u1', 'k2', 'see', '{\"u\":1}', 6);",
        )
        .expect("rows fit schema 7");
        migrations().to_version(&mut conn, 8).expect("to 8");
        let used = names(
            &conn,
            "SELECT handle || ':' || bytes_stored || ':' || messages_today FROM users ORDER BY handle",
        );
        // 'héllo' is 6 bytes, 'see' 3, the card 7.
        assert_eq!(used, ["leo:0:0", "maya:16:0"]);
        let invite_only = names(
            &conn,
            "SELECT CAST(invite_only AS TEXT) FROM relay_settings",
        );
        assert_eq!(invite_only, ["0"]);
    }
}
