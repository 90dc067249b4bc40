//! Output stage, skipping: a fingerprint of every input of a build, kept in the output folder
//! with a manifest of the files the build left there, so that a rebuild with nothing changed
//! renders and writes nothing.
//!
//! The fingerprint is one sha256 per input, each over paths and bytes (never over times):
//!
//! - `content`: every file under `content/` that the loader reads (hidden files and folders
//!   left out, like the loader does, but the names of hidden `.toml`/`.md` files counted, as
//!   the loader warns about them; links recorded as links). The record keeps the digest
//!   the loader makes of the bytes it reads (same listing, same formula), so it describes
//!   exactly what was built; the content is walked and hashed before loading only when there
//!   is a record to compare with (not on a first build, nor with `--force`);
//! - `settings`: the bytes of `sitrep.toml` and every resolved setting, overrides included
//!   (`--base-url`, `--output`, `--root`, `SITREP_GEODATA_MIRROR`, `SITREP_LEAFLET_DIR`);
//! - `today`: the date the checks use (`SITREP_TODAY` or the local date);
//! - `theme`: every file under the theme folder (templates and static files);
//! - `leaflet`: every file under Leaflet's `dist` folder;
//! - `geodata`: each declared layer's name, file and pinned sha256, and whether the file in the
//!   geodata folder has that sha256 (a missing or altered file forces a build, which fetches
//!   it; the record stores the state after that fetch);
//! - `binary`: the running executable's bytes, so a rebuilt sitrep never trusts an old record.
//!   Its sha256 (14 MB to read in a release build; 70 MB with line tables) is kept in the
//!   record with the file's device, inode, size and modification and change times, and read
//!   again only when one of them differs (any write to the file changes its change time).
//!
//! The record (`.sitrep-fingerprint`, beside the marker) also holds the build's figures and
//! warnings, which a skipped build prints again, and a sha256 of the manifest: every entry of
//! the output folder with its kind, size, modification and change times and inode (the digest
//! keeps the record small: a few hundred bytes and the warnings at any size). A build is
//! skipped only when the inputs and the manifest both match, so an output file edited, removed or
//! added by hand forces a real build. A build that is going to write removes the record first
//! and stores a new one only after the write succeeded: an interrupted or failed build never
//! leaves a record that describes a folder it did not finish.

use std::collections::{BTreeMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, CONFIG_FILE};
use crate::diagnostic::{Diagnostic, Severity};
use crate::geo::to_hex;

/// The record's file name, in the output folder beside the marker.
pub const FINGERPRINT: &str = ".sitrep-fingerprint";

/// Version of the record's layout; a record of another version is ignored.
const FORMAT: u32 = 3;

/// One sha256 (hex) per input, by name (see the module doc).
type Digests = BTreeMap<String, String>;

/// The fingerprint of one build's inputs.
#[derive(Debug, Clone)]
pub struct Inputs {
    digests: Digests,
    /// Where the running executable is on disk and when it last changed (device, inode,
    /// size, modification and change times): while these stay the same, its sha256 from the
    /// record is reused instead of reading the whole binary again. Any write to the file
    /// changes its change time, which no program can set back.
    executable: String,
}

/// One entry of the output folder: relative path, kind (`f` file, `d` folder, `l` link,
/// `o` other), size, modification time, change time (nanoseconds since the epoch) and inode.
/// Folders and links carry zeros: their names are what matters.
pub(crate) type Entry = (String, char, u64, i128, i128, u64);

/// How the fingerprint names a path relative to a folder: its parts joined with `/`.
pub(crate) fn entry_name(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The entry of a file at `rel` (`/`-separated) with these metadata.
pub(crate) fn file_entry(rel: String, meta: &std::fs::Metadata) -> Entry {
    let (modified, changed, inode) = stamps(meta);
    (rel, 'f', meta.len(), modified, changed, inode)
}

/// The entry of a folder at `rel`.
pub(crate) fn dir_entry(rel: String) -> Entry {
    (rel, 'd', 0, 0, 0, 0)
}

/// A warning kept in the record (a `Diagnostic` with an owned kind).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredDiagnostic {
    error: bool,
    file: String,
    line: usize,
    column: usize,
    kind: String,
    message: String,
    snippet: Option<String>,
    hint: Option<String>,
}

/// The record stored in the output folder.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    format: u32,
    inputs: Digests,
    executable: String,
    pages: usize,
    incidents: usize,
    files: usize,
    bytes: u64,
    warnings: Vec<StoredDiagnostic>,
    /// `manifest_digest` of the output folder as the build left it.
    folder: String,
}

/// What the last build made, replayed by a skipped build.
#[derive(Debug, Clone)]
pub struct Replay {
    pub pages: usize,
    pub incidents: usize,
    pub files: usize,
    pub bytes: u64,
    pub warnings: Vec<Diagnostic>,
}

/// The outcome of comparing this build's inputs and the output folder with the record.
pub enum Verdict {
    /// Nothing changed: the output folder is what the last build made of these inputs.
    UpToDate(Replay),
    /// A real build is needed, and why (for `--timings`). `inputs` is `None` when they could
    /// not be fingerprinted (the build then stores no record).
    Build {
        inputs: Option<Inputs>,
        reason: String,
    },
}

/// Fingerprints the inputs and compares them, and the output folder, with the stored record.
/// With `force`, the inputs are fingerprinted (to store after the build) but never compared.
/// When nothing is compared (`force`, or no record in the output folder) the content is not
/// hashed here: the loader fingerprints the bytes it reads ([`Inputs::add_content`]).
pub fn check(config: &Config, force: bool) -> Verdict {
    let compare_content = compares(config, force);
    // The folder is stated while the inputs are hashed (when they differ, the build that
    // follows costs far more than this wasted walk).
    let ((record, folder), inputs) = rayon::join(
        || {
            rayon::join(
                || read_record(&config.output_dir),
                || compare_content.then(|| folder_digest(&config.output_dir)),
            )
        },
        || hash_inputs(config, compare_content),
    );
    let known = record
        .as_ref()
        .ok()
        .and_then(|r| Some((r.executable.clone(), r.inputs.get("binary")?.clone())));
    let inputs = match inputs.and_then(|digests| with_executable(digests, known)) {
        Ok(inputs) => inputs,
        Err(e) => {
            return Verdict::Build {
                inputs: None,
                reason: format!("the inputs could not be fingerprinted: {e:#}"),
            }
        }
    };
    if force {
        return Verdict::Build {
            inputs: Some(inputs),
            reason: "--force".into(),
        };
    }
    let compared = record.and_then(|r| {
        let folder = folder.unwrap_or_else(|| folder_digest(&config.output_dir));
        compare(r, &inputs.digests, folder)
    });
    match compared {
        Ok(replay) => Verdict::UpToDate(replay),
        Err(reason) => Verdict::Build {
            inputs: Some(inputs),
            reason,
        },
    }
}

impl Inputs {
    /// The content's digest as the loader made it from the files it read
    /// (`RawContent::digest`): what the record keeps, since it describes the bytes built.
    pub fn add_content(&mut self, digest: String) {
        self.digests.insert("content".into(), digest);
    }
}

/// Whether `check` will compare the inputs with a record: not with `force`, nor when the
/// output folder holds no record of an earlier build (usable or not). When it will not, the
/// build is certain, and the content is fingerprinted by the loader as it reads it.
pub fn compares(config: &Config, force: bool) -> bool {
    !force && config.output_dir.join(FINGERPRINT).exists()
}

/// The record in `out_dir`, or why there is none to use.
fn read_record(out_dir: &Path) -> Result<Record, String> {
    let path = out_dir.join(FINGERPRINT);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("no fingerprint of an earlier build in the output folder".into())
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let record: Record = serde_json::from_slice(&text)
        .map_err(|e| format!("the stored fingerprint is unreadable ({e})"))?;
    if record.format != FORMAT {
        return Err("the stored fingerprint has another format".into());
    }
    Ok(record)
}

/// `Ok` with what to replay when the record matches `inputs` and the folder; else why not.
fn compare(
    record: Record,
    inputs: &Digests,
    folder: anyhow::Result<String>,
) -> Result<Replay, String> {
    let changed: Vec<&str> = inputs
        .iter()
        .filter(|&(name, digest)| record.inputs.get(name) != Some(digest))
        .map(|(name, _)| name.as_str())
        .chain(
            record
                .inputs
                .keys()
                .filter(|name| !inputs.contains_key(*name))
                .map(String::as_str),
        )
        .collect();
    if !changed.is_empty() {
        return Err(format!(
            "changed since the last build: {}",
            changed.join(", ")
        ));
    }
    let now = folder.map_err(|e| format!("{e:#}"))?;
    if now != record.folder {
        return Err(
            "the output folder changed since the last build (an entry added, removed or edited)"
                .into(),
        );
    }
    Ok(Replay {
        pages: record.pages,
        incidents: record.incidents,
        files: record.files,
        bytes: record.bytes,
        warnings: record.warnings.into_iter().map(restore).collect(),
    })
}

/// Removes the record before a build writes into `out_dir`, so that an interrupted build never
/// leaves one behind. Only in a folder sitrep made (with the marker): a foreign folder is left
/// to the write stage to refuse.
pub fn invalidate(out_dir: &Path) -> anyhow::Result<()> {
    let marked = std::fs::symlink_metadata(out_dir.join(super::MARKER)).is_ok_and(|m| m.is_file());
    if !marked {
        return Ok(());
    }
    let path = out_dir.join(FINGERPRINT);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}

/// Stores the record of a successful build: `inputs` as fingerprinted before it started, the
/// figures and warnings to replay, and the digest of the output folder's manifest as the write
/// left it.
/// The `geodata` entry is taken again: the build has fetched any missing layer file by now
/// (so a first build does not make the second one run again), and verified it against its
/// pinned checksum, which is what the entry records.
///
/// `written` is the output folder's manifest as the write stage made it (a cold build lists
/// what it wrote: `Target::commit_listed`); without it the folder is read.
pub fn store(
    config: &Config,
    inputs: Inputs,
    replay: &Replay,
    written: Option<Vec<Entry>>,
) -> anyhow::Result<()> {
    let out_dir = &config.output_dir;
    let Inputs {
        mut digests,
        executable,
    } = inputs;
    if !digests.contains_key("content") {
        // The content could not be fingerprinted as it was read: the next build is a full one.
        return Ok(());
    }
    digests.insert("geodata".into(), geodata_digest(config)?);
    let record = Record {
        format: FORMAT,
        inputs: digests,
        executable,
        pages: replay.pages,
        incidents: replay.incidents,
        files: replay.files,
        bytes: replay.bytes,
        warnings: replay.warnings.iter().map(keep).collect(),
        folder: match written {
            Some(mut listed) => {
                listed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                manifest_digest(&listed)
            }
            None => folder_digest(out_dir)?,
        },
    };
    let json = serde_json::to_vec(&record).context("encoding the build fingerprint")?;
    let path = out_dir.join(FINGERPRINT);
    let temp = out_dir.join(format!("{FINGERPRINT}.tmp"));
    std::fs::write(&temp, json)
        .and_then(|()| std::fs::rename(&temp, &path))
        .with_context(|| format!("writing {}", path.display()))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
}

fn keep(d: &Diagnostic) -> StoredDiagnostic {
    StoredDiagnostic {
        error: d.is_error(),
        file: d.file.clone(),
        line: d.line,
        column: d.column,
        kind: d.kind.to_string(),
        message: d.message.clone(),
        snippet: d.snippet.clone(),
        hint: d.hint.clone(),
    }
}

fn restore(d: StoredDiagnostic) -> Diagnostic {
    Diagnostic {
        severity: if d.error {
            Severity::Error
        } else {
            Severity::Warning
        },
        file: d.file,
        line: d.line,
        column: d.column,
        kind: intern(d.kind),
        message: d.message,
        snippet: d.snippet,
        hint: d.hint,
    }
}

/// A diagnostic's kind is a `&'static str`; a replayed one is leaked once per distinct kind
/// (a few dozen short names at most, once per process).
fn intern(kind: String) -> &'static str {
    static KINDS: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut guard = KINDS.lock().unwrap_or_else(|e| e.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    if let Some(&k) = set.get(kind.as_str()) {
        return k;
    }
    let leaked: &'static str = Box::leak(kind.into_boxed_str());
    set.insert(leaked);
    leaked
}

/// The sha256 of every input but the executable (see the module doc), each hashed in parallel;
/// the content's only `with_content` (else the loader's listing gives it: `Inputs::add_content`).
fn hash_inputs(config: &Config, with_content: bool) -> anyhow::Result<Digests> {
    let mut digests = Digests::new();
    if with_content {
        digests.insert(
            "content".into(),
            tree_digest(&config.root.join("content"), true, false)?,
        );
    }
    digests.insert("settings".into(), settings_digest(config)?);
    digests.insert(
        "today".into(),
        crate::geo::sha256_hex(config.today.to_string().as_bytes()),
    );
    digests.insert("theme".into(), tree_digest(&config.theme_dir, false, true)?);
    digests.insert(
        "static".into(),
        tree_digest(&config.site_static_dir(), false, true)?,
    );
    digests.insert(
        "leaflet".into(),
        tree_digest(&config.leaflet_dir, false, true)?,
    );
    digests.insert("geodata".into(), geodata_digest(config)?);
    Ok(digests)
}

/// The config file's bytes and every resolved setting ("today" apart: it has its own entry).
fn settings_digest(config: &Config) -> anyhow::Result<String> {
    let path = config.root.join(CONFIG_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut resolved = config.clone();
    resolved.today = chrono::NaiveDate::MIN;
    let mut hasher = Sha256::new();
    hasher.update(&bytes);
    hasher.update([0]);
    hasher.update(format!("{resolved:?}"));
    Ok(to_hex(&hasher.finalize()))
}

/// Each layer's name, file and pinned sha256, and whether its file in the geodata folder has
/// that sha256 (else the sha256 it has, or why it cannot be read).
fn geodata_digest(config: &Config) -> anyhow::Result<String> {
    let layers = &config.site.geodata.layers;
    let actual: Vec<String> = layers
        .par_iter()
        .map(|spec| {
            let path = config.geodata_dir.join(&spec.file);
            match file_digest(&path) {
                Ok(d) if d == spec.sha256 => "verified".to_string(),
                Ok(d) => d,
                Err(e) => format!("unreadable: {}", e.kind()),
            }
        })
        .collect();
    let mut hasher = Sha256::new();
    for (spec, actual) in layers.iter().zip(actual) {
        for part in [&spec.name, &spec.file, &spec.sha256, &actual] {
            hasher.update(part);
            hasher.update([0]);
        }
    }
    Ok(to_hex(&hasher.finalize()))
}

/// Adds the running executable: its sha256, read again unless `known` (identity, sha256 from
/// the record) has the identity it has now.
fn with_executable(
    mut digests: Digests,
    known: Option<(String, String)>,
) -> anyhow::Result<Inputs> {
    // On Linux this is the file the process runs, even if it was replaced or removed since.
    let path = if Path::new("/proc/self/exe").exists() {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().context("locating the sitrep executable")?
    };
    let meta =
        std::fs::metadata(&path).with_context(|| format!("inspecting {}", path.display()))?;
    let executable = identity(&meta);
    let digest = match known {
        Some((was, digest)) if !executable.is_empty() && was == executable => digest,
        _ => file_digest(&path).with_context(|| format!("reading {}", path.display()))?,
    };
    digests.insert("binary".into(), digest);
    Ok(Inputs {
        digests,
        executable,
    })
}

/// Device, inode, size, modification and change times of a file.
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt as _;
    format!(
        "{}:{}:{}:{}.{:09}:{}.{:09}",
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    )
}

/// Nothing to go by where there is no inode or change time: the binary is read every time.
#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> String {
    String::new()
}

/// What a walk found at one path: a file (with what was made of it), a folder, a link (with
/// its target), anything else, or an error.
enum Found<T> {
    File(T),
    Dir,
    Link(PathBuf),
    Other,
    /// A hidden file that looks like a record (`skip_hidden`): the loader skips it with a
    /// warning, so its name counts, not its bytes.
    HiddenRecord,
}

/// Everything under `root/rel`, unsorted, by path relative to `root` (`/`-separated), without
/// following links; folders are read in parallel and `on_file` runs on each regular file on
/// the worker that found it. `skip_hidden` leaves out names starting with `.` and what is
/// under them, as the content loader does, but lists hidden files that look like records
/// (`HiddenRecord`), which the loader warns about.
fn par_walk<T: Send>(
    root: &Path,
    rel: &str,
    skip_hidden: bool,
    on_file: &(dyn Fn(&std::fs::DirEntry) -> std::io::Result<T> + Sync),
) -> std::io::Result<Vec<(String, Found<T>)>> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let entries = std::fs::read_dir(&dir)?.collect::<std::io::Result<Vec<_>>>()?;
    let nested: Vec<Vec<(String, Found<T>)>> = entries
        .into_par_iter()
        .map(|e| -> std::io::Result<Vec<(String, Found<T>)>> {
            let name = e.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let t = e.file_type()?;
            Ok(if skip_hidden && is_hidden(&e.file_name()) {
                if !t.is_dir() && crate::content::looks_like_a_record(&e.file_name()) {
                    vec![(child, Found::HiddenRecord)]
                } else {
                    Vec::new()
                }
            } else if t.is_dir() {
                let mut under = par_walk(root, &child, skip_hidden, on_file)?;
                under.push((child, Found::Dir));
                under
            } else if t.is_file() {
                vec![(child, Found::File(on_file(&e)?))]
            } else if t.is_symlink() {
                let target = std::fs::read_link(e.path()).unwrap_or_default();
                vec![(child, Found::Link(target))]
            } else {
                vec![(child, Found::Other)]
            })
        })
        .collect::<std::io::Result<_>>()?;
    Ok(nested.into_iter().flatten().collect())
}

/// One digest over the relative paths and bytes of everything under `dir` (folders only
/// through what they hold; links as links). `skip_hidden` leaves out names starting with `.`,
/// as the content loader does; `follow_links` reads through links instead (the theme and
/// Leaflet's files are read through them; both are small). A missing folder has a digest of
/// its own.
fn tree_digest(dir: &Path, skip_hidden: bool, follow_links: bool) -> anyhow::Result<String> {
    if !dir.exists() {
        return Ok(crate::geo::sha256_hex(b"missing"));
    }
    let found: Vec<(String, String)> = if follow_links {
        let mut found = Vec::new();
        let walker = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| !(skip_hidden && e.depth() > 0 && is_hidden(e.file_name())));
        for entry in walker {
            let e = entry.with_context(|| format!("reading {}", dir.display()))?;
            if e.file_type().is_file() {
                let digest = file_digest(e.path())
                    .with_context(|| format!("reading {}", e.path().display()))?;
                found.push((relative(dir, e.path()), format!("f{digest}")));
            } else if !e.file_type().is_dir() {
                found.push((relative(dir, e.path()), "o".into()));
            }
        }
        found
    } else {
        let hash = |e: &std::fs::DirEntry| -> std::io::Result<String> {
            Ok(crate::geo::sha256_hex(&std::fs::read(e.path())?))
        };
        par_walk(dir, "", skip_hidden, &hash)
            .with_context(|| format!("reading {}", dir.display()))?
            .into_iter()
            .filter_map(|(rel, what)| match what {
                Found::File(d) => Some((rel, format!("f{d}"))),
                Found::Dir => None,
                Found::Link(target) => Some((rel, format!("l{}", target.display()))),
                Found::Other => Some((rel, "o".into())),
                Found::HiddenRecord => Some((rel, "h".into())),
            })
            .collect()
    };
    Ok(listing_digest(found))
}

/// The digest of a folder from its listing: each entry's path relative to the folder
/// (`/`-separated) with `f` and the sha256 (hex) of a file's bytes, `l` and the target of a
/// link, or `o` for anything else; folders only through what they hold. The content loader
/// makes the same listing of the files it reads (`content::discover`), so a first build
/// fingerprints the content without reading it twice.
pub fn listing_digest(mut found: Vec<(String, String)>) -> String {
    found.sort_unstable();
    let mut hasher = Sha256::new();
    for (rel, digest) in &found {
        hasher.update(rel);
        hasher.update([0]);
        hasher.update(digest);
        hasher.update([0]);
    }
    to_hex(&hasher.finalize())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The sha256 of a file, read in pieces.
fn file_digest(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(to_hex(&hasher.finalize()))
}

/// Every entry of `out_dir` but the record itself and the user's dotfiles (which builds leave
/// alone, so a commit in a `.git` there does not make the next build render), sorted by path, with the size, times and
/// inode of each file (folders read and files stated in parallel).
fn manifest(out_dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let stat = |e: &std::fs::DirEntry| e.metadata();
    let mut manifest: Vec<Entry> = par_walk(out_dir, "", false, &stat)
        .with_context(|| format!("reading {}", out_dir.display()))?
        .into_iter()
        .filter(|(rel, _)| rel != FINGERPRINT && !super::is_users_dotfile(Path::new(rel)))
        .map(|(rel, what)| match what {
            Found::File(meta) => file_entry(rel, &meta),
            Found::Dir => dir_entry(rel),
            Found::Link(_) => (rel, 'l', 0, 0, 0, 0),
            Found::Other | Found::HiddenRecord => (rel, 'o', 0, 0, 0, 0),
        })
        .collect();
    manifest.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(manifest)
}

/// The sha256 (hex) of a manifest sorted by path: what the record keeps of the folder, so
/// that it stays small at any size (a few hundred bytes and the warnings, where the manifest
/// itself was 16.5 MB at 100,000 incidents) while any entry added, removed or touched changes it.
fn manifest_digest(manifest: &[Entry]) -> String {
    use std::fmt::Write as _;
    let mut hasher = Sha256::new();
    let mut stamps = String::new();
    for (rel, kind, size, modified, changed, inode) in manifest {
        stamps.clear();
        // Writing to a String cannot fail.
        let _ = writeln!(stamps, "{kind}\0{size}\0{modified}\0{changed}\0{inode}");
        hasher.update(rel);
        hasher.update([0]);
        hasher.update(&stamps);
    }
    to_hex(&hasher.finalize())
}

/// `manifest_digest` of the folder as it is now.
fn folder_digest(out_dir: &Path) -> anyhow::Result<String> {
    manifest(out_dir).map(|m| manifest_digest(&m))
}

/// Modification and change times (ns since the epoch) and inode of a file.
#[cfg(unix)]
fn stamps(meta: &std::fs::Metadata) -> (i128, i128, u64) {
    use std::os::unix::fs::MetadataExt as _;
    let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    (
        ns(meta.mtime(), meta.mtime_nsec()),
        ns(meta.ctime(), meta.ctime_nsec()),
        meta.ino(),
    )
}

/// Modification time only where there is no change time or inode.
#[cfg(not(unix))]
fn stamps(meta: &std::fs::Metadata) -> (i128, i128, u64) {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    (modified, 0, 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tree_digest_covers_paths_and_bytes_and_skips_hidden_files() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("a"))?;
        std::fs::write(dir.path().join("a/x.toml"), "one")?;
        let first = tree_digest(dir.path(), true, false)?;
        std::fs::write(dir.path().join(".hidden"), "ignored")?;
        std::fs::create_dir_all(dir.path().join("a/.git"))?;
        std::fs::write(dir.path().join("a/.git/HEAD"), "ignored")?;
        assert_eq!(tree_digest(dir.path(), true, false)?, first);
        assert_ne!(tree_digest(dir.path(), false, false)?, first);
        std::fs::write(dir.path().join("a/x.toml"), "two")?;
        let second = tree_digest(dir.path(), true, false)?;
        assert_ne!(second, first);
        std::fs::rename(dir.path().join("a/x.toml"), dir.path().join("a/y.toml"))?;
        assert_ne!(tree_digest(dir.path(), true, false)?, second);
        Ok(())
    }

    #[test]
    fn the_loader_fingerprints_the_content_as_the_walk_does() -> anyhow::Result<()> {
        let site = tempfile::tempdir()?;
        let content = site.path().join("content");
        std::fs::create_dir_all(content.join("incidents/2024"))?;
        std::fs::create_dir_all(content.join("actors/.drafts"))?;
        std::fs::create_dir_all(content.join("briefs"))?;
        std::fs::write(
            content.join("incidents/2024/2024-01-02-a.toml"),
            "title = \"a\"\n",
        )?;
        std::fs::write(
            content.join("incidents/2024/2024-01-03-b.toml"),
            "title = \"b\"\n",
        )?;
        std::fs::write(content.join("actors/ttp.toml"), "name = \"x\"\n")?;
        std::fs::write(content.join("actors/.drafts/new.toml"), "hidden")?;
        std::fs::write(content.join(".notes"), "hidden")?;
        let walked = tree_digest(&content, true, false)?;
        let loaded = crate::content::discover(site.path()).digest;
        assert_eq!(loaded.as_deref(), Some(walked.as_str()));
        // A hidden record (warned about, not read) counts by its name, in both.
        std::fs::write(content.join("incidents/2024/.2024-01-04-c.toml"), "draft")?;
        let with_hidden = tree_digest(&content, true, false)?;
        assert_ne!(with_hidden, walked);
        let loaded = crate::content::discover(site.path()).digest;
        assert_eq!(loaded.as_deref(), Some(with_hidden.as_str()));
        std::fs::write(content.join("incidents/2024/.2024-01-04-c.toml"), "edited")?;
        assert_eq!(tree_digest(&content, true, false)?, with_hidden);
        std::fs::remove_file(content.join("incidents/2024/.2024-01-04-c.toml"))?;
        // A file the loader refuses leaves no fingerprint to store.
        std::fs::write(content.join("incidents/stray.txt"), "?")?;
        assert_eq!(crate::content::discover(site.path()).digest, None);
        Ok(())
    }

    #[test]
    fn a_cold_build_lists_what_it_wrote_as_the_walk_finds_it() -> anyhow::Result<()> {
        use crate::render::{OutputFile, Sink as _};
        let parent = tempfile::tempdir()?;
        let out = parent.path().join("public");
        let target = crate::output::Target::open(&out)?;
        for path in [
            "index.html",
            "incidents/a/index.html",
            "data/map/points/2010.json",
        ] {
            target.put(OutputFile {
                path: path.into(),
                bytes: path.as_bytes().to_vec(),
            })?;
        }
        let (_, listed) = target.commit_listed()?;
        let mut listed = listed.expect("a cold build lists its files");
        listed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(listed, manifest(&out)?);
        assert_eq!(
            listed.len(),
            9,
            "4 files (with the marker) and 5 folders: {listed:?}"
        );
        Ok(())
    }

    #[test]
    fn manifest_sees_edits_that_keep_the_size() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("index.html"), "aaaa")?;
        std::fs::write(dir.path().join(FINGERPRINT), "not listed")?;
        let before = manifest(dir.path())?;
        assert_eq!(before.len(), 1);
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(dir.path().join("index.html"), "bbbb")?;
        assert_ne!(manifest(dir.path())?, before);
        assert_ne!(folder_digest(dir.path())?, manifest_digest(&before));
        Ok(())
    }

    #[test]
    fn the_folder_digest_is_the_manifest_s_and_sees_every_entry() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("a"))?;
        std::fs::write(dir.path().join("a/index.html"), "aaaa")?;
        let before = folder_digest(dir.path())?;
        assert_eq!(before, manifest_digest(&manifest(dir.path())?));
        assert_eq!(folder_digest(dir.path())?, before);
        std::fs::create_dir(dir.path().join("b"))?;
        let with_folder = folder_digest(dir.path())?;
        assert_ne!(with_folder, before);
        std::fs::remove_dir(dir.path().join("b"))?;
        assert_eq!(folder_digest(dir.path())?, before);
        std::fs::rename(
            dir.path().join("a/index.html"),
            dir.path().join("a/other.html"),
        )?;
        assert_ne!(folder_digest(dir.path())?, before);
        Ok(())
    }

    #[test]
    fn replayed_warnings_are_the_stored_ones() {
        let d = Diagnostic::warning("content/a.toml", "future-date", "in the future")
            .with_hint("check it");
        let back = restore(keep(&d));
        assert_eq!(back, d);
        assert!(std::ptr::eq(
            intern("some-kind".into()),
            intern("some-kind".into())
        ));
    }
}
