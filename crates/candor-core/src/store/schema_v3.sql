-- Candor local store, schema 3: read positions the relay has not heard yet.

-- A chat read while offline is reported when the connection returns: the sync
-- engine sends every read_seq above read_reported_seq, then moves it up.
ALTER TABLE conversations ADD COLUMN read_reported_seq INTEGER NOT NULL DEFAULT 0;

-- Chats stored before this schema had each read reported as it happened (or
-- dropped while offline, long ago): start from where they are.
UPDATE conversations SET read_reported_seq = read_seq;
