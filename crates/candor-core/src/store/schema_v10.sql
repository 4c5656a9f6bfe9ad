-- Candor local store, schema 10: finding a chat's hidden messages by index.

-- "Deleted for you (N)" in a chat's menu and the list behind it read the
-- chat's hidden messages. messages_visible covers only the visible ones, so
-- this read walked every message of the chat: in a chat of 100,000 messages,
-- tens of milliseconds with the store held, while the chat was opening.
CREATE INDEX messages_hidden
    ON messages (conversation_id, position) WHERE hidden_at IS NOT NULL;
