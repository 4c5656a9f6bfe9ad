-- Candor profile store, schema 14: the search index forgets for real.
--
-- Deleting a row of a contentless_delete FTS5 table only marks its rowid
-- deleted (a tombstone): the index cannot tell which terms were the row's, so
-- they stayed in its segments until a merge happened to rewrite them. A
-- hidden, erased or undone message's words were still in the file.
--
-- The index is made again as a plain contentless table. Each removal names
-- the terms it removes (FTS5's 'delete' command, with the text exactly as it
-- was indexed: the triggers are the only writers), and secure-delete makes
-- FTS5 take them out of the index at once rather than add delete keys beside
-- them. Hide, erase, undo send and discard all go through these triggers.
-- (Readable only by SQLite 3.42 and later; Candor bundles its own.)
DROP TRIGGER message_search_insert;
DROP TRIGGER message_search_hide;
DROP TRIGGER message_search_unhide;
DROP TRIGGER message_search_body;
DROP TRIGGER message_search_delete;
DROP TABLE message_search;

CREATE VIRTUAL TABLE message_search USING fts5(
    body,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1);

INSERT INTO message_search (rowid, body)
    SELECT rowid, body FROM messages WHERE hidden_at IS NULL;

CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    WHEN NEW.hidden_at IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

CREATE TRIGGER message_search_hide AFTER UPDATE OF hidden_at ON messages
    WHEN OLD.hidden_at IS NULL AND NEW.hidden_at IS NOT NULL
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
END;

CREATE TRIGGER message_search_unhide AFTER UPDATE OF hidden_at ON messages
    WHEN OLD.hidden_at IS NOT NULL AND NEW.hidden_at IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

CREATE TRIGGER message_search_body AFTER UPDATE OF body ON messages
    WHEN OLD.hidden_at IS NULL AND NEW.hidden_at IS NULL AND OLD.body IS NOT NEW.body
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
    INSERT INTO message_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
    WHEN OLD.hidden_at IS NULL
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
END;
