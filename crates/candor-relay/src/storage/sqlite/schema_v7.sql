-- Candor relay store, schema 7: groups you can't be forced into.
--
-- A group member is an admin or not. The creator is the first admin; admins
-- remove members, make other admins, and are the only ones who may add back
-- someone who left or was removed. Before this schema every member could add
-- people and nobody could remove anyone; the relay did not record who created
-- a group, so its founding members (those who joined when it was made) become
-- its admins, and nobody loses a power they had over the members they chose.
ALTER TABLE members ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));

UPDATE members SET admin = 1
WHERE EXISTS (SELECT 1 FROM conversations c
              WHERE c.id = members.conversation_id AND c.kind = 'group'
                AND c.created_at = members.joined_at);

-- A group whose founders have all left gets one admin too: its longest-standing
-- member who accepted it (or, failing that, its longest-standing member).
UPDATE members SET admin = 1
WHERE NOT EXISTS (SELECT 1 FROM members a WHERE a.conversation_id = members.conversation_id
                                            AND a.admin = 1)
  AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = members.conversation_id
                                              AND c.kind = 'group')
  AND user_id = (SELECT m.user_id FROM members m WHERE m.conversation_id = members.conversation_id
                 ORDER BY m.state = 'accepted' DESC, m.joined_at, m.user_id LIMIT 1);
