-- Candor relay store, schema 9: replies. A reply carries a quote of the
-- message it answers (its author, their client id, and an excerpt the
-- replier's device took), kept with the message as JSON and handed on as it
-- came. The quoted message, if the relay holds it, is in the same chat.
ALTER TABLE messages ADD COLUMN reply_json TEXT;
