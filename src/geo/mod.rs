//! Geo stage root: layer specifications, the shared error type and re-exports of the stage's API.
//!
//! The geo stage turns declared boundary layers (GeoJSON files with checksums) into in-memory
//! shapes (`layer`), answers "which district is this point in" (`locate`), simplifies shared
//! borders topologically for the web (`simplify`) and writes deterministic GeoJSON (`output`).

use serde::{Deserialize, Serialize};
use std::fmt;

pub mod fetch;
pub mod layer;
pub mod locate;
pub mod output;
mod quantize;
pub mod simplify;
mod topology;
mod validity;

pub use fetch::{fetch_layers, sha256_hex, to_hex};
pub use layer::{
    load_layer, parse_layer, Layer, LayerWarning, Shape, ACCEPT_INVALID_UNUSED, INVALID_GEOMETRY,
};
pub use locate::{assign_parents, PointIndex};
pub use output::{bounds_of, feature_collection, feature_collections, Properties};
pub use simplify::{simplify_shapes, vertex_count, SharedBorders};

/// One declared boundary layer (a GeoJSON FeatureCollection file with a pinned checksum).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// Layer identifier, e.g. "pak-districts".
    pub name: String,
    /// What the layer is used for.
    pub role: LayerRole,
    /// ISO3 code of the whole layer ("PAK"); None for multi-country context layers.
    pub country: Option<String>,
    /// File name in the mirror dir and in the geodata dir (a plain name, no directories).
    pub file: String,
    /// Upstream URL, downloaded with curl when neither the geodata dir nor the mirror has it.
    pub url: String,
    /// Lower-case hex sha256 of the file.
    pub sha256: String,
    /// License of the data, e.g. "Public Domain".
    pub license: String,
    /// Attribution text shown on maps.
    pub attribution: String,
    /// Feature property holding the display name.
    #[serde(default = "default_name_property")]
    pub name_property: String,
    /// Feature property holding the ISO3 country code of each feature (e.g. "shapeGroup").
    #[serde(default)]
    pub iso_property: Option<String>,
    /// Names of features whose invalid geometry (self-intersections, overlapping parts) is
    /// known and cannot be fixed at the source: their warning is not repeated on every build.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept_invalid: Vec<String>,
}

/// Default for [`LayerSpec::name_property`]: geoBoundaries' `shapeName`.
pub fn default_name_property() -> String {
    "shapeName".to_string()
}

/// Role of a layer in the atlas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerRole {
    /// First-level units (ADM1).
    Provinces,
    /// Second-level units (ADM2), the ones incidents are located in.
    Districts,
    /// Outlines drawn for orientation only.
    Context,
}

/// An error in a boundary file: which file, which feature (if any), what is wrong, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeoError {
    /// File path or other origin label of the GeoJSON text.
    pub file: String,
    /// Zero-based index of the offending feature in `features`, if the error concerns one.
    pub feature: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl GeoError {
    pub(crate) fn new(
        file: &str,
        feature: Option<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        GeoError {
            file: file.to_string(),
            feature,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for GeoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.feature {
            Some(i) => write!(f, "{}: feature #{}: {}", self.file, i, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if !self.hint.is_empty() {
            write!(f, " (hint: {})", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for GeoError {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn layer_spec_from_toml_like_json() {
        let spec: LayerSpec = serde_json::from_str(
            r#"{"name":"pak-districts","role":"districts","country":"PAK","file":"pak-adm2.geojson",
                "url":"https://example.org/x.geojson","sha256":"00","license":"Public Domain",
                "attribution":"geoBoundaries"}"#,
        )
        .unwrap();
        assert_eq!(spec.role, LayerRole::Districts);
        assert_eq!(spec.name_property, "shapeName");
        assert!(spec.iso_property.is_none());
        let bad = serde_json::from_str::<LayerSpec>(
            r#"{"name":"x","role":"districts","country":null,"file":"f","url":"u","sha256":"0",
                "license":"l","attribution":"a","colour":"red"}"#,
        );
        assert!(bad.is_err(), "unknown fields must be rejected");
    }

    #[test]
    fn geo_error_display_names_file_feature_and_hint() {
        let e = GeoError::new("a.geojson", Some(3), "no name", "add shapeName");
        assert_eq!(
            e.to_string(),
            "a.geojson: feature #3: no name (hint: add shapeName)"
        );
    }
}
