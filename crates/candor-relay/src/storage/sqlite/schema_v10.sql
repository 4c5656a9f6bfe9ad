-- Candor relay store, schema 10: reactions (protocol 3). A reaction is stored
-- and delivered as a message of its chat, whose text is one emoji; this names
-- the message it is on (author and client id, in the same chat) and whether it
-- takes the sender's reaction back.
ALTER TABLE messages ADD COLUMN reaction_json TEXT;
