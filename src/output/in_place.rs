//! Write stage, an existing output folder (marked, or empty): each file is compared with the
//! one in the folder as soon as it is rendered, and only files whose bytes differ are staged,
//! numbered, in a hidden folder inside it (the same file system, whatever is mounted where).
//! The commit renames each over its target and moves aside what the site no longer makes,
//! logging every change (`undo`), so that an I/O error midway puts the folder back as it was.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use anyhow::{bail, Context as _};
use rayon::prelude::*;

use super::{fingerprint, lock, safe_relative_path, undo, MARKER, MARKER_TEXT, STAGING_PREFIX};

/// Inside the staging folder: what the update replaced or removed, kept until it is complete
/// (see `undo`). Staged files are named by numbers.
const ASIDE: &str = "aside";

/// An existing output folder, updated in place on commit.
pub(super) struct InPlace {
    /// What the folder held when the build started (the staging folder made after it).
    existing: HashMap<PathBuf, Existing>,
    /// Every path given, in any order.
    relative: Mutex<Vec<PathBuf>>,
    /// Inside the output folder, deleted when dropped: the files whose bytes differ from
    /// those in the folder (or that are new), each named by the number `next` gave it.
    pub(super) staging: tempfile::TempDir,
    /// Numbers handed out to staged files.
    next: AtomicUsize,
    /// Each staged file: its path in the site, its number in the staging folder, its size.
    pub(super) changed: Mutex<Vec<Staged>>,
}

/// A changed file of an in-place rebuild, waiting in the staging folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Staged {
    pub(super) rel: PathBuf,
    number: usize,
    pub(super) size: u64,
}

impl InPlace {
    /// Lists what `out_dir` holds and makes the staging folder inside it.
    pub(super) fn open(out_dir: &Path) -> anyhow::Result<InPlace> {
        let existing = existing_entries(out_dir)?;
        let staging = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(out_dir)
            .with_context(|| format!("creating a temporary folder in {}", out_dir.display()))?;
        Ok(InPlace {
            existing,
            relative: Mutex::default(),
            staging,
            next: AtomicUsize::new(0),
            changed: Mutex::default(),
        })
    }

    /// Lists `path` as made and lets `compare_or_stage` compare the new bytes with the file
    /// there now (`None` when there is none, or something else is there) and stage them at
    /// the path it is given when they differ; it returns their size and whether it staged
    /// them. Returns the size.
    pub(super) fn update(
        &self,
        out_dir: &Path,
        path: &str,
        compare_or_stage: impl FnOnce(Option<&Path>, &Path) -> anyhow::Result<(u64, bool)>,
    ) -> anyhow::Result<u64> {
        let rel = safe_relative_path(path)?;
        let current = out_dir.join(&rel);
        let current = (self.existing.get(&rel) == Some(&Existing::File)).then_some(&*current);
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let staged = self.staging.path().join(number.to_string());
        let (size, differs) = compare_or_stage(current, &staged)
            .with_context(|| format!("staging `{path}` (the output folder is unchanged)"))?;
        lock(&self.relative).push(rel.clone());
        if differs {
            lock(&self.changed).push(Staged { rel, number, size });
        }
        Ok(size)
    }

    /// Updates `out_dir` to hold exactly the files given (see `update_in_place`); returns
    /// the files and bytes written and the entries removed.
    pub(super) fn commit(
        self,
        out_dir: &Path,
        stop: &super::Stop,
    ) -> anyhow::Result<(usize, u64, usize)> {
        let mut relative = self
            .relative
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        relative.sort();
        let dirs = needed_dirs(&relative)?;
        let changed = self
            .changed
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let done = update_in_place(
            self.existing,
            &relative,
            &dirs,
            (self.staging.path(), &changed),
            out_dir,
            stop,
        )?;
        // Holds only what the update set aside: removed before the fingerprint lists the
        // folder.
        drop(self.staging);
        Ok(done)
    }
}

/// Writes `pieces` to `staged` unless they are exactly the bytes of the file `current`: they
/// are compared as they come, and at the first difference `staged` starts with the equal part,
/// copied from `current`. Returns their size and whether they were staged.
pub(super) fn stage_if_different(
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
pub(super) fn same_bytes(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
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
    stop: &super::Stop,
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
    // An interruption (`stop`) at any step before the last undoes the steps taken.
    let interrupted = || super::stop_if(stop);
    // 1. The conflicts go first, each with its contents.
    for rel in &conflicts {
        if let Err(e) = interrupted() {
            return Err(log.undo(e));
        }
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
            interrupted()?;
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
    if let Err(e) = interrupted() {
        return Err(log.undo(e));
    }
    // 4. The marker (an empty folder has none yet).
    if existing.get(Path::new(MARKER)) != Some(&Existing::File) {
        if let Err(e) = log.write_marker(Path::new(MARKER), MARKER_TEXT) {
            return Err(log.undo(e));
        }
    }
    // 5. Everything else this build does not make: each folder moved aside whole, with its
    //    contents (none of which this build makes either); but the user's dotfiles at the top
    //    (`.git`, `.nojekyll`), unless the site makes that name itself (its static folder).
    let made_at_top: HashSet<&std::ffi::OsStr> = relative
        .iter()
        .filter_map(|rel| rel.components().next().map(|c| c.as_os_str()))
        .collect();
    let users = |rel: &Path| {
        super::is_users_dotfile(rel)
            && rel
                .components()
                .next()
                .is_some_and(|top| !made_at_top.contains(top.as_os_str()))
    };
    let mut stale: Vec<&PathBuf> = existing
        .iter()
        .filter(|(rel, _)| !users(rel))
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
        if let Err(e) = interrupted() {
            return Err(log.undo(e));
        }
        if let Err(e) = log.move_aside(rel) {
            return Err(log.undo(e));
        }
        moved.insert(rel);
    }
    // Done: what was set aside goes with the staging folder.
    Ok((written, bytes_written, removed))
}
