-- Candor profile store, schema 17: photos (protocol 4). A message's photos
-- are references to blobs on the relay (`photos_json`, as the message carries
-- them); their bytes are files in the profile's `photos` folder, kept by
-- `photo::PhotoCache`. A send job with photos first uploads them; the job
-- remembers that it did, until the relay says it no longer holds them.
ALTER TABLE messages ADD COLUMN photos_json TEXT;
ALTER TABLE outbox ADD COLUMN photos_uploaded INTEGER NOT NULL DEFAULT 0
    CHECK (photos_uploaded IN (0, 1));
