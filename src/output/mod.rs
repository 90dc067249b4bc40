//! Write stage: puts the rendered files into the output folder atomically. Everything is
//! written to a temporary sibling folder first and swapped in, so a failed build leaves the
//! previous site as it was. Only folders sitrep made (marked) are ever replaced.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::render::OutputFile;

/// Marks an output folder as made by sitrep, so it may be replaced by the next build.
pub const MARKER: &str = ".sitrep-output";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub files: usize,
    pub bytes: u64,
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
    Ok(p.to_path_buf())
}

/// Replaces `out_dir` with exactly `files`. Fails without touching `out_dir` if it exists but
/// was not made by sitrep, or if anything goes wrong before the swap.
pub fn write_atomic(files: &[OutputFile], out_dir: &Path) -> anyhow::Result<WriteReport> {
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|f| safe_relative_path(&f.path))
        .collect::<anyhow::Result<_>>()?;
    check_replaceable(out_dir)?;
    let parent = out_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".sitrep-staging-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a temporary folder in {}", parent.display()))?;
    let mut report = WriteReport::default();
    for (file, rel) in files.iter().zip(&relative) {
        let target = staging.path().join(rel);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&target, &file.bytes)
            .with_context(|| format!("writing {}", target.display()))?;
        report.files += 1;
        report.bytes += file.bytes.len() as u64;
    }
    std::fs::write(
        staging.path().join(MARKER),
        "Made by sitrep: this folder is replaced on every build.\n",
    )
    .context("writing the output marker")?;
    swap_in(staging, out_dir)?;
    Ok(report)
}

fn check_replaceable(out_dir: &Path) -> anyhow::Result<()> {
    let meta = match std::fs::symlink_metadata(out_dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
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
    if !empty && !out_dir.join(MARKER).is_file() {
        bail!(
            "refusing to replace {}: it is not empty and was not made by sitrep (no {MARKER} file). Choose an empty or new --output folder, or remove it yourself",
            out_dir.display()
        );
    }
    Ok(())
}

fn swap_in(staging: tempfile::TempDir, out_dir: &Path) -> anyhow::Result<()> {
    let staged = staging.keep();
    if std::fs::symlink_metadata(out_dir).is_err() {
        return std::fs::rename(&staged, out_dir)
            .with_context(|| format!("moving the new site into {}", out_dir.display()));
    }
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    let old = staged.with_file_name(format!(".{name}.old-{}", std::process::id()));
    std::fs::rename(out_dir, &old)
        .with_context(|| format!("moving the previous {} aside", out_dir.display()))?;
    if let Err(e) = std::fs::rename(&staged, out_dir) {
        // Put the previous site back; the staged copy stays for inspection.
        let _ = std::fs::rename(&old, out_dir);
        return Err(e).with_context(|| format!("moving the new site into {}", out_dir.display()));
    }
    // `old` is the previous output (it carried the marker): ours to delete.
    std::fs::remove_dir_all(&old)
        .with_context(|| format!("removing the previous site at {}", old.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escaping_paths() {
        assert!(safe_relative_path("a/b/index.html").is_ok());
        assert!(safe_relative_path("../x").is_err());
        assert!(safe_relative_path("/etc/passwd").is_err());
        assert!(safe_relative_path("a/../../x").is_err());
        assert!(safe_relative_path("a\\..\\x").is_err());
        assert!(safe_relative_path("").is_err());
    }

    #[test]
    fn replaces_only_marked_folders() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = dir.path().join("public");
        let files = vec![OutputFile {
            path: "index.html".into(),
            bytes: b"one".to_vec(),
        }];
        write_atomic(&files, &out)?;
        assert_eq!(std::fs::read(out.join("index.html"))?, b"one");
        let files = vec![OutputFile {
            path: "a/index.html".into(),
            bytes: b"two".to_vec(),
        }];
        write_atomic(&files, &out)?;
        assert!(!out.join("index.html").exists());
        assert_eq!(std::fs::read(out.join("a/index.html"))?, b"two");
        let foreign = dir.path().join("mine");
        std::fs::create_dir(&foreign)?;
        std::fs::write(foreign.join("precious.txt"), "keep")?;
        assert!(write_atomic(&files, &foreign).is_err());
        assert_eq!(
            std::fs::read_to_string(foreign.join("precious.txt"))?,
            "keep"
        );
        // Nothing is left behind next to the output.
        let names: Vec<String> = std::fs::read_dir(dir.path())?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        Ok(())
    }
}
