# sitrep: two commands on a fresh clone.
#   make site   installs what it needs, builds the atlas into public/
#   make test   runs every test: Rust unit and integration tests, then the browser tests
# Other targets: make check (content check), make serve (local preview), make lint, make bench,
# make bench-scale (sitrep against Hugo at 10k-100k incidents; make bench-scale-quick for a smoke run),
# make lighthouse (Lighthouse scores of the main pages; not part of make test).

CARGO ?= cargo
SITREP = target/release/sitrep

.PHONY: site test check serve lint browser-test rust-test bench bench-scale bench-scale-quick lighthouse clean

site: node_modules/.installed
	$(CARGO) build --release --locked
	$(SITREP) build

check: node_modules/.installed
	$(CARGO) run --release --locked -- check

serve: node_modules/.installed
	$(CARGO) run --release --locked -- serve

test: node_modules/.installed rust-test browser-test

rust-test:
	$(CARGO) test --locked

browser-test: node_modules/.installed
	scripts/ensure-chromium.sh
	$(CARGO) build --release --locked
	node --test --test-concurrency=1 tests/browser/

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

# Geo benchmarks on the real layers (../shared/geodata): simplification, rounding, lookups.
# scripts/compare-mapshaper.sh compares with mapshaper (installs it into a temp folder).
bench:
	$(CARGO) run --release --locked --example geo_bench

# Scale benchmark against Hugo and cp -r on synthetic atlases of 10k, 50k and 100k incidents
# (long; see docs/benchmarks.md). SIZES, RUNS and FILESYSTEMS override the defaults.
bench-scale: node_modules/.installed
	scripts/bench-scale.sh

bench-scale-quick: node_modules/.installed
	QUICK=1 scripts/bench-scale.sh

# Lighthouse (npm, pinned) on home, map, timeline, a district and an incident page, mobile and
# desktop, 3 runs each; writes docs/lighthouse.md and fails when a median misses a threshold.
# Too slow and too dependent on the machine's load for make test. LIGHTHOUSE_ARGS passes flags
# (e.g. LIGHTHOUSE_ARGS="--runs 1 --preset mobile --no-write").
lighthouse: node_modules/.installed
	scripts/ensure-chromium.sh
	$(CARGO) build --release --locked
	node scripts/lighthouse.mjs $(LIGHTHOUSE_ARGS)

# npm ci installs Leaflet (served from the site itself) and the browser-test tools, pinned
# by package-lock.json. No browser download: tests use Debian's chromium.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf target public node_modules
