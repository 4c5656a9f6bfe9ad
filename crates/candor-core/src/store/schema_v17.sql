-- Candor profile store, schema 17: photos (protocol 4). A message's photos
-- are references to blobs on the relay (`photos_json`, as the message carries
-- them); their bytes are files in the profile's `photos` folder, kept by
-- `photo::PhotoCache`. A send job with photos first uploads them; the job
-- remembers that it did, until the relay says it no longer holds them.
ALTER TABLE messages ADD COLUMN photos_json TEXT;
ALTER TABLE outbox ADD COLUMN photos_uploaded INTEGER NOT NULL DEFAULT 0
    CHECK (photos_uploaded IN (0, 1));

-- Which messages name which photo: what decides whether a photo may be shown
-- (a message shown here names it) and whether its file may go (none does),
-- found by the photo, not by reading every message.
CREATE TABLE message_photos (
    blob        TEXT NOT NULL,
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (blob, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX message_photos_by_message ON message_photos (message_id);
