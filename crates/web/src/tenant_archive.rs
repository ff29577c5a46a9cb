//! `loopdesk tenant export` and `loopdesk tenant import`: one tenant of an install in one
//! archive (zip), to move it to another install or keep it. The archive holds
//! `tenant.jsonl` — a header, then each table (parents first) as a line naming its columns
//! followed by one JSON array per row —, every file of the tenant under `files/`, and
//! `sums.json`, the fingerprints of every table and file. An import writes everything in one transaction,
//! checks every table's fingerprint and every file's SHA-256 against the archive before it
//! commits, and leaves the install as it was when anything differs.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use anyhow::{bail, ensure, Context};
use futures_util::StreamExt;
use loopdesk_store::backup::{FileSum, TableSum};
use loopdesk_store::blobs::Blobs;
use loopdesk_store::tenant_move::CarriedTenant;
use loopdesk_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The archive's layout version.
const FORMAT: u32 = 1;
/// The rows' file in the archive.
const ROWS: &str = "tenant.jsonl";
/// Where files go in the archive.
const FILES: &str = "files";

/// The first line of `tenant.jsonl`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    loopdesk: String,
    made_at: String,
    tenant: CarriedTenant,
}

/// A line announcing a table.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TableLine {
    table: String,
    columns: Vec<String>,
}

/// What a faithful import must reproduce.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sums {
    /// Every table's rows and fingerprint.
    pub tables: BTreeMap<String, TableSum>,
    /// Every file's size and SHA-256, by key.
    pub files: BTreeMap<String, FileSum>,
}

/// `sums.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SumsLine {
    sums: Sums,
}

/// Writes the tenant `slug` of this install to `out` (which must not exist): its rows as one
/// snapshot (consistent while it works on), then its files.
pub async fn export(
    store: &Store,
    blobs: &dyn Blobs,
    slug: &str,
    out: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Sums> {
    ensure!(!out.exists(), "{} exists already", out.display());
    let Some(tenant) = store.tenant_by_slug(slug).await? else {
        bail!(StoreError::NotFound)
    };
    let id = tenant.id.to_string();
    let part = out.with_extension("part");
    // It holds what the database holds (password hashes, second-factor secrets, webhook
    // secrets): only this user may read it.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&part)
        .with_context(|| format!("creating {}", part.display()))?;
    let written = write_archive(store, blobs, &id, &tenant.slug, file, now).await;
    match written {
        Ok(sums) => {
            std::fs::rename(&part, out)?;
            Ok(sums)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

async fn write_archive(
    store: &Store,
    blobs: &dyn Blobs,
    id: &str,
    slug: &str,
    file: File,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Sums> {
    let mut zip = zip::ZipWriter::new(file);
    let packed = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file(ROWS, packed)?;
    let header = Header {
        format: FORMAT,
        loopdesk: env!("CARGO_PKG_VERSION").to_owned(),
        made_at: now.to_rfc3339(),
        tenant: CarriedTenant {
            id: id.to_owned(),
            slug: slug.to_owned(),
        },
    };
    line(&mut zip, &header)?;
    let mut sums = Sums::default();
    let mut snapshot = store.tenant_snapshot().await?;
    let tables = snapshot.tables.clone();
    for table in &tables {
        let columns = table.columns.iter().map(|c| c.name.clone()).collect();
        line(
            &mut zip,
            &TableLine {
                table: table.name.clone(),
                columns,
            },
        )?;
        let mut sum = loopdesk_store::tenant_move::RowSums::default();
        snapshot
            .each_row(table, id, |row| {
                sum.add(&row);
                line(&mut zip, &row).map_err(|e| StoreError::Corrupt(format!("{e:#}")))
            })
            .await?;
        sums.tables.insert(table.name.clone(), sum.finish());
    }
    drop(snapshot);
    // Files are kept once and never changed in place: those of the snapshot's rows are all
    // there (one stored after it comes along too, harmlessly).
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let mut files = Vec::new();
    for key in blobs.keys(id).await? {
        let mut pieces = match blobs.pieces(&key).await {
            Ok(p) => p,
            // Deleted since it was listed.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        zip.start_file(format!("{FILES}/{key}"), stored)?;
        let mut hash = Sha256::new();
        let mut bytes = 0u64;
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            hash.update(&piece);
            bytes += piece.len() as u64;
            zip.write_all(&piece)?;
        }
        files.push((
            key,
            FileSum {
                bytes,
                sha256: hex::encode(hash.finalize()),
            },
        ));
    }
    sums.files = files.into_iter().collect();
    let mut sums_file = Vec::new();
    serde_json::to_writer(&mut sums_file, &SumsLine { sums: sums.clone() })?;
    sums_file.push(b'\n');
    zip.start_file("sums.json", packed)?;
    zip.write_all(&sums_file)?;
    zip.finish()?.sync_all()?;
    Ok(sums)
}

/// Writes one JSON line.
fn line(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// What an import carried in.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The tenant.
    pub tenant: CarriedTenant,
    /// What was checked: every table and file.
    pub sums: Sums,
    /// Search documents built for it.
    pub documents: u64,
}

/// Carries the tenant of the archive at `from` into this install, which must not have a
/// tenant of its id or slug: rows in one transaction, files beside them, everything checked
/// against the archive before the rows commit; on any difference nothing stays.
pub async fn import(store: &Store, blobs: &dyn Blobs, from: &Path) -> anyhow::Result<Imported> {
    let mut zip = zip::ZipArchive::new(
        File::open(from).with_context(|| format!("opening {}", from.display()))?,
    )?;
    let want: Sums = {
        let mut text = String::new();
        zip.by_name("sums.json")
            .context("the archive has no sums.json")?
            .read_to_string(&mut text)?;
        serde_json::from_str::<SumsLine>(&text)
            .context("reading sums.json")?
            .sums
    };
    let header: Header = {
        let mut lines =
            BufReader::new(zip.by_name(ROWS).context("the archive has no rows")?).lines();
        serde_json::from_str(&lines.next().context("the archive is empty")??)
            .context("reading the archive's header")?
    };
    ensure!(
        header.format == FORMAT,
        "archive format {} is not {FORMAT}",
        header.format
    );
    let tenant = header.tenant;
    ensure!(
        tenant.id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
        "the archive's tenant id is not one"
    );
    if store.tenant_taken(&tenant).await? {
        bail!(
            "this install has a tenant {} (or of id {}) already",
            tenant.slug,
            tenant.id
        );
    }
    // Files first (under an id no tenant of this install has, so nobody sees them), then the
    // rows in one transaction; whatever fails takes the files back.
    let mut put = Vec::new();
    let mut done = put_files(&mut zip, blobs, &tenant, &want, &mut put).await;
    if done.is_ok() {
        done = put_rows(store, &mut zip, &tenant, &want).await;
    }
    if let Err(e) = done {
        for key in &put {
            let _ = blobs.delete(key).await;
        }
        return Err(e);
    }
    let documents = store.reindex_tenant_search(&tenant.id).await?;
    Ok(Imported {
        tenant,
        sums: want,
        documents,
    })
}

/// Writes the archive's rows in one transaction, committed only when every table's
/// fingerprint is the archive's.
async fn put_rows(
    store: &Store,
    zip: &mut zip::ZipArchive<File>,
    tenant: &CarriedTenant,
    want: &Sums,
) -> anyhow::Result<()> {
    let mut import = match store.begin_tenant_import(tenant).await {
        Err(StoreError::Conflict { .. }) => bail!(
            "this install has a tenant {} (or of id {}) already",
            tenant.slug,
            tenant.id
        ),
        other => other?,
    };
    let lines = BufReader::new(zip.by_name(ROWS)?).lines();
    for (n, text) in lines.enumerate().skip(1) {
        let text = text?;
        let value: Value =
            serde_json::from_str(&text).with_context(|| format!("line {} of {ROWS}", n + 1))?;
        match value {
            Value::Array(row) => import.row(row).await?,
            other => {
                let t: TableLine = serde_json::from_value(other)
                    .with_context(|| format!("line {} of {ROWS}", n + 1))?;
                import.table(&t.table, &t.columns).await?;
            }
        }
    }
    import.complete().await?;
    let got = import.sums().await?;
    if got != want.tables {
        let differ: std::collections::BTreeSet<&String> = want
            .tables
            .keys()
            .chain(got.keys())
            .filter(|t| want.tables.get(*t) != got.get(*t))
            .collect();
        bail!("the imported rows differ from the archive's in {differ:?}; nothing was kept");
    }
    import.commit().await?;
    Ok(())
}

/// Stores every file the archive lists, each checked; `put` collects the keys stored.
async fn put_files(
    zip: &mut zip::ZipArchive<File>,
    blobs: &dyn Blobs,
    tenant: &CarriedTenant,
    want: &Sums,
    put: &mut Vec<String>,
) -> anyhow::Result<()> {
    let inside = format!("{}/", tenant.id);
    for (key, sum) in &want.files {
        let safe = key.starts_with(&inside)
            && key
                .split('/')
                .all(|p| !p.is_empty() && p != "." && p != "..");
        ensure!(safe, "a file of the archive is not the tenant's: {key}");
        let mut bytes = Vec::new();
        zip.by_name(&format!("{FILES}/{key}"))
            .with_context(|| format!("{key} is listed, not in the archive"))?
            .read_to_end(&mut bytes)?;
        let got = FileSum {
            bytes: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        };
        ensure!(&got == sum, "{key} is not the file that was exported");
        blobs.put(key, &bytes).await?;
        put.push(key.clone());
    }
    Ok(())
}

/// Erases a suspended tenant of this install: its rows, then its files. The row counts by
/// table, and the files removed.
pub async fn erase(
    store: &Store,
    blobs: &dyn Blobs,
    slug: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(loopdesk_store::tenant_move::Erased, usize)> {
    let Some(tenant) = store.tenant_by_slug(slug).await? else {
        bail!(StoreError::NotFound)
    };
    let erased = store.erase_tenant(slug, now).await?;
    let keys = blobs.keys(&tenant.id.to_string()).await?;
    for key in &keys {
        blobs.delete(key).await?;
    }
    Ok((erased, keys.len()))
}
