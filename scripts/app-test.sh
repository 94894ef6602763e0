#!/usr/bin/env bash
# Desktop end-to-end test of the citizen app: builds the interface and the
# app, starts a virtual display (Xvfb), and runs the `desktop::` tests of
# tests/e2e (tests/src/desktop.rs is the harness): each starts a sandbox on
# free ports, tauri-driver + WebKitWebDriver, and the real app window, which
# it drives over WebDriver while playing the citizen's browser over HTTP.
# Anything missing (display server, driver, app) is a failure, not a skip.
#
# Environment:
#   CARGO_TARGET_DIR   cargo's target folder (default ~/.cache/pivot/target)
#   ARTIFACTS_DIR      screenshots (app-*.png) and logs (app-logs/) go here
#                      (default artifacts)
#   PIVOT_APP_BIN      an app binary to use instead of building one
#   APP_TEST_FILTER    a nextest filter expression narrowing the tests
#                      (default: every test of the desktop module)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/root}/.cache/pivot/target}"
artifacts="${ARTIFACTS_DIR:-artifacts}"
mkdir -p "$artifacts"
export ARTIFACTS_DIR="$(cd "$artifacts" && pwd)"
display_timeout=20

say() { printf '[app-test] %s\n' "$*"; }
die() {
  printf '[app-test] error: %s\n' "$*" >&2
  exit 1
}

started=$SECONDS
tmp="$(mktemp -d "${TMPDIR:-/tmp}/pivot-app-test.XXXXXX")"
xvfb_pid=""
cleanup() {
  local status=$?
  if [[ -n "$xvfb_pid" ]] && kill -0 "$xvfb_pid" 2>/dev/null; then
    kill -TERM "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- What the tests need --------------------------------------------------------
for tool in Xvfb tauri-driver WebKitWebDriver dbus-daemon unshare keyctl; do
  command -v "$tool" >/dev/null || die "$tool is not installed: run 'bash scripts/setup.sh test'"
done

# --- Build: the interface, then the app that embeds it ------------------------------
if [[ -n "${PIVOT_APP_BIN:-}" ]]; then
  [[ -x "$PIVOT_APP_BIN" ]] || die "PIVOT_APP_BIN=$PIVOT_APP_BIN is not an executable"
else
  say "building the interface: bash scripts/build-ui.sh"
  bash scripts/build-ui.sh
  # A debug build embeds ui/dist (no dev server is configured).
  say "building the app: cargo build --locked -p pivot-app"
  cargo build --locked -p pivot-app
  export PIVOT_APP_BIN="$CARGO_TARGET_DIR/debug/pivot-app"
fi
built=$SECONDS

# --- A virtual display ------------------------------------------------------------
# -displayfd: Xvfb picks a free display number and writes it once it accepts
# connections.
say "starting a virtual display (Xvfb)"
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$tmp/display" >"$ARTIFACTS_DIR/xvfb.log" 2>&1 &
xvfb_pid=$!
deadline=$((SECONDS + display_timeout))
until [[ -s "$tmp/display" ]] && grep -q '^[0-9]\+$' "$tmp/display"; do
  if ! kill -0 "$xvfb_pid" 2>/dev/null; then
    tail -n 20 "$ARTIFACTS_DIR/xvfb.log" | sed 's/^/    /' >&2 || true
    xvfb_pid=""
    die "Xvfb exited before opening a display"
  fi
  ((SECONDS < deadline)) || die "Xvfb opened no display within ${display_timeout} s (log: $ARTIFACTS_DIR/xvfb.log)"
  sleep 0.1
done
export DISPLAY=":$(cat "$tmp/display")"
unset WAYLAND_DISPLAY
say "display $DISPLAY (Xvfb pid $xvfb_pid); screenshots: $ARTIFACTS_DIR/app-*.png, logs: $ARTIFACTS_DIR/app-logs/"

# --- The tests --------------------------------------------------------------------
# The same workspace-wide feature set as `make nextest`, so nothing is rebuilt;
# one test at a time (each runs its own app and sandbox).
filter="package(pivot-tests) & test(/^desktop::/)"
if [[ -n "${APP_TEST_FILTER:-}" ]]; then
  filter="$filter & ($APP_TEST_FILTER)"
fi
rm -f "$ARTIFACTS_DIR"/app-*.png
status=0
cargo nextest run --workspace --locked --no-fail-fast --run-ignored only \
  --test-threads 1 -E "$filter" || status=$?

say "build $((built - started)) s, tests $((SECONDS - built)) s"
if ((status != 0)); then
  say "failed: the tails of the logs are above; screenshots and logs in $ARTIFACTS_DIR (app-*.png, app-logs/)" >&2
fi
exit "$status"
