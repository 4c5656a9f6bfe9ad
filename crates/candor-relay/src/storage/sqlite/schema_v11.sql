-- Candor relay store, schema 11: photos (protocol 4). A photo's bytes are a
-- blob kept beside the database (see `storage::blobs`), named by their
-- SHA-256; these rows say who uploaded which, and which messages name it.
-- A message's photos themselves travel as JSON, like its card.
ALTER TABLE messages ADD COLUMN photos_json TEXT;

CREATE TABLE blobs (
    id          TEXT PRIMARY KEY,   -- SHA-256, lowercase hex
    kind        TEXT NOT NULL CHECK (kind IN ('jpeg', 'png')),
    bytes       INTEGER NOT NULL CHECK (bytes > 0),
    created_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Each account that uploaded a blob: it may name the blob in a message, and
-- the blob's bytes count once against its quota.
CREATE TABLE blob_uploads (
    blob_id     TEXT NOT NULL REFERENCES blobs(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    at          INTEGER NOT NULL,
    PRIMARY KEY (blob_id, user_id)
) STRICT, WITHOUT ROWID;

-- Each message that names a blob: a member who may read that seq of that
-- chat may fetch the blob.
CREATE TABLE message_blobs (
    blob_id          TEXT NOT NULL REFERENCES blobs(id),
    conversation_id  TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    PRIMARY KEY (blob_id, conversation_id, seq)
) STRICT, WITHOUT ROWID;
