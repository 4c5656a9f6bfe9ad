//! Photos kept on this device, one file per blob in the profile's `photos`
//! folder, owner-only: one's own, prepared and waiting to be uploaded (and
//! shown meanwhile), and others', fetched from the relay when first shown.
//! A file here is always whole (written beside its place, then renamed) and
//! always the bytes its name hashes to (checked before it is written).
//!
//! Which files may be shown, and when one must go (an erase), is the store's
//! to say from its messages: this only keeps bytes.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use candor_protocol::BlobId;

/// The profile's photo folder.
#[derive(Debug)]
pub struct PhotoCache {
    dir: PathBuf,
    /// Removed with the cache: the folder of an in-memory store.
    ephemeral: bool,
}

impl PhotoCache {
    /// The folder `photos` beside the store's database file.
    pub fn beside(database: &Path) -> Self {
        let dir = database.parent().unwrap_or(Path::new(".")).join("photos");
        Self {
            dir,
            ephemeral: false,
        }
    }

    /// A folder of its own under the system's temporary folder, removed when
    /// the cache is dropped (for a store held in memory).
    pub fn ephemeral() -> Self {
        let dir = std::env::temp_dir().join(format!("candor-photos-{}", uuid::Uuid::now_v7()));
        Self {
            dir,
            ephemeral: true,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where `blob` is kept, whether or not it is.
    pub fn path(&self, blob: &BlobId) -> PathBuf {
        // 64 hexadecimal digits: no separator, no `..`.
        self.dir.join(blob.as_str())
    }

    /// Keeps `bytes` as `blob`, if they hash to it.
    pub fn put(&self, blob: &BlobId, bytes: &[u8]) -> std::io::Result<()> {
        if !hashes_to(blob, bytes) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the photo's bytes are not those its name hashes to",
            ));
        }
        let path = self.path(blob);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok(());
        }
        candor_private::create_dir(&self.dir)?;
        candor_private::write(&path, bytes)
    }

    /// The bytes kept as `blob`, if any.
    pub fn get(&self, blob: &BlobId) -> std::io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(blob)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `blob` is kept here.
    pub fn holds(&self, blob: &BlobId) -> bool {
        self.path(blob).is_file()
    }

    /// Removes `blob`'s file, if there is one.
    pub fn remove(&self, blob: &BlobId) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(blob)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

impl Drop for PhotoCache {
    fn drop(&mut self) {
        if self.ephemeral {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether `bytes` are the blob `blob` names.
pub fn hashes_to(blob: &BlobId, bytes: &[u8]) -> bool {
    BlobId::of_digest(&Sha256::digest(bytes).into()) == *blob
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bytes_a_name_hashes_to_are_kept_under_it() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = PhotoCache::beside(&dir.path().join("candor.db"));
        let bytes = b"a photo".to_vec();
        let blob = BlobId::of_digest(&Sha256::digest(&bytes).into());
        let other = BlobId::of_digest(&[7; 32]);
        assert!(cache.put(&other, &bytes).is_err());
        assert!(!cache.holds(&other));
        cache.put(&blob, &bytes).expect("put");
        assert_eq!(cache.get(&blob).expect("get"), Some(bytes));
        cache.remove(&blob).expect("remove");
        cache.remove(&blob).expect("again");
        assert_eq!(cache.get(&blob).expect("get"), None);
    }

    #[test]
    fn an_ephemeral_cache_takes_its_folder_with_it() {
        let cache = PhotoCache::ephemeral();
        let bytes = b"x".to_vec();
        let blob = BlobId::of_digest(&Sha256::digest(&bytes).into());
        cache.put(&blob, &bytes).expect("put");
        let dir = cache.dir().to_owned();
        assert!(dir.is_dir());
        drop(cache);
        assert!(!dir.exists());
    }
}
