//! Write stage: puts the rendered files into the output folder. A build opens a `Target`
//! before rendering and hands it each file as soon as it is made (`render::Sink`), so the
//! rendered site is never held in memory; nothing becomes visible in the output folder until
//! the whole site has rendered without error and the target is committed, so a content,
//! template or render failure leaves the previous site as it was. Only folders sitrep made
//! (marked) are touched.
//!
//! - Cold build (`cold`; the folder does not exist): every file is written, as it comes, into a
//!   temporary sibling folder, which on commit is renamed into place, so the folder appears
//!   complete or not at all; a failed build removes it.
//! - Rebuild (`in_place`; the folder exists with the marker, or is empty): each file is compared
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

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use anyhow::{bail, Context as _};

use crate::render::{OutputFile, Sink};

mod cold;
pub mod fingerprint;
mod in_place;
mod undo;

use cold::{write_pieces_stated, write_stated, Staging};
use in_place::{same_bytes, stage_if_different, InPlace};

/// Marks an output folder as made by sitrep, so the next build may update or replace it.
pub const MARKER: &str = ".sitrep-output";

const MARKER_TEXT: &str = "Made by sitrep: this folder is rewritten on every build.\n";

/// Prefix of the staging folders: beside a new output folder, inside an existing one.
const STAGING_PREFIX: &str = ".sitrep-staging-";

/// Set when the user interrupts a build (Ctrl-C, SIGTERM; `stop_cleanly_on_interrupt`): the
/// write stage stops at its next step and the output folder is left as it was.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// What a build stops with when interrupted (exit code 130).
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted: the output folder was left as it was")
    }
}

impl std::error::Error for Interrupted {}

/// Makes Ctrl-C and SIGTERM stop a build cleanly: nothing half-written stays in the output
/// folder, and an update already being applied is undone. A second one ends sitrep at once.
pub fn stop_cleanly_on_interrupt() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .context("installing the Ctrl-C handler")
}

/// `Err(Interrupted)` once the build has been interrupted.
pub fn check_interrupted() -> anyhow::Result<()> {
    stop_if(&interrupted)
}

/// Whether to stop now: `interrupted` in a build, anything in tests.
type Stop = dyn Fn() -> bool + Sync;

fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn stop_if(stop: &Stop) -> anyhow::Result<()> {
    if stop() {
        Err(Interrupted.into())
    } else {
        Ok(())
    }
}

/// True for what a build leaves alone in an existing output folder: a top-level name that
/// starts with `.` and is not one of sitrep's own (`.sitrep-…`), such as `.git` (a gh-pages
/// worktree), `.nojekyll` or `.well-known`. The site itself never makes such a name.
pub(crate) fn is_users_dotfile(rel: &Path) -> bool {
    let mut parts = rel.components();
    match parts.next() {
        Some(Component::Normal(name)) => {
            let name = name.to_string_lossy();
            name.starts_with('.') && !name.starts_with(".sitrep-")
        }
        _ => false,
    }
}

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

impl Target {
    /// Opens `out_dir` for a build: a staging folder beside it if it does not exist; if it
    /// exists, a listing of what it holds and a staging folder inside it for the files that
    /// change. Fails if it exists but was not made by sitrep.
    pub fn open(out_dir: &Path) -> anyhow::Result<Target> {
        let how = if check_replaceable(out_dir)? {
            How::InPlace(InPlace::open(out_dir)?)
        } else {
            How::Cold(Staging::open(out_dir)?)
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
        self.commit_unless(&interrupted)
    }

    /// `commit_listed`, stopping (and undoing what it did) as soon as `stop` says so.
    fn commit_unless(
        self,
        stop: &Stop,
    ) -> anyhow::Result<(WriteReport, Option<Vec<fingerprint::Entry>>)> {
        stop_if(stop)?;
        let files = self.files.into_inner();
        let bytes = self.bytes.into_inner();
        match self.how {
            How::Cold(staging) => {
                let listed = staging.commit(&self.out_dir)?;
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
                let (written, bytes_written, removed) = update.commit(&self.out_dir, stop)?;
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
        check_interrupted()?;
        let size = match &self.how {
            How::Cold(staging) => staging.stage(&file.path, |target| {
                Ok((write_stated(target, &file.bytes)?, file.bytes.len() as u64))
            }),
            How::InPlace(update) => update.update(&self.out_dir, &file.path, |current, staged| {
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
        }?;
        self.count(size);
        Ok(())
    }

    /// Cold: writes the pieces into the staging folder as they come. In place: compares them
    /// with the file in the output folder as they come, staging them from the first
    /// difference on; never whole in memory either way.
    fn put_pieces(
        &self,
        path: &str,
        pieces: &mut dyn Iterator<Item = &[u8]>,
    ) -> anyhow::Result<()> {
        check_interrupted()?;
        let size = match &self.how {
            How::Cold(staging) => staging.stage(path, |target| write_pieces_stated(target, pieces)),
            How::InPlace(update) => update.update(&self.out_dir, path, |current, staged| {
                stage_if_different(current, staged, pieces).with_context(|| match current {
                    Some(current) => format!(
                        "comparing with {} and writing {}",
                        current.display(),
                        staged.display()
                    ),
                    None => format!("writing {}", staged.display()),
                })
            }),
        }?;
        self.count(size);
        Ok(())
    }
}

impl Target {
    /// Counts one file of `size` bytes given to the target.
    fn count(&self, size: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(size, Ordering::Relaxed);
    }
}

/// Locks `mutex`, also after a panic elsewhere (the data stays usable: lists that grow).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Refuses an output folder that holds one of the site's inputs (the site folder itself,
/// `content/`, the theme, `geodata/`, Leaflet's files) or lies inside one that sitrep reads
/// whole: a rebuild removes what the site does not make, so it would delete the sources, and
/// an output inside the theme or content would be read back as input by the next build.
pub fn check_placement(config: &crate::config::Config) -> anyhow::Result<()> {
    let output = resolved(&config.output_dir);
    let mut inputs = vec![
        ("the site folder (--root)", config.root.clone()),
        // The rest may not hold the output either (the site folder may: public/).
        ("the content folder", config.root.join("content")),
        ("the site's static folder", config.site_static_dir()),
        ("the theme", config.theme_dir.clone()),
        ("the boundary layers' folder", config.geodata_dir.clone()),
        ("Leaflet's files", config.leaflet_dir.clone()),
    ];
    inputs.extend(
        config
            .mirror
            .clone()
            .map(|m| ("the boundary layers' mirror", m)),
    );
    for (i, (what, input)) in inputs.into_iter().enumerate() {
        let input = resolved(&input);
        if input.starts_with(&output) {
            bail!(
                "refusing to build into {}: it holds {what} ({}), which a build would delete. Choose an --output folder outside the site's sources",
                config.output_dir.display(),
                input.display()
            );
        }
        if i > 0 && output.starts_with(&input) {
            bail!(
                "refusing to build into {}: it is inside {what} ({}), which every build reads. Choose an --output folder outside it (the default is public/ in the site folder)",
                config.output_dir.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// `path` made absolute with links resolved, as far as it exists; the rest appended as
/// written, with `.` and `..` applied.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    other => out.push(other.as_os_str()),
                }
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// `Ok(true)` if the folder exists (marked or empty), `Ok(false)` if it does not.
fn check_replaceable(out_dir: &Path) -> anyhow::Result<bool> {
    let meta = match std::fs::symlink_metadata(out_dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("inspecting {}", out_dir.display())),
    };
    if meta.file_type().is_symlink() {
        bail!(
            "the output path {} is a symbolic link: give the folder it points to as --output (sitrep removes links inside its output, never follows them)",
            out_dir.display()
        );
    }
    if !meta.is_dir() {
        bail!(
            "the output path {} exists and is not a folder; choose another --output",
            out_dir.display()
        );
    }
    // A folder holding only the user's dotfiles (a fresh gh-pages worktree: `.git`) is empty.
    let empty = std::fs::read_dir(out_dir)
        .with_context(|| format!("reading {}", out_dir.display()))?
        .filter_map(Result::ok)
        .all(|e| is_users_dotfile(Path::new(&e.file_name())));
    let marked = std::fs::symlink_metadata(out_dir.join(MARKER)).is_ok_and(|m| m.is_file());
    if !empty && !marked {
        bail!(
            "refusing to replace {}: it is not empty and was not made by sitrep (no {MARKER} file). Choose an empty or new --output folder, or remove it yourself",
            out_dir.display()
        );
    }
    Ok(true)
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
    fn an_update_interrupted_part_way_is_undone() -> anyhow::Result<()> {
        // Interrupted at each step of the commit in turn, until there is no step left to
        // interrupt: the folder is always as it was.
        for trip_at in 1.. {
            let tmp = tempfile::tempdir()?;
            let out = tmp.path().join("public");
            folder_before_a_failed_update(&out)?;
            let before = snapshot(&out);
            let asked = AtomicUsize::new(0);
            let stop = move || asked.fetch_add(1, Ordering::SeqCst) + 1 >= trip_at;
            let Err(error) = the_next_build(&out, None)?.commit_unless(&stop) else {
                // Conflict, three files to place, the marker, stale entries: at least 5.
                assert!(trip_at > 5, "only {trip_at} points to stop at");
                break;
            };
            assert!(error.chain().any(|c| c.is::<Interrupted>()), "{error:#}");
            assert_eq!(snapshot(&out), before, "interrupted at step {trip_at}");
            let beside: Vec<_> = std::fs::read_dir(tmp.path())?.collect();
            assert_eq!(beside.len(), 1, "left beside the folder: {beside:?}");
        }
        Ok(())
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
