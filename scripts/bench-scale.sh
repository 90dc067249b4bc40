#!/usr/bin/env bash
# Scale benchmark: sitrep against Hugo and `cp -r` on synthetic atlases (docs/benchmarks.md).
#
#   scripts/bench-scale.sh              10k, 50k and 100k incidents, 3 runs each (long)
#   QUICK=1 scripts/bench-scale.sh      1k and 3k incidents, 1 run (a smoke test)
#
# Environment: SIZES="10000 50000" (incident counts), RUNS=3, SEED=1,
# FILESYSTEMS="tmpfs disk", SHM_BASE (tmpfs folder, default /dev/shm/sitrep-bench),
# DISK_BASE (disk folder, default target/bench-scale), RESULTS (the markdown table, default
# target/bench-scale.md), KEEP=1 keeps the generated sites.
#
# For each size: `sitrep synth` writes the site, scripts/hugo-site.py the equivalent Hugo
# site; then, on each file system and for each run, interleaved (in turns: see below): a cold
# sitrep build (output folder deleted first), a no-change rebuild into that output (nothing
# changed, so the fingerprint check skips render and write: it measures hashing the inputs
# and stating the output folder), `cp -r` of sitrep's output (the floor: the cost of just
# writing those files), and a cold Hugo build. Each is timed
# with GNU time (wall, user+sys CPU, peak RSS); the table gives medians and ratios.
# On the disk nothing is deleted until the end: deleting a tree of files slows down the file
# creations of the next minutes on ext4, so an output is moved aside (renamed into a folder
# deleted at the end) instead; the disk needs room for every output of the run, about
# (32 x RUNS + 8) KB per incident of SIZES, counted first.
# Hugo comes from Debian (`apt-get install hugo`, as root); without it the Hugo columns are
# left empty. Nothing outside SHM_BASE and DISK_BASE is written or deleted.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
if [ "${QUICK:-0}" = 1 ]; then
  SIZES="${SIZES:-1000 3000}"
  RUNS="${RUNS:-1}"
else
  SIZES="${SIZES:-10000 50000 100000}"
  RUNS="${RUNS:-3}"
fi
SEED="${SEED:-1}"
FILESYSTEMS="${FILESYSTEMS:-tmpfs disk}"
SHM_BASE="${SHM_BASE:-/dev/shm/sitrep-bench}"
DISK_BASE="${DISK_BASE:-$repo/target/bench-scale}"
RESULTS="${RESULTS:-$repo/target/bench-scale.md}"

say() { printf '%s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------------------
install_deb() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian package $1"
    apt-get install -y "$1" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$1" >/dev/null 2>&1; }
  fi
}
[ -x /usr/bin/time ] || install_deb time
[ -x /usr/bin/time ] || { say "GNU time (/usr/bin/time) is needed: apt-get install time"; exit 2; }
command -v hugo >/dev/null || install_deb hugo
HUGO=0
if command -v hugo >/dev/null; then HUGO=1; else say "no hugo: the Hugo columns stay empty"; fi
[ -f node_modules/leaflet/dist/leaflet.js ] || npm ci --no-audit --no-fund >/dev/null
cargo build --release --locked --quiet
SITREP="$repo/target/release/sitrep"
# The commit measured (the working tree may move on while a long run goes).
REV="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+changes')"
export SITREP_LEAFLET_DIR="$repo/node_modules/leaflet/dist"
# The synthetic incidents end in 2024; a fixed "today" keeps runs comparable.
export SITREP_TODAY="${SITREP_TODAY:-2025-01-01}"
unset SITREP_TIMINGS

# Refuse to clean folders this script did not make.
prepare_base() {
  local base="$1"
  if [ -e "$base" ] && [ ! -f "$base/.sitrep-bench" ]; then
    say "refusing to use $base: it exists and was not made by $0"
    exit 2
  fi
  mkdir -p "$base"
  touch "$base/.sitrep-bench"
}
for fs in $FILESYSTEMS; do
  case "$fs" in
    tmpfs) prepare_base "$SHM_BASE" ;;
    disk) prepare_base "$DISK_BASE" ;;
    *) say "unknown file system '$fs' (tmpfs or disk)"; exit 2 ;;
  esac
done
prepare_base "$SHM_BASE"

# What the disk runs set aside (see the top); left over only by an interrupted run.
aside="$DISK_BASE/set-aside"
if [[ " $FILESYSTEMS " == *" disk "* ]]; then
  if [ -e "$aside" ]; then
    say "deleting what an earlier run set aside, then waiting a minute for the file system"
    rm -rf "$aside"
    sync
    sleep 60
  fi
  mkdir -p "$aside"
  need_kb=0
  for size in $SIZES; do need_kb=$((need_kb + size * (32 * RUNS + 8))); done
  free_kb="$(df --output=avail -k "$DISK_BASE" | tail -1 | tr -d ' ')"
  if [ "$free_kb" -lt "$need_kb" ]; then
    say "the disk runs need about $((need_kb / 1048576)) GB free under $DISK_BASE; $((free_kb / 1048576)) GB are"
    exit 2
  fi
fi
set_aside_count=0
# set_aside FS DIR...: removes each DIR, on the disk by moving it into $aside.
set_aside() {
  local fs="$1"
  shift
  local dir
  for dir in "$@"; do
    [ -e "$dir" ] || continue
    if [ "$fs" = disk ]; then
      set_aside_count=$((set_aside_count + 1))
      mv "$dir" "$aside/$set_aside_count"
    else
      rm -rf "$dir"
    fi
  done
}

raw="$SHM_BASE/raw.tsv"
printf 'size\tfs\twhat\trun\twall\tcpu\trss_kb\n' >"$raw"
counts="$SHM_BASE/counts.tsv"
printf 'size\tfs\twhat\tpages\tfiles\tbytes\n' >"$counts"

# measure SIZE FS WHAT RUN command... : one timed run, appended to raw.tsv.
measure() {
  local size="$1" fs="$2" what="$3" run="$4"
  shift 4
  sync
  if ! /usr/bin/time -f '%e %U %S %M' -o "$SHM_BASE/time.txt" "$@" >"$SHM_BASE/cmd.log" 2>&1; then
    say "failed: $*"
    tail -20 "$SHM_BASE/cmd.log" >&2
    exit 1
  fi
  local wall user sys rss
  read -r wall user sys rss <"$SHM_BASE/time.txt"
  local cpu
  cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$fs" "$what" "$run" "$wall" "$cpu" "$rss" >>"$raw"
  say "  $what run $run: ${wall} s wall, ${cpu} s CPU, $((rss / 1024)) MB peak"
}

count_output() {
  local size="$1" fs="$2" what="$3" dir="$4"
  local pages files bytes
  pages="$(find "$dir" -type f -name '*.html' | wc -l)"
  files="$(find "$dir" -type f ! -name '.sitrep-output' ! -name '.sitrep-fingerprint' | wc -l)"
  bytes="$(find "$dir" -type f ! -name '.sitrep-output' ! -name '.sitrep-fingerprint' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$fs" "$what" "$pages" "$files" "$bytes" >>"$counts"
}

for size in $SIZES; do
  say "== $size incidents"
  site="$SHM_BASE/site-$size"
  hugo_site="$SHM_BASE/hugo-$size"
  "$SITREP" --root "$repo" --quiet synth --incidents "$size" --seed "$SEED" --out "$site"
  python3 scripts/hugo-site.py "$site" "$hugo_site" >/dev/null
  for fs in $FILESYSTEMS; do
    say "-- on $fs"
    if [ "$fs" = tmpfs ]; then base="$SHM_BASE"; else base="$DISK_BASE"; fi
    src="$site"
    hsrc="$hugo_site"
    if [ "$fs" = disk ]; then
      # Inputs on the disk too, so every file the build touches is there.
      set_aside "$fs" "$base/site-$size" "$base/hugo-$size"
      cp -r "$site" "$base/site-$size"
      cp -r "$hugo_site" "$base/hugo-$size"
      src="$base/site-$size"
      hsrc="$base/hugo-$size"
    fi
    out="$base/out-sitrep-$size"
    tools=(sitrep cp)
    if [ "$HUGO" = 1 ]; then tools+=(hugo); fi
    for run in $(seq 1 "$RUNS"); do
      # Cold: each tool's output folder is removed just before it runs (not timed; on the
      # disk moved aside, see the top: on this machine's ext4 `cp -r` of the 10k output took
      # 1.4-1.8 s into a fresh folder, also just after moving two such trees aside, and 4.4-4.8 s
      # just after an `rm -rf` of them). The order of the tools turns with each run.
      # (`cp -r` copies sitrep's output, of this run or the last: the same files.)
      for k in $(seq 0 $(( ${#tools[@]} - 1 ))); do
        tool="${tools[$(( (run - 1 + k) % ${#tools[@]} ))]}"
        case "$tool" in
          sitrep)
            set_aside "$fs" "$out"
            measure "$size" "$fs" sitrep "$run" "$SITREP" --root "$src" --quiet build --output "$out"
            measure "$size" "$fs" rebuild "$run" "$SITREP" --root "$src" --quiet build --output "$out"
            ;;
          cp)
            set_aside "$fs" "$base/out-cp-$size"
            measure "$size" "$fs" cp "$run" cp -r "$out" "$base/out-cp-$size"
            ;;
          hugo)
            set_aside "$fs" "$base/out-hugo-$size"
            measure "$size" "$fs" hugo "$run" hugo --source "$hsrc" --destination "$base/out-hugo-$size" --quiet
            ;;
        esac
      done
    done
    count_output "$size" "$fs" sitrep "$out"
    if [ "$HUGO" = 1 ]; then count_output "$size" "$fs" hugo "$base/out-hugo-$size"; fi
    set_aside "$fs" "$out" "$base/out-cp-$size" "$base/out-hugo-$size"
    if [ "$fs" = disk ]; then set_aside "$fs" "$base/site-$size" "$base/hugo-$size"; fi
  done
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$site" "$hugo_site"; fi
done

if [ -d "$aside" ]; then
  say "deleting what the disk runs set aside"
  rm -rf "$aside"
fi

# --- the table --------------------------------------------------------------------------
{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "sitrep $REV; $(hugo version 2>/dev/null | cut -d' ' -f1-2 || echo 'no hugo')"
  echo "Command: SIZES=\"$SIZES\" RUNS=$RUNS FILESYSTEMS=\"$FILESYSTEMS\" scripts/bench-scale.sh"
  echo
  python3 - "$raw" "$counts" <<'PY'
import csv, statistics, sys

raw = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
counts = {(r["size"], r["fs"], r["what"]): r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t")}

def med(size, fs, what, key):
    values = [float(r[key]) for r in raw if (r["size"], r["fs"], r["what"]) == (size, fs, what)]
    return statistics.median(values) if values else None

def fmt(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"

def ratio(a, b):
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}×"

keys = sorted({(r["size"], r["fs"]) for r in raw}, key=lambda k: (int(k[0]), k[1] != "tmpfs"))
print("Times are medians of the runs, in seconds (wall clock; CPU = user + system).")
print()
print("| incidents | fs | sitrep | sitrep CPU | no-change rebuild | cp -r | Hugo | Hugo CPU | Hugo/sitrep | sitrep/cp |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for size, fs in keys:
    s, sc = med(size, fs, "sitrep", "wall"), med(size, fs, "sitrep", "cpu")
    r = med(size, fs, "rebuild", "wall")
    c = med(size, fs, "cp", "wall")
    h, hc = med(size, fs, "hugo", "wall"), med(size, fs, "hugo", "cpu")
    print(f"| {int(size):,} | {fs} | {fmt(s)} | {fmt(sc)} | {fmt(r)} | {fmt(c)} | {fmt(h)} | {fmt(hc)} | {ratio(h, s)} | {ratio(s, c)} |")
print()
print("Peak memory (RSS, MB), output size and cost per page:")
print()
print("| incidents | fs | sitrep RSS | rebuild RSS | Hugo RSS | sitrep/Hugo RSS | sitrep pages | files | MB | µs/page | Hugo pages | Hugo files | Hugo MB | Hugo µs/page |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for size, fs in keys:
    sm, rm, hm = (med(size, fs, w, "rss_kb") for w in ("sitrep", "rebuild", "hugo"))
    sm, rm, hm = (None if x is None else x / 1024 for x in (sm, rm, hm))
    sc, hcnt = counts.get((size, fs, "sitrep")), counts.get((size, fs, "hugo"))
    s, h = med(size, fs, "sitrep", "wall"), med(size, fs, "hugo", "wall")
    def page_cols(c, t):
        if not c:
            return ["–"] * 4
        pages = int(c["pages"])
        return [f"{pages:,}", f"{int(c['files']):,}", f"{int(c['bytes']) / 1e6:.0f}",
                "–" if t is None or pages == 0 else f"{t / pages * 1e6:.0f}"]
    cols = [f"{int(size):,}", fs, fmt(sm, 0), fmt(rm, 0), fmt(hm, 0), ratio(sm, hm)] + page_cols(sc, s) + page_cols(hcnt, h)
    print("| " + " | ".join(cols) + " |")
PY
} | tee "$RESULTS"
say "raw timings: $raw; table: $RESULTS"
