//! Controlled vocabularies of the content model: each term's file spelling and display label.

use serde::Serialize;

/// Defines a vocabulary enum with its file spelling (kebab-case) and display label.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $term:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The spelling used in content files.
            pub fn term(self) -> &'static str {
                match self { $($name::$variant => $term,)+ }
            }

            /// The label shown on the site.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            pub fn parse(term: &str) -> Option<$name> {
                match term { $($term => Some($name::$variant),)+ _ => None }
            }

            /// All terms, for hints.
            pub fn terms() -> impl Iterator<Item = &'static str> + Clone {
                Self::ALL.iter().map(|v| v.term())
            }
        }
    };
}

vocabulary!(
    /// What kind of attack or event an incident is.
    IncidentType {
        SuicideBombing = "suicide-bombing", "Suicide bombing";
        Bombing = "bombing", "Bombing";
        ArmedAssault = "armed-assault", "Armed assault";
        TargetedKilling = "targeted-killing", "Targeted killing";
        Ambush = "ambush", "Ambush";
        Clash = "clash", "Armed clash";
        Kidnapping = "kidnapping", "Kidnapping";
        Other = "other", "Other";
    }
);

vocabulary!(
    /// Who or what was attacked.
    Target {
        Civilians = "civilians", "Civilians";
        Police = "police", "Police";
        Military = "military", "Military";
        SecurityForces = "security-forces", "Security forces";
        Government = "government", "Government";
        Worshippers = "worshippers", "Worshippers";
        Students = "students", "Students";
        ForeignNationals = "foreign-nationals", "Foreign nationals";
        Workers = "workers", "Workers";
        Infrastructure = "infrastructure", "Infrastructure";
        Militants = "militants", "Militants";
        Other = "other", "Other";
    }
);

vocabulary!(
    /// How firmly an actor is tied to an incident, and by whom.
    Attribution {
        Claimed = "claimed", "Claimed";
        Attributed = "attributed", "Attributed";
        Suspected = "suspected", "Suspected";
        Disputed = "disputed", "Disputed";
        Unknown = "unknown", "Unknown";
    }
);

vocabulary!(
    /// How precisely a date is known.
    DatePrecision {
        Day = "day", "Day";
        Month = "month", "Month";
        Year = "year", "Year";
    }
);

vocabulary!(
    /// How precisely a place is known.
    GeoPrecision {
        Exact = "exact", "Exact location";
        Town = "town", "Town";
        District = "district", "District";
        Province = "province", "Province";
        Country = "country", "Country";
    }
);

vocabulary!(
    /// What kind of actor an actor is.
    ActorKind {
        MilitantGroup = "militant-group", "Militant group";
        Faction = "faction", "Faction";
        SeparatistGroup = "separatist-group", "Separatist group";
        State = "state", "State";
        Other = "other", "Other";
    }
);

impl DatePrecision {
    /// A date shown at this precision: "30 January 2023", "March 2024", "2024".
    pub fn format(self, date: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let month = MONTHS[date.month0() as usize];
        match self {
            DatePrecision::Day => format!("{} {month} {:04}", date.day(), date.year()),
            DatePrecision::Month => format!("{month} {:04}", date.year()),
            DatePrecision::Year => format!("{:04}", date.year()),
        }
    }
}

/// English month names, January first.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// ISO 3166-1 alpha-3 codes the atlas knows, with their conventional English names.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("AFG", "Afghanistan"),
    ("BGD", "Bangladesh"),
    ("CHN", "China"),
    ("GBR", "United Kingdom"),
    ("IND", "India"),
    ("IRN", "Iran"),
    ("IRQ", "Iraq"),
    ("NPL", "Nepal"),
    ("PAK", "Pakistan"),
    ("RUS", "Russia"),
    ("SYR", "Syria"),
    ("TJK", "Tajikistan"),
    ("TKM", "Turkmenistan"),
    ("TUR", "Türkiye"),
    ("USA", "United States"),
    ("UZB", "Uzbekistan"),
];

pub fn country_name(iso3: &str) -> Option<&'static str> {
    COUNTRIES.iter().find(|(c, _)| *c == iso3).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::DatePrecision;

    #[test]
    fn dates_read_as_chrono_writes_them() {
        let mut date = chrono::NaiveDate::from_ymd_opt(999, 12, 25).expect("date");
        for _ in 0..800 {
            for (precision, pattern) in [
                (DatePrecision::Day, "%-d %B %Y"),
                (DatePrecision::Month, "%B %Y"),
                (DatePrecision::Year, "%Y"),
            ] {
                assert_eq!(precision.format(date), date.format(pattern).to_string());
            }
            date = date + chrono::Days::new(487);
        }
    }
}
