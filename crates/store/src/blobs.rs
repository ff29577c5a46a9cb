//! Where uploaded files live: under the data directory ([`FsBlobs`], SQLite's default) or in
//! the database in parts ([`DbBlobs`], PostgreSQL's default, where every instance reads what
//! any instance stored). The trait is the seam for an S3-compatible store, which needs only
//! these operations.

use std::io;
use std::path::PathBuf;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Store;

/// A file's bytes in pieces, as a download streams them.
pub type Pieces = BoxStream<'static, io::Result<Vec<u8>>>;

/// The largest piece read or stored at once.
pub const PIECE: usize = 1024 * 1024;

/// A store of files by key (`tenant/attachment`, and derived files beside them).
pub trait Blobs: Send + Sync {
    /// Stores `bytes` under `key`, replacing what was there.
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>>;
    /// The bytes under `key` (`NotFound` when there are none).
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Vec<u8>>>;
    /// Forgets `key` (nothing there is no error).
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// The bytes under `key` in pieces of at most [`PIECE`], for an answer that streams
    /// (`NotFound`, before any piece, when there are none).
    fn pieces<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Pieces>> {
        Box::pin(async move {
            let bytes = self.get(key).await?;
            Ok(stream::once(async move { Ok(bytes) }).boxed())
        })
    }
    /// Every key under `dir` (a tenant's id: `dir/…`), sorted.
    fn keys<'a>(&'a self, dir: &'a str) -> BoxFuture<'a, io::Result<Vec<String>>>;
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

    fn pieces<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Pieces>> {
        Box::pin(self.open_pieces(key))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        })
    }

    fn keys<'a>(&'a self, dir: &'a str) -> BoxFuture<'a, io::Result<Vec<String>>> {
        Box::pin(async move {
            let mut keys = Vec::new();
            let mut todo = vec![dir.to_owned()];
            while let Some(at) = todo.pop() {
                let mut entries = match tokio::fs::read_dir(self.path(&at)?).await {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    other => other?,
                };
                while let Some(entry) = entries.next_entry().await? {
                    let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                        continue;
                    };
                    let key = format!("{at}/{name}");
                    if entry.file_type().await?.is_dir() {
                        todo.push(key);
                    } else if !name.ends_with(".part") {
                        keys.push(key);
                    }
                }
            }
            keys.sort();
            Ok(keys)
        })
    }
}

impl FsBlobs {
    /// The file under `key`, read a piece at a time.
    async fn open_pieces(&self, key: &str) -> io::Result<Pieces> {
        let file = tokio::fs::File::open(self.path(key)?).await?;
        Ok(stream::try_unfold(file, |mut file| async move {
            let mut piece = vec![0; PIECE];
            let mut filled = 0;
            while filled < PIECE {
                let n = file.read(&mut piece[filled..]).await?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                return Ok(None);
            }
            piece.truncate(filled);
            Ok(Some((piece, file)))
        })
        .boxed())
    }
}

/// Files in the database (table `blob_parts`), in parts of at most [`PIECE`]: every instance
/// on the same database reads what any of them stored, and a backup of the database holds them.
#[derive(Clone, Debug)]
pub struct DbBlobs {
    store: Store,
}

impl DbBlobs {
    /// Files in `store`'s database.
    pub fn new(store: Store) -> DbBlobs {
        DbBlobs { store }
    }
}

fn db_error(e: sqlx::Error) -> io::Error {
    io::Error::other(e)
}

impl Blobs for DbBlobs {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let mut tx = self.store.write.begin().await.map_err(db_error)?;
            sqlx::query("DELETE FROM blob_parts WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            // An empty file is one empty part: it exists.
            let parts: Vec<&[u8]> = if bytes.is_empty() {
                vec![&[]]
            } else {
                bytes.chunks(PIECE).collect()
            };
            for (i, part) in parts.into_iter().enumerate() {
                sqlx::query("INSERT INTO blob_parts (key, part, bytes) VALUES ($1, $2, $3)")
                    .bind(key)
                    .bind(i64::try_from(i).unwrap_or(i64::MAX))
                    .bind(part)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
            tx.commit().await.map_err(db_error)
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Vec<u8>>> {
        Box::pin(async move {
            let parts: Vec<(Vec<u8>,)> =
                sqlx::query_as("SELECT bytes FROM blob_parts WHERE key = $1 ORDER BY part")
                    .bind(key)
                    .fetch_all(&self.store.read)
                    .await
                    .map_err(db_error)?;
            if parts.is_empty() {
                return Err(io::ErrorKind::NotFound.into());
            }
            Ok(parts.into_iter().flat_map(|(p,)| p).collect())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            sqlx::query("DELETE FROM blob_parts WHERE key = $1")
                .bind(key)
                .execute(&self.store.write)
                .await
                .map_err(db_error)?;
            Ok(())
        })
    }

    fn keys<'a>(&'a self, dir: &'a str) -> BoxFuture<'a, io::Result<Vec<String>>> {
        Box::pin(async move {
            // Compared as text, not by collation (a range on PostgreSQL's collation is not
            // a prefix); a scan, for the rare export or erase.
            let prefix = format!("{dir}/");
            sqlx::query_scalar(
                "SELECT DISTINCT key FROM blob_parts WHERE substr(key, 1, CAST($2 AS INTEGER)) = $1 ORDER BY key",
            )
            .bind(&prefix)
            .bind(i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX))
            .fetch_all(&self.store.read)
            .await
            .map_err(db_error)
        })
    }

    fn pieces<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Pieces>> {
        Box::pin(async move {
            let read = self.store.read.clone();
            let first = part(&read, key, 0).await?.ok_or(io::ErrorKind::NotFound)?;
            let rest = stream::try_unfold((read, key.to_owned(), 1), |(read, key, n)| async move {
                Ok(part(&read, &key, n)
                    .await?
                    .map(|bytes| (bytes, (read, key, n + 1))))
            });
            Ok(stream::once(async move { Ok(first) }).chain(rest).boxed())
        })
    }
}

/// One part of a file in the database, if it has that many.
async fn part(read: &sqlx::AnyPool, key: &str, n: i64) -> io::Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT bytes FROM blob_parts WHERE key = $1 AND part = $2")
            .bind(key)
            .bind(n)
            .fetch_optional(read)
            .await
            .map_err(db_error)?;
    Ok(row.map(|r| r.0))
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
        blobs.put("t1/a.thumb.jpg", b"t").await.unwrap();
        blobs.put("t10/b", b"x").await.unwrap();
        assert_eq!(blobs.keys("t1").await.unwrap(), ["t1/a", "t1/a.thumb.jpg"]);
        assert!(blobs.keys("t2").await.unwrap().is_empty());
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

    /// Files in the database: stored in parts, read whole or a piece at a time, replaced,
    /// forgotten; the same on both backends.
    async fn kept_in_the_database(url: String) {
        let (store, _) = crate::test_store(url).await;
        let blobs = DbBlobs::new(store.clone());
        let big: Vec<u8> = (0..PIECE * 2 + 1000).map(|i| (i % 251) as u8).collect();
        blobs.put("t1/a", &big).await.unwrap();
        assert_eq!(blobs.get("t1/a").await.unwrap(), big);
        let pieces: Vec<Vec<u8>> = blobs
            .pieces("t1/a")
            .await
            .unwrap()
            .map(|p| p.unwrap())
            .collect()
            .await;
        assert_eq!(
            pieces.iter().map(Vec::len).collect::<Vec<_>>(),
            [PIECE, PIECE, 1000]
        );
        assert_eq!(pieces.concat(), big);
        blobs.put("t1/a", b"small").await.unwrap();
        assert_eq!(blobs.get("t1/a").await.unwrap(), b"small");
        blobs.put("t1/empty", b"").await.unwrap();
        assert_eq!(blobs.get("t1/empty").await.unwrap(), b"");
        blobs.put("t10/other", b"x").await.unwrap();
        // A tenant's keys, not those of a tenant whose id merely starts the same.
        assert_eq!(blobs.keys("t1").await.unwrap(), ["t1/a", "t1/empty"]);
        blobs.delete("t1/a").await.unwrap();
        blobs.delete("t1/a").await.unwrap();
        for missing in [
            blobs.get("t1/a").await.err(),
            blobs.pieces("t1/a").await.err(),
        ] {
            assert_eq!(missing.map(|e| e.kind()), Some(io::ErrorKind::NotFound));
        }
        store.close().await;
    }

    #[tokio::test]
    async fn files_are_kept_in_the_database_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        kept_in_the_database(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("b.db").display()
        ))
        .await;
    }

    #[tokio::test]
    #[cfg_attr(
        not(loopdesk_pg),
        ignore = "skipped: set LOOPDESK_TEST_POSTGRES=postgres://… to run on PostgreSQL"
    )]
    async fn files_are_kept_in_the_database_on_postgres() {
        let server = std::env::var("LOOPDESK_TEST_POSTGRES").unwrap();
        let name = format!("loopdesk_blobs_{}", uuid::Uuid::new_v4().simple());
        let url = crate::create_database(&server, &name).await.unwrap();
        kept_in_the_database(url).await;
        crate::drop_database(&server, &name).await.unwrap();
    }

    #[tokio::test]
    async fn a_file_in_a_directory_is_read_a_piece_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobs::new(dir.path().to_owned());
        let big = vec![7u8; PIECE + 5];
        blobs.put("t1/b", &big).await.unwrap();
        let lens: Vec<usize> = blobs
            .pieces("t1/b")
            .await
            .unwrap()
            .map(|p| p.unwrap().len())
            .collect()
            .await;
        assert_eq!(lens, [PIECE, 5]);
        assert_eq!(
            blobs.pieces("t1/none").await.err().map(|e| e.kind()),
            Some(io::ErrorKind::NotFound)
        );
    }
}
