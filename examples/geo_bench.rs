//! Benchmark of the geo stage on the real Pakistan layers: loading, topology-preserving
//! simplification at several tolerances (time, vertices, bytes, area error), rounding, and
//! point-in-district lookups. Prints medians.
//!
//! cargo run --release --example geo_bench [-- --runs N] [-- --write DIR]
//!
//! Boundary files come from $SITREP_GEODATA or ../shared/geodata. With `--write DIR` it also
//! writes the districts as served (ε = 0.005°, 3 decimals; names only) to DIR/ours.geojson
//! for scripts/compare-mapshaper.sh.

use flate2::{write::GzEncoder, Compression};
use geo::{Area, MultiPolygon};
use serde_json::json;
use sitrep::geo::{
    feature_collections, load_layer, simplify_shapes, vertex_count, Layer, LayerRole, LayerSpec,
    PointIndex,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the site serves (src/render/mapdata.rs).
const SERVED_TOLERANCE_DEG: f64 = 0.005;
const SERVED_DIGITS: u32 = 3;
const TOLERANCES_DEG: [f64; 6] = [0.002, 0.005, 0.01, 0.02, 0.03, 0.05];
/// Pakistan's bounding box (lon, lat) for random lookups.
const PAK_BBOX: [f64; 4] = [60.87, 23.69, 77.84, 37.10];
const LOOKUPS: usize = 100_000;
const SEED: u64 = 0x5eed_2025;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = option(&args, "--runs")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5);
    let write_dir = option(&args, "--write").map(PathBuf::from);
    let dir = std::env::var_os("SITREP_GEODATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/geodata"));

    let (load_time, districts) = median_of(runs, || load(&dir, "pak-adm2.geojson"))?;
    let provinces = load(&dir, "pak-adm1.geojson")?;
    let shapes: Vec<&MultiPolygon<f64>> = districts
        .shapes
        .iter()
        .chain(&provinces.shapes)
        .map(|s| &s.geometry)
        .collect();
    let nd = districts.shapes.len();
    let full: usize = shapes[..nd].iter().map(|m| vertex_count(m)).sum();
    println!(
        "geo_bench: {nd} districts ({full} vertices), {} provinces; {runs} runs, medians",
        provinces.shapes.len()
    );
    println!("load + repair pak-adm2.geojson: {}", ms(load_time));

    println!("\ntopology-preserving simplification of districts + provinces together:");
    println!(
        "  ε°     simplify  write@3  vertices  kept   @3 raw   @3 gzip  @4 gzip  area err mean / max"
    );
    for eps in TOLERANCES_DEG {
        let (simplify_time, out) = median_of(runs, || Ok(simplify_shapes(&shapes, eps)))?;
        let kept: usize = out[..nd].iter().map(vertex_count).sum();
        let named = |layer: &Layer, geoms: &[MultiPolygon<f64>]| -> Vec<(MultiPolygon<f64>, _)> {
            layer
                .shapes
                .iter()
                .zip(geoms)
                .map(|(s, g)| (g.clone(), vec![("shapeName".to_string(), json!(s.name))]))
                .collect()
        };
        let (dl, pl) = (named(&districts, &out[..nd]), named(&provinces, &out[nd..]));
        let (write_time, texts) =
            median_of(runs, || Ok(feature_collections(&[&dl, &pl], SERVED_DIGITS)))?;
        let four = feature_collections(&[&dl, &pl], 4);
        let (mean_err, max_err) = area_error(&shapes[..nd], &out[..nd]);
        println!(
            "  {eps:<5}  {:>8}  {:>7}  {kept:>8}  {:>4.1}%  {:>7}  {:>7}  {:>7}  {mean_err:.3}% / {max_err:.2}%",
            ms(simplify_time),
            ms(write_time),
            100.0 * kept as f64 / full as f64,
            kb(texts[0].len()),
            kb(gzip_len(texts[0].as_bytes())?),
            kb(gzip_len(four[0].as_bytes())?),
        );
        if eps == SERVED_TOLERANCE_DEG {
            if let Some(out_dir) = &write_dir {
                let path = out_dir.join("ours.geojson");
                std::fs::create_dir_all(out_dir)?;
                std::fs::write(&path, &texts[0])?;
                println!(
                    "  wrote {} (ε {eps}°, {SERVED_DIGITS} decimals, rounded with the provinces): \
                     {kept} of {full} vertices = {:.3}% before rounding",
                    path.display(),
                    100.0 * kept as f64 / full as f64
                );
            }
        }
    }

    let (index_time, index) = median_of(runs, || Ok(PointIndex::new(&districts.shapes)))?;
    let points = random_points(LOOKUPS, SEED);
    let mut hits = 0;
    let (lookup_time, _) = median_of(runs, || {
        hits = points
            .iter()
            .filter(|(x, y)| index.locate(&districts.shapes, *x, *y).is_some())
            .count();
        Ok(())
    })?;
    let inside: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| index.locate(&districts.shapes, *x, *y).is_some())
        .collect();
    let (inside_time, _) = median_of(runs, || {
        Ok(inside
            .iter()
            .filter_map(|(x, y)| index.locate(&districts.shapes, *x, *y))
            .count())
    })?;
    println!(
        "\npoint in district (R-tree of polygon boxes, exact test on full-resolution outlines):"
    );
    println!("  index build: {}", ms(index_time));
    println!(
        "  {LOOKUPS} random points in Pakistan's bbox (seed {SEED:#x}): {} → {:.0} lookups/s ({:.1}% inside a district)",
        ms(lookup_time),
        LOOKUPS as f64 / lookup_time.as_secs_f64(),
        100.0 * hits as f64 / LOOKUPS as f64
    );
    println!(
        "  the {} of them inside a district: {} → {:.0} lookups/s",
        inside.len(),
        ms(inside_time),
        inside.len() as f64 / inside_time.as_secs_f64()
    );
    Ok(())
}

fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn load(dir: &Path, file: &str) -> anyhow::Result<Layer> {
    let spec = LayerSpec {
        name: file.into(),
        role: LayerRole::Districts,
        country: Some("PAK".into()),
        file: file.into(),
        url: String::new(),
        sha256: String::new(),
        license: String::new(),
        attribution: String::new(),
        name_property: "shapeName".into(),
        iso_property: None,
        accept_invalid: Vec::new(),
    };
    Ok(load_layer(&spec, &dir.join(file))?.0)
}

/// Runs `f` `runs` times; the median duration and the last result.
fn median_of<T>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Duration, T)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = Some(f()?);
        times.push(t.elapsed());
    }
    times.sort_unstable();
    let result = last.ok_or_else(|| anyhow::anyhow!("no run"))?;
    Ok((times[times.len() / 2], result))
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// Size after gzip at the default level (6), as a web server would send it.
fn gzip_len(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

/// Mean and largest relative area change per district, in percent.
fn area_error(before: &[&MultiPolygon<f64>], after: &[MultiPolygon<f64>]) -> (f64, f64) {
    let errors: Vec<f64> = before
        .iter()
        .zip(after)
        .map(|(b, a)| 100.0 * (a.unsigned_area() - b.unsigned_area()).abs() / b.unsigned_area())
        .collect();
    let mean = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
    (mean, errors.iter().copied().fold(0.0, f64::max))
}

/// `n` points uniformly in [`PAK_BBOX`] from a SplitMix64 stream seeded with `seed`.
fn random_points(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let [w, s, e, n_] = PAK_BBOX;
    (0..n)
        .map(|_| (w + next() * (e - w), s + next() * (n_ - s)))
        .collect()
}
