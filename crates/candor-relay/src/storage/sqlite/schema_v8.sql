-- Candor relay store, schema 8: what an operator controls, and what each
-- account uses.
--
-- Quotas: nothing the relay stores is ever deleted, so without a bound one
-- account could fill the disk (a one-member group is enough). Each account
-- counts the messages it sent on its current day (UTC) and the bytes of text
-- and cards it has stored in all; the relay refuses a send past either of
-- its quotas, with a sentence saying which.
ALTER TABLE users ADD COLUMN usage_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN messages_today INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN bytes_stored INTEGER NOT NULL DEFAULT 0;
UPDATE users SET bytes_stored = (
    SELECT coalesce(sum(length(CAST(m.body AS BLOB)) + coalesce(length(CAST(m.card_json AS BLOB)), 0)), 0)
    FROM messages m WHERE m.sender_id = users.id);

-- An operator can suspend an account (`candor-relay admin suspend`): it
-- cannot sign in, and its sessions end at once.
ALTER TABLE users ADD COLUMN suspended_at INTEGER;

-- Settings of the relay as a whole, changed by its operator.
CREATE TABLE relay_settings (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    invite_only  INTEGER NOT NULL DEFAULT 0 CHECK (invite_only IN (0, 1))
) STRICT;
INSERT INTO relay_settings (only_row) VALUES (1);

-- Invite codes for an invite-only relay: each signs up one account. Only a
-- hash of the code is kept, as for session tokens.
CREATE TABLE invites (
    code_hash   BLOB PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    used_by     TEXT REFERENCES users(id),
    used_at     INTEGER
) STRICT;

-- Rate limits that hold across restarts: events per (what, key) in a fixed
-- window that starts with the first event after the last one ended.
CREATE TABLE rate_windows (
    what          TEXT NOT NULL,
    key           TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (what, key)
) STRICT, WITHOUT ROWID;
