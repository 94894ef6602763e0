#!/usr/bin/env bash
# `make sandbox`: runs the sandbox federation and, on a desktop (DISPLAY or
# WAYLAND_DISPLAY set), the citizen app against it. Ctrl-C stops both.
# Without a display only the sandbox runs, and the way to start the app is
# printed. Arguments go to `pivot-broker sandbox` (e.g. --base-port 8000).
#
# With the app comes a card reader without hardware, when this machine
# allows it (Debian pcscd and vsmartcard-vpcd, `unshare --mount` as root or
# with unprivileged user namespaces): `pivot-card pcscd`, a private PC/SC
# daemon whose virtual reader holds a sandbox test card; the app gets its
# socket in PCSCLITE_CSOCK_NAME. Otherwise one line says why, and the app
# starts without it.
#
# Environment:
#   CARGO_TARGET_DIR      cargo's target folder (default ~/.cache/pivot/target)
#   PIVOT_SANDBOX_NO_APP  set to 1 to run only the sandbox, even on a display
#   PIVOT_SANDBOX_CARD    the test card in the reader: a citizen of
#                         `pivot-card list` (default eric-mercier), `none`
#                         for an empty reader, `off` for no reader
#   PIVOT_READY_TIMEOUT   seconds to wait for the sandbox (default 60)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/root}/.cache/pivot/target}"
ready_timeout="${PIVOT_READY_TIMEOUT:-60}"
card="${PIVOT_SANDBOX_CARD:-eric-mercier}"

say() { printf '[sandbox] %s\n' "$*"; }
die() {
  printf '[sandbox] error: %s\n' "$*" >&2
  exit 1
}

with_app=false
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && "${PIVOT_SANDBOX_NO_APP:-}" != 1 ]]; then
  with_app=true
fi

if ! $with_app; then
  bash scripts/setup.sh sandbox
  say "no display (DISPLAY/WAYLAND_DISPLAY unset): only the sandbox runs. To use the citizen app"
  say "on a desktop: 'make sandbox' there, or by hand: bash scripts/build-ui.sh &&"
  say "cargo build -p pivot-app && PIVOT_BROKER_URL=http://127.0.0.1:7000/ PIVOT_BROKER_HIGH_URL=http://127.0.0.1:7001/ $CARGO_TARGET_DIR/debug/pivot-app"
  say "(for the ID card: 'cargo run -p pivot-card -- pcscd' in another terminal, and the app with"
  say "PCSCLITE_CSOCK_NAME set to the socket it prints)"
  exec cargo run --locked -p pivot-broker -- sandbox "$@"
fi

bash scripts/setup.sh app
say "building the sandbox, the app's interface and the app"
cargo build --locked -p pivot-broker
bash scripts/build-ui.sh
cargo build --locked -p pivot-app
if [[ "$card" != off ]]; then
  cargo build --locked -p pivot-card
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pivot-sandbox.XXXXXX")"
ready="$tmp/ready.json"
sandbox_pid=""
app_pid=""
reader_pid=""

stop() {
  local pid=$1 what=$2
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$what did not stop within 5 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  stop "$app_pid" "the app"
  stop "$reader_pid" "the card reader"
  stop "$sandbox_pid" "the sandbox"
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$CARGO_TARGET_DIR/debug/pivot-broker" sandbox --ready-file "$ready" "$@" </dev/null &
sandbox_pid=$!

deadline=$((SECONDS + ready_timeout))
until [[ -s "$ready" ]]; do
  kill -0 "$sandbox_pid" 2>/dev/null || {
    sandbox_pid=""
    die "the sandbox exited before it was ready"
  }
  ((SECONDS < deadline)) || die "the sandbox was not ready within ${ready_timeout} s"
  sleep 0.2
done
broker="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).broker)' "$ready")"
broker_high="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).broker_high)' "$ready")"

# The card reader: `pivot-card pcscd` prints one JSON line with its socket
# once the reader is up, or exits saying what is missing. Its commands
# (`insert <citizen>`, `remove`) come from a FIFO, opened read-write so that
# it never sees an end of file.
reader_env=()
start_reader() {
  local args=(pcscd) out="$tmp/reader.json" err="$tmp/reader.log" fifo="$tmp/card"
  if [[ "$card" == none ]]; then args+=(--no-card); else args+=(--citizen "$card"); fi
  mkfifo "$fifo"
  "$CARGO_TARGET_DIR/debug/pivot-card" "${args[@]}" <>"$fifo" >"$out" 2>"$err" &
  reader_pid=$!
  local deadline=$((SECONDS + 30))
  until [[ -s "$out" ]]; do
    if ! kill -0 "$reader_pid" 2>/dev/null || ((SECONDS >= deadline)); then
      stop "$reader_pid" "the card reader"
      reader_pid=""
      local why
      why="$(grep -m1 '^Error: ' "$err" | sed 's/^Error: //' || true)"
      say "no card reader for the app (${why:-pivot-card pcscd did not start; see $err}): the ID card login cannot be tried"
      return 0
    fi
    sleep 0.2
  done
  local socket
  socket="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).socket)' "$out")"
  reader_env=("PCSCLITE_CSOCK_NAME=$socket")
  local holding="$card's card"
  [[ "$card" != none ]] || holding="no card"
  say "card reader \"Virtual PCD 00 00\" ready, holding $holding (PCSCLITE_CSOCK_NAME=$socket);"
  say "test cards, PIN and CAN: cargo run -p pivot-card -- list; to swap the card: echo 'insert carmen-garcia' > $fifo (or 'remove')"
}
if [[ "$card" == off ]]; then
  say "no card reader (PIVOT_SANDBOX_CARD=off)"
else
  start_reader
fi

say "starting the citizen app against $broker/ (close its window or press Ctrl-C)"
env "${reader_env[@]}" PIVOT_BROKER_URL="$broker/" PIVOT_BROKER_HIGH_URL="$broker_high/" "$CARGO_TARGET_DIR/debug/pivot-app" </dev/null &
app_pid=$!

# Until Ctrl-C or the sandbox stops; closing the app leaves the sandbox running.
while kill -0 "$sandbox_pid" 2>/dev/null; do
  if [[ -n "$app_pid" ]] && ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
    say "the app was closed; the sandbox runs on (Ctrl-C stops it)"
  fi
  sleep 0.5
done
status=0
wait "$sandbox_pid" || status=$?
sandbox_pid=""
say "the sandbox stopped (status $status)"
exit "$status"
