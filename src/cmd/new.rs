//! `sitrep new`: commented incident, brief and actor files that `check` accepts once filled.
//! Missing values are asked for when stdin is a terminal; otherwise they must be flags.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context as _};

use sitrep::cli::{NewArgs, NewKind};
use sitrep::config::{Config, Overrides};
use sitrep::content::RawAliases;
use sitrep::regions::Level;
use sitrep::scaffold::{self, NewIncident};

use super::Ui;

pub fn run(root: &Path, args: &NewArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let config = Config::load(root, &Overrides::default())?;
    let asker = Asker::new(std::io::stdin().is_terminal());
    let (relative, text) = match &args.kind {
        NewKind::Incident {
            title,
            date,
            district,
            country,
            province,
        } => {
            let districts = Districts::load(&config, ui);
            let abroad = match country {
                Some(c) => {
                    Some(districts.check_country(c)?).filter(|c| *c != districts.home_country)
                }
                None => None,
            };
            if let (None, Some(_)) = (&abroad, province) {
                bail!(
                    "--province is for incidents abroad; in {} the province is derived from --district",
                    districts.home_country
                );
            }
            asker.require(&[
                ("--title", title.is_some()),
                ("--date", date.is_some()),
                ("--district", district.is_some() || abroad.is_some()),
            ])?;
            let title = asker.value("Title (short, neutral)", title, scaffold::check_title)?;
            let date = asker.value("Date (YYYY-MM-DD)", date, |s| {
                scaffold::check_date(s, config.today)
            })?;
            let incident = match abroad {
                Some(country) => NewIncident {
                    title,
                    date,
                    district: None,
                    province: match province {
                        Some(p) => Some(districts.check_province(&country, p)?),
                        None => None,
                    },
                    country,
                },
                None => NewIncident {
                    title,
                    date,
                    district: Some(asker.value("District", district, |s| districts.check(s))?),
                    province: None,
                    country: districts.home_country.clone(),
                },
            };
            (
                scaffold::incident_path(&incident),
                scaffold::incident_text(&incident),
            )
        }
        NewKind::Brief { title } => {
            asker.require(&[("--title", title.is_some())])?;
            let title = asker.value("Title", title, scaffold::check_title)?;
            (
                scaffold::brief_path(&title),
                scaffold::brief_text(&title, config.today),
            )
        }
        NewKind::Actor { name, short_name } => {
            asker.require(&[("--name", name.is_some())])?;
            let name = asker.value("Conventional name", name, scaffold::check_title)?;
            let short_name = match short_name {
                Some(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
                None if asker.interactive => {
                    asker.optional("Short name or acronym (Enter for none)")?
                }
                None => None,
            };
            (
                scaffold::actor_path(&name, short_name.as_deref()),
                scaffold::actor_text(&name, short_name.as_deref()),
            )
        }
    };
    scaffold::create(root, &relative, &text)?;
    println!("{relative}");
    ui.success(&format!(
        "created {relative}: replace every TODO, then run `sitrep check`"
    ));
    Ok(ExitCode::SUCCESS)
}

/// Asks for missing values on a terminal; off a terminal every value must come as a flag.
struct Asker {
    interactive: bool,
}

impl Asker {
    fn new(interactive: bool) -> Self {
        Asker { interactive }
    }

    /// Off a terminal, fails naming every missing flag at once.
    fn require(&self, flags: &[(&str, bool)]) -> anyhow::Result<()> {
        let missing: Vec<&str> = flags
            .iter()
            .filter(|(_, given)| !given)
            .map(|(f, _)| *f)
            .collect();
        if !self.interactive && !missing.is_empty() {
            bail!(
                "missing {}: stdin is not a terminal, so sitrep cannot ask for {}",
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            );
        }
        Ok(())
    }

    /// The flag's value, checked; or, when absent, a checked answer to a prompt.
    fn value<T>(
        &self,
        label: &str,
        given: &Option<String>,
        check: impl Fn(&str) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        if let Some(v) = given {
            return check(v);
        }
        let stdin = std::io::stdin();
        prompt(&mut stdin.lock(), &mut std::io::stderr(), label, check)
    }

    fn optional(&self, label: &str) -> anyhow::Result<Option<String>> {
        let stdin = std::io::stdin();
        let answer = prompt(&mut stdin.lock(), &mut std::io::stderr(), label, |s| {
            Ok(s.trim().to_string())
        })?;
        Ok(Some(answer).filter(|s| !s.is_empty()))
    }
}

/// Asks until `check` accepts the answer (at most five times); end of input is an error.
fn prompt<T>(
    input: &mut impl BufRead,
    output: &mut impl Write,
    label: &str,
    check: impl Fn(&str) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    for _ in 0..5 {
        write!(output, "{label}: ")?;
        output.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            bail!("no answer for {label}: input ended");
        }
        match check(line.trim_end_matches(['\n', '\r'])) {
            Ok(v) => return Ok(v),
            Err(e) => writeln!(output, "  {e}")?,
        }
    }
    bail!("no valid answer for {label}")
}

/// District names and aliases for checking `--district`, when the geodata can be loaded.
struct Districts {
    home_country: String,
    tree: Option<sitrep::regions::RegionTree>,
    aliases: Vec<String>,
}

impl Districts {
    fn load(config: &Config, ui: &Ui) -> Districts {
        let aliases = read_aliases(&config.root).unwrap_or_default();
        match sitrep::load_geodata(config) {
            Ok(geo) => Districts {
                home_country: geo.regions.home_country.clone(),
                tree: Some(geo.regions),
                aliases,
            },
            Err(e) => {
                ui.warn(&format!(
                    "cannot load the boundary layers ({e:#}), so the district is not checked now; `sitrep check` will"
                ));
                Districts {
                    home_country: "PAK".into(),
                    tree: None,
                    aliases,
                }
            }
        }
    }

    fn check(&self, name: &str) -> anyhow::Result<String> {
        let name = name.trim();
        if name.is_empty() {
            bail!("the district is empty");
        }
        let Some(tree) = &self.tree else {
            return Ok(name.to_string());
        };
        let known = tree
            .find(&self.home_country, Level::District, name)
            .is_some()
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name));
        if known {
            return Ok(name.to_string());
        }
        let names = tree.names(&self.home_country, Level::District);
        let hint = sitrep::validate::term_hint(
            name,
            names
                .iter()
                .copied()
                .chain(self.aliases.iter().map(String::as_str)),
        );
        bail!("unknown district '{name}': {hint}")
    }

    /// `--country`: an ISO 3166-1 alpha-3 code `check` knows, upper-cased.
    fn check_country(&self, code: &str) -> anyhow::Result<String> {
        let iso = code.trim().to_uppercase();
        let known = sitrep::validate::vocab::country_name(&iso).is_some()
            || self
                .tree
                .as_ref()
                .is_some_and(|t| t.country(&iso).is_some());
        if known {
            return Ok(iso);
        }
        let codes = sitrep::validate::vocab::COUNTRIES.iter().map(|(c, _)| *c);
        let hint = sitrep::validate::term_hint(&iso, codes);
        bail!("unknown country code '{}': {hint}", code.trim())
    }

    /// `--province` of a country abroad: one of its provinces in the boundary layers.
    fn check_province(&self, country: &str, name: &str) -> anyhow::Result<String> {
        let name = name.trim();
        let Some(tree) = &self.tree else {
            return Ok(name.to_string());
        };
        if tree.find(country, Level::Province, name).is_some() {
            return Ok(name.to_string());
        }
        let names = tree.names(country, Level::Province);
        if names.is_empty() {
            bail!(
                "the boundary layers hold no provinces of {country}: leave --province out and give the place in [location]"
            );
        }
        let hint = sitrep::validate::term_hint(name, names.iter().copied());
        bail!("unknown province '{name}' of {country}: {hint}")
    }
}

/// The alias spellings of `content/regions/aliases.toml`, if it exists and parses.
fn read_aliases(root: &Path) -> anyhow::Result<Vec<String>> {
    let path = root.join("content/regions/aliases.toml");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let aliases: RawAliases = toml::from_str(&text)?;
    Ok(aliases.districts.into_keys().collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prompt_repeats_until_the_answer_is_valid() {
        let mut input = std::io::Cursor::new("2024-02-30\n2024-02-29\n");
        let mut output = Vec::new();
        let today = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let date = prompt(&mut input, &mut output, "Date", |s| {
            scaffold::check_date(s, today)
        })
        .unwrap();
        assert_eq!(date.to_string(), "2024-02-29");
        let shown = String::from_utf8(output).unwrap();
        assert_eq!(shown.matches("Date: ").count(), 2, "{shown}");
        assert!(shown.contains("not a date"), "{shown}");
    }

    #[test]
    fn prompt_fails_at_end_of_input() {
        let mut input = std::io::Cursor::new("");
        let err = prompt(&mut input, &mut Vec::new(), "Title", scaffold::check_title);
        assert!(err.is_err());
    }
}
