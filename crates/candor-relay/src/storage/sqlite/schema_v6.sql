-- Candor relay store, schema 6: sessions a person can see and end.
--
-- A session gets a public id (its token's hash stays the relay's secret: the
-- account lists its devices by id and signs one out by id), and the time the
-- relay last heard from it, so that a session unheard from for long ends by
-- itself, and the account's list can say when each device was last seen.
-- Sessions from before get a random id and were last seen when made.
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;
UPDATE sessions SET id = lower(hex(randomblob(16))), last_seen_at = created_at;

CREATE UNIQUE INDEX sessions_by_id ON sessions (id);
CREATE INDEX sessions_of_user ON sessions (user_id) WHERE revoked_at IS NULL;
