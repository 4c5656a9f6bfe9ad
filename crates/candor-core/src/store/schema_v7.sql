-- Candor local store, schema 7: hidden messages erased from this device.

-- Set by "Erase from this device": the message's text and card are gone from
-- this file (its row stays, with an empty body, so that a re-delivery from the
-- relay is recognised as a duplicate and never brings the text back). An
-- erased message is hidden for good: it cannot be restored.
ALTER TABLE messages ADD COLUMN erased_at INTEGER
    CHECK (erased_at IS NULL OR hidden_at IS NOT NULL);
