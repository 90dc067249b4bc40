//! Geo stage, fetching: makes every declared layer file present in the geodata dir with its pinned sha256.

use crate::geo::LayerSpec;
use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes` (a digest).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Ensures every declared layer is present in `geodata_dir` with the declared sha256.
///
/// Source order: the existing file in `geodata_dir` if its checksum matches; else a copy from the
/// `mirror` dir (if given and it holds the file); else a download of `url` with
/// `curl -fsSL --max-time 120 -o <tmp> <url>`. New bytes are written to a temporary file inside
/// `geodata_dir` and renamed into place only after their checksum matched, so a wrong file never
/// replaces anything. A checksum mismatch from any source is an error naming the layer, the file,
/// the expected and the actual sha256. Nothing outside `geodata_dir` is ever written or deleted.
/// Returns the paths of the layer files, in `specs` order.
pub fn fetch_layers(
    specs: &[LayerSpec],
    geodata_dir: &Path,
    mirror: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    for spec in specs {
        check_spec(spec)?;
    }
    fs::create_dir_all(geodata_dir)
        .with_context(|| format!("cannot create geodata dir {}", geodata_dir.display()))?;
    specs
        .iter()
        .map(|spec| fetch_one(spec, geodata_dir, mirror))
        .collect()
}

fn check_spec(spec: &LayerSpec) -> Result<()> {
    let f = spec.file.as_str();
    let plain = !f.is_empty()
        && f != "."
        && f != ".."
        && !f.starts_with('.')
        && !f.contains(['/', '\\'])
        && Path::new(f).file_name().is_some_and(|n| n == f);
    if !plain {
        bail!(
            "layer '{}': file '{}' must be a plain file name (no directories, not starting with '.')",
            spec.name,
            spec.file
        );
    }
    let hex_ok = spec.sha256.len() == 64
        && spec
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex_ok {
        bail!(
            "layer '{}': sha256 '{}' is not 64 lower-case hex digits; compute it with `sha256sum {}`",
            spec.name,
            spec.sha256,
            spec.file
        );
    }
    Ok(())
}

fn fetch_one(spec: &LayerSpec, dir: &Path, mirror: Option<&Path>) -> Result<PathBuf> {
    let target = dir.join(&spec.file);
    let mut stale: Option<String> = None;
    if target.is_file() {
        let bytes =
            fs::read(&target).with_context(|| format!("cannot read {}", target.display()))?;
        let actual = sha256_hex(&bytes);
        if actual == spec.sha256 {
            return Ok(target);
        }
        stale = Some(actual);
    }
    let stale_note = stale
        .as_ref()
        .map(|a| {
            format!(
                " (the existing {} has sha256 {a} and is replaced)",
                target.display()
            )
        })
        .unwrap_or_default();

    if let Some(m) = mirror {
        let src = m.join(&spec.file);
        if src.is_file() {
            let bytes = fs::read(&src).with_context(|| format!("cannot read {}", src.display()))?;
            let actual = sha256_hex(&bytes);
            if actual != spec.sha256 {
                return Err(mismatch(spec, &src.display().to_string(), &actual));
            }
            let tmp = temp_path(dir, &spec.file);
            fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
            rename_into_place(&tmp, &target)?;
            return Ok(target);
        }
    }

    let tmp = temp_path(dir, &spec.file);
    download(spec, &tmp).with_context(|| {
        format!(
            "layer '{}': {} is not in {}{}{}",
            spec.name,
            spec.file,
            dir.display(),
            mirror
                .map(|m| format!(" nor in the mirror {}", m.display()))
                .unwrap_or_default(),
            stale_note
        )
    })?;
    let bytes = fs::read(&tmp).with_context(|| format!("cannot read {}", tmp.display()))?;
    let actual = sha256_hex(&bytes);
    if actual != spec.sha256 {
        // The temporary file lies inside geodata_dir and was created by us.
        let _ = fs::remove_file(&tmp);
        return Err(mismatch(spec, &spec.url, &actual));
    }
    rename_into_place(&tmp, &target)?;
    Ok(target)
}

fn temp_path(dir: &Path, file: &str) -> PathBuf {
    dir.join(format!(".{file}.part-{}", std::process::id()))
}

fn rename_into_place(tmp: &Path, target: &Path) -> Result<()> {
    fs::rename(tmp, target)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), target.display()))
}

fn download(spec: &LayerSpec, tmp: &Path) -> Result<()> {
    if spec.url.starts_with('-') || spec.url.trim().is_empty() {
        bail!("layer '{}': url '{}' is not a URL", spec.name, spec.url);
    }
    let out = Command::new("curl")
        .args(["-fsSL", "--max-time", "120", "-o"])
        .arg(tmp)
        .arg(&spec.url)
        .output()
        .map_err(|e| {
            anyhow!(
                "cannot run curl to download {}: {e}; install curl or put {} into the mirror dir",
                spec.url,
                spec.file
            )
        })?;
    if !out.status.success() {
        // Only ever our own temporary file inside geodata_dir.
        let _ = fs::remove_file(tmp);
        bail!(
            "downloading {} failed ({}): {}; check the URL and the network, or put {} into the mirror dir",
            spec.url,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            spec.file
        );
    }
    Ok(())
}

fn mismatch(spec: &LayerSpec, source: &str, actual: &str) -> anyhow::Error {
    anyhow!(
        "layer '{}': checksum mismatch for {} from {}: expected sha256 {}, actual sha256 {}; \
         the upstream file has changed or is corrupt: verify it, then update `sha256` in the \
         layer declaration (and its license/attribution) or restore the pinned file",
        spec.name,
        spec.file,
        source,
        spec.sha256,
        actual
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::geo::LayerRole;

    fn spec(file: &str, sha: &str) -> LayerSpec {
        LayerSpec {
            name: "test-layer".into(),
            role: LayerRole::Context,
            country: None,
            file: file.into(),
            url: "file:///nonexistent/sitrep-test/never-there.geojson".into(),
            sha256: sha.into(),
            license: "PD".into(),
            attribution: "test".into(),
            name_property: "shapeName".into(),
            iso_property: None,
            accept_invalid: Vec::new(),
        }
    }

    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn rejects_paths_and_bad_hex() {
        let dir = std::env::temp_dir();
        let good = sha256_hex(b"x");
        for f in ["../x", "a/b", ".hidden", "", ".."] {
            assert!(fetch_layers(&[spec(f, &good)], &dir, None).is_err(), "{f}");
        }
        let e = fetch_layers(&[spec("a.geojson", "ABC")], &dir, None).unwrap_err();
        assert!(e.to_string().contains("64 lower-case hex"), "{e}");
    }
}
