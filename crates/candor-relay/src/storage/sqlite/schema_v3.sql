-- Candor relay store, schema 3: the messages table rebuilt for the write path.
--
-- Every send inserts one entry into each index of `messages`, and every batch
-- of sends writes each index page it touched to the WAL. An index keyed by
-- something random touches one page per distinct key in the batch, so schema 1
-- wrote about three scattered pages per message. This schema keeps one:
--
-- * The duplicate check's index is keyed (client_id, sender_id) instead of
--   (sender_id, client_id). Client ids are UUIDv7, ordered by time, so new
--   entries land on the last pages. It is unique all the same: a repeated send
--   is found by both columns, and another account's client id is not a repeat.
-- * UNIQUE (conversation_id, seq) goes. No query reads by it, and seq is made
--   in the same transaction as the insert, by the one message writer, from
--   conversations.last_seq: the index only checked what the writer guarantees.
-- * messages_stream (conversation_id, cursor) stays: catch-up reads a member's
--   conversations by cursor with it, so its cost follows the member's messages,
--   not the whole relay's.

CREATE TABLE messages_v3 (
    cursor           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id        TEXT NOT NULL UNIQUE,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    seq              INTEGER NOT NULL,
    sender_id        TEXT NOT NULL REFERENCES users(id),
    client_id        TEXT NOT NULL,
    body             TEXT NOT NULL,
    card_json        TEXT,
    sent_at          INTEGER NOT NULL,
    UNIQUE (client_id, sender_id)
) STRICT;

INSERT INTO messages_v3 (cursor, server_id, conversation_id, seq, sender_id, client_id, body, card_json, sent_at)
    SELECT cursor, server_id, conversation_id, seq, sender_id, client_id, body, card_json, sent_at
    FROM messages ORDER BY cursor;

-- Cursors are never reused: carry the stream's high-water mark over, even past
-- the last row that exists.
UPDATE sqlite_sequence
    SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0))
    WHERE name = 'messages_v3';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'messages_v3', seq FROM sqlite_sequence WHERE name = 'messages'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'messages_v3');

DROP TABLE messages;
ALTER TABLE messages_v3 RENAME TO messages;

CREATE INDEX messages_stream ON messages (conversation_id, cursor);
