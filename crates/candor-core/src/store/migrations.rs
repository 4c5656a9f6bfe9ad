//! The store's schema history, applied with rusqlite_migration (tracked in SQLite's
//! `user_version`). Append-only: a shipped migration is never edited, a change is a
//! new entry. Each entry has a test below that stops at N-1, writes rows the old
//! schema allows, migrates to N and checks them.

use rusqlite_migration::{M, Migrations};

/// Every migration, oldest first.
pub(crate) fn migrations() -> Migrations<'static> {
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
    M::up(include_str!("schema_v12.sql")),
    M::up(include_str!("schema_v13.sql")),
    M::up(include_str!("schema_v14.sql")),
    M::up(include_str!("schema_v15.sql")),
    M::up(include_str!("schema_v16.sql")),
    M::up(include_str!("schema_v17.sql")),
];

/// The schema this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

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

    fn table_names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().expect("valid migrations");
    }

    /// Migration 1 creates every table from an empty file (version 0, which holds no
    /// rows to carry over) and its constraints hold.
    #[test]
    fn migration_1_from_empty_creates_the_schema() {
        let mut conn = at_version(0);
        assert!(table_names(&conn).is_empty());
        migrations().to_version(&mut conn, 1).expect("to 1");
        assert_eq!(
            table_names(&conn),
            [
                "contacts",
                "conversations",
                "members",
                "messages",
                "outbox",
                "profile",
                "sync_cursors",
                "users"
            ]
        );
        conn.execute_batch(
            "INSERT INTO users VALUES ('u1', 'maya', 'Maya');
             INSERT INTO conversations (id, kind, peer_id, created_at, last_activity_at)
                 VALUES ('c1', 'direct', 'u1', 1, 1);
             INSERT INTO messages (id, conversation_id, seq, position, sender_id, body, created_at, status)
                 VALUES ('m1', 'c1', 1, 1, 'u1', 'hi', 1, 'received');",
        )
        .expect("rows fit schema 1");
        // A hide must say how it was made, and a direct chat needs its peer.
        assert!(
            conn.execute("UPDATE messages SET hidden_at = 5 WHERE id = 'm1'", [])
                .is_err()
        );
        assert!(
            conn.execute(
                "INSERT INTO conversations (id, kind, created_at, last_activity_at) VALUES ('c2', 'direct', 1, 1)",
                []
            )
            .is_err()
        );
    }

    /// Migration 2 adds message requests: chats stored under schema 1 keep their
    /// rows, hides and summaries, and are plain chats (not requests).
    #[test]
    fn migration_2_keeps_conversations_and_marks_none_as_requests() {
        let mut conn = at_version(1);
        conn.execute_batch(
            "INSERT INTO users VALUES ('u1', 'maya', 'Maya');
             INSERT INTO conversations (id, kind, title, peer_id, created_at, last_activity_at, unread_count, hidden_at)
                 VALUES ('c1', 'direct', NULL, 'u1', 1, 5, 1, NULL), ('c2', 'group', 'Trip', NULL, 1, 3, 0, 9);
             INSERT INTO messages (id, conversation_id, seq, position, sender_id, body, created_at, status, hidden_at, hidden_with)
                 VALUES ('m1', 'c1', 1, 1, 'u1', 'hi', 5, 'received', NULL, NULL),
                        ('m2', 'c2', 1, 1, 'u1', 'gone', 3, 'received', 9, 'conversation');",
        )
        .expect("rows fit schema 1");
        migrations().to_version(&mut conn, 2).expect("to 2");
        let rows: Vec<(String, i64, i64, Option<i64>)> = conn
            .prepare("SELECT id, request, unread_count, hidden_at FROM conversations ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            [("c1".into(), 0, 1, None), ("c2".into(), 0, 0, Some(9))]
        );
        let hidden: i64 = conn
            .query_row(
                "SELECT count(*) FROM messages WHERE hidden_at IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(hidden, 1, "hides survive the migration");
        assert!(
            conn.execute("UPDATE conversations SET request = 2 WHERE id = 'c1'", [])
                .is_err()
        );
    }

    /// Migration 3 tracks which read positions the relay has heard: chats stored
    /// before start as reported where they were read, so nothing old is re-sent.
    #[test]
    fn migration_3_starts_read_reports_where_each_chat_was_read() {
        let mut conn = at_version(2);
        conn.execute_batch(
            "INSERT INTO users VALUES ('u1', 'maya', 'Maya');
             INSERT INTO conversations (id, kind, title, peer_id, created_at, last_activity_at, read_seq, request)
                 VALUES ('c1', 'direct', NULL, 'u1', 1, 5, 7, 0), ('c2', 'group', 'Trip', NULL, 1, 3, 0, 1);",
        )
        .expect("rows fit schema 2");
        migrations().to_version(&mut conn, 3).expect("to 3");
        let rows: Vec<(String, i64, i64, i64)> = conn
            .prepare(
                "SELECT id, read_seq, read_reported_seq, request FROM conversations ORDER BY id",
            )
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows, [("c1".into(), 7, 7, 0), ("c2".into(), 0, 0, 1)]);
    }

    /// The ids of the messages search finds for `q`.
    fn hits(conn: &Connection, q: &str) -> Vec<String> {
        conn.prepare(
            "SELECT m.id FROM message_search s JOIN messages m ON m.rowid = s.rowid
             WHERE message_search MATCH ?1 ORDER BY m.id",
        )
        .expect("prepare")
        .query_map([q], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
    }

    /// Migration 4 indexes the visible messages stored before it for search, and
    /// leaves hidden ones out.
    #[test]
    fn migration_4_makes_visible_messages_searchable_and_hidden_ones_not() {
        let mut conn = at_version(3);
        conn.execute_batch(
            "INSERT INTO users VALUES ('u1', 'maya', 'Maya');
             INSERT INTO conversations (id, kind, peer_id, created_at, last_activity_at)
                 VALUES ('c1', 'direct', 'u1', 1, 5);
             INSERT INTO messages (id, conversation_id, seq, position, sender_id, body, created_at, status, hidden_at, hidden_with)
                 VALUES ('m1', 'c1', 1, 1, 'u1', 'visible lighthouse', 5, 'received', NULL, NULL),
                        ('m2', 'c1', 2, 2, 'u1', 'hidden lighthouse', 6, 'received', 9, 'message');",
        )
        .expect("rows fit schema 3");
        migrations().to_version(&mut conn, 4).expect("to 4");
        assert_eq!(hits(&conn, "lighthouse"), ["m1"]);
        // The triggers keep it so from now on.
        conn.execute_batch(
            "UPDATE messages SET hidden_at = NULL, hidden_with = NULL WHERE id = 'm2';
             UPDATE messages SET hidden_at = 10, hidden_with = 'message' WHERE id = 'm1';",
        )
        .expect("hide and restore");
        assert_eq!(hits(&conn, "lighthouse"), ["m2"]);
    }

    /// Migration 5 adds the local block flag (people stored before are not
    /// blocked) and the preferences table.
    #[test]
    fn migration_5_keeps_people_unblocked_and_adds_preferences() {
        let mut conn = at_version(4);
        conn.execute_batch("INSERT INTO users VALUES ('u1', 'maya', 'Maya');")
            .expect("rows fit schema 4");
        migrations().to_version(&mut conn, 5).expect("to 5");
        let (name, blocked): (String, i64) = conn
            .query_row("SELECT display_name, blocked FROM users", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("user");
        assert_eq!((name.as_str(), blocked), ("Maya", 0));
        conn.execute(
            "INSERT INTO preferences VALUES ('notifications', 'off')",
            [],
        )
        .expect("preferences");
        assert!(conn.execute("UPDATE users SET blocked = 2", []).is_err());
    }

    /// Migration 6 adds `left_at`: groups stored before were not left.
    #[test]
    fn migration_6_marks_no_group_as_left() {
        let mut conn = at_version(5);
        conn.execute_batch(
            "INSERT INTO conversations (id, kind, title, created_at, last_activity_at)
                 VALUES ('g1', 'group', 'Trip', 1, 1);",
        )
        .expect("rows fit schema 5");
        migrations().to_version(&mut conn, 6).expect("to 6");
        let left: Option<i64> = conn
            .query_row("SELECT left_at FROM conversations", [], |r| r.get(0))
            .expect("row");
        assert_eq!(left, None);
    }

    /// Migration 7 keeps hidden and visible messages as they were; none is erased.
    #[test]
    fn migration_7_erases_nothing() {
        let mut conn = at_version(6);
        conn.execute_batch(
            "INSERT INTO conversations (id, kind, title, created_at, last_activity_at)
                 VALUES ('g1', 'group', 'Trip', 1, 1);
             INSERT INTO messages (id, conversation_id, server_id, seq, position, sender_id,
                                   body, created_at, status, hidden_at, hidden_with)
                 VALUES ('m1', 'g1', 's1', 1, 1, 'u1', 'kept', 1, 'received', NULL, NULL),
                        ('m2', 'g1', 's2', 2, 2, 'u1', 'hidden', 1, 'received', 5, 'message');",
        )
        .expect("rows fit schema 6");
        migrations().to_version(&mut conn, 7).expect("to 7");
        let rows: Vec<(String, Option<i64>, Option<i64>)> = conn
            .prepare("SELECT body, hidden_at, erased_at FROM messages ORDER BY seq")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            vec![
                ("kept".into(), None, None),
                ("hidden".into(), Some(5), None)
            ]
        );
        // Only a hidden message can be erased.
        assert!(
            conn.execute("UPDATE messages SET erased_at = 9 WHERE id = 'm1'", [])
                .is_err()
        );
    }

    /// Migration 8 leaves every message outside any share.
    #[test]
    fn migration_8_shares_nothing() {
        let mut conn = at_version(7);
        conn.execute_batch(
            "INSERT INTO conversations (id, kind, title, created_at, last_activity_at)
                 VALUES ('g1', 'group', 'Trip', 1, 1);
             INSERT INTO messages (id, conversation_id, server_id, seq, position, sender_id,
                                   body, card_json, created_at, status)
                 VALUES ('m1', 'g1', 's1', 1, 1, 'u1', 'look', '{}', 1, 'received');",
        )
        .expect("rows fit schema 7");
        migrations().to_version(&mut conn, 8).expect("to 8");
        let share: Option<String> = conn
            .query_row("SELECT share_id FROM messages", [], |r| r.get(0))
            .expect("row");
        assert_eq!(share, None);
    }

    /// Migration 9 adds drafts: chats stored under schema 8 keep their rows and
    /// have none; a draft belongs to a chat, and an empty one is no draft.
    #[test]
    fn migration_9_starts_every_chat_without_a_draft() {
        let mut conn = at_version(8);
        conn.execute_batch(
            "INSERT INTO conversations (id, kind, title, created_at, last_activity_at)
                 VALUES ('g1', 'group', 'Trip', 1, 1);",
        )
        .expect("rows fit schema 8");
        migrations().to_version(&mut conn, 9).expect("to 9");
        let (chats, drafts): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM drafts)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("counts");
        assert_eq!((chats, drafts), (1, 0));
        conn.execute("INSERT INTO drafts VALUES ('g1', 'half a sentence', 2)", [])
            .expect("a draft in a known chat");
        assert!(
            conn.execute("INSERT INTO drafts VALUES ('nope', 'x', 2)", [])
                .is_err(),
            "a draft needs its chat"
        );
        assert!(
            conn.execute(
                "UPDATE drafts SET body = '' WHERE conversation_id = 'g1'",
                []
            )
            .is_err(),
            "an empty draft is no draft"
        );
    }

    /// Migration 10 indexes hidden messages: rows stored under schema 9 stay as
    /// they were, and reading a chat's hidden messages uses the new index
    /// instead of walking every message of the chat.
    #[test]
    fn migration_10_finds_hidden_messages_by_index() {
        let mut conn = at_version(9);
        let tally = "SELECT count(*), count(hidden_at) FROM messages";
        conn.execute_batch(
            "INSERT INTO conversations (id, kind, title, created_at, last_activity_at)
                 VALUES ('g1', 'group', 'Trip', 1, 1);",
        )
        .expect("rows fit schema 9");
        let counts = |c: &Connection| -> (i64, i64) {
            c.query_row(tally, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("counts")
        };
        let was = counts(&conn);
        migrations().to_version(&mut conn, 10).expect("to 10");
        assert_eq!(counts(&conn), was);
        let plan: Vec<String> = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT id FROM messages
                 WHERE conversation_id = 'g1' AND hidden_at IS NOT NULL ORDER BY position DESC",
            )
            .expect("plan")
            .query_map([], |r| r.get::<_, String>(3))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("plan rows");
        assert!(
            plan.iter().any(|step| step.contains("messages_hidden")),
            "{plan:?}"
        );
    }

    /// Migration 11 gives our own messages their wire id (the row's id, as
    /// sent), leaves others' without one, and keeps every row.
    #[test]
    fn migration_11_names_our_own_messages_by_the_id_they_were_sent_with() {
        let mut conn = at_version(10);
        conn.execute_batch(
            "INSERT INTO profile VALUES (1, 'me', 'maya', 'Maya', 'http://relay');
             INSERT INTO conversations (id, kind, title, created_at, last_activity_at)
                 VALUES ('g1', 'group', 'Trip', 1, 1);
             INSERT INTO messages (id, conversation_id, server_id, seq, position, sender_id,
                                   body, created_at, status)
                 VALUES ('m1', 'g1', 's1', 1, 1, 'me', 'mine', 1, 'sent'),
                        ('m2', 'g1', 's2', 2, 2, 'leo', 'his', 2, 'received');
             INSERT INTO sync_cursors VALUES ('account', 7, 1);",
        )
        .expect("rows fit schema 10");
        migrations().to_version(&mut conn, 11).expect("to 11");
        let rows: Vec<(String, Option<String>)> = conn
            .prepare("SELECT id, wire_id FROM messages ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            [("m1".into(), Some("m1".into())), ("m2".into(), None)]
        );
        let epoch: Option<String> = conn
            .query_row("SELECT epoch FROM sync_cursors", [], |r| r.get(0))
            .expect("cursor");
        assert_eq!(epoch, None, "a position from before epochs names none");
    }

    #[test]
    fn schema_version_matches_the_migration_list() {
        let conn = at_version(MIGRATIONS.len());
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("user_version");
        assert_eq!(v, SCHEMA_VERSION);
    }

    /// Migration 14 indexes the visible messages again, in an index that
    /// forgets a removed message's terms at once: hiding the only message with
    /// a word takes the word out of the index's vocabulary, not just out of
    /// the results.
    #[test]
    fn migration_14_keeps_search_and_a_hide_takes_the_words_out_of_the_index() {
        let mut conn = at_version(13);
        conn.execute_batch(
            "INSERT INTO users VALUES ('u1', 'maya', 'Maya', 0);
             INSERT INTO conversations (id, kind, peer_id, created_at, last_activity_at)
                 VALUES ('c1', 'direct', 'u1', 1, 5);
             INSERT INTO messages (id, conversation_id, seq, position, sender_id, body, created_at, status, hidden_at, hidden_with)
                 VALUES ('m1', 'c1', 1, 1, 'u1', 'visible lighthouse', 5, 'received', NULL, NULL),
                        ('m2', 'c1', 2, 2, 'u1', 'hidden zanzibar', 6, 'received', 9, 'message'),
                        ('m3', 'c1', 3, 3, 'u1', 'visible quokka', 7, 'received', NULL, NULL);",
        )
        .expect("rows fit schema 13");
        migrations().to_version(&mut conn, 14).expect("to 14");
        assert_eq!(hits(&conn, "lighthouse"), ["m1"]);
        assert_eq!(hits(&conn, "visible"), ["m1", "m3"]);
        assert!(hits(&conn, "zanzibar").is_empty());

        conn.execute_batch(
            "CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, message_search, 'row');
             UPDATE messages SET hidden_at = 10, hidden_with = 'message' WHERE id = 'm3';
             DELETE FROM messages WHERE id = 'm1';",
        )
        .expect("hide one, delete one");
        let terms: Vec<String> = conn
            .prepare("SELECT term FROM terms ORDER BY term")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(terms.is_empty(), "the index still holds {terms:?}");
        conn.execute(
            "UPDATE messages SET hidden_at = NULL, hidden_with = NULL WHERE id = 'm3'",
            [],
        )
        .expect("restore");
        assert_eq!(hits(&conn, "quokka"), ["m3"]);
    }

    /// Migration 15 adds receipt marks, which go with their conversation.
    #[test]
    fn migration_15_keeps_receipt_marks_per_conversation() {
        let mut conn = at_version(14);
        conn.execute_batch(
            "INSERT INTO users VALUES ('u1', 'maya', 'Maya', 0);
             INSERT INTO conversations (id, kind, peer_id, created_at, last_activity_at)
                 VALUES ('c1', 'direct', 'u1', 1, 5);",
        )
        .expect("rows fit schema 14");
        migrations().to_version(&mut conn, 15).expect("to 15");
        conn.execute_batch("INSERT INTO receipt_marks VALUES ('c1', 'u1', 'delivered', 3, 7);")
            .expect("a mark");
        assert!(
            conn.execute(
                "INSERT INTO receipt_marks VALUES ('c1', 'u1', 'typed', 3, 7)",
                []
            )
            .is_err(),
            "only delivered and read"
        );
        conn.execute("DELETE FROM conversations WHERE id = 'c1'", [])
            .expect("delete chat");
        let left: i64 = conn
            .query_row("SELECT count(*) FROM receipt_marks", [], |r| r.get(0))
            .expect("count");
        assert_eq!(left, 0);
    }

    /// Migration 16 keeps reactions out of search, and a message's reactions
    /// are found through their index, whatever else the chat holds.
    #[test]
    fn migration_16_finds_reactions_by_index_and_never_searches_them() {
        let mut conn = at_version(15);
        conn.execute_batch(
            "INSERT INTO users VALUES ('u1', 'maya', 'Maya', 0);
             INSERT INTO conversations (id, kind, peer_id, created_at, last_activity_at)
                 VALUES ('c1', 'direct', 'u1', 1, 5);
             INSERT INTO messages (id, conversation_id, seq, position, sender_id, body, created_at, status, wire_id)
                 VALUES ('m1', 'c1', 1, 1, 'u1', 'lighthouse at noon', 5, 'received', 'w1');",
        )
        .expect("rows fit schema 15");
        migrations().to_version(&mut conn, 16).expect("to 16");
        conn.execute_batch(
            "INSERT INTO messages (id, conversation_id, seq, position, sender_id, body, created_at, status, wire_id, reaction_json)
                 VALUES ('r1', 'c1', 2, 2, 'u1', 'lighthouse', 6, 'received', 'w2',
                         '{\"author\":\"u1\",\"message\":\"w1\"}');",
        )
        .expect("a reaction");
        assert_eq!(
            hits(&conn, "lighthouse"),
            ["m1"],
            "the reaction is not searched"
        );
        conn.execute("DELETE FROM messages WHERE id = 'r1'", [])
            .expect("a reaction leaves the index alone");
        assert_eq!(hits(&conn, "lighthouse"), ["m1"]);

        // Today's columns read the plan, on today's schema.
        migrations().to_latest(&mut conn).expect("to the newest");
        let plan: Vec<String> = conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT {} FROM messages m
                 LEFT JOIN users u ON u.id = m.sender_id {} WHERE m.id = 'm1'",
                super::super::conversations::MESSAGE_COLUMNS,
                super::super::conversations::REPLY_JOINS
            ))
            .expect("plan")
            .query_map([], |r| r.get::<_, String>(3))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("plan rows");
        assert!(
            plan.iter().any(|step| step.contains("USING INDEX messages_reactions (conversation_id=? AND reacts_to_author=? AND reacts_to=?)")),
            "{plan:?}"
        );
    }
}
