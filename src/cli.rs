//! Command-line interface: the commands and flags, with their help texts (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::Format;

/// sitrep builds a static incident atlas from TOML incidents, Markdown briefs and GeoJSON
/// boundaries.
///
/// Exit codes: 0 success; 1 errors in the site's files, content or sitrep.toml (the
/// diagnostics say where and what to do); 2 usage, template, geodata or I/O failure;
/// 130 interrupted (Ctrl-C).
#[derive(Debug, Parser)]
#[command(name = "sitrep", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The site folder (the one holding sitrep.toml).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// When to colour output: auto (only on a terminal), always, never. NO_COLOR is honoured.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output folder (default public/), rewriting only what changed;
    /// when no input and no output file changed since the last build, nothing is rebuilt.
    Build(BuildArgs),
    /// Check all content and templates without writing anything; report every problem.
    Check(CheckArgs),
    /// Build and serve the site locally, rebuilding and reloading pages on every change.
    Serve(ServeArgs),
    /// Create a new incident, brief or actor file from a commented template.
    New(NewArgs),
    /// Write a synthetic site (incidents over the real districts) for benchmarks.
    Synth(SynthArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Output folder; only files whose bytes change are rewritten, and only in a folder sitrep
    /// made (a new folder appears complete or not at all).
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Publish at this URL instead of base_url from sitrep.toml (e.g. https://user.github.io/atlas/).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Print how long each stage took (also with SITREP_TIMINGS=1).
    #[arg(long, env = "SITREP_TIMINGS", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false)]
    pub timings: bool,
    /// Render and write the whole site even if nothing changed since the last build (by
    /// default the build is skipped when the content, config, theme, boundary layers, Leaflet,
    /// the date and the sitrep binary are unchanged and the output folder is as it was left).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output format of the diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port; the URL is printed on stdout).
    #[arg(long, short, default_value_t = 1111)]
    pub port: u16,
    /// Address to bind; anything but loopback exposes the preview to your network.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: std::net::IpAddr,
    /// Serve under this URL's path instead of base_url's (e.g. http://127.0.0.1:1111/atlas/).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

/// `sitrep synth`: the theme and the boundary layers are those of the site in --root (the
/// repository); the generated sitrep.toml points at them by absolute path, so DIR may be
/// anywhere. Same --incidents and --seed → byte-identical files.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// How many incidents to generate (spread over the real districts and 15 years, 2010–2024).
    #[arg(long, short = 'n', default_value_t = 1000, value_name = "N")]
    pub incidents: usize,
    /// Seed of the generator: the same seed and count give the same files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Folder to write the site into (created if missing). Its content/ and sitrep.toml are
    /// replaced; nothing outside it is touched.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a non-empty folder that an earlier `sitrep synth` did not write (its
    /// content/ folder is replaced).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    #[command(subcommand)]
    pub kind: NewKind,
}

#[derive(Debug, Subcommand)]
pub enum NewKind {
    /// A new incident file under content/incidents/<year>/.
    Incident {
        /// Short, neutral title; prompted for on a terminal when left out.
        #[arg(long)]
        title: Option<String>,
        /// Date of the incident, YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
        /// District (name or alias) where it happened, for an incident in the home country.
        #[arg(long, conflicts_with = "country")]
        district: Option<String>,
        /// ISO 3166-1 alpha-3 code of the country, for an incident abroad (e.g. AFG); the
        /// file then asks for a [location] instead of a district.
        #[arg(long)]
        country: Option<String>,
        /// Province where it happened, for an incident abroad in a country whose provinces
        /// the boundary layers hold.
        #[arg(long, requires = "country")]
        province: Option<String>,
    },
    /// A new brief under content/briefs/.
    Brief {
        /// Title of the brief.
        #[arg(long)]
        title: Option<String>,
    },
    /// A new actor under content/actors/.
    Actor {
        /// Conventional name of the group.
        #[arg(long)]
        name: Option<String>,
        /// Short name or acronym (also the file name), e.g. TTP.
        #[arg(long)]
        short_name: Option<String>,
    },
}
