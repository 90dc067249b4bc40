//! Finds content files in a stable order and reads them, rejecting stray, non-UTF-8 and
//! oversized files with a diagnostic.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::diagnostic::{display_path, Diagnostic};

/// Content files larger than this are rejected (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Incident,
    Actor,
    Brief,
    RegionNote,
    Aliases,
}

/// A content file, read and classified.
#[derive(Debug, Clone)]
pub struct ContentFile {
    pub kind: FileKind,
    pub display_path: String,
    /// File name without extension (region notes: the slug path, e.g. `balochistan/quetta`).
    pub slug: String,
    pub text: String,
}

/// What `discover` found: the files it read, diagnostics for the rest, and the content's
/// fingerprint (`output::fingerprint::listing_digest` of the files read), None when some
/// entry could not be read.
pub struct Discovered {
    pub files: Vec<ContentFile>,
    pub diagnostics: Vec<Diagnostic>,
    pub digest: Option<String>,
}

/// Walks `<root>/content` in sorted order, reading the files in parallel.
pub fn discover(root: &Path) -> Discovered {
    let content_dir = root.join("content");
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    if !content_dir.is_dir() {
        diagnostics.push(
            Diagnostic::error("content", "missing-content", "there is no content/ folder")
                .with_hint("create content/incidents/, content/actors/ and content/briefs/ (see CONTRIBUTING.md)"),
        );
        return Discovered {
            files,
            diagnostics,
            digest: None,
        };
    }
    // Hidden files and folders are skipped; a hidden record file gets a warning, as it looks
    // like a record meant to be read, and its name (not its bytes) goes into the fingerprint,
    // so that adding one makes the next build run and warn.
    let mut hidden = Vec::new();
    let mut hidden_listed = Vec::new();
    let walker = WalkDir::new(&content_dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if !is_hidden(e.file_name()) {
                return true;
            }
            if looks_like_a_record(e.file_name()) && !e.file_type().is_dir() {
                hidden_listed.push((listing_path(&content_dir, e.path()), "h".to_string()));
                hidden.push(hidden_record_warning(root, e.path()));
            }
            false
        });
    // Walk first (in order), then read in parallel: at 100,000 files the reads dominate.
    let mut entries = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| display_path(root, p))
                    .unwrap_or_else(|| "content".into());
                entries.push(Err(Diagnostic::error(
                    &path,
                    "unreadable",
                    format!("cannot read: {e}"),
                )));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        entries.push(Ok((
            entry.path().to_path_buf(),
            entry.file_type().is_symlink(),
        )));
    }
    let read: Vec<Result<(Listed, ContentFile), Diagnostic>> = entries
        .into_par_iter()
        .with_max_len(crate::FILES_PER_TASK)
        .map(|entry| {
            entry.and_then(|(path, is_symlink)| {
                let file = read_entry(root, &path, is_symlink)?;
                let digest = format!("f{}", crate::geo::sha256_hex(file.text.as_bytes()));
                Ok(((listing_path(&content_dir, &path), digest), file))
            })
        })
        .collect();
    let mut listing = hidden_listed;
    listing.reserve(read.len());
    for result in read {
        match result {
            Ok((listed, file)) => {
                listing.push(listed);
                files.push(file);
            }
            Err(d) => diagnostics.push(d),
        }
    }
    let digest = diagnostics
        .is_empty()
        .then(|| crate::output::fingerprint::listing_digest(listing));
    diagnostics.append(&mut hidden);
    Discovered {
        files,
        diagnostics,
        digest,
    }
}

/// A file read, as the fingerprint lists it: its path under `content/` and `f` + its sha256.
type Listed = (String, String);

/// A file's path under `content_dir`, as the fingerprint lists it.
fn listing_path(content_dir: &Path, path: &Path) -> String {
    crate::output::fingerprint::entry_name(path.strip_prefix(content_dir).unwrap_or(path))
}

/// Reads one file under `<root>/content` (for `serve`, which re-reads only what changed).
/// `None` when it is not a file any more or is hidden, like the files `discover` skips.
pub fn read_one(root: &Path, path: &Path) -> Option<Result<ContentFile, Diagnostic>> {
    let rel = path.strip_prefix(root.join("content")).ok()?;
    if rel.iter().any(is_hidden) {
        return None;
    }
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.is_dir() {
        return None;
    }
    Some(read_entry(root, path, meta.file_type().is_symlink()))
}

/// The warning for a hidden record file (`.name.toml`), which is listed but never read.
fn hidden_record_warning(root: &Path, path: &Path) -> Diagnostic {
    Diagnostic::warning(
        &display_path(root, path),
        "hidden-file",
        "this file is hidden (its name starts with a dot), so it is not read",
    )
    .with_hint("remove the leading dot from the file name if it is meant to be published")
}

/// For `serve`, which re-reads only what changed: the warning `discover` gives for `path`
/// when it is a hidden record file (in no hidden folder) that exists; `None` otherwise.
pub fn hidden_record(root: &Path, path: &Path) -> Option<Diagnostic> {
    let rel = path.strip_prefix(root.join("content")).ok()?;
    let name = rel.file_name()?;
    let in_hidden_folder = rel.parent().is_some_and(|p| p.iter().any(is_hidden));
    if !is_hidden(name) || !looks_like_a_record(name) || in_hidden_folder {
        return None;
    }
    let meta = std::fs::symlink_metadata(path).ok()?;
    (!meta.is_dir()).then(|| hidden_record_warning(root, path))
}

/// Classifies, checks and reads one content file.
fn read_entry(root: &Path, path: &Path, is_symlink: bool) -> Result<ContentFile, Diagnostic> {
    let content_dir = root.join("content");
    let shown = display_path(root, path);
    let rel = path.strip_prefix(&content_dir).unwrap_or(path);
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    // Checked first: a contributed link could point anywhere on the machine that builds.
    if is_symlink {
        return Err(Diagnostic::error(
            &shown,
            "symlink",
            "this is a symbolic link: sitrep does not follow links under content/",
        )
        .with_hint("replace the link with the file or folder itself"));
    }
    let (kind, slug) = classify(&parts).map_err(|hint| {
        Diagnostic::error(
            &shown,
            "stray-file",
            "this file is not part of the content model",
        )
        .with_hint(hint)
    })?;
    let unreadable =
        |e: std::io::Error| Diagnostic::error(&shown, "unreadable", format!("cannot read: {e}"));
    let too_large = |size: u64| {
        Diagnostic::error(
            &shown,
            "file-too-large",
            format!("this file is {size} bytes; the limit is {MAX_FILE_BYTES}"),
        )
        .with_hint("split it or shorten it; content files are at most 1 MiB")
    };
    // One open for the type and size checks and the read (a build opens every content file
    // once). A named pipe would block the read until something writes to it, so the file is
    // opened without waiting and its type checked on the open file itself.
    let file = open_without_waiting(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(Diagnostic::error(
            &shown,
            "not-a-file",
            "this is not a regular file (a named pipe, socket or device), so it is not read",
        )
        .with_hint("replace it with an ordinary file, or remove it"));
    }
    let size = meta.len();
    if size > MAX_FILE_BYTES {
        return Err(too_large(size));
    }
    // Never more than one byte past the limit, should the file grow before it is read.
    let mut bytes = Vec::with_capacity(size as usize + 1);
    (&file)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let size = file.metadata().map_or(bytes.len() as u64, |m| m.len());
        return Err(too_large(size));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(ContentFile {
            kind,
            display_path: shown,
            slug,
            text,
        }),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            Err(
                Diagnostic::error(&shown, "not-utf8", "this file is not valid UTF-8")
                    .at(&valid, offset)
                    .with_hint("save the file as UTF-8 in your editor"),
            )
        }
    }
}

/// Opens `path` for reading without waiting for a writer, should it be a named pipe (reading
/// a regular file is unaffected).
fn open_without_waiting(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// A `.toml` or `.md` name that is not an editor's lock file (`.#name.toml`).
pub fn looks_like_a_record(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    (name.ends_with(".toml") || name.ends_with(".md")) && !name.starts_with(".#")
}

/// Decides what a file under content/ is from its path parts, or says where it belongs.
pub(super) fn classify(parts: &[String]) -> Result<(FileKind, String), String> {
    let stem_of = |name: &str, ext: &str| name.strip_suffix(ext).map(str::to_string);
    match parts {
        [dir, year, name] if dir == "incidents" => match stem_of(name, ".toml") {
            Some(stem) if year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()) => Ok((FileKind::Incident, stem)),
            Some(_) => Err(format!("incident files go in a folder named after their year: content/incidents/<year>/{name}")),
            None => Err("only .toml incident files belong in content/incidents/".into()),
        },
        [dir, name] if dir == "incidents" => Err(format!(
            "move it into the folder of its year: content/incidents/<year>/{name}"
        )),
        [dir, name] if dir == "actors" => stem_of(name, ".toml")
            .map(|s| (FileKind::Actor, s))
            .ok_or_else(|| "only .toml actor files belong in content/actors/".into()),
        [dir, name] if dir == "briefs" => stem_of(name, ".md")
            .map(|s| (FileKind::Brief, s))
            .ok_or_else(|| "only .md brief files belong in content/briefs/".into()),
        [dir, name] if dir == "regions" && name == "aliases.toml" => Ok((FileKind::Aliases, "aliases".into())),
        [dir, rest @ ..] if dir == "regions" && (1..=3).contains(&rest.len()) => {
            let last = rest.last().map(String::as_str).unwrap_or("");
            let stem = stem_of(last, ".md").ok_or_else(|| "only .md region notes and aliases.toml belong in content/regions/".to_string())?;
            let mut slug: Vec<&str> = rest[..rest.len() - 1].iter().map(String::as_str).collect();
            slug.push(&stem);
            Ok((FileKind::RegionNote, slug.join("/")))
        }
        _ => Err("content/ holds incidents/<year>/*.toml, actors/*.toml, briefs/*.md and regions/ notes; move or delete this file".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> Vec<String> {
        p.split('/').map(String::from).collect()
    }

    #[test]
    fn classifies_paths() {
        assert_eq!(
            classify(&parts("incidents/2024/2024-01-01-x.toml")),
            Ok((FileKind::Incident, "2024-01-01-x".into()))
        );
        assert!(classify(&parts("incidents/2024-01-01-x.toml")).is_err());
        assert!(classify(&parts("incidents/2024/notes.txt")).is_err());
        assert_eq!(
            classify(&parts("regions/balochistan/quetta.md")),
            Ok((FileKind::RegionNote, "balochistan/quetta".into()))
        );
        assert_eq!(
            classify(&parts("regions/aliases.toml")),
            Ok((FileKind::Aliases, "aliases".into()))
        );
        assert!(classify(&parts("README.md")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn named_pipes_are_reported_not_read() {
        let site = tempfile::tempdir().expect("tempdir");
        let year = site.path().join("content/incidents/2024");
        std::fs::create_dir_all(&year).expect("mkdir");
        let pipe = year.join("2024-01-01-x.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .expect("mkfifo runs");
        assert!(made.success(), "mkfifo failed");
        // Nothing writes to the pipe: should discovery wait for a writer, the test becomes one
        // after a while, to end the wait, and fails.
        let (sender, receiver) = std::sync::mpsc::channel();
        let root = site.path().to_path_buf();
        std::thread::spawn(move || sender.send(discover(&root)));
        let Discovered {
            files, diagnostics, ..
        } = match receiver.recv_timeout(std::time::Duration::from_secs(20)) {
            Ok(found) => found,
            Err(_) => {
                let _unblock = std::fs::OpenOptions::new().write(true).open(&pipe);
                panic!("discovery waited for something to write to a named pipe");
            }
        };
        assert!(files.is_empty(), "a pipe was read");
        let found: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|d| (d.file.as_str(), d.kind))
            .collect();
        assert_eq!(
            found,
            [("content/incidents/2024/2024-01-01-x.toml", "not-a-file")]
        );
        assert!(matches!(
            read_one(site.path(), &pipe),
            Some(Err(d)) if d.kind == "not-a-file"
        ));
    }

    #[cfg(unix)]
    #[test]
    fn links_are_reported_not_followed() {
        let site = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let secret = outside.path().join("secret.toml");
        std::fs::write(&secret, "title = \"outside the site\"\n").expect("write");
        let year = site.path().join("content/incidents/2024");
        std::fs::create_dir_all(&year).expect("mkdir");
        std::os::unix::fs::symlink(&secret, year.join("2024-01-01-x.toml")).expect("link");
        std::os::unix::fs::symlink(outside.path(), site.path().join("content/actors"))
            .expect("link");
        let Discovered {
            files,
            diagnostics,
            digest,
        } = discover(site.path());
        assert!(files.is_empty(), "a link was read");
        assert!(
            digest.is_none(),
            "a fingerprint of content that was not all read"
        );
        let mut found: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|d| (d.file.as_str(), d.kind))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("content/actors", "symlink"),
                ("content/incidents/2024/2024-01-01-x.toml", "symlink")
            ]
        );
    }
}
