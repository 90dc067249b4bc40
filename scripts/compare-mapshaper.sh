#!/usr/bin/env bash
# Compares sitrep's topology-preserving simplification of the Pakistan districts with mapshaper
# at the same vertex retention: bytes (raw, gzip), area error per district, invalid features,
# and neighbour pairs whose shared border differs. Figures in docs/geo.md come from one run.
#
#   scripts/compare-mapshaper.sh            (needs node/npm, a registry, ../shared/geodata)
#
# mapshaper is installed with npm into a temporary folder (version pinned below), not into
# the repository.
# For each mapshaper variant the `percentage` is bisected until its output has as many
# vertices as ours (±0.5 %), all written with 3 decimals like the served layer.
set -euo pipefail

MAPSHAPER_VERSION=0.7.70
DIGITS=3
cd "$(dirname "$0")/.."
GEODATA=${SITREP_GEODATA:-../shared/geodata}
INPUT="$GEODATA/pak-adm2.geojson"
[ -f "$INPUT" ] || { echo "no $INPUT (set SITREP_GEODATA)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet --example geo_bench --example geo_compare
target/release/examples/geo_bench --runs 1 --write "$WORK" | grep -E 'wrote|geo_bench'
COMPARE=target/release/examples/geo_compare
OURS=$($COMPARE --count "$WORK/ours.geojson")
echo "ours: $OURS vertices after rounding"

# MAPSHAPER_PREFIX=DIR keeps the npm install in DIR between runs (default: the temp folder).
PREFIX=${MAPSHAPER_PREFIX:-$WORK/npm}
MAPSHAPER="$PREFIX/node_modules/.bin/mapshaper"
if [ "$("$MAPSHAPER" -v 2>/dev/null)" != "$MAPSHAPER_VERSION" ]; then
  echo "installing mapshaper $MAPSHAPER_VERSION into $PREFIX…"
  npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error \
    "mapshaper@$MAPSHAPER_VERSION" >/dev/null
fi
echo "mapshaper $("$MAPSHAPER" -v)"

# run_mapshaper OUT PERCENT IMPORT_OPTS SIMPLIFY_OPTS
run_mapshaper() {
  # shellcheck disable=SC2086
  "$MAPSHAPER" -i "$INPUT" $3 -filter-fields shapeName -simplify $4 "percentage=$2%" keep-shapes \
    -o "$1" format=geojson precision=0.$(printf '%0*d' "$DIGITS" 1) -quiet 2>/dev/null
}

# matched LABEL IMPORT_OPTS SIMPLIFY_OPTS: bisects the percentage to match our vertex count.
matched() {
  local label=$1 lo=0 hi=100 pct count out="$WORK/$1.geojson"
  for _ in $(seq 1 30); do
    pct=$(awk -v a="$lo" -v b="$hi" 'BEGIN { printf "%.4f", (a + b) / 2 }')
    run_mapshaper "$out" "$pct" "$2" "$3"
    count=$($COMPARE --count "$out")
    if awk -v c="$count" -v o="$OURS" 'BEGIN { exit !(c > o * 0.995 && c < o * 1.005) }'; then
      break
    elif [ "$count" -lt "$OURS" ]; then lo=$pct; else hi=$pct; fi
  done
  echo "$label: percentage=$pct% → $count vertices" >&2
}

matched mapshaper-dp "" "dp planar"
matched mapshaper-weighted "" ""
matched mapshaper-dp-no-topology "no-topology" "dp planar"

echo
$COMPARE "$INPUT" "$DIGITS" \
  "input (full resolution)=$INPUT" \
  "sitrep (ε 0.005°)=$WORK/ours.geojson" \
  "mapshaper -simplify dp planar=$WORK/mapshaper-dp.geojson" \
  "mapshaper -simplify (weighted Visvalingam)=$WORK/mapshaper-weighted.geojson" \
  "mapshaper -i no-topology -simplify dp planar=$WORK/mapshaper-dp-no-topology.geojson"
