#!/usr/bin/env bash
# Builds the citizen app's interface (crate pivot-ui) into ui/dist/, offline:
# the wasm bundle (cargo + the wasm-bindgen CLI), index.html, and the DSFR
# files from node_modules (installed by `npm ci`, see scripts/setup.sh).
#
#   ui/dist/index.html  pivot_ui.js  pivot_ui_bg.wasm  dsfr/...
#
# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate
# in Cargo.lock (the generated glue and the library must match);
# scripts/setup.sh installs it.
#
# Environment:
#   CARGO_TARGET_DIR  cargo's target folder (default ~/.cache/pivot/target)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[build-ui] %s\n' "$*"; }
die() {
  printf '[build-ui] error: %s\n' "$*" >&2
  exit 1
}

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/root}/.cache/pivot/target}"
out=ui/dist
dsfr=node_modules/@gouvfr/dsfr/dist

# --- The wasm-bindgen CLI matches Cargo.lock -----------------------------------
mapfile -t lock_versions < <(awk '
  $0 == "name = \"wasm-bindgen\"" { want = 1; next }
  want && /^version = / { gsub(/version = |"/, ""); print; want = 0 }
' Cargo.lock)
((${#lock_versions[@]} == 1)) ||
  die "expected exactly one wasm-bindgen version in Cargo.lock, found ${#lock_versions[@]}: ${lock_versions[*]:-none}"
want="${lock_versions[0]}"

command -v wasm-bindgen >/dev/null ||
  die "the wasm-bindgen CLI is missing: run 'bash scripts/setup.sh' (or 'cargo install wasm-bindgen-cli --version $want --locked')"
have="$(wasm-bindgen --version | awk '{ print $2 }')"
[[ "$have" == "$want" ]] ||
  die "wasm-bindgen CLI $have does not match the wasm-bindgen crate $want of Cargo.lock: run 'bash scripts/setup.sh' (or 'cargo install wasm-bindgen-cli --version $want --locked --force')"

[[ -f "$dsfr/dsfr.min.css" ]] ||
  die "$dsfr is missing: run 'bash scripts/setup.sh' (npm ci) first"

# --- Build ----------------------------------------------------------------------
say "building: cargo build -p pivot-ui --target wasm32-unknown-unknown --release --locked"
cargo build -p pivot-ui --target wasm32-unknown-unknown --release --locked
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/pivot_ui.wasm"
[[ -f "$wasm" ]] || die "$wasm was not produced"

rm -rf "$out"
mkdir -p "$out/dsfr"
say "generating the JavaScript glue: wasm-bindgen $want --target web"
wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm"

cp ui/index.html "$out/index.html"
# The DSFR style sheet and what it refers to (fonts, icons, favicon); the
# source maps and the legacy builds stay out.
cp "$dsfr/dsfr.min.css" "$out/dsfr/"
for dir in fonts icons favicon utility; do
  cp -R "$dsfr/$dir" "$out/dsfr/$dir"
done
find "$out/dsfr" -name '*.map' -delete

for f in index.html pivot_ui.js pivot_ui_bg.wasm dsfr/dsfr.min.css; do
  [[ -s "$out/$f" ]] || die "$out/$f is missing or empty"
done
say "done: $out ($(du -sh "$out" | cut -f1)); open it through the app shell (the bridge needs window.__TAURI__)"
