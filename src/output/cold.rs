//! Write stage, a new output folder: every file is written, as soon as it is rendered, into a
//! temporary sibling of the folder, which the commit renames into place, so the folder
//! appears complete or not at all; dropped without a commit, the sibling is removed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use anyhow::{bail, Context as _};

use super::{fingerprint, lock, safe_relative_path, MARKER, MARKER_TEXT, STAGING_PREFIX};

/// A new output folder in the making: a temporary sibling of it.
pub(super) struct Staging {
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

impl Staging {
    /// Makes the temporary sibling of `out_dir` (and the folders above it, if missing).
    pub(super) fn open(out_dir: &Path) -> anyhow::Result<Staging> {
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
        Ok(Staging {
            dir,
            made: Mutex::default(),
            written: Mutex::default(),
        })
    }

    /// Claims `path` in the staging folder, makes its file with `write` (which returns its
    /// metadata and size) and lists it for the fingerprint; returns its size.
    pub(super) fn stage(
        &self,
        path: &str,
        write: impl FnOnce(&Path) -> std::io::Result<(std::fs::Metadata, u64)>,
    ) -> anyhow::Result<u64> {
        let rel = safe_relative_path(path)?;
        self.make_room(&rel)?;
        let target = self.dir.path().join(&rel);
        let (meta, size) =
            write(&target).with_context(|| format!("writing {}", target.display()))?;
        lock(&self.written).push(fingerprint::file_entry(
            fingerprint::entry_name(&rel),
            &meta,
        ));
        Ok(size)
    }

    /// Writes the marker and renames the staging folder into place as `out_dir`; returns the
    /// fingerprint's manifest of the new folder (what was written, stated as it was written:
    /// the rename changes none of it).
    pub(super) fn commit(self, out_dir: &Path) -> anyhow::Result<Vec<fingerprint::Entry>> {
        let marker = self.dir.path().join(MARKER);
        let marker_meta =
            write_stated(&marker, MARKER_TEXT.as_bytes()).context("writing the output marker")?;
        std::fs::rename(self.dir.path(), out_dir)
            .with_context(|| format!("moving the new site into {}", out_dir.display()))?;
        // Renamed: nothing left for the guard to delete.
        let _ = self.dir.keep();
        let mut listed = self
            .written
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        listed.push(fingerprint::file_entry(MARKER.into(), &marker_meta));
        let made = self
            .made
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        listed.extend(
            made.dirs
                .iter()
                .map(|d| fingerprint::dir_entry(fingerprint::entry_name(d))),
        );
        Ok(listed)
    }

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

/// `write_stated` for a file given in pieces; also returns its size.
pub(super) fn write_pieces_stated(
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

/// Writes a new file and returns its metadata, read from the open file once written.
pub(super) fn write_stated(path: &Path, bytes: &[u8]) -> std::io::Result<std::fs::Metadata> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.metadata()
}
