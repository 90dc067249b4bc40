//! Serve: watches content, the theme, geodata and `sitrep.toml`, debounces bursts of file
//! events (an editor's save, a git checkout) into one batch, and sorts a batch into the kinds
//! of change a rebuild cares about.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher as _};

use crate::config::{Config, CONFIG_FILE};

/// A batch ends after this long without events…
pub const QUIET: Duration = Duration::from_millis(25);
/// …or this long after its first event, whichever comes first.
pub const MAX_BATCH: Duration = Duration::from_millis(500);

/// The folders and files a site is built from, as absolute paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    pub root: PathBuf,
    pub content: PathBuf,
    pub theme: PathBuf,
    /// The site's own `static/` folder (copied to the site's root).
    pub site_static: PathBuf,
    pub geodata: PathBuf,
    pub config_file: PathBuf,
}

impl Sources {
    pub fn of(config: &Config) -> anyhow::Result<Sources> {
        let root = std::fs::canonicalize(&config.root)
            .with_context(|| format!("cannot find the site folder {}", config.root.display()))?;
        let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| root.join(p));
        Ok(Sources {
            content: root.join("content"),
            theme: absolute(&config.theme_dir),
            site_static: root.join("static"),
            geodata: absolute(&config.geodata_dir),
            config_file: root.join(CONFIG_FILE),
            root,
        })
    }
}

/// A running watcher and the channel its events arrive on.
pub struct Watcher {
    _inner: notify::RecommendedWatcher,
    events: Receiver<PathBuf>,
}

impl Watcher {
    pub fn start(sources: &Sources) -> anyhow::Result<Watcher> {
        let (sender, events) = mpsc::channel();
        let mut inner =
            notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
                let Ok(event) = result else { return };
                let relevant = match event.kind {
                    EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                    EventKind::Access(_) => false,
                    _ => true,
                };
                if relevant {
                    for path in event.paths {
                        let _ = sender.send(path);
                    }
                }
            })
            .context("cannot start the file watcher")?;
        let mut watch = |path: &Path, mode: RecursiveMode| {
            inner
                .watch(path, mode)
                .with_context(|| format!("cannot watch {}", path.display()))
        };
        watch(&sources.root, RecursiveMode::NonRecursive)?;
        for dir in [
            &sources.content,
            &sources.theme,
            &sources.site_static,
            &sources.geodata,
        ] {
            if dir.is_dir() {
                watch(dir, RecursiveMode::Recursive)?;
            }
        }
        Ok(Watcher {
            _inner: inner,
            events,
        })
    }

    /// Waits up to `timeout` for an event, then collects the burst it starts. `None` when
    /// nothing happened.
    pub fn next_batch(&self, timeout: Duration) -> Option<Vec<PathBuf>> {
        let first = self.events.recv_timeout(timeout).ok()?;
        let started = Instant::now();
        let mut batch = vec![first];
        while started.elapsed() < MAX_BATCH {
            match self.events.recv_timeout(QUIET) {
                Ok(path) => batch.push(path),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        batch.sort();
        batch.dedup();
        Some(batch)
    }
}

/// What a batch of events touched.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Change {
    pub config: bool,
    pub geodata: bool,
    pub templates: bool,
    /// Files under the theme's `static/` folder.
    pub theme_static: Vec<PathBuf>,
    /// Something under the site's own `static/` folder.
    pub site_static: bool,
    /// Content files (or folders) that changed, appeared or vanished.
    pub content: Vec<PathBuf>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        *self == Change::default()
    }
}

/// Sorts event paths into kinds of change. Editor backups and hidden files are ignored, but
/// for hidden record files under `content/` (`.name.toml`), which a build warns about.
pub fn classify(paths: &[PathBuf], sources: &Sources) -> Change {
    let mut change = Change::default();
    for path in paths {
        let file_name = path.file_name().unwrap_or_default();
        let name = file_name.to_string_lossy();
        if path.starts_with(&sources.content) && crate::content::looks_like_a_record(file_name) {
            change.content.push(path.clone());
            continue;
        }
        if is_scratch_file(&name) {
            continue;
        }
        if *path == sources.config_file {
            change.config = true;
        } else if path.starts_with(&sources.content) {
            change.content.push(path.clone());
        } else if path.starts_with(&sources.site_static) {
            change.site_static = true;
        } else if path.starts_with(sources.theme.join("static")) {
            change.theme_static.push(path.clone());
        } else if path.starts_with(&sources.theme) {
            change.templates = true;
        } else if path.starts_with(&sources.geodata) {
            change.geodata = true;
        }
    }
    change
}

/// Hidden files, editor backups and swap files: never part of a site.
fn is_scratch_file(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Sources {
        Sources {
            root: "/site".into(),
            content: "/site/content".into(),
            theme: "/themes/default".into(),
            site_static: "/site/static".into(),
            geodata: "/site/geodata".into(),
            config_file: "/site/sitrep.toml".into(),
        }
    }

    #[test]
    fn events_are_sorted_into_kinds() {
        let s = sources();
        let change = classify(
            &[
                "/site/content/incidents/2024/a.toml".into(),
                "/site/content/incidents/2024/.a.toml.swp".into(),
                "/site/public/index.html".into(),
            ],
            &s,
        );
        assert_eq!(change.content.len(), 1);
        assert!(!change.config && !change.templates);
        let css = classify(&["/themes/default/static/css/site.css".into()], &s);
        assert!(css.theme_static.len() == 1 && !css.templates);
        let template = classify(&["/themes/default/templates/base.html".into()], &s);
        assert!(template.templates);
        let own = classify(&["/site/static/CNAME".into()], &s);
        assert!(own.site_static && own.theme_static.is_empty() && !own.templates);
        let config = classify(
            &["/site/sitrep.toml".into(), "/site/geodata/x.geojson".into()],
            &s,
        );
        assert!(config.config && config.geodata);
        assert!(classify(&["/site/README.md".into()], &s).is_empty());
        // A hidden record file is passed on (the build warns about it); a lock file is not.
        let hidden = classify(
            &[
                "/site/content/incidents/2024/.a.toml".into(),
                "/site/content/incidents/2024/.#a.toml".into(),
                "/site/content/briefs/.b.md.swp".into(),
            ],
            &s,
        );
        assert_eq!(
            hidden.content,
            vec![PathBuf::from("/site/content/incidents/2024/.a.toml")]
        );
    }
}
