-- Candor local store, schema 6: groups this account has left.

-- Set when this account leaves a group: the chat stays readable here, and the
-- composer says why it cannot write. Cleared if the relay describes the group
-- to this account again (someone added it back).
ALTER TABLE conversations ADD COLUMN left_at INTEGER;
