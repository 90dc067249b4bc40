//! Geo stage, loading: parses and normalises a GeoJSON FeatureCollection into named shapes.

use crate::geo::{GeoError, LayerSpec};
use geo::{Area, BoundingRect, Centroid, Coord, LineString, MultiPolygon, Point, Polygon, Rect};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Bounds of the pole-of-inaccessibility search's tolerance, in degrees (about 50 m and 1
/// km): a hundredth of the polygon's smaller side, within these.
const LABEL_TOLERANCE_DEG: (f64, f64) = (0.0005, 0.01);

/// One named boundary unit (a district, province or country outline).
#[derive(Debug, Clone)]
pub struct Shape {
    /// Display name from the layer's `name_property`.
    pub name: String,
    /// The unit's own ISO code (geoBoundaries `shapeISO`, e.g. "PK-KP"), if present and non-empty.
    pub iso: Option<String>,
    /// ISO3 country code: from the layer's `iso_property` if declared, else the layer's `country`.
    pub country: Option<String>,
    /// Normalised geometry (RFC 7946 winding, closed rings, no consecutive duplicates).
    pub geometry: MultiPolygon<f64>,
    /// Bounding box of `geometry`.
    pub bbox: Rect<f64>,
    /// Label point: pole of inaccessibility of the largest polygon.
    pub label: Point<f64>,
}

/// A loaded layer: its declaration and shapes in file order.
#[derive(Debug, Clone)]
pub struct Layer {
    pub spec: LayerSpec,
    pub shapes: Vec<Shape>,
}

/// A problem in a boundary layer that the build works around (the feature is kept or the
/// ring dropped); reported as a warning on the layer file.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWarning {
    /// A stable, kebab-case name, as for content diagnostics.
    pub kind: &'static str,
    /// The name of the feature it is about, when there is one.
    pub feature: Option<String>,
    /// What is wrong, starting with the feature (`feature #3 'Quetta': …`).
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// `kind` of a feature whose geometry is invalid (self-intersecting, overlapping parts).
pub const INVALID_GEOMETRY: &str = "invalid-boundary";

/// `kind` of a name in `accept_invalid` that is no feature, or one with a valid geometry.
pub const ACCEPT_INVALID_UNUSED: &str = "accept-invalid-unused";

/// Reads and parses the layer file at `path`; see [`parse_layer`]. The invalid-geometry
/// warnings of the features the layer declaration accepts (`accept_invalid`) are left out;
/// a name there that is no feature of the layer, or whose geometry is valid, is warned about.
pub fn load_layer(spec: &LayerSpec, path: &Path) -> Result<(Layer, Vec<LayerWarning>), GeoError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        GeoError::new(
            &origin,
            None,
            format!("cannot read file: {e}"),
            "run the fetch step first, or check the path in the layer declaration",
        )
    })?;
    let (layer, mut warnings) = parse_layer(spec, &text, &origin)?;
    apply_accepted(spec, &layer, &mut warnings);
    Ok((layer, warnings))
}

/// Drops the invalid-geometry warnings of the features `spec.accept_invalid` names, and warns
/// about a name there that matches no feature or one whose geometry is valid (the source was
/// fixed: the entry is no longer needed).
fn apply_accepted(spec: &LayerSpec, layer: &Layer, warnings: &mut Vec<LayerWarning>) {
    if spec.accept_invalid.is_empty() {
        return;
    }
    let is_invalid = |name: &str| {
        warnings
            .iter()
            .any(|w| w.kind == INVALID_GEOMETRY && w.feature.as_deref() == Some(name))
    };
    let mut stale = Vec::new();
    for name in &spec.accept_invalid {
        let (message, hint) = if !layer.shapes.iter().any(|s| &s.name == name) {
            let names = layer.shapes.iter().map(|s| s.name.as_str());
            let hint = match crate::validate::suggest(name, names) {
                Some(near) => format!(
                    "did you mean '{near}'? Names are matched exactly, as the layer writes them"
                ),
                None => "remove the name from `accept_invalid` in the layer declaration, or \
                         write it exactly as the layer does"
                    .to_string(),
            };
            let message = format!(
                "`accept_invalid` of layer `{}` names '{name}', which is no feature of the layer",
                spec.name
            );
            (message, hint)
        } else if !is_invalid(name) {
            let message = format!(
                "`accept_invalid` of layer `{}` names '{name}', whose geometry is valid",
                spec.name
            );
            let hint = "remove the name from `accept_invalid` in the layer declaration";
            (message, hint.to_string())
        } else {
            continue;
        };
        stale.push(LayerWarning {
            kind: ACCEPT_INVALID_UNUSED,
            feature: Some(name.clone()),
            message,
            hint,
        });
    }
    warnings.retain(|w| {
        !(w.kind == INVALID_GEOMETRY
            && w.feature
                .as_ref()
                .is_some_and(|f| spec.accept_invalid.contains(f)))
    });
    warnings.extend(stale);
}

/// Parses GeoJSON text (a FeatureCollection of Polygon/MultiPolygon features) into a [`Layer`].
///
/// Rings are closed if open, consecutive duplicate points are removed, rings with fewer than 4
/// points (or no area) are dropped with a warning, and winding is normalised to RFC 7946 (exterior
/// counter-clockwise, holes clockwise). A feature without a usable name or geometry is an error.
/// `origin` names the source in errors. Returns the layer and the warnings.
pub fn parse_layer(
    spec: &LayerSpec,
    text: &str,
    origin: &str,
) -> Result<(Layer, Vec<LayerWarning>), GeoError> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        GeoError::new(
            origin,
            None,
            format!("not valid JSON: {e}"),
            "the file is truncated or not GeoJSON; re-fetch it",
        )
    })?;
    if root.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(GeoError::new(
            origin,
            None,
            "top-level object is not a FeatureCollection",
            "a boundary layer must be a GeoJSON FeatureCollection",
        ));
    }
    let features = root
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            GeoError::new(
                origin,
                None,
                "FeatureCollection has no `features` array",
                "the file is not a valid GeoJSON FeatureCollection",
            )
        })?;
    if features.is_empty() {
        return Err(GeoError::new(
            origin,
            None,
            "FeatureCollection has no features",
            "check that the right file is declared for this layer",
        ));
    }
    // Features are independent (checking and labelling them is most of the work): parsed in
    // parallel, then taken in file order, so warnings and the first error come out as in a loop.
    let parsed: Vec<(Result<Shape, GeoError>, Vec<LayerWarning>)> = features
        .par_iter()
        .enumerate()
        .map(|(i, feature)| {
            let mut warnings = Vec::new();
            (
                parse_feature(spec, feature, origin, i, &mut warnings),
                warnings,
            )
        })
        .collect();
    let mut warnings = Vec::new();
    let mut shapes: Vec<Shape> = Vec::with_capacity(features.len());
    let mut first_with_name: HashMap<String, usize> = HashMap::new();
    for (i, (shape, feature_warnings)) in parsed.into_iter().enumerate() {
        warnings.extend(feature_warnings);
        let shape = shape?;
        match first_with_name.get(&shape.name) {
            Some(prev) => warnings.push(LayerWarning {
                kind: "duplicate-boundary-name",
                feature: Some(shape.name.clone()),
                message: format!(
                    "feature #{i}: name '{}' is also used by feature #{prev}",
                    shape.name
                ),
                hint: "regions are found by name: rename one of them in the source file".into(),
            }),
            None => {
                first_with_name.insert(shape.name.clone(), i);
            }
        }
        shapes.push(shape);
    }
    Ok((
        Layer {
            spec: spec.clone(),
            shapes,
        },
        warnings,
    ))
}

fn parse_feature(
    spec: &LayerSpec,
    feature: &Value,
    origin: &str,
    idx: usize,
    warnings: &mut Vec<LayerWarning>,
) -> Result<Shape, GeoError> {
    let err = |msg: String, hint: &str| GeoError::new(origin, Some(idx), msg, hint);
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(err(
            "is not a GeoJSON Feature".into(),
            "every entry of `features` must have \"type\": \"Feature\"",
        ));
    }
    let props = feature.get("properties").and_then(Value::as_object);
    let name = props
        .and_then(|p| p.get(&spec.name_property))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            err(
                format!(
                    "has no usable name: property '{}' is missing, empty or not a string",
                    spec.name_property
                ),
                "fix the feature or set `name_property` in the layer declaration",
            )
        })?
        .to_string();
    let prop_str = |key: &str| {
        props
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let iso = prop_str("shapeISO");
    let country = match &spec.iso_property {
        Some(key) => prop_str(key).or_else(|| spec.country.clone()),
        None => spec.country.clone(),
    };
    let geom = feature
        .get("geometry")
        .filter(|g| !g.is_null())
        .ok_or_else(|| {
            err(
                format!("'{name}' has no geometry"),
                "every boundary feature needs a Polygon or MultiPolygon geometry",
            )
        })?;
    let gtype = geom.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = geom.get("coordinates").ok_or_else(|| {
        err(
            format!("'{name}': geometry has no `coordinates`"),
            "the geometry object is malformed",
        )
    })?;
    let raw_polys: Vec<&Value> = match gtype {
        "Polygon" => vec![coords],
        "MultiPolygon" => coords
            .as_array()
            .ok_or_else(|| {
                err(
                    format!("'{name}': MultiPolygon coordinates are not an array"),
                    "the geometry object is malformed",
                )
            })?
            .iter()
            .collect(),
        other => {
            return Err(err(
                format!("'{name}': unsupported geometry type '{other}'"),
                "boundary layers need Polygon or MultiPolygon geometries",
            ))
        }
    };
    let mut polygons = Vec::new();
    for (pi, raw) in raw_polys.iter().enumerate() {
        let rings = raw.as_array().ok_or_else(|| {
            err(
                format!("'{name}': polygon {pi} is not an array of rings"),
                "the geometry object is malformed",
            )
        })?;
        let mut exterior: Option<LineString<f64>> = None;
        let mut holes = Vec::new();
        for (ri, ring) in rings.iter().enumerate() {
            let what = if ri == 0 {
                format!("polygon {pi} exterior ring")
            } else {
                format!("polygon {pi} hole {ri}")
            };
            let pts = parse_ring(ring).map_err(|m| {
                err(
                    format!("'{name}': {what}: {m}"),
                    "coordinates must be [longitude, latitude] in WGS84 degrees (EPSG:4326)",
                )
            })?;
            match normalise_ring(pts, ri == 0) {
                Some(ls) if ri == 0 => exterior = Some(ls),
                Some(ls) => holes.push(ls),
                None if ri == 0 => {
                    warnings.push(dropped_ring(
                        idx,
                        &name,
                        format!("{what} has fewer than 4 distinct points or no area; polygon {pi} dropped"),
                    ));
                    break;
                }
                None => warnings.push(dropped_ring(
                    idx,
                    &name,
                    format!("{what} has fewer than 4 distinct points or no area; dropped"),
                )),
            }
        }
        if let Some(ext) = exterior {
            polygons.push(Polygon::new(ext, holes));
        }
    }
    if polygons.is_empty() {
        return Err(err(
            format!("'{name}' has no usable geometry (no polygon with a valid exterior ring)"),
            "fix or remove the feature in the source file",
        ));
    }
    let geometry = MultiPolygon::new(polygons);
    // Self-intersections and overlapping parts have no unambiguous repair: say where they are.
    if let Some(problem) = crate::geo::validity::first_problem(&geometry) {
        warnings.push(LayerWarning {
            kind: INVALID_GEOMETRY,
            feature: Some(name.clone()),
            message: format!(
                "feature #{idx} '{name}': invalid geometry: {problem}; point lookups and \
                 simplification near it may be wrong"
            ),
            hint: "fix the source file (e.g. `mapshaper -clean`), or, if it cannot be changed, \
                   list the feature in the layer's `accept_invalid` in sitrep.toml"
                .into(),
        });
    }
    let bbox = geometry.bounding_rect().ok_or_else(|| {
        err(
            format!("'{name}' has an empty geometry"),
            "fix or remove the feature",
        )
    })?;
    let label = label_point(&geometry).unwrap_or_else(|| bbox.center().into());
    Ok(Shape {
        name,
        iso,
        country,
        geometry,
        bbox,
        label,
    })
}

/// The warning for a ring that was dropped.
fn dropped_ring(idx: usize, name: &str, what: String) -> LayerWarning {
    LayerWarning {
        kind: "dropped-boundary-ring",
        feature: Some(name.to_string()),
        message: format!("feature #{idx} '{name}': {what}"),
        hint: "nothing is lost that a map shows; fix the source file to be rid of the warning"
            .into(),
    }
}

fn parse_ring(ring: &Value) -> Result<Vec<Coord<f64>>, String> {
    let arr = ring.as_array().ok_or("ring is not an array of positions")?;
    let mut out = Vec::with_capacity(arr.len());
    for (k, pos) in arr.iter().enumerate() {
        let p = pos.as_array().filter(|p| p.len() >= 2);
        let (x, y) = match p.map(|p| (p[0].as_f64(), p[1].as_f64())) {
            Some((Some(x), Some(y))) => (x, y),
            _ => return Err(format!("position {k} is not [longitude, latitude] numbers")),
        };
        // Rounding noise past the antimeridian or a pole (180.00000000000017) is clamped.
        const SLACK: f64 = 1e-6;
        if !(-180.0 - SLACK..=180.0 + SLACK).contains(&x)
            || !(-90.0 - SLACK..=90.0 + SLACK).contains(&y)
        {
            return Err(format!(
                "position {k} [{x}, {y}] is outside longitude/latitude range (projected data?)"
            ));
        }
        // `+ 0.0` turns -0.0 into 0.0 so equal points have equal bits.
        out.push(Coord {
            x: x.clamp(-180.0, 180.0) + 0.0,
            y: y.clamp(-90.0, 90.0) + 0.0,
        });
    }
    Ok(out)
}

/// Removes consecutive duplicates, closes the ring and orients it (exterior CCW, hole CW).
/// Returns None if fewer than 4 points remain or the ring has no area.
pub(crate) fn normalise_ring(mut pts: Vec<Coord<f64>>, exterior: bool) -> Option<LineString<f64>> {
    pts.dedup();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return None;
    }
    let first = pts[0];
    pts.push(first);
    let area = signed_area(&pts);
    if area == 0.0 || !area.is_finite() {
        return None;
    }
    if (area > 0.0) != exterior {
        pts.reverse();
    }
    Some(LineString::new(pts))
}

/// Shoelace signed area of a closed coordinate ring (positive = counter-clockwise).
pub(crate) fn signed_area(pts: &[Coord<f64>]) -> f64 {
    let Some(o) = pts.first() else { return 0.0 };
    let mut s = 0.0;
    for w in pts.windows(2) {
        s += (w[0].x - o.x) * (w[1].y - o.y) - (w[1].x - o.x) * (w[0].y - o.y);
    }
    s / 2.0
}

/// Pole of inaccessibility of the largest polygon (centroid if polylabel fails).
fn label_point(mp: &MultiPolygon<f64>) -> Option<Point<f64>> {
    let largest =
        mp.0.iter()
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    // A fixed 100 m refined a province's label far past what its map shows: at that
    // tolerance the search took a tenth of a 100-incident build's CPU.
    let tolerance = largest.bounding_rect().map_or(LABEL_TOLERANCE_DEG.0, |b| {
        (b.width().min(b.height()) / 100.0).clamp(LABEL_TOLERANCE_DEG.0, LABEL_TOLERANCE_DEG.1)
    });
    polylabel::polylabel(largest, &tolerance)
        .ok()
        .filter(|p| p.x().is_finite() && p.y().is_finite())
        .or_else(|| largest.centroid())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::geo::LayerRole;
    use geo::{Contains, Winding};

    fn spec() -> LayerSpec {
        LayerSpec {
            name: "t".into(),
            role: LayerRole::Districts,
            country: Some("PAK".into()),
            file: "t.geojson".into(),
            url: String::new(),
            sha256: String::new(),
            license: "PD".into(),
            attribution: "t".into(),
            name_property: "shapeName".into(),
            iso_property: Some("shapeGroup".into()),
            accept_invalid: Vec::new(),
        }
    }

    fn fc(features: &[String]) -> String {
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name"}},"features":[{}]}}"#,
            features.join(",")
        )
    }

    fn feat(name: &str, geom: &str) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{"shapeName":"{name}","shapeISO":"","shapeGroup":"XYZ"}},"geometry":{geom}}}"#
        )
    }

    #[test]
    fn two_squares_sharing_an_edge() {
        let a = feat(
            "A",
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#,
        );
        let b = feat(
            "B",
            r#"{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}"#,
        );
        let (layer, warnings) = parse_layer(&spec(), &fc(&[a, b]), "mem").unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(layer.shapes.len(), 2);
        let s = &layer.shapes[1];
        assert_eq!(s.name, "B");
        assert_eq!(s.country.as_deref(), Some("XYZ"));
        assert_eq!(s.iso, None);
        assert_eq!(s.bbox.min(), Coord { x: 1.0, y: 0.0 });
        assert!((s.label.x() - 1.5).abs() < 0.01 && (s.label.y() - 0.5).abs() < 0.01);
    }

    #[test]
    fn clockwise_unclosed_duplicates_and_hole_are_normalised() {
        // Exterior clockwise, not closed, with a duplicate; hole counter-clockwise.
        let g = r#"{"type":"Polygon","coordinates":[
            [[0,0],[0,10],[0,10],[10,10],[10,0]],
            [[4,4],[6,4],[6,6],[4,6],[4,4]]]}"#;
        let (layer, w) = parse_layer(&spec(), &fc(&[feat("H", g)]), "mem").unwrap();
        assert!(w.is_empty());
        let p = &layer.shapes[0].geometry.0[0];
        assert_eq!(p.exterior().0.len(), 5);
        assert!(p.exterior().is_ccw());
        assert_eq!(p.interiors().len(), 1);
        assert!(p.interiors()[0].is_cw());
        let g = &layer.shapes[0].geometry;
        assert!(!g.contains(&Point::new(5.0, 5.0)));
        assert!(g.contains(&Point::new(2.0, 2.0)));
        // The label avoids the hole.
        assert!(g.contains(&layer.shapes[0].label));
    }

    #[test]
    fn multipolygon_and_degenerate_ring_warning() {
        let g = r#"{"type":"MultiPolygon","coordinates":[
            [[[0,0],[1,0],[1,1],[0,0]]],
            [[[5,5],[9,5],[9,9],[5,9],[5,5]],[[6,6],[6,6],[7,7]]],
            [[[20,20],[21,20],[20,20]]]]}"#;
        let (layer, w) = parse_layer(&spec(), &fc(&[feat("M", g)]), "mem").unwrap();
        let s = &layer.shapes[0];
        assert_eq!(s.geometry.0.len(), 2);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].message.contains("hole 1") && w[1].message.contains("polygon 2"),
            "{w:?}"
        );
        // Label lies in the largest polygon.
        assert!(s.label.x() > 5.0 && s.label.y() > 5.0);
    }

    #[test]
    fn self_intersecting_ring_is_kept_with_a_diagnostic_naming_file_and_feature() {
        let bow_tie =
            r#"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[2,-1],[0,0]]]}"#;
        let square = r#"{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}"#;
        let text = fc(&[feat("Ok", square), feat("Bow", bow_tie)]);
        let (layer, w) = parse_layer(&spec(), &text, "bad.geojson").unwrap();
        assert_eq!(layer.shapes.len(), 2);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].message
                .starts_with("feature #1 'Bow': invalid geometry")
                && w[0].message.contains("self-intersection")
                && w[0].kind == INVALID_GEOMETRY
                && w[0].feature.as_deref() == Some("Bow"),
            "{w:?}"
        );
    }

    #[test]
    fn accepted_invalid_features_are_not_warned_about_and_stale_names_are() {
        let bow_tie =
            r#"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[2,-1],[0,0]]]}"#;
        let square = r#"{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.geojson");
        std::fs::write(&path, fc(&[feat("Ok", square), feat("Bow", bow_tie)])).unwrap();
        let mut accepting = spec();
        accepting.accept_invalid = vec!["Bow".into()];
        let (_, w) = load_layer(&accepting, &path).unwrap();
        assert!(w.is_empty(), "{w:?}");
        // A valid feature or a name the layer lacks is a stale entry: said, and nothing else
        // is hidden by it.
        accepting.accept_invalid = vec!["Ok".into(), "Gone".into(), "bow".into()];
        let (_, w) = load_layer(&accepting, &path).unwrap();
        let kinds: Vec<_> = w.iter().map(|w| (w.kind, w.feature.as_deref())).collect();
        assert_eq!(
            kinds,
            [
                (INVALID_GEOMETRY, Some("Bow")),
                (ACCEPT_INVALID_UNUSED, Some("Ok")),
                (ACCEPT_INVALID_UNUSED, Some("Gone")),
                (ACCEPT_INVALID_UNUSED, Some("bow")),
            ]
        );
        assert!(w[3].hint.starts_with("did you mean 'Bow'?"), "{w:?}");
        assert!(w[1].message.contains("whose geometry is valid"), "{w:?}");
        assert!(w[2].message.contains("no feature of the layer"), "{w:?}");
    }

    #[test]
    fn antimeridian_rounding_noise_is_clamped() {
        let g = r#"{"type":"Polygon","coordinates":[[[179,0],[180.00000000000017,0],[180,1],[179,0]]]}"#;
        let (layer, _) = parse_layer(&spec(), &fc(&[feat("F", g)]), "mem").unwrap();
        assert_eq!(layer.shapes[0].bbox.max().x, 180.0);
    }

    #[test]
    fn feature_without_name_is_an_error_with_index() {
        let ok = feat(
            "A",
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
        );
        let bad = r#"{"type":"Feature","properties":{"shapeName":""},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#;
        let e = parse_layer(&spec(), &fc(&[ok, bad.to_string()]), "x.geojson").unwrap_err();
        assert_eq!(e.feature, Some(1));
        let s = e.to_string();
        assert!(
            s.contains("x.geojson") && s.contains("#1") && s.contains("shapeName"),
            "{s}"
        );
    }

    #[test]
    fn bad_geometries_are_errors() {
        let cases = [
            (r#"null"#, "no geometry"),
            (r#"{"type":"Point","coordinates":[1,2]}"#, "unsupported"),
            (
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#,
                "no usable geometry",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[0,0],[500000,0],[1,1],[0,0]]]}"#,
                "outside longitude",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[0,0],[180.001,0],[1,1],[0,0]]]}"#,
                "outside longitude",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[0,0],["a",0],[1,1],[0,0]]]}"#,
                "position 1",
            ),
        ];
        for (g, want) in cases {
            let e = parse_layer(&spec(), &fc(&[feat("Z", g)]), "f").unwrap_err();
            assert_eq!(e.feature, Some(0));
            assert!(e.to_string().contains(want), "{e} / {want}");
        }
        assert!(parse_layer(&spec(), "{\"type\":\"Feature\"}", "f").is_err());
        assert!(parse_layer(&spec(), "not json", "f").is_err());
        assert!(parse_layer(&spec(), &fc(&[]), "f").is_err());
    }
}
