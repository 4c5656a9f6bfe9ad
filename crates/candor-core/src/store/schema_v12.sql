-- Candor profile store, schema 12: who a group's admins are, as the relay
-- says (only they remove members and make admins; the app offers those
-- actions to them alone). Known from the next time the relay describes the
-- group, which it does at every connect.
ALTER TABLE members ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));
