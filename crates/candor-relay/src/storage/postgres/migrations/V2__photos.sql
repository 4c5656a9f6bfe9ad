-- Photos (protocol 4). A photo's bytes are a blob named by their SHA-256,
-- kept here (blob_bytes) because the database is the one store every node
-- shares; the other tables say who uploaded which and which messages name
-- it, as in the embedded store's schema 11.
ALTER TABLE messages ADD COLUMN photos_json TEXT;

CREATE TABLE blob_bytes (
    id     TEXT PRIMARY KEY,
    bytes  BYTEA NOT NULL
);

CREATE TABLE blobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('jpeg', 'png')),
    bytes       BIGINT NOT NULL CHECK (bytes > 0),
    created_at  BIGINT NOT NULL
);

CREATE TABLE blob_uploads (
    blob_id  TEXT NOT NULL REFERENCES blobs(id),
    user_id  TEXT NOT NULL REFERENCES users(id),
    at       BIGINT NOT NULL,
    PRIMARY KEY (blob_id, user_id)
);

CREATE TABLE message_blobs (
    blob_id          TEXT NOT NULL REFERENCES blobs(id),
    conversation_id  TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    PRIMARY KEY (blob_id, conversation_id, seq)
);
