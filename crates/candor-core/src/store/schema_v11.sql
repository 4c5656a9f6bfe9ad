-- Candor local store, schema 11: what sync protocol 2 needs to survive a
-- relay restored from an older copy of its data.
--
-- `wire_id` is the client id the sender's device gave a message (for our own
-- messages written here, the row's id). A message the relay lost and stores
-- again, offered by its sender's device, comes back with a new server id and
-- seq but the same (sender, wire_id): that is how it is recognised and moved,
-- not stored twice.
ALTER TABLE messages ADD COLUMN wire_id TEXT;
UPDATE messages SET wire_id = id WHERE sender_id = (SELECT user_id FROM profile);
CREATE UNIQUE INDEX messages_wire ON messages (sender_id, wire_id) WHERE wire_id IS NOT NULL;

-- Where the relay acknowledged (or delivered) one of our own messages: its
-- epoch and cursor. A relay that no longer holds that part of its history
-- has lost the message, and this device offers it again.
ALTER TABLE messages ADD COLUMN ack_epoch TEXT;
ALTER TABLE messages ADD COLUMN ack_cursor INTEGER;
CREATE INDEX messages_ack_epoch ON messages (ack_epoch, ack_cursor) WHERE ack_epoch IS NOT NULL;

-- A stream position means something only within its epoch. Positions kept
-- before protocol 2 have none, and are read as "from the start" (every
-- message already here is recognised and skipped).
ALTER TABLE sync_cursors ADD COLUMN epoch TEXT;

-- The epochs in which the relay acknowledged our messages, newest first by
-- use: a catch-up asks the relay how much of each it still holds.
CREATE TABLE acked_epochs (
    epoch          TEXT PRIMARY KEY,
    last_acked_at  INTEGER NOT NULL
) STRICT;
