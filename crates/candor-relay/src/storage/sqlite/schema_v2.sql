-- Candor relay store, schema 2: requests, contacts, blocks, receipts, settings.

-- 'request': a first message from someone who is not this member's contact,
-- waiting to be accepted. Read receipts are not shared while it waits.
ALTER TABLE members ADD COLUMN state TEXT NOT NULL DEFAULT 'accepted'
    CHECK (state IN ('accepted', 'request'));
ALTER TABLE members ADD COLUMN delivered_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN read_seq INTEGER NOT NULL DEFAULT 0;

ALTER TABLE users ADD COLUMN who_can_message TEXT NOT NULL DEFAULT 'everyone'
    CHECK (who_can_message IN ('everyone', 'contacts'));

-- user_id counts contact_id as a contact.
CREATE TABLE contacts (
    user_id     TEXT NOT NULL REFERENCES users(id),
    contact_id  TEXT NOT NULL REFERENCES users(id),
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, contact_id)
) STRICT, WITHOUT ROWID;

-- user_id refuses direct messages from blocked_id.
CREATE TABLE blocks (
    user_id     TEXT NOT NULL REFERENCES users(id),
    blocked_id  TEXT NOT NULL REFERENCES users(id),
    blocked_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
) STRICT, WITHOUT ROWID;
