-- Candor relay store, schema 4: a conversation's last seq is read from its
-- messages, not kept in a column of its own.
--
-- Every send used to update conversations.last_seq as well as insert the
-- message: a second statement, and a second table page written per chat per
-- batch. The seq is written with the message, in the same transaction, so the
-- newest message of a chat (the end of messages_stream) already says what the
-- column said, and the message writer remembers it between batches (see
-- sequences.rs).

ALTER TABLE conversations DROP COLUMN last_seq;
