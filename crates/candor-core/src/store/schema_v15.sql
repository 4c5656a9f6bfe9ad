-- Candor profile store, schema 15: who has received and read what, and since
-- when, for a message's Info view.
--
-- A receipt says a member's devices hold (or have read) a conversation
-- through a seq; each time one moves a member's position on, the new position
-- is kept with the time this device learned it. A message at seq S was
-- delivered to that member by the earliest time of a mark at or past S: the
-- member may have had it sooner (this device may have been offline), never
-- later, so the Info view says "by".
CREATE TABLE receipt_marks (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('delivered', 'read')),
    through_seq     INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id, kind, through_seq)
) STRICT, WITHOUT ROWID;
