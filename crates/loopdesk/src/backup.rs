//! `loopdesk backup` and `loopdesk restore`: one archive (zip) holding a consistent copy of
//! the SQLite database, taken while Loopdesk serves, every attachment, and a manifest with
//! each table's fingerprint and each file's SHA-256, so a restore proves itself complete.
//! On PostgreSQL the database is `pg_dump`'s (README), attachments included when they are kept
//! in it (the default there); the archive holds the files of an attachment directory.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use loopdesk_store::backup::{table_sums, TableSum};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// The archive's layout version.
const FORMAT: u32 = 1;
/// The database's name in the archive.
const DATABASE: &str = "loopdesk.db";
/// Where the attachments go in the archive (and under the data directory).
const ATTACHMENTS: &str = "attachments";

/// What an archive holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version.
    pub format: u32,
    /// The version of Loopdesk that made it.
    pub loopdesk: String,
    /// When (RFC 3339).
    pub made_at: String,
    /// `sqlite` (database included) or `postgres` (attachments only).
    pub backend: String,
    /// Every table's rows and fingerprint (SQLite).
    pub tables: BTreeMap<String, TableSum>,
    /// Every attachment file (path under `attachments/`) with its size and SHA-256.
    pub files: BTreeMap<String, FileSum>,
}

pub use loopdesk_store::backup::FileSum;

fn is_sqlite(cfg: &Config) -> bool {
    cfg.database_url.expose().starts_with("sqlite:")
}

/// The SQLite database file of this install.
fn sqlite_path(cfg: &Config) -> anyhow::Result<PathBuf> {
    crate::app::sqlite_file(cfg.database_url.expose())
        .context("an in-memory database has nothing to back up or restore")
}

/// Every regular file under `root`, as paths relative to it (a file being written, `*.part`,
/// is left out: the one it becomes is whole).
fn files_under(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
        };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                dirs.push(path);
            } else if kind.is_file() && path.extension().is_none_or(|e| e != "part") {
                out.push(path.strip_prefix(root)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn sum_of(bytes: &[u8]) -> FileSum {
    FileSum {
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
    }
}

/// The archive name of a relative path (always `/`-separated).
fn archive_name(rel: &Path) -> anyhow::Result<String> {
    let parts: Vec<&str> = rel
        .components()
        .map(|c| c.as_os_str().to_str().context("a file name is not UTF-8"))
        .collect::<anyhow::Result<_>>()?;
    Ok(parts.join("/"))
}

/// Writes the archive of this install to `out` (which must not exist): the database copied
/// first (every attachment its rows name is already on disk), then the files.
pub async fn backup(
    cfg: &Config,
    out: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Manifest> {
    ensure!(!out.exists(), "{} exists already", out.display());
    let mut manifest = Manifest {
        format: FORMAT,
        loopdesk: env!("CARGO_PKG_VERSION").to_owned(),
        made_at: now.to_rfc3339(),
        backend: if is_sqlite(cfg) { "sqlite" } else { "postgres" }.to_owned(),
        tables: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    // The copy is made beside the archive, and goes once it is in it.
    let copy = out.with_extension("db-copy");
    if is_sqlite(cfg) {
        let _ = std::fs::remove_file(&copy);
        let store = crate::app::open_store(cfg).await?;
        store.copy_database_to(&copy).await?;
        store.close().await;
        manifest.tables = table_sums(&copy).await?;
    }
    let part = out.with_extension("part");
    let file = File::create(&part).with_context(|| format!("creating {}", part.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    if is_sqlite(cfg) {
        zip.start_file(DATABASE, options)?;
        std::io::copy(&mut File::open(&copy)?, &mut zip)?;
    }
    let root = cfg.data_dir.join(ATTACHMENTS);
    for rel in files_under(&root)? {
        let bytes = std::fs::read(root.join(&rel))?;
        let name = archive_name(&rel)?;
        zip.start_file(format!("{ATTACHMENTS}/{name}"), options)?;
        zip.write_all(&bytes)?;
        manifest.files.insert(name, sum_of(&bytes));
    }
    zip.start_file("manifest.json", options)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
    zip.finish()?.sync_all()?;
    std::fs::rename(&part, out)?;
    let _ = std::fs::remove_file(&copy);
    Ok(manifest)
}

/// Writes the archive's files under `staging` and its database to `db`, each checked
/// against the manifest.
async fn unpack(
    zip: &mut zip::ZipArchive<File>,
    manifest: &Manifest,
    staging: &Path,
    db: Option<&Path>,
) -> anyhow::Result<()> {
    for (name, want) in &manifest.files {
        let safe = name
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..");
        ensure!(safe, "a file name climbs out of the archive: {name}");
        let mut bytes = Vec::new();
        zip.by_name(&format!("{ATTACHMENTS}/{name}"))
            .with_context(|| format!("{name} is in the manifest, not in the archive"))?
            .read_to_end(&mut bytes)?;
        ensure!(
            &sum_of(&bytes) == want,
            "{name} is not the file that was backed up"
        );
        let path = staging.join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &bytes)?;
    }
    if let Some(db) = db {
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        {
            let mut out = File::create(db)?;
            let mut entry = zip
                .by_name(DATABASE)
                .context("the archive has no database")?;
            std::io::copy(&mut entry, &mut out)?;
            out.sync_all()?;
        }
        let restored = table_sums(db).await?;
        if restored != manifest.tables {
            let differ: Vec<&String> = manifest
                .tables
                .keys()
                .chain(restored.keys())
                .filter(|t| manifest.tables.get(*t) != restored.get(*t))
                .collect();
            bail!("the restored database differs from the backup in {differ:?}");
        }
    }
    Ok(())
}

/// Restores an archive into this install, which must hold no database yet (SQLite) and no
/// attachments: every file checked against the manifest, then every table of the restored
/// database against its fingerprint.
pub async fn restore(cfg: &Config, archive: &Path) -> anyhow::Result<Manifest> {
    let mut zip = zip::ZipArchive::new(
        File::open(archive).with_context(|| format!("opening {}", archive.display()))?,
    )?;
    let manifest: Manifest = {
        let mut text = String::new();
        zip.by_name("manifest.json")
            .context("the archive has no manifest")?
            .read_to_string(&mut text)?;
        serde_json::from_str(&text).context("reading the manifest")?
    };
    ensure!(
        manifest.format == FORMAT,
        "archive format {} is not {FORMAT}",
        manifest.format
    );
    let root = cfg.data_dir.join(ATTACHMENTS);
    ensure!(
        files_under(&root)?.is_empty(),
        "{} holds attachments already: restore into an empty install",
        root.display()
    );
    let sqlite = manifest.backend == "sqlite";
    if sqlite != is_sqlite(cfg) {
        bail!(
            "the archive is of a {} install; this one is not",
            manifest.backend
        );
    }
    let db = if sqlite {
        let db = sqlite_path(cfg)?;
        ensure!(
            !db.exists(),
            "{} exists: restore into an empty install",
            db.display()
        );
        Some(db)
    } else {
        None
    };
    // Everything goes in beside its place first, and into it once all of it is checked: a
    // refused archive leaves the install as it was.
    let staging = cfg.data_dir.join("attachments.restoring");
    let db_part = db.as_ref().map(|d| d.with_extension("restoring"));
    let done = unpack(&mut zip, &manifest, &staging, db_part.as_deref()).await;
    if let Err(e) = done {
        let _ = std::fs::remove_dir_all(&staging);
        if let Some(part) = &db_part {
            let _ = std::fs::remove_file(part);
        }
        return Err(e);
    }
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    if staging.exists() {
        std::fs::rename(&staging, &root)?;
    }
    if let (Some(part), Some(db)) = (db_part, db) {
        std::fs::rename(part, db)?;
    }
    Ok(manifest)
}
