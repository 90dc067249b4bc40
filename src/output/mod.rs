//! Write stage: puts the rendered files into the output folder. A build opens a `Target`
//! before rendering and hands it each file as soon as it is made (`render::Sink`), so the
//! rendered site is never held in memory; nothing becomes visible in the output folder until
//! the whole site has rendered without error and the target is committed, so a content,
//! template or render failure leaves the previous site as it was. Only folders sitrep made
//! (marked) are touched.
//!
//! - Cold build (the folder does not exist): every file is written, as it comes, into a
//!   temporary sibling folder, which on commit is renamed into place, so the folder appears
//!   complete or not at all; a failed build removes it.
//! - Rebuild (the folder exists and carries the marker, or is empty): each file is compared
//!   with the one in the folder as it comes, and only files whose bytes differ (size, then
//!   content) are written, as they come, into a hidden staging folder inside the output
//!   folder (the same file system, whatever is mounted where), under a number. On commit the
//!   folder is updated in place: each staged file is renamed over its target (no reader ever
//!   sees half a file), unchanged files are not rewritten, and anything else in the folder —
//!   files of earlier builds that this one no longer makes, links, strays — is removed; the
//!   staging folder goes last. Nothing outside the folder is written or deleted, and links
//!   inside it are removed, never followed. Every change is logged and nothing is deleted
//!   until the update is complete (`undo`), so an I/O error midway puts the folder back as
//!   it was and is reported with the path.
//! - Skipping: `fingerprint` records the inputs and the folder a build left, so that a
//!   rebuild with nothing changed renders and writes nothing.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use anyhow::{bail, Context as _};
use rayon::prelude::*;

use crate::render::{OutputFile, Sink};

pub mod fingerprint;
mod undo;

/// Marks an output folder as made by sitrep, so the next build may update or replace it.
pub const MARKER: &str = ".sitrep-output";

const MARKER_TEXT: &str = "Made by sitrep: this folder is rewritten on every build.\n";

/// Prefix of the staging folders: beside a new output folder, inside an existing one.
const STAGING_PREFIX: &str = ".sitrep-staging-";

/// Inside the staging folder of an in-place update: what the update replaced or removed,
/// kept until it is complete (see `undo`). Staged files are named by numbers.
const ASIDE: &str = "aside";

/// What the write stage did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files of the site (the marker not counted).
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Files written (new or changed).
    pub written: usize,
    /// Bytes written.
    pub bytes_written: u64,
    /// Files left as they were because their bytes were already right.
    pub unchanged: usize,
    /// Files, links and folders removed because this build does not make them.
    pub removed: usize,
    /// True when the folder was made from scratch (staged and renamed into place).
    pub cold: bool,
}

/// Checks that a rendered path stays inside the output folder.
pub fn safe_relative_path(path: &str) -> anyhow::Result<PathBuf> {
    let p = Path::new(path);
    if path.is_empty() || path.contains('\\') || path.contains('\0') {
        bail!("refusing to write `{path}`: not a plain relative path");
    }
    for component in p.components() {
        match component {
            Component::Normal(_) => {}
            _ => bail!("refusing to write `{path}`: it would leave the output folder"),
        }
    }
    if path == MARKER || path == fingerprint::FINGERPRINT || path.starts_with(STAGING_PREFIX) {
        bail!("refusing to write `{path}`: the name is reserved for sitrep's own records");
    }
    Ok(p.to_path_buf())
}

/// Makes `out_dir` hold exactly `files` (and the marker), given all at once. Fails without
/// touching `out_dir` if it exists but was not made by sitrep, or if a path is unusable; see
/// the module doc for how.
pub fn write_atomic(files: Vec<OutputFile>, out_dir: &Path) -> anyhow::Result<WriteReport> {
    let target = Target::open(out_dir)?;
    for file in files {
        target.put(file)?;
    }
    target.commit()
}

/// The output folder of a build in progress: given every file as it is rendered, then
/// committed once the whole site is made. Dropped without `commit` (an error anywhere before
/// it), it leaves the output folder as it was and removes its staging folder.
pub struct Target {
    out_dir: PathBuf,
    how: How,
    /// Files given and their total size.
    files: AtomicUsize,
    bytes: AtomicU64,
}

enum How {
    /// A new folder, staged in a temporary sibling.
    Cold(Staging),
    /// An existing folder, updated in place on commit.
    InPlace(InPlace),
}

struct Staging {
    /// Deleted when dropped: the output folder never appears half made.
    dir: tempfile::TempDir,
    /// Paths written so far: files, and the folders made for them.
    made: Mutex<Made>,
    /// Each file written, with its size, times and inode read from the open file: the
    /// fingerprint's manifest of the new folder, without reading the folder again.
    written: Mutex<Vec<fingerprint::Entry>>,
}

#[derive(Default)]
struct Made {
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
}

struct InPlace {
    /// What the folder held when the build started (the staging folder made after it).
    existing: HashMap<PathBuf, Existing>,
    /// Every path given, in any order.
    relative: Mutex<Vec<PathBuf>>,
    /// Inside the output folder, deleted when dropped: the files whose bytes differ from
    /// those in the folder (or that are new), each named by the number `next` gave it.
    staging: tempfile::TempDir,
    /// Numbers handed out to staged files.
    next: AtomicUsize,
    /// Each staged file: its path in the site, its number in the staging folder, its size.
    changed: Mutex<Vec<Staged>>,
}

/// A changed file of an in-place rebuild, waiting in the staging folder.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Staged {
    rel: PathBuf,
    number: usize,
    size: u64,
}

impl Target {
    /// Opens `out_dir` for a build: a staging folder beside it if it does not exist; if it
    /// exists, a listing of what it holds and a staging folder inside it for the files that
    /// change. Fails if it exists but was not made by sitrep.
    pub fn open(out_dir: &Path) -> anyhow::Result<Target> {
        let how = if check_replaceable(out_dir)? {
            let existing = existing_entries(out_dir)?;
            let staging = tempfile::Builder::new()
                .prefix(STAGING_PREFIX)
                .tempdir_in(out_dir)
                .with_context(|| format!("creating a temporary folder in {}", out_dir.display()))?;
            How::InPlace(InPlace {
                existing,
                relative: Mutex::default(),
                staging,
                next: AtomicUsize::new(0),
                changed: Mutex::default(),
            })
        } else {
            let parent = out_dir
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
            let dir = tempfile::Builder::new()
                .prefix(STAGING_PREFIX)
                .tempdir_in(parent)
                .with_context(|| format!("creating a temporary folder in {}", parent.display()))?;
            How::Cold(Staging {
                dir,
                made: Mutex::default(),
                written: Mutex::default(),
            })
        };
        Ok(Target {
            out_dir: out_dir.to_path_buf(),
            how,
            files: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
        })
    }

    /// Makes the output folder hold exactly the files given (and the marker): renames the
    /// staging folder into place, or updates the existing folder.
    pub fn commit(self) -> anyhow::Result<WriteReport> {
        self.commit_listed().map(|(report, _)| report)
    }

    /// `commit`, with the fingerprint's manifest of the folder when this build made it from
    /// scratch (what it wrote, stated as it was written; renaming the folder into place
    /// changes none of it).
    pub fn commit_listed(self) -> anyhow::Result<(WriteReport, Option<Vec<fingerprint::Entry>>)> {
        let files = self.files.into_inner();
        let bytes = self.bytes.into_inner();
        match self.how {
            How::Cold(staging) => {
                let marker = staging.dir.path().join(MARKER);
                let marker_meta = write_stated(&marker, MARKER_TEXT.as_bytes())
                    .context("writing the output marker")?;
                std::fs::rename(staging.dir.path(), &self.out_dir).with_context(|| {
                    format!("moving the new site into {}", self.out_dir.display())
                })?;
                // Renamed: nothing left for the guard to delete.
                let _ = staging.dir.keep();
                let mut listed = staging
                    .written
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                listed.push(fingerprint::file_entry(MARKER.into(), &marker_meta));
                let made = staging
                    .made
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                listed.extend(
                    made.dirs
                        .iter()
                        .map(|d| fingerprint::dir_entry(fingerprint::entry_name(d))),
                );
                let report = WriteReport {
                    files,
                    bytes,
                    written: files,
                    bytes_written: bytes,
                    unchanged: 0,
                    removed: 0,
                    cold: true,
                };
                Ok((report, Some(listed)))
            }
            How::InPlace(update) => {
                let mut relative = update
                    .relative
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                relative.sort();
                let dirs = needed_dirs(&relative)?;
                let changed = update
                    .changed
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                let (written, bytes_written, removed) = update_in_place(
                    update.existing,
                    &relative,
                    &dirs,
                    (update.staging.path(), &changed),
                    &self.out_dir,
                )?;
                // Holds only what the update set aside: removed before the fingerprint lists
                // the folder.
                drop(update.staging);
                let report = WriteReport {
                    files,
                    bytes,
                    written,
                    bytes_written,
                    unchanged: files - written,
                    removed,
                    cold: false,
                };
                Ok((report, None))
            }
        }
    }
}

impl Sink for Target {
    /// Cold: writes the file into the staging folder. In place: compares it with the file in
    /// the output folder and stages it only if its bytes differ.
    fn put(&self, file: OutputFile) -> anyhow::Result<()> {
        match &self.how {
            How::Cold(staging) => self.stage(staging, &file.path, |target| {
                Ok((write_stated(target, &file.bytes)?, file.bytes.len() as u64))
            }),
            How::InPlace(update) => self.update(update, &file.path, |current, staged| {
                let size = file.bytes.len() as u64;
                if let Some(current) = current {
                    if same_bytes(current, &file.bytes)
                        .with_context(|| format!("reading {}", current.display()))?
                    {
                        return Ok((size, false));
                    }
                }
                std::fs::write(staged, &file.bytes)
                    .with_context(|| format!("writing {}", staged.display()))?;
                Ok((size, true))
            }),
        }
    }

    /// Cold: writes the pieces into the staging folder as they come. In place: compares them
    /// with the file in the output folder as they come, staging them from the first
    /// difference on; never whole in memory either way.
    fn put_pieces(
        &self,
        path: &str,
        pieces: &mut dyn Iterator<Item = &[u8]>,
    ) -> anyhow::Result<()> {
        match &self.how {
            How::Cold(staging) => {
                self.stage(staging, path, |target| write_pieces_stated(target, pieces))
            }
            How::InPlace(update) => self.update(update, path, |current, staged| {
                stage_if_different(current, staged, pieces).with_context(|| match current {
                    Some(current) => format!(
                        "comparing with {} and writing {}",
                        current.display(),
                        staged.display()
                    ),
                    None => format!("writing {}", staged.display()),
                })
            }),
        }
    }
}

impl Target {
    /// Cold: claims `path` in the staging folder, makes its file with `write` (which returns
    /// its metadata and size) and lists it for the fingerprint.
    fn stage(
        &self,
        staging: &Staging,
        path: &str,
        write: impl FnOnce(&Path) -> std::io::Result<(std::fs::Metadata, u64)>,
    ) -> anyhow::Result<()> {
        let rel = safe_relative_path(path)?;
        staging.make_room(&rel)?;
        let target = staging.dir.path().join(&rel);
        let (meta, size) =
            write(&target).with_context(|| format!("writing {}", target.display()))?;
        lock(&staging.written).push(fingerprint::file_entry(
            fingerprint::entry_name(&rel),
            &meta,
        ));
        self.count(size);
        Ok(())
    }

    /// In place: lists `path` as made and lets `compare_or_stage` compare the new bytes with
    /// the file there now (`None` when there is none, or something else is there) and stage
    /// them at the path it is given when they differ; it returns their size and whether it
    /// staged them.
    fn update(
        &self,
        update: &InPlace,
        path: &str,
        compare_or_stage: impl FnOnce(Option<&Path>, &Path) -> anyhow::Result<(u64, bool)>,
    ) -> anyhow::Result<()> {
        let rel = safe_relative_path(path)?;
        let current = self.out_dir.join(&rel);
        let current = (update.existing.get(&rel) == Some(&Existing::File)).then_some(&*current);
        let number = update.next.fetch_add(1, Ordering::Relaxed);
        let staged = update.staging.path().join(number.to_string());
        let (size, differs) = compare_or_stage(current, &staged)
            .with_context(|| format!("staging `{path}` (the output folder is unchanged)"))?;
        lock(&update.relative).push(rel.clone());
        if differs {
            lock(&update.changed).push(Staged { rel, number, size });
        }
        self.count(size);
        Ok(())
    }

    /// Counts one file of `size` bytes given to the target.
    fn count(&self, size: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(size, Ordering::Relaxed);
    }
}

/// `write_stated` for a file given in pieces; also returns its size.
fn write_pieces_stated(
    path: &Path,
    pieces: &mut dyn Iterator<Item = &[u8]>,
) -> std::io::Result<(std::fs::Metadata, u64)> {
    use std::io::Write as _;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut size = 0;
    for piece in pieces {
        file.write_all(piece)?;
        size += piece.len() as u64;
    }
    let file = file.into_inner().map_err(|e| e.into_error())?;
    Ok((file.metadata()?, size))
}

/// Writes `pieces` to `staged` unless they are exactly the bytes of the file `current`: they
/// are compared as they come, and at the first difference `staged` starts with the equal part,
/// copied from `current`. Returns their size and whether they were staged.
fn stage_if_different(
    current: Option<&Path>,
    staged: &Path,
    pieces: &mut dyn Iterator<Item = &[u8]>,
) -> std::io::Result<(u64, bool)> {
    use std::io::Write as _;
    let mut reader = match current {
        Some(path) => Some(std::io::BufReader::with_capacity(
            1 << 16,
            std::fs::File::open(path)?,
        )),
        None => None,
    };
    let start = |equal: u64| -> std::io::Result<std::io::BufWriter<std::fs::File>> {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(staged)?);
        if let Some(current) = current.filter(|_| equal > 0) {
            std::io::copy(&mut std::fs::File::open(current)?.take(equal), &mut out)?;
        }
        Ok(out)
    };
    let mut size = 0u64;
    let mut out = None;
    let mut buf = Vec::new();
    for piece in pieces {
        if out.is_none() {
            if let Some(reader) = reader.as_mut() {
                buf.resize(piece.len(), 0);
                if read_up_to(reader, &mut buf)? == piece.len() && buf == piece {
                    size += piece.len() as u64;
                    continue;
                }
            }
            out = Some(start(size)?);
        }
        if let Some(out) = out.as_mut() {
            out.write_all(piece)?;
        }
        size += piece.len() as u64;
    }
    let out = match out {
        Some(out) => out,
        // Every piece matched: unchanged if the file ends there too.
        None => {
            let ends = match reader.as_mut() {
                Some(reader) => read_up_to(reader, &mut [0])? == 0,
                None => false,
            };
            if ends {
                return Ok((size, false));
            }
            start(size)?
        }
    };
    out.into_inner().map_err(|e| e.into_error())?;
    Ok((size, true))
}

/// Reads until `buf` is full or the end of the file; returns how much was read.
fn read_up_to(reader: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Writes a new file and returns its metadata, read from the open file once written.
fn write_stated(path: &Path, bytes: &[u8]) -> std::io::Result<std::fs::Metadata> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.metadata()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Staging {
    /// Claims `rel` for a file and makes the folders it needs in the staging folder; fails if
    /// the path was given before or is also a folder another file needs.
    fn make_room(&self, rel: &Path) -> anyhow::Result<()> {
        let mut made = lock(&self.made);
        if made.files.contains(rel) {
            bail!("refusing to write: two outputs have the same path");
        }
        if made.dirs.contains(rel) {
            bail!(
                "refusing to write: `{}` would be both a file and a folder",
                rel.display()
            );
        }
        let mut parents: Vec<&Path> = rel
            .ancestors()
            .skip(1)
            .filter(|d| !d.as_os_str().is_empty())
            .collect();
        parents.reverse();
        for dir in parents {
            if made.files.contains(dir) {
                bail!(
                    "refusing to write: `{}` would be both a file and a folder",
                    dir.display()
                );
            }
            if !made.dirs.contains(dir) {
                let path = self.dir.path().join(dir);
                std::fs::create_dir(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                made.dirs.insert(dir.to_path_buf());
            }
        }
        made.files.insert(rel.to_path_buf());
        Ok(())
    }
}

/// Every folder the files need (parents before children); fails if a file's path is also a
/// folder another file needs, or two files have the same path. `relative` is sorted.
fn needed_dirs(relative: &[PathBuf]) -> anyhow::Result<BTreeSet<PathBuf>> {
    let mut dirs = BTreeSet::new();
    for rel in relative {
        let mut dir = rel.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if !dirs.insert(d.to_path_buf()) {
                break;
            }
            dir = d.parent();
        }
    }
    if let Some(clash) = dirs.iter().find(|d| relative.binary_search(d).is_ok()) {
        bail!(
            "refusing to write: `{}` would be both a file and a folder",
            clash.display()
        );
    }
    if relative.windows(2).any(|w| w[0] == w[1]) {
        bail!("refusing to write: two outputs have the same path");
    }
    Ok(dirs)
}

/// `Ok(true)` if the folder exists (marked or empty), `Ok(false)` if it does not.
fn check_replaceable(out_dir: &Path) -> anyhow::Result<bool> {
    let meta = match std::fs::symlink_metadata(out_dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("inspecting {}", out_dir.display())),
    };
    if !meta.is_dir() {
        bail!(
            "the output path {} exists and is not a folder; choose another --output",
            out_dir.display()
        );
    }
    let empty = std::fs::read_dir(out_dir)
        .with_context(|| format!("reading {}", out_dir.display()))?
        .next()
        .is_none();
    let marked = std::fs::symlink_metadata(out_dir.join(MARKER)).is_ok_and(|m| m.is_file());
    if !empty && !marked {
        bail!(
            "refusing to replace {}: it is not empty and was not made by sitrep (no {MARKER} file). Choose an empty or new --output folder, or remove it yourself",
            out_dir.display()
        );
    }
    Ok(true)
}

/// What is at a path of the existing folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Existing {
    File,
    Dir,
    /// A link, fifo, socket or device: never followed or written through, always removed.
    Other,
}

/// Everything under `out_dir` (not following links), by path relative to it.
fn existing_entries(out_dir: &Path) -> anyhow::Result<HashMap<PathBuf, Existing>> {
    let mut out = HashMap::new();
    for entry in walkdir::WalkDir::new(out_dir)
        .min_depth(1)
        .follow_links(false)
    {
        let entry = entry.with_context(|| format!("reading {}", out_dir.display()))?;
        let rel = entry
            .path()
            .strip_prefix(out_dir)
            .with_context(|| format!("reading {}", out_dir.display()))?
            .to_path_buf();
        let t = entry.file_type();
        let kind = if t.is_file() {
            Existing::File
        } else if t.is_dir() {
            Existing::Dir
        } else {
            Existing::Other
        };
        out.insert(rel, kind);
    }
    Ok(out)
}

/// True when the file at `path` already holds exactly `bytes` (size first, then content).
fn same_bytes(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(pos == bytes.len());
        }
        if pos + n > bytes.len() || buf[..n] != bytes[pos..pos + n] {
            return Ok(false);
        }
        pos += n;
    }
}

/// An existing marked (or empty) folder: moves the `changed` files from the staging folder
/// into place, removes what is no longer made. `relative` are the paths of every file of the
/// site. Every change is logged (`undo`): if one fails, those made before it are undone and
/// the folder is left as it was. Returns the files and bytes written and the entries removed.
fn update_in_place(
    mut existing: HashMap<PathBuf, Existing>,
    relative: &[PathBuf],
    dirs: &BTreeSet<PathBuf>,
    (staging, changed): (&Path, &[Staged]),
    out_dir: &Path,
) -> anyhow::Result<(usize, u64, usize)> {
    let wanted: BTreeSet<&Path> = relative.iter().map(PathBuf::as_path).collect();
    // What stands where a folder or file of the new site must go but has the wrong kind (a
    // link, a file where a folder goes, a folder where a file goes).
    let mut conflicts: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        if existing.get(dir).is_some_and(|&kind| kind != Existing::Dir) {
            conflicts.push(dir.clone());
        }
    }
    for rel in relative {
        if existing
            .get(rel)
            .is_some_and(|&kind| kind != Existing::File)
        {
            conflicts.push(rel.clone());
        }
    }
    conflicts.sort();
    let mut log = undo::UndoLog::new(out_dir, staging.join(ASIDE))?;
    let mut removed = 0;
    // 1. The conflicts go first, each with its contents.
    for rel in &conflicts {
        // An earlier conflict may have taken it with its folder already.
        if !existing.contains_key(rel) {
            continue;
        }
        if let Err(e) = log.move_aside(rel) {
            return Err(log.undo(e));
        }
        removed += 1;
        existing.retain(|p, _| !p.starts_with(rel));
    }
    // 2. Missing folders, parents first.
    for dir in dirs {
        if !existing.contains_key(dir) {
            if let Err(e) = log.make_dir(dir) {
                return Err(log.undo(e));
            }
        }
    }
    // 3. The files whose bytes differ, each renamed over its target, in parallel; every
    //    rename that succeeded is logged, whichever failed.
    let placed: Vec<anyhow::Result<undo::Change>> = changed
        .par_iter()
        .with_max_len(crate::FILES_PER_TASK)
        .map(|staged| {
            let replaces = existing.get(&staged.rel) == Some(&Existing::File);
            log.place(
                &staging.join(staged.number.to_string()),
                &staged.rel,
                replaces,
            )
        })
        .collect();
    let mut failed = None;
    for result in placed {
        match result {
            Ok(change) => log.record(change),
            Err(e) => failed = failed.or(Some(e)),
        }
    }
    if let Some(e) = failed {
        return Err(log.undo(e));
    }
    let written = changed.len();
    let bytes_written = changed.iter().map(|staged| staged.size).sum();
    // 4. The marker (an empty folder has none yet).
    if existing.get(Path::new(MARKER)) != Some(&Existing::File) {
        if let Err(e) = log.write_marker(Path::new(MARKER), MARKER_TEXT) {
            return Err(log.undo(e));
        }
    }
    // 5. Everything else this build does not make: each folder moved aside whole, with its
    //    contents (none of which this build makes either).
    let mut stale: Vec<&PathBuf> = existing
        .iter()
        .filter(|(rel, kind)| match kind {
            Existing::Dir => !dirs.contains(*rel),
            // The fingerprint record is the `fingerprint` module's to remove and store.
            _ => {
                !wanted.contains(rel.as_path())
                    && rel.as_path() != Path::new(MARKER)
                    && rel.as_path() != Path::new(fingerprint::FINGERPRINT)
            }
        })
        .map(|(rel, _)| rel)
        .collect();
    stale.sort();
    removed += stale.len();
    let mut moved: HashSet<&Path> = HashSet::new();
    for rel in stale {
        if rel.ancestors().skip(1).any(|parent| moved.contains(parent)) {
            continue;
        }
        if let Err(e) = log.move_aside(rel) {
            return Err(log.undo(e));
        }
        moved.insert(rel);
    }
    // Done: what was set aside goes with the staging folder.
    Ok((written, bytes_written, removed))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn file(path: &str, bytes: &[u8]) -> OutputFile {
        OutputFile {
            path: path.into(),
            bytes: bytes.to_vec(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                e.unwrap()
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn rejects_escaping_paths() {
        assert!(safe_relative_path("a/b/index.html").is_ok());
        assert!(safe_relative_path("../x").is_err());
        assert!(safe_relative_path("/etc/passwd").is_err());
        assert!(safe_relative_path("a/../../x").is_err());
        assert!(safe_relative_path("a\\..\\x").is_err());
        assert!(safe_relative_path("").is_err());
        assert!(safe_relative_path(MARKER).is_err());
        assert!(safe_relative_path(".sitrep-staging-x/a").is_err());
    }

    #[test]
    fn rejects_a_path_that_is_file_and_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let files = vec![file("a", b"1"), file("a/b", b"2")];
        assert!(write_atomic(files.clone(), &out).is_err());
        assert!(!out.exists());
    }

    #[test]
    fn replaces_only_marked_folders() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        let report = write_atomic(vec![file("index.html", b"one")], &out)?;
        assert!(report.cold);
        assert_eq!((report.files, report.written), (1, 1));
        assert_eq!(std::fs::read(out.join("index.html"))?, b"one");
        let files = vec![file("a/index.html", b"two")];
        let report = write_atomic(files.clone(), &out)?;
        assert!(!report.cold);
        assert_eq!((report.written, report.removed), (1, 1));
        assert!(!out.join("index.html").exists());
        assert_eq!(std::fs::read(out.join("a/index.html"))?, b"two");
        let foreign = dir.path().join("mine");
        std::fs::create_dir(&foreign)?;
        std::fs::write(foreign.join("precious.txt"), "keep")?;
        assert!(write_atomic(files.clone(), &foreign).is_err());
        assert_eq!(
            std::fs::read_to_string(foreign.join("precious.txt"))?,
            "keep"
        );
        // Nothing is left behind next to the output.
        let mut top: Vec<String> = std::fs::read_dir(dir.path())?
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        top.sort();
        assert_eq!(top, vec!["mine", "public"]);
        Ok(())
    }

    #[test]
    fn rebuild_writes_only_what_changed_and_removes_the_rest() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        let v1 = vec![
            file("index.html", b"home"),
            file("a/index.html", b"aaaa"),
            file("b/index.html", b"bbbb"),
            file("old/deep/x.txt", b"x"),
        ];
        write_atomic(v1.clone(), &out)?;
        let same = write_atomic(v1.clone(), &out)?;
        assert_eq!(
            (same.written, same.unchanged, same.removed),
            (0, 4, 0),
            "{same:?}"
        );
        // Same size, other bytes; a new file; a file gone with its folders; a stray file.
        std::fs::write(out.join("stray.txt"), "left by hand")?;
        let v2 = vec![
            file("index.html", b"home"),
            file("a/index.html", b"AAAA"),
            file("b/index.html", b"bbbb"),
            file("c/index.html", b"new"),
        ];
        let report = write_atomic(v2.clone(), &out)?;
        assert_eq!((report.written, report.unchanged), (2, 2), "{report:?}");
        // stray.txt, old/deep/x.txt, old/deep, old
        assert_eq!(report.removed, 4, "{report:?}");
        assert_eq!(
            names(&out),
            vec![
                MARKER,
                "a",
                "a/index.html",
                "b",
                "b/index.html",
                "c",
                "c/index.html",
                "index.html"
            ]
        );
        assert_eq!(std::fs::read(out.join("a/index.html"))?, b"AAAA");
        Ok(())
    }

    /// Each entry's name, bytes and modification time (files) and inode.
    type Snapshot = Vec<(String, Option<Vec<u8>>, u64, Option<std::time::SystemTime>)>;

    /// Every entry under `dir`, as a `Snapshot`.
    fn snapshot(dir: &Path) -> Snapshot {
        use std::os::unix::fs::MetadataExt as _;
        names(dir)
            .into_iter()
            .map(|name| {
                let path = dir.join(&name);
                let meta = std::fs::symlink_metadata(&path).unwrap();
                let bytes = meta.is_file().then(|| std::fs::read(&path).unwrap());
                let mtime = meta.is_file().then(|| meta.modified().unwrap());
                (name, bytes, meta.ino(), mtime)
            })
            .collect()
    }

    /// A marked folder with a changed, an unchanged and a stale file, and a file where the
    /// next build needs a folder.
    fn folder_before_a_failed_update(out: &Path) -> anyhow::Result<()> {
        write_atomic(
            vec![
                file("a.html", b"A"),
                file("dir/b.html", b"B"),
                file("old/c.html", b"C"),
                file("x", b"X"),
            ],
            out,
        )?;
        Ok(())
    }

    /// The build after `folder_before_a_failed_update`, with a file at `failing` if given.
    fn the_next_build(out: &Path, failing: Option<&str>) -> anyhow::Result<Target> {
        let target = Target::open(out)?;
        let files = [
            file("a.html", b"A2"),
            file("dir/b.html", b"B"),
            file("new/d.html", b"D"),
            file("x/y.html", b"Y"),
        ];
        for f in files.into_iter().chain(failing.map(|p| file(p, b"F"))) {
            target.put(f)?;
        }
        Ok(target)
    }

    #[test]
    fn a_file_that_cannot_be_placed_leaves_the_folder_as_it_was() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let out = tmp.path().join("public");
        folder_before_a_failed_update(&out)?;
        let before = snapshot(&out);
        // The kernel refuses a name longer than 255 bytes when the file is renamed into
        // place, while the other files are renamed beside it.
        let long = format!("{}.html", "n".repeat(300));
        let error = the_next_build(&out, Some(&long))?.commit().unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("was left as it was"), "{message}");
        assert!(message.contains(&long), "{message}");
        assert_eq!(snapshot(&out), before);
        Ok(())
    }

    #[test]
    fn a_folder_that_cannot_be_made_leaves_the_folder_as_it_was() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let out = tmp.path().join("public");
        folder_before_a_failed_update(&out)?;
        let before = snapshot(&out);
        // Fails after `x` (a file) was set aside for the folder `x` and `new` and `x` were
        // made: all three are undone.
        let long = format!("{}/index.html", "z".repeat(300));
        let error = the_next_build(&out, Some(&long))?.commit().unwrap_err();
        assert!(format!("{error:#}").contains("was left as it was"));
        assert_eq!(snapshot(&out), before);
        // The same build without the bad path succeeds and sets nothing aside for good.
        let report = the_next_build(&out, None)?.commit()?;
        assert_eq!((report.written, report.removed), (3, 3));
        assert_eq!(
            names(&out),
            [
                MARKER,
                "a.html",
                "dir",
                "dir/b.html",
                "new",
                "new/d.html",
                "x",
                "x/y.html"
            ]
        );
        Ok(())
    }

    #[test]
    fn kind_conflicts_are_resolved_inside_the_folder() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        write_atomic(vec![file("a", b"file"), file("b/c", b"deep")], &out)?;
        // Now `a` must be a folder and `b` a file.
        let report = write_atomic(vec![file("a/x", b"1"), file("b", b"2")], &out)?;
        assert_eq!(report.written, 2);
        assert_eq!(std::fs::read(out.join("a/x"))?, b"1");
        assert_eq!(std::fs::read(out.join("b"))?, b"2");
        assert_eq!(names(&out), vec![MARKER, "a", "a/x", "b"]);
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_the_folder_are_removed_never_followed() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside)?;
        std::fs::write(outside.join("index.html"), "outside")?;
        write_atomic(vec![file("a/index.html", b"site")], &out)?;
        // Someone replaces the folder `a` by a link to a folder outside.
        std::fs::remove_dir_all(out.join("a"))?;
        std::os::unix::fs::symlink(&outside, out.join("a"))?;
        std::os::unix::fs::symlink(&outside, out.join("stray-link"))?;
        write_atomic(vec![file("a/index.html", b"site")], &out)?;
        assert_eq!(
            std::fs::read_to_string(outside.join("index.html"))?,
            "outside"
        );
        assert!(std::fs::symlink_metadata(out.join("a"))?.is_dir());
        assert_eq!(std::fs::read(out.join("a/index.html"))?, b"site");
        assert!(std::fs::symlink_metadata(out.join("stray-link")).is_err());
        assert!(outside.is_dir());
        Ok(())
    }

    #[test]
    fn an_empty_existing_folder_is_filled_and_marked() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        std::fs::create_dir(&out)?;
        let report = write_atomic(vec![file("index.html", b"x")], &out)?;
        assert_eq!(report.written, 1);
        assert!(out.join(MARKER).is_file());
        Ok(())
    }

    /// Every entry beside `out` (in its parent), for checking nothing is left behind.
    fn siblings(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_cold_target_dropped_before_commit_leaves_nothing() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        let target = Target::open(&out)?;
        target.put(file("index.html", b"home"))?;
        target.put(file("a/b/index.html", b"deep"))?;
        // The files went to the staging folder as they came, not into `public`.
        assert!(!out.exists());
        assert_eq!(siblings(dir.path()).len(), 1, "the staging folder");
        drop(target);
        assert!(siblings(dir.path()).is_empty());
        Ok(())
    }

    #[test]
    fn a_rebuild_keeps_only_what_differs_and_applies_it_on_commit() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        let v1 = vec![
            file("index.html", b"home"),
            file("a/index.html", b"aaaa"),
            file("b/index.html", b"bbbb"),
        ];
        write_atomic(v1, &out)?;
        let before = names(&out);
        let target = Target::open(&out)?;
        target.put(file("index.html", b"home"))?;
        target.put(file("a/index.html", b"AAAA"))?;
        target.put(file("b/index.html", b"bbbb"))?;
        target.put(file("c/index.html", b"new"))?;
        let How::InPlace(update) = &target.how else {
            panic!("an existing folder is updated in place");
        };
        let kept: Vec<(PathBuf, u64)> = lock(&update.changed)
            .iter()
            .map(|staged| (staged.rel.clone(), staged.size))
            .collect();
        assert_eq!(
            kept,
            vec![("a/index.html".into(), 4), ("c/index.html".into(), 3)]
        );
        // The two wait, numbered, in a hidden folder inside the output folder.
        let staging = update.staging.path().to_path_buf();
        assert_eq!(staging.parent(), Some(out.as_path()));
        assert_eq!(names(&staging), vec!["1", "3"]);
        assert_eq!(std::fs::read(staging.join("1"))?, b"AAAA");
        // Nothing is visible before the commit, and dropping the target leaves it so.
        assert_eq!(std::fs::read(out.join("a/index.html"))?, b"aaaa");
        drop(target);
        assert_eq!(names(&out), before);
        assert_eq!(std::fs::read(out.join("a/index.html"))?, b"aaaa");
        assert_eq!(siblings(dir.path()), vec!["public"]);
        // Committed, only the two are written.
        let target = Target::open(&out)?;
        for f in [
            file("index.html", b"home"),
            file("a/index.html", b"AAAA"),
            file("c/index.html", b"new"),
        ] {
            target.put(f)?;
        }
        let report = target.commit()?;
        assert_eq!(
            (report.written, report.unchanged, report.removed),
            (2, 1, 2),
            "{report:?}"
        );
        assert_eq!(std::fs::read(out.join("a/index.html"))?, b"AAAA");
        assert!(!out.join("b").exists());
        // The staging folder went with the commit.
        assert_eq!(
            names(&out),
            vec![
                MARKER,
                "a",
                "a/index.html",
                "c",
                "c/index.html",
                "index.html"
            ]
        );
        Ok(())
    }

    /// `stage_if_different` with `new` given in pieces of `size` bytes against a file holding
    /// `old` (none when `None`): whether it staged, and what it staged.
    fn staged_for(old: Option<&[u8]>, new: &[u8], size: usize) -> (bool, Option<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let current = dir.path().join("current");
        if let Some(old) = old {
            std::fs::write(&current, old).unwrap();
        }
        let staged = dir.path().join("staged");
        let mut pieces = new.chunks(size);
        let (len, differs) =
            stage_if_different(old.map(|_| current.as_path()), &staged, &mut pieces).unwrap();
        assert_eq!(len, new.len() as u64);
        (differs, std::fs::read(&staged).ok())
    }

    #[test]
    fn pieces_are_staged_whole_from_their_first_difference_on() {
        let old: &[u8] = b"abcdefghij";
        for size in [1, 3, 4, 10, 20] {
            assert_eq!(staged_for(Some(old), old, size), (false, None), "{size}");
            for new in [
                &b"abcdefghiX"[..],
                b"Xbcdefghij",
                b"abcdefghijk",
                b"abcdef",
                b"",
                b"abcXefghijklmnop",
            ] {
                assert_eq!(
                    staged_for(Some(old), new, size),
                    (true, Some(new.to_vec())),
                    "{size} {new:?}"
                );
            }
            assert_eq!(
                staged_for(None, old, size),
                (true, Some(old.to_vec())),
                "{size}"
            );
        }
        assert_eq!(staged_for(None, b"", 1), (true, Some(Vec::new())));
        assert_eq!(staged_for(Some(b""), b"", 1), (false, None));
    }

    #[test]
    fn a_rebuild_stages_pieces_that_differ_and_skips_those_that_do_not() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        write_atomic(
            vec![file("d/a.json", b"[1,2,3]"), file("d/b.json", b"[4]")],
            &out,
        )?;
        let target = Target::open(&out)?;
        let mut same = [&b"[1,"[..], b"2,3]"].into_iter();
        target.put_pieces("d/a.json", &mut same)?;
        let mut other = [&b"[4"[..], b",5]"].into_iter();
        target.put_pieces("d/b.json", &mut other)?;
        let report = target.commit()?;
        assert_eq!((report.written, report.unchanged), (1, 1), "{report:?}");
        assert_eq!(report.bytes_written, 5);
        assert_eq!(std::fs::read(out.join("d/b.json"))?, b"[4,5]");
        assert_eq!(std::fs::read(out.join("d/a.json"))?, b"[1,2,3]");
        Ok(())
    }

    #[test]
    fn a_cold_target_refuses_a_path_that_is_file_and_folder_in_either_order() {
        for order in [["a", "a/b"], ["a/b", "a"]] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("public");
            let target = Target::open(&out).unwrap();
            target.put(file(order[0], b"1")).unwrap();
            let err = target.put(file(order[1], b"2")).unwrap_err();
            assert!(
                err.to_string().contains("both a file and a folder"),
                "{err:#}"
            );
            let err = target.put(file(order[0], b"3")).unwrap_err();
            assert!(err.to_string().contains("same path"), "{err:#}");
            drop(target);
            assert!(siblings(dir.path()).is_empty());
        }
    }
}
