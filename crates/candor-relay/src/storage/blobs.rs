//! Where photos' bytes are kept, behind [`BlobStore`]. Who uploaded a blob,
//! and which messages name it, are rows of the relay's database, decided in
//! its transactions; the bytes are kept here, written before those rows, so
//! a row never names bytes that are not kept. Bytes no row names (a crash
//! between the two) are harmless: the next upload of the same photo writes
//! the same bytes under the same name.
//!
//! The embedded relay keeps them as files in its data directory
//! ([`FileBlobs`]); a relay of several nodes keeps them in its PostgreSQL
//! database (`postgres::PostgresBlobs`), the one store every node shares.

use std::path::{Path, PathBuf};

use candor_protocol::{BlobId, PhotoKind};

use super::StorageError;

/// A blob's bytes, by the SHA-256 of them. Both calls block.
pub trait BlobStore: Send + Sync + 'static {
    /// Keeps `bytes`, which hash to `id`, durably before returning. Keeping
    /// the same blob again changes nothing.
    fn put(&self, id: &BlobId, bytes: &[u8]) -> Result<(), StorageError>;

    /// The bytes kept as `id`, if any.
    fn get(&self, id: &BlobId) -> Result<Option<Vec<u8>>, StorageError>;
}

/// Blobs as files, `blobs/ab/abcd…` under the relay's data directory (the
/// first two digits make 256 folders, so none grows past what a file
/// system lists quickly). Each is written beside its place and renamed into
/// it, and the folder is synced, so a crash leaves a whole blob or none.
#[derive(Debug)]
pub struct FileBlobs {
    dir: PathBuf,
}

impl FileBlobs {
    /// Blobs kept under `data_dir/blobs`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("blobs"),
        }
    }

    fn path_of(&self, id: &BlobId) -> PathBuf {
        // A BlobId is 64 hexadecimal digits: no separator, no `..`.
        let name = id.as_str();
        self.dir.join(&name[..2]).join(name)
    }
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StorageError {
    StorageError::Open {
        path: path.display().to_string(),
        reason: format!("{what}: {e}"),
    }
}

impl BlobStore for FileBlobs {
    fn put(&self, id: &BlobId, bytes: &[u8]) -> Result<(), StorageError> {
        let path = self.path_of(id);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok(());
        }
        let folder = path.parent().unwrap_or(&self.dir);
        candor_private::create_dir(folder).map_err(|e| io("making it", folder, e))?;
        candor_private::write(&path, bytes).map_err(|e| io("writing it", &path, e))?;
        // The rename is durable once the folder that names it is.
        #[cfg(unix)]
        std::fs::File::open(folder)
            .and_then(|f| f.sync_all())
            .map_err(|e| io("syncing it", folder, e))?;
        Ok(())
    }

    fn get(&self, id: &BlobId) -> Result<Option<Vec<u8>>, StorageError> {
        let path = self.path_of(id);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("reading it", &path, e)),
        }
    }
}

/// A kind as the stores write it.
pub(super) fn kind_name(kind: PhotoKind) -> &'static str {
    match kind {
        PhotoKind::Jpeg => "jpeg",
        PhotoKind::Png => "png",
    }
}

/// A kind as the stores wrote it.
pub(super) fn kind_of(name: &str) -> Result<PhotoKind, StorageError> {
    match name {
        "jpeg" => Ok(PhotoKind::Jpeg),
        "png" => Ok(PhotoKind::Png),
        other => Err(StorageError::Corrupt(format!("a blob of kind {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_is_kept_once_under_its_name_for_its_owner_only() {
        let dir = tempfile::tempdir().expect("dir");
        let blobs = FileBlobs::in_data_dir(dir.path());
        let id: BlobId = "ab".repeat(32).parse().expect("id");
        assert_eq!(blobs.get(&id).expect("get"), None);
        blobs.put(&id, b"photo").expect("put");
        blobs.put(&id, b"photo").expect("again");
        assert_eq!(blobs.get(&id).expect("get").as_deref(), Some(&b"photo"[..]));
        let file = dir.path().join("blobs/ab").join(id.as_str());
        assert!(file.is_file());
        let folder = std::fs::read_dir(file.parent().expect("folder")).expect("list");
        assert_eq!(folder.count(), 1, "nothing partial is left beside it");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }
}
