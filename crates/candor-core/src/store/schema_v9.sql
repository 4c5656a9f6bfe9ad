-- Candor local store, schema 9: each chat's unsent text (its draft).

-- One row per chat with text in its composer: kept across chat switches,
-- restarts and crashes, shown as "Draft: …" in the inbox. Never sent, never
-- indexed for search, and untouched by Delete for me and Erase: it is not a
-- message. Sending from the composer removes it in the send's transaction.
CREATE TABLE drafts (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id),
    body TEXT NOT NULL CHECK (body <> ''),
    saved_at INTEGER NOT NULL
) WITHOUT ROWID;
