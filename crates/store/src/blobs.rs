//! Where uploaded files live. Loopdesk keeps them under its data directory ([`FsBlobs`]); the
//! trait is the seam for an S3-compatible store, which needs only these three operations.

use std::io;
use std::path::PathBuf;

use futures_util::future::BoxFuture;
use tokio::io::AsyncWriteExt;

/// A store of files by key (`tenant/attachment`, and derived files beside them).
pub trait Blobs: Send + Sync {
    /// Stores `bytes` under `key`, replacing what was there.
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>>;
    /// The bytes under `key` (`NotFound` when there are none).
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Vec<u8>>>;
    /// Forgets `key` (nothing there is no error).
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>>;
}

/// Files in a directory, one per key.
#[derive(Clone, Debug)]
pub struct FsBlobs {
    root: PathBuf,
}

impl FsBlobs {
    /// Files under `root` (made when the first one is stored).
    pub fn new(root: PathBuf) -> FsBlobs {
        FsBlobs { root }
    }

    /// The file of a key; keys never climb out of the root.
    fn path(&self, key: &str) -> io::Result<PathBuf> {
        let safe = !key.is_empty()
            && key
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..");
        if !safe {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad blob key"));
        }
        Ok(self.root.join(key))
    }
}

impl Blobs for FsBlobs {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let path = self.path(key)?;
            if let Some(dir) = path.parent() {
                let mut builder = tokio::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                builder.mode(0o700);
                builder.create(dir).await?;
            }
            // Written aside and renamed: a reader never sees half a file. Only this user may
            // read it.
            let part = path.with_extension("part");
            let mut options = tokio::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            options.mode(0o600);
            let mut file = options.open(&part).await?;
            file.write_all(bytes).await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&part, &path).await
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Vec<u8>>> {
        Box::pin(async move { tokio::fs::read(self.path(key)?).await })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_kept_by_key_and_keys_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobs::new(dir.path().to_owned());
        blobs.put("t1/a", b"one").await.unwrap();
        blobs.put("t1/a", b"two").await.unwrap();
        assert_eq!(blobs.get("t1/a").await.unwrap(), b"two");
        blobs.delete("t1/a").await.unwrap();
        blobs.delete("t1/a").await.unwrap();
        assert_eq!(
            blobs.get("t1/a").await.unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        for bad in ["../x", "t1/../../x", "", "/etc/passwd", "t1//a"] {
            assert!(blobs.put(bad, b"x").await.is_err(), "{bad}");
        }
    }
}
