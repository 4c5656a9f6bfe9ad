-- Candor local store, schema 8: one video shared to several chats at once.

-- The messages of one share carry the same id (this device's only: it is never
-- sent). They wait out one undo-send window, and Undo on any of them takes
-- back all of them.
ALTER TABLE messages ADD COLUMN share_id TEXT;
CREATE INDEX messages_share ON messages (share_id) WHERE share_id IS NOT NULL;

-- A chat's Videos view: its visible messages with a card, newest first.
CREATE INDEX messages_videos
    ON messages (conversation_id, position) WHERE card_json IS NOT NULL AND hidden_at IS NULL;
