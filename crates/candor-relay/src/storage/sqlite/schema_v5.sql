-- Candor relay store, schema 5: who may read what is ruled by positions in
-- each conversation's sequence, not by wall-clock time; and the relay knows
-- its own history (which run of the process stored which part of the stream).
--
-- Catch-up used to hand a member the messages with sent_at >= joined_at. But
-- sent_at is taken when the frame is read, not when it is stored, so a clock
-- step back, a member added while a send waited for the writer, or two people
-- starting the same direct chat at once could leave a stored message out of
-- every catch-up. And leaving deleted the membership, so a leaver's devices
-- that had not synced the group yet never got its history.
--
-- A member span says: `user_id` may read the seqs of `conversation_id` after
-- `after_seq`, through `through_seq` (NULL while still a member). Leaving
-- closes the span; being added again opens a new one.
CREATE TABLE member_spans (
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    user_id          TEXT NOT NULL REFERENCES users(id),
    after_seq        INTEGER NOT NULL CHECK (after_seq >= 0),
    through_seq      INTEGER CHECK (through_seq IS NULL OR through_seq >= after_seq),
    PRIMARY KEY (conversation_id, user_id, after_seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX member_spans_by_user ON member_spans (user_id, conversation_id);

-- Today's members keep what they could read before: the seqs sent from the
-- moment they joined.
INSERT INTO member_spans (conversation_id, user_id, after_seq, through_seq)
SELECT mb.conversation_id, mb.user_id,
       coalesce((SELECT max(m.seq) FROM messages m
                 WHERE m.conversation_id = mb.conversation_id AND m.sent_at < mb.joined_at), 0),
       NULL
FROM members mb;

-- One row per start of the relay process on this data directory: an epoch.
-- `token` is announced in Welcome and tagged on every stream position a
-- client keeps; `after_cursor` is the stream's end when the epoch began. A
-- data directory restored from an older copy has lost the epochs (or the
-- tail of an epoch) that came after the copy, which is how a client's
-- position from the lost part is recognised.
CREATE TABLE epochs (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    token         TEXT NOT NULL UNIQUE,
    after_cursor  INTEGER NOT NULL,
    started_at    INTEGER NOT NULL
) STRICT;

-- This relay's identity, made once with its data directory.
CREATE TABLE relay_identity (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    relay_id  TEXT NOT NULL
) STRICT;
