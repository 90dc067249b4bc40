//! Write stage, in-place commit: the log of every change an update makes to the output
//! folder, so that a failure midway puts the folder back as it was. Nothing the update takes
//! away is deleted while it runs: replaced files keep a hard link and removed entries are
//! moved, both into a folder set aside inside the staging folder, which goes with the staging
//! folder once the update is complete.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;

/// One change made to the output folder (paths relative to it).
#[derive(Debug)]
pub(super) enum Change {
    /// An entry moved into the set-aside folder, under `aside`.
    MovedAside { rel: PathBuf, aside: PathBuf },
    /// A folder made.
    MadeDir(PathBuf),
    /// A file renamed into place; the file it replaced, if any, is linked in the set-aside
    /// folder under `previous`.
    Placed {
        rel: PathBuf,
        previous: Option<PathBuf>,
    },
    /// The marker written (an empty folder had none).
    WroteMarker(PathBuf),
}

/// The changes made so far, in order, and the folder where what they took away waits.
pub(super) struct UndoLog<'a> {
    out_dir: &'a Path,
    aside: PathBuf,
    next: AtomicUsize,
    changes: Vec<Change>,
}

impl<'a> UndoLog<'a> {
    /// Makes the set-aside folder `aside` (inside the staging folder, so on the same file
    /// system as `out_dir` and deleted with it).
    pub(super) fn new(out_dir: &'a Path, aside: PathBuf) -> anyhow::Result<UndoLog<'a>> {
        std::fs::create_dir(&aside).with_context(|| format!("creating {}", aside.display()))?;
        Ok(UndoLog {
            out_dir,
            aside,
            next: AtomicUsize::new(0),
            changes: Vec::new(),
        })
    }

    /// A fresh name in the set-aside folder.
    fn fresh(&self) -> PathBuf {
        self.aside
            .join(self.next.fetch_add(1, Ordering::Relaxed).to_string())
    }

    /// Moves the entry at `rel` out of the way, into the set-aside folder.
    pub(super) fn move_aside(&mut self, rel: &Path) -> anyhow::Result<()> {
        let path = self.out_dir.join(rel);
        let aside = self.fresh();
        std::fs::rename(&path, &aside).with_context(|| format!("removing {}", path.display()))?;
        self.changes.push(Change::MovedAside {
            rel: rel.to_path_buf(),
            aside,
        });
        Ok(())
    }

    /// Makes the folder `rel`.
    pub(super) fn make_dir(&mut self, rel: &Path) -> anyhow::Result<()> {
        let path = self.out_dir.join(rel);
        std::fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        self.changes.push(Change::MadeDir(rel.to_path_buf()));
        Ok(())
    }

    /// Renames `staged` over the file at `rel` (a reader sees the old file or the new one,
    /// never half of one), keeping the old file, if `replaces`, in the set-aside folder. Safe
    /// to call from several threads; the caller records the change with `record`.
    pub(super) fn place(
        &self,
        staged: &Path,
        rel: &Path,
        replaces: bool,
    ) -> anyhow::Result<Change> {
        let target = self.out_dir.join(rel);
        let previous = if replaces {
            let keep = self.fresh();
            // A file system without hard links gets a copy.
            std::fs::hard_link(&target, &keep)
                .or_else(|_| std::fs::copy(&target, &keep).map(|_| ()))
                .with_context(|| format!("keeping the previous {}", target.display()))?;
            Some(keep)
        } else {
            None
        };
        std::fs::rename(staged, &target)
            .with_context(|| format!("writing {}", target.display()))?;
        Ok(Change::Placed {
            rel: rel.to_path_buf(),
            previous,
        })
    }

    /// Writes the marker file `rel` with `text`.
    pub(super) fn write_marker(&mut self, rel: &Path, text: &str) -> anyhow::Result<()> {
        let path = self.out_dir.join(rel);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        self.changes.push(Change::WroteMarker(rel.to_path_buf()));
        Ok(())
    }

    /// Adds a change made by `place`.
    pub(super) fn record(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// Undoes every change, last first, and returns `error` with what happened: the folder
    /// is as it was, or (if undoing failed too) partly updated.
    pub(super) fn undo(self, error: anyhow::Error) -> anyhow::Error {
        let out_dir = self.out_dir;
        let mut failures = Vec::new();
        for change in self.changes.into_iter().rev() {
            let (what, result) = match &change {
                Change::MovedAside { rel, aside } => {
                    (rel, std::fs::rename(aside, out_dir.join(rel)))
                }
                Change::MadeDir(rel) => (rel, std::fs::remove_dir(out_dir.join(rel))),
                Change::Placed {
                    rel,
                    previous: Some(previous),
                } => (rel, std::fs::rename(previous, out_dir.join(rel))),
                Change::Placed {
                    rel,
                    previous: None,
                }
                | Change::WroteMarker(rel) => (rel, std::fs::remove_file(out_dir.join(rel))),
            };
            if let Err(e) = result {
                failures.push(format!("{}: {e}", out_dir.join(what).display()));
            }
        }
        if failures.is_empty() {
            error.context(format!(
                "the output folder {} was left as it was before this build: fix the cause and build again",
                out_dir.display()
            ))
        } else {
            error.context(format!(
                "the output folder {} is partly updated, and putting it back failed for {} ({}): fix the cause and build again (the next build rewrites whatever differs)",
                out_dir.display(),
                failures.len(),
                failures.join("; ")
            ))
        }
    }
}
