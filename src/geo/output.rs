//! Geo stage, output: deterministic, quantised GeoJSON text and bounds for the web layers.

use crate::geo::layer::signed_area;
use crate::geo::quantize::{self, Precision, MAX_DIGITS};
use geo::{Coord, MultiPolygon, Rect};
use serde_json::Value;
use std::fmt::Write;

/// Feature properties, written in this order.
pub type Properties = Vec<(String, Value)>;

/// Deterministic GeoJSON text of a FeatureCollection, one feature per line.
///
/// Coordinates are rounded to `digits` decimals (at most 12), a vertex keeping more where
/// rounding would otherwise make rings cross, touch or collapse (see `quantize`). Consecutive
/// duplicates created by rounding are dropped; rings that are degenerate even unrounded are
/// dropped, and polygons whose exterior is, with their holes. One remaining polygon is
/// written as a `Polygon`, several as a `MultiPolygon`, none as `"geometry":null`. Properties
/// are written in the given order.
pub fn feature_collection(features: &[(MultiPolygon<f64>, Properties)], digits: u32) -> String {
    feature_collections(&[features], digits)
        .pop()
        .unwrap_or_default()
}

/// Several FeatureCollections (as [`feature_collection`]) whose rounding is planned together,
/// so that borders shared between the layers (districts and the provinces they make up) are
/// written identically in every file.
pub fn feature_collections(
    layers: &[&[(MultiPolygon<f64>, Properties)]],
    digits: u32,
) -> Vec<String> {
    let shapes: Vec<Vec<&MultiPolygon<f64>>> = layers
        .iter()
        .map(|features| features.iter().map(|(g, _)| g).collect())
        .collect();
    let precision = quantize::plan(&shapes, digits);
    layers
        .iter()
        .map(|features| write_collection(features, &precision))
        .collect()
}

fn write_collection(features: &[(MultiPolygon<f64>, Properties)], precision: &Precision) -> String {
    let mut out = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
    for (i, (geom, props)) in features.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str("{\"type\":\"Feature\",\"properties\":{");
        for (k, (key, value)) in props.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&Value::String(key.clone()).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push_str("},\"geometry\":");
        let polys = quantise(geom, precision);
        match polys.len() {
            0 => out.push_str("null"),
            1 => {
                out.push_str("{\"type\":\"Polygon\",\"coordinates\":");
                write_polygon(&mut out, &polys[0]);
                out.push('}');
            }
            _ => {
                out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
                for (k, p) in polys.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    write_polygon(&mut out, p);
                }
                out.push_str("]}");
            }
        }
        out.push('}');
    }
    out.push_str("\n]}\n");
    out
}

/// Polygons as lists of rings (exterior first) of integer-grid coordinates.
type QPolygon = Vec<Vec<(i64, i64)>>;

fn quantise(mp: &MultiPolygon<f64>, precision: &Precision) -> Vec<QPolygon> {
    let q = |c: &Coord<f64>| precision.quantise(*c);
    let mut polys = Vec::new();
    for p in &mp.0 {
        let mut rings: QPolygon = Vec::new();
        for (ri, ring) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            let mut pts: Vec<(i64, i64)> = ring.0.iter().map(q).collect();
            pts.dedup();
            if pts.len() > 1 && pts.first() == pts.last() {
                pts.pop();
            }
            let ok = pts.len() >= 3 && {
                let coords: Vec<Coord<f64>> = pts
                    .iter()
                    .chain(pts.first())
                    .map(|&(x, y)| Coord {
                        x: x as f64,
                        y: y as f64,
                    })
                    .collect();
                signed_area(&coords) != 0.0
            };
            if !ok {
                if ri == 0 {
                    break;
                }
                continue;
            }
            if let Some(&f) = pts.first() {
                pts.push(f);
            }
            rings.push(pts);
        }
        if !rings.is_empty() {
            polys.push(rings);
        }
    }
    polys
}

fn write_polygon(out: &mut String, rings: &QPolygon) {
    out.push('[');
    for (ri, ring) in rings.iter().enumerate() {
        if ri > 0 {
            out.push(',');
        }
        out.push('[');
        for (k, &(x, y)) in ring.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push('[');
            write_fixed(out, x, MAX_DIGITS);
            out.push(',');
            write_fixed(out, y, MAX_DIGITS);
            out.push(']');
        }
        out.push(']');
    }
    out.push(']');
}

/// Writes `v / 10^digits` in plain decimal without trailing zeros ("-0" never appears).
fn write_fixed(out: &mut String, v: i64, digits: u32) {
    if v < 0 {
        out.push('-');
    }
    let a = v.unsigned_abs();
    let p = 10u64.pow(digits);
    let (int, mut frac) = (a / p, a % p);
    let _ = write!(out, "{int}");
    if frac > 0 {
        let mut width = digits as usize;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        let _ = write!(out, ".{frac:0width$}");
    }
}

/// Union of the given rectangles; None for an empty iterator.
pub fn bounds_of<'a>(shapes: impl Iterator<Item = &'a Rect<f64>>) -> Option<Rect<f64>> {
    shapes.fold(None, |acc: Option<Rect<f64>>, r| {
        Some(match acc {
            None => *r,
            Some(a) => Rect::new(
                Coord {
                    x: a.min().x.min(r.min().x),
                    y: a.min().y.min(r.min().y),
                },
                Coord {
                    x: a.max().x.max(r.max().x),
                    y: a.max().y.max(r.max().y),
                },
            ),
        })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};
    use serde_json::json;

    #[test]
    fn writes_polygon_and_multipolygon_deterministically() {
        let a = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.00004, y: 0.0), (x: 1.0, y: 1.0), (x: -0.00001, y: 1.0)
        ]]);
        let b = MultiPolygon::new(vec![
            polygon![(x: 2.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 1.0)],
            polygon![(x: 5.0, y: 5.0), (x: 6.0, y: 5.0), (x: 6.0, y: 6.25)],
            // Would collapse at 3 digits: keeps a fourth.
            polygon![(x: 9.0, y: 9.0), (x: 9.0001, y: 9.0), (x: 9.0001, y: 9.0001)],
        ]);
        let props = vec![
            ("name".to_string(), json!("Z \"q\"")),
            ("a".to_string(), json!(1)),
        ];
        let text = feature_collection(&[(a, props.clone()), (b, vec![])], 3);
        let expected = "{\"type\":\"FeatureCollection\",\"features\":[\n\
            {\"type\":\"Feature\",\"properties\":{\"name\":\"Z \\\"q\\\"\",\"a\":1},\"geometry\":\
            {\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},\n\
            {\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"MultiPolygon\",\
            \"coordinates\":[[[[2,0],[3,0],[3,1],[2,0]]],[[[5,5],[6,5],[6,6.25],[5,5]]],\
            [[[9,9],[9.0001,9],[9.0001,9.0001],[9,9]]]]}}\n]}\n";
        assert_eq!(text, expected);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["features"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn layers_written_together_round_shared_vertices_alike() {
        // District A's vertex 0.0004° west of district C's edge must keep 4 decimals; province P
        // uses the same vertex and must write it the same way, although P alone would not.
        let a = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 0.9996, y: 0.5), (x: 0.0, y: 1.0)
        ]]);
        let c = MultiPolygon::new(vec![polygon![
            (x: 1.0, y: 0.6), (x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0)
        ]]);
        let p = a.clone();
        let texts = feature_collections(&[&[(a, vec![]), (c, vec![])], &[(p.clone(), vec![])]], 3);
        assert!(texts[0].contains("[0.9996,0.5]"), "{}", texts[0]);
        assert!(texts[1].contains("[0.9996,0.5]"), "{}", texts[1]);
        assert!(feature_collection(&[(p, vec![])], 3).contains("[1,0.5]"));
    }

    #[test]
    fn empty_feature_has_null_geometry() {
        let text = feature_collection(&[(MultiPolygon::new(vec![]), vec![])], 2);
        assert!(text.contains("\"geometry\":null"), "{text}");
    }

    #[test]
    fn fixed_formatting() {
        let mut s = String::new();
        write_fixed(&mut s, -12345, 4);
        s.push(' ');
        write_fixed(&mut s, 10, 4);
        s.push(' ');
        write_fixed(&mut s, 7, 0);
        assert_eq!(s, "-1.2345 0.001 7");
    }

    #[test]
    fn bounds_union() {
        let r1 = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 });
        let r2 = Rect::new(Coord { x: -1.0, y: 0.5 }, Coord { x: 0.5, y: 3.0 });
        let b = bounds_of([r1, r2].iter()).unwrap();
        assert_eq!(b.min(), Coord { x: -1.0, y: 0.0 });
        assert_eq!(b.max(), Coord { x: 1.0, y: 3.0 });
        assert!(bounds_of(std::iter::empty()).is_none());
    }
}
