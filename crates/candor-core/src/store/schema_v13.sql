-- Candor profile store, schema 13: replies. A reply keeps the quote it was
-- sent or received with (the original's author and client id, and the
-- replier's excerpt), as JSON; the original is found by (sender_id,
-- wire_id), which is unique, when this device holds it.
ALTER TABLE messages ADD COLUMN reply_json TEXT;
