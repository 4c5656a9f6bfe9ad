-- The relay's tables on PostgreSQL: the same rows as the embedded store's
-- schema 10 (ids as text, times as milliseconds since the epoch), plus the
-- two counters that SQLite's single writer made unnecessary: each
-- conversation's last seq, and the stream's last cursor. Append-only: a change
-- is a new file, V2__….sql, never an edit of this one.

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    handle           TEXT NOT NULL UNIQUE,   -- normalized: lower case
    display_name     TEXT NOT NULL,
    password_hash    TEXT NOT NULL,          -- Argon2id, PHC string
    created_at       BIGINT NOT NULL,
    who_can_message  TEXT NOT NULL DEFAULT 'everyone'
        CHECK (who_can_message IN ('everyone', 'contacts')),
    usage_day        BIGINT NOT NULL DEFAULT 0,
    messages_today   BIGINT NOT NULL DEFAULT 0,
    bytes_stored     BIGINT NOT NULL DEFAULT 0,
    suspended_at     BIGINT
);

CREATE TABLE sessions (
    token_hash    BYTEA PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id),
    device_name   TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX sessions_of_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    title       TEXT,
    created_at  BIGINT NOT NULL,
    -- The seq of its newest message. A send takes the row's lock to number
    -- the next one, so seqs are gapless and in commit order.
    last_seq    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE members (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    user_id          TEXT NOT NULL REFERENCES users(id),
    joined_at        BIGINT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'accepted' CHECK (state IN ('accepted', 'request')),
    delivered_seq    BIGINT NOT NULL DEFAULT 0,
    read_seq         BIGINT NOT NULL DEFAULT 0,
    admin            BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id, conversation_id);

CREATE TABLE contacts (
    user_id     TEXT NOT NULL REFERENCES users(id),
    contact_id  TEXT NOT NULL REFERENCES users(id),
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, contact_id)
);

CREATE TABLE blocks (
    user_id     TEXT NOT NULL REFERENCES users(id),
    blocked_id  TEXT NOT NULL REFERENCES users(id),
    blocked_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);

-- The hot table: every index and check here is paid for by every send.
-- There are no foreign keys: the batch that inserts a message holds the lock
-- on its chat's row and on its sender's (see batch.rs), and neither is ever
-- deleted, so PostgreSQL's per-row checks would only repeat them. server_id
-- is a random UUID made by the relay and never looked up: not indexed.
CREATE TABLE messages (
    -- The position in the relay's stream, from relay_stream (not a
    -- SEQUENCE: one leaves gaps and hands out numbers out of commit order).
    cursor           BIGINT PRIMARY KEY,
    server_id        TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    sender_id        TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    body             TEXT NOT NULL,
    card_json        TEXT,
    sent_at          BIGINT NOT NULL,
    reply_json       TEXT,
    reaction_json    TEXT,
    UNIQUE (client_id, sender_id),
    UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_stream ON messages (conversation_id, cursor);

CREATE TABLE member_spans (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    user_id          TEXT NOT NULL REFERENCES users(id),
    after_seq        BIGINT NOT NULL CHECK (after_seq >= 0),
    through_seq      BIGINT CHECK (through_seq IS NULL OR through_seq >= after_seq),
    PRIMARY KEY (conversation_id, user_id, after_seq)
);
CREATE INDEX member_spans_by_user ON member_spans (user_id, conversation_id);

-- The stream's last cursor. Every batch of sends locks this one row, so
-- cursors are gapless and a reader never sees cursor n+1 before n.
CREATE TABLE relay_stream (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    last_cursor  BIGINT NOT NULL
);
INSERT INTO relay_stream (only_row, last_cursor) VALUES (1, 0);

-- One epoch per incarnation of the database: each start of the server, and
-- each database made anew (a restore into a new database has another oid).
-- A database restored from an older copy begins one, so the cursors it hands
-- out again are told apart.
CREATE TABLE epochs (
    seq                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token              TEXT NOT NULL UNIQUE,
    after_cursor       BIGINT NOT NULL,
    started_at         BIGINT NOT NULL,
    server_started_at  TIMESTAMPTZ NOT NULL,
    database_oid       BIGINT NOT NULL,
    UNIQUE (server_started_at, database_oid)
);

CREATE TABLE relay_identity (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    relay_id  TEXT NOT NULL
);

CREATE TABLE relay_settings (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    invite_only  BOOLEAN NOT NULL DEFAULT false
);
INSERT INTO relay_settings (only_row, invite_only) VALUES (1, false);

CREATE TABLE invites (
    code_hash   BYTEA PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    used_by     TEXT REFERENCES users(id),
    used_at     BIGINT
);

CREATE TABLE rate_windows (
    what          TEXT NOT NULL,
    key           TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    count         BIGINT NOT NULL,
    PRIMARY KEY (what, key)
);
