-- Candor local store, schema 1. Append-only: later changes are new migrations.
-- Times are milliseconds since the Unix epoch, UTC. Ids are UUID strings.

CREATE TABLE profile (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    user_id       TEXT NOT NULL,
    handle        TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    relay_url     TEXT NOT NULL
) STRICT;

-- Everyone this device knows: contacts and members of its chats.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    handle        TEXT NOT NULL,
    display_name  TEXT NOT NULL
) STRICT;

CREATE TABLE contacts (
    user_id   TEXT PRIMARY KEY REFERENCES users(id),
    added_at  INTEGER NOT NULL,
    blocked   INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1))
) STRICT;

CREATE TABLE conversations (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    title            TEXT,
    peer_id          TEXT REFERENCES users(id),
    pinned           INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    muted_until      INTEGER,
    created_at       INTEGER NOT NULL,
    -- Denormalised summary, kept by the store: the newest visible message and its
    -- time, and the number of visible unread messages from others.
    last_message_id  TEXT,
    last_activity_at INTEGER NOT NULL,
    read_seq         INTEGER NOT NULL DEFAULT 0,
    unread_count     INTEGER NOT NULL DEFAULT 0,
    -- "Delete chat" on this device. Never sent anywhere.
    hidden_at        INTEGER,
    CHECK ((kind = 'direct') = (peer_id IS NOT NULL)),
    CHECK (kind = 'direct' OR title IS NOT NULL)
) STRICT;

CREATE UNIQUE INDEX conversations_direct_peer ON conversations (peer_id) WHERE kind = 'direct';
CREATE INDEX conversations_inbox
    ON conversations (pinned, last_activity_at, id) WHERE hidden_at IS NULL;

CREATE TABLE members (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id),
    joined_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    server_id        TEXT UNIQUE,
    seq              INTEGER,
    -- Display order: the relay's seq once known; before that, after every
    -- sequenced message, in the order written.
    position         INTEGER NOT NULL,
    sender_id        TEXT NOT NULL,
    body             TEXT NOT NULL,
    card_json        TEXT,
    created_at       INTEGER NOT NULL,
    status           TEXT NOT NULL
        CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed', 'received')),
    -- "Delete for me" on this device. Never sent anywhere.
    hidden_at        INTEGER,
    hidden_with      TEXT CHECK (hidden_with IN ('message', 'conversation')),
    CHECK ((hidden_at IS NULL) = (hidden_with IS NULL)),
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, position)
) STRICT;

CREATE INDEX messages_visible
    ON messages (conversation_id, position) WHERE hidden_at IS NULL;

-- Send jobs. A row here and its message are written in one transaction.
CREATE TABLE outbox (
    message_id       TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- Earliest send time: the end of the undo-send window.
    not_before       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at);

-- Catch-up positions per stream ('account' or 'conversation:<id>').
CREATE TABLE sync_cursors (
    stream      TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
