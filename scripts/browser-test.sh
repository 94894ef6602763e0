#!/usr/bin/env bash
# Browser end-to-end test: starts the sandbox federation on random free
# ports, waits until it is ready, runs the Node test files of tests/browser/
# in headless Debian Chromium, and stops the sandbox whatever happens.
#
# Environment:
#   CARGO_TARGET_DIR     cargo's target folder (default ~/.cache/pivot/target)
#   ARTIFACTS_DIR        screenshots and sandbox log go here (default artifacts)
#   PIVOT_BROKER_BIN     a pivot-broker binary to use instead of building one
#   PIVOT_READY_TIMEOUT  seconds to wait for the sandbox (default 60)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/root}/.cache/pivot/target}"
artifacts="${ARTIFACTS_DIR:-artifacts}"
mkdir -p "$artifacts"
artifacts="$(cd "$artifacts" && pwd)"
export ARTIFACTS_DIR="$artifacts"
export PIVOT_SCREENSHOT_DIR="$artifacts/screenshots"
ready_timeout="${PIVOT_READY_TIMEOUT:-60}"

say() { printf '[browser-test] %s\n' "$*"; }

if [[ -n "${PIVOT_BROKER_BIN:-}" ]]; then
  bin="$PIVOT_BROKER_BIN"
else
  say "building: cargo build --locked -p pivot-broker"
  cargo build --locked -p pivot-broker
  bin="$CARGO_TARGET_DIR/debug/pivot-broker"
fi
[[ -x "$bin" ]] || { say "error: no executable at $bin" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pivot-browser.XXXXXX")"
ready="$tmp/ready.json"
log="$artifacts/sandbox.log"
rm -rf "$PIVOT_SCREENSHOT_DIR"
mkdir -p "$PIVOT_SCREENSHOT_DIR"

sandbox_pid=""
cleanup() {
  local status=$?
  if [[ -n "$sandbox_pid" ]] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$sandbox_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$sandbox_pid" 2>/dev/null; then
      say "sandbox did not stop on SIGTERM within 5 s; killing it"
      kill -KILL "$sandbox_pid" 2>/dev/null || true
    fi
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log_tail() {
  say "last lines of the sandbox log ($log):"
  tail -n 40 "$log" | sed 's/^/    /' >&2 || true
}

say "starting: $bin sandbox --base-port 0 --data-dir $tmp/data --ready-file $ready"
mkdir -p "$tmp/data"
# The working directory is the workspace root, where the broker finds the DSFR
# assets (node_modules/@gouvfr/dsfr/dist). Its log goes to $log.
RUST_LOG="${RUST_LOG:-info}" NO_COLOR=1 "$bin" sandbox --base-port 0 --data-dir "$tmp/data" --ready-file "$ready" </dev/null >"$log" 2>&1 &
sandbox_pid=$!

# Wait, bounded, for a ready file that parses as JSON (the sandbox should
# write it atomically, but a half-written file must not be taken as ready).
deadline=$((SECONDS + ready_timeout))
until [[ -s "$ready" ]] && node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$ready" 2>/dev/null; do
  if ! kill -0 "$sandbox_pid" 2>/dev/null; then
    status=0
    wait "$sandbox_pid" || status=$?
    sandbox_pid=""
    say "error: the sandbox exited (status $status) before writing its ready file $ready" >&2
    log_tail
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    say "error: the sandbox did not write its ready file $ready within ${ready_timeout} s" >&2
    log_tail
    exit 1
  fi
  sleep 0.2
done
say "sandbox ready (pid $sandbox_pid): $(tr -d '\n' <"$ready" | cut -c1-300)"
say "screenshots go to $PIVOT_SCREENSHOT_DIR, the sandbox log to $log"

status=0
PIVOT_READY_FILE="$ready" node --test tests/browser/ || status=$?

# On success nothing more is printed: node's summary stays the last lines.
if ((status != 0)); then
  log_tail
  say "screenshots and failure dumps (*-FAILED.png/.html) in $PIVOT_SCREENSHOT_DIR"
elif ! kill -0 "$sandbox_pid" 2>/dev/null; then
  say "error: the sandbox died during the tests" >&2
  log_tail
  status=1
fi
exit "$status"
