-- Candor local store, schema 4: full-text search over visible messages.

-- Contentless: the index keeps terms, not a second copy of each text, and
-- contentless_delete lets a hidden message's terms leave it. Rows are keyed by
-- the messages table's rowid; the store never runs VACUUM (which could
-- renumber those), and the triggers below are the only writers.
CREATE VIRTUAL TABLE message_search USING fts5(
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO message_search (rowid, body)
    SELECT rowid, body FROM messages WHERE hidden_at IS NULL;

-- Only visible messages are searchable: a hide takes a message out, an
-- unhide puts it back.
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    WHEN NEW.hidden_at IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

CREATE TRIGGER message_search_hide AFTER UPDATE OF hidden_at ON messages
    WHEN OLD.hidden_at IS NULL AND NEW.hidden_at IS NOT NULL
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.rowid;
END;

CREATE TRIGGER message_search_unhide AFTER UPDATE OF hidden_at ON messages
    WHEN OLD.hidden_at IS NOT NULL AND NEW.hidden_at IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

CREATE TRIGGER message_search_body AFTER UPDATE OF body ON messages
    WHEN OLD.hidden_at IS NULL AND NEW.hidden_at IS NULL AND OLD.body IS NOT NEW.body
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.rowid;
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
    WHEN OLD.hidden_at IS NULL
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.rowid;
END;
