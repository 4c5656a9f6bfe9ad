-- Candor local store, schema 2: message requests.

-- A conversation started by someone who is not a contact waits in Requests until
-- accepted. The inbox index leads with it, so both lists are one index walk.
ALTER TABLE conversations ADD COLUMN request INTEGER NOT NULL DEFAULT 0 CHECK (request IN (0, 1));

DROP INDEX conversations_inbox;
CREATE INDEX conversations_inbox
    ON conversations (request, pinned, last_activity_at, id) WHERE hidden_at IS NULL;
