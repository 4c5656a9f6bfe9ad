-- Candor relay store, schema 1. Append-only. Times in ms since the epoch (UTC).

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    handle         TEXT NOT NULL UNIQUE,   -- normalized: lower case
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,          -- Argon2id, PHC string
    created_at     INTEGER NOT NULL
) STRICT;

-- One row per signed-in device. Only a hash of the token is kept.
CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    device_name  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    title       TEXT,
    last_seq    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE members (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    user_id          TEXT NOT NULL REFERENCES users(id),
    joined_at        INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX members_by_user ON members (user_id, conversation_id);

-- Every message ever sent, kept for every member. `cursor` orders the relay's
-- stream; `seq` is each conversation's own gapless sequence.
CREATE TABLE messages (
    cursor           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id        TEXT NOT NULL UNIQUE,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    seq              INTEGER NOT NULL,
    sender_id        TEXT NOT NULL REFERENCES users(id),
    client_id        TEXT NOT NULL,
    body             TEXT NOT NULL,
    card_json        TEXT,
    sent_at          INTEGER NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (sender_id, client_id)
) STRICT;

CREATE INDEX messages_stream ON messages (conversation_id, cursor);
