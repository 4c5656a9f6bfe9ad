-- Candor local store, schema 5: people this account blocked, and preferences of
-- this device.

-- Mirrors the relay's block list for the people this device knows, so the chat
-- can say "You blocked them" without asking the relay.
ALTER TABLE users ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1));

-- Settings that belong to this device (notifications on or off, ...).
CREATE TABLE preferences (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;
