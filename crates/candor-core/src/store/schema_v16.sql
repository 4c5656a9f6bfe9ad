-- Candor profile store, schema 16: reactions.
--
-- A reaction travels as a message (protocol 3): it takes a seq in its
-- conversation, is acknowledged, caught up and de-duplicated like any other,
-- and sits in this table so that all of that works unchanged. Its text is the
-- emoji; `reaction_json` names the message it is on (author and client id)
-- and whether it takes the sender's reaction back. A reaction is never a
-- message of its own in any list, count or search: every such query reads
-- only rows whose reaction_json is NULL.
ALTER TABLE messages ADD COLUMN reaction_json TEXT;
-- The message a reaction is on (its author and client id), as columns the
-- index below can serve: SQLite's planner did not use an index on the JSON
-- expressions for the lookup of a message's reactions, and scanned its chat.
ALTER TABLE messages ADD COLUMN reacts_to_author TEXT
    GENERATED ALWAYS AS (json_extract(reaction_json, '$.author')) VIRTUAL;
ALTER TABLE messages ADD COLUMN reacts_to TEXT
    GENERATED ALWAYS AS (json_extract(reaction_json, '$.message')) VIRTUAL;

-- A message's reactions, found by the message they are on.
CREATE INDEX messages_reactions
    ON messages (conversation_id, reacts_to_author, reacts_to)
    WHERE reaction_json IS NOT NULL;

-- A chat's shown messages, in order, without its reactions: the index the
-- chat's pages walk (messages_visible also holds reactions, which a page
-- would otherwise read and skip one by one).
CREATE INDEX messages_shown ON messages (conversation_id, position)
    WHERE hidden_at IS NULL AND reaction_json IS NULL;

-- Reactions are not searchable: the index triggers leave them out. Whether a
-- row is a reaction never changes, so each trigger's condition still matches
-- what was indexed.
DROP TRIGGER message_search_insert;
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    WHEN NEW.hidden_at IS NULL AND NEW.reaction_json IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

DROP TRIGGER message_search_hide;
CREATE TRIGGER message_search_hide AFTER UPDATE OF hidden_at ON messages
    WHEN OLD.hidden_at IS NULL AND NEW.hidden_at IS NOT NULL AND OLD.reaction_json IS NULL
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
END;

DROP TRIGGER message_search_unhide;
CREATE TRIGGER message_search_unhide AFTER UPDATE OF hidden_at ON messages
    WHEN OLD.hidden_at IS NOT NULL AND NEW.hidden_at IS NULL AND NEW.reaction_json IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

DROP TRIGGER message_search_body;
CREATE TRIGGER message_search_body AFTER UPDATE OF body ON messages
    WHEN OLD.hidden_at IS NULL AND NEW.hidden_at IS NULL AND OLD.body IS NOT NEW.body
     AND OLD.reaction_json IS NULL
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

DROP TRIGGER message_search_delete;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
    WHEN OLD.hidden_at IS NULL AND OLD.reaction_json IS NULL
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
END;
