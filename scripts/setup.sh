#!/usr/bin/env bash
# Installs what `make sandbox` and `make test` need, and only what is missing:
# Debian packages, the npm packages of package.json, the Rust wasm target and
# components, cargo-nextest, the wasm-bindgen CLI at the Cargo.lock version,
# tauri-driver. Safe to run again: a second run does nothing.
#
#   scripts/setup.sh          everything `make test` needs (default)
#   scripts/setup.sh test     same
#   scripts/setup.sh sandbox  only what `make sandbox` needs (no browser,
#                             no wasm target, no lint/test tools)
#   scripts/setup.sh app      the sandbox's needs and what building the
#                             citizen app needs (`make sandbox` on a display)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

profile="${1:-test}"
case "$profile" in
  test | sandbox | app) ;;
  *)
    echo "usage: $0 [test|sandbox|app]" >&2
    exit 2
    ;;
esac
# Whether the citizen app (Tauri shell and Yew interface) is built.
builds_app=false
[[ "$profile" == sandbox ]] || builds_app=true

say() { printf '[setup] %s\n' "$*"; }
die() {
  printf '[setup] error: %s\n' "$*" >&2
  exit 1
}

# --- Cache folders, outside the clone so that runs reuse them -----------------
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/root}/.cache/pivot/target}"
mkdir -p "$CARGO_TARGET_DIR"

# --- Debian packages ----------------------------------------------------------
# Build: pkg-config and libssl-dev (openssl-sys, via josekit), libsqlite3-dev.
# Browser test: Debian's chromium, and a font so that screenshots show text.
# The app shell (src-tauri, Tauri 2): WebKitGTK 4.1 and friends; keyutils
# (`keyctl session`) to test the real secret store.
# The ID card (card/tests/pcsc.rs): the PC/SC daemon, vsmartcard's virtual
# reader driver, OpenSC's opensc-tool as an independent client, and the
# PC/SC client library's headers for the pcsc crate.
# The desktop app test (scripts/app-test.sh): a virtual display (Xvfb, xauth),
# WebKitGTK's WebDriver (WebKitWebDriver, which tauri-driver drives), a
# private D-Bus session bus for the app (dbus-daemon), ImageMagick (`import`
# takes a picture of the whole display when a test fails).
debs=(pkg-config libssl-dev libsqlite3-dev)
if $builds_app; then
  debs+=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
  # The app's card module links the PC/SC client library (pcsc crate).
  debs+=(libpcsclite-dev)
fi
if [[ "$profile" == test ]]; then
  debs+=(chromium fonts-liberation keyutils)
  debs+=(pcscd vsmartcard-vpcd opensc)
  debs+=(xvfb xauth webkit2gtk-driver dbus-daemon imagemagick)
fi

deb_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for p in "${debs[@]}"; do
  deb_installed "$p" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "missing Debian packages (${missing[*]}) and not root: install them as root"
    sudo=(sudo)
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-o DPkg::Lock::Timeout=300 -q)
  "${sudo[@]}" apt-get "${apt_opts[@]}" update
  "${sudo[@]}" apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"
else
  say "Debian packages present: ${debs[*]}"
fi
if [[ "$profile" == test ]]; then
  [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing after installing the chromium package"
  [[ -x /usr/bin/WebKitWebDriver ]] || die "/usr/bin/WebKitWebDriver is missing after installing webkit2gtk-driver"
  for tool in Xvfb dbus-daemon import unshare; do
    command -v "$tool" >/dev/null || die "$tool is missing after installing the Debian packages"
  done
fi

# --- Node.js and npm packages -------------------------------------------------
command -v node >/dev/null || die "Node.js (>= 20.19) is required: it ships on this machine kind at /usr/bin/node"
command -v npm >/dev/null || die "npm is required alongside Node.js"
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`[setup] error: Node.js >= 20.19 is required, found ${process.version}`);
    process.exit(1);
  }'

# The stamp records what node_modules was installed from; npm ci runs again
# only when package.json, package-lock.json or the Node.js version change.
[[ -f package-lock.json ]] || die "package-lock.json is missing: run 'npm install --ignore-scripts' and commit it"
stamp_file=node_modules/.pivot-setup-stamp
want_stamp="$(cat package.json package-lock.json <(node --version) | sha256sum | cut -d' ' -f1)"
have_stamp="$(cat "$stamp_file" 2>/dev/null || true)"
if [[ "$want_stamp" != "$have_stamp" || ! -d node_modules/playwright-core || ! -d node_modules/@gouvfr/dsfr/dist ]]; then
  # --ignore-scripts: @gouvfr/dsfr's postinstall fails without a config file,
  # and its dist/ folder (what the broker serves) ships in the package as is.
  say "installing npm packages: npm ci --ignore-scripts --no-audit --no-fund"
  npm ci --ignore-scripts --no-audit --no-fund
  printf '%s\n' "$want_stamp" >"$stamp_file"
else
  say "npm packages up to date (node_modules matches package-lock.json)"
fi

# --- Rust ---------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo is required (the machine's rustup toolchain)"

if [[ "$profile" == test ]]; then
  # rustfmt and clippy components.
  for comp in rustfmt clippy; do
    if cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
      say "Rust component present: $comp"
    else
      command -v rustup >/dev/null || die "cargo $comp is missing and rustup is not available to add it"
      say "adding Rust component: rustup component add $comp"
      rustup component add "$comp"
    fi
  done

  # cargo-nextest (normally preinstalled in /usr/local/bin).
  if cargo nextest --version >/dev/null 2>&1; then
    say "cargo-nextest present: $(cargo nextest --version 2>/dev/null | head -n1)"
  else
    say "installing cargo-nextest: cargo install cargo-nextest --locked"
    cargo install cargo-nextest --locked
  fi

  # tauri-driver (scripts/app-test.sh): the WebDriver server that starts the
  # app and relays to WebKitWebDriver. Pinned; installed when missing or of
  # another version. It has no --version flag: cargo's install list tells.
  td_want=2.0.6
  td_version() {
    command -v tauri-driver >/dev/null || return 0
    cargo install --list 2>/dev/null | awk '/^tauri-driver v/ { sub(/^v/, "", $2); sub(/:$/, "", $2); print $2 }'
  }
  td_have="$(td_version)"
  if [[ "$td_have" == "$td_want" ]]; then
    say "tauri-driver present: $td_have"
  else
    say "installing tauri-driver $td_want (found: ${td_have:-none}): cargo install tauri-driver --version $td_want --locked"
    CARGO_TARGET_DIR="$(dirname "$CARGO_TARGET_DIR")/target-tools" \
      cargo install tauri-driver --version "$td_want" --locked --force
    td_have="$(td_version)"
    [[ "$td_have" == "$td_want" ]] || die "tauri-driver is ${td_have:-missing} after installing $td_want: is ~/.cargo/bin on PATH? ($(command -v tauri-driver || echo "no tauri-driver on PATH"))"
  fi
fi

# The citizen app: its interface is Yew compiled to wasm (scripts/build-ui.sh).
if $builds_app; then
  # wasm32 target: pivot-proto and the app's interface compile for the browser.
  sysroot="$(rustc --print sysroot)"
  if [[ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]]; then
    say "Rust target present: wasm32-unknown-unknown"
  else
    command -v rustup >/dev/null || die "the wasm32-unknown-unknown target is missing and rustup is not available to add it"
    say "adding Rust target: rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi

  # wasm-bindgen CLI (scripts/build-ui.sh): exactly the version of the
  # wasm-bindgen crate in Cargo.lock, or the generated glue does not match.
  wb_want="$(awk '
    $0 == "name = \"wasm-bindgen\"" { want = 1; next }
    want && /^version = / { gsub(/version = |"/, ""); print; exit }
  ' Cargo.lock)"
  [[ -n "$wb_want" ]] || die "no wasm-bindgen crate in Cargo.lock"
  wb_have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
  if [[ "$wb_have" == "$wb_want" ]]; then
    say "wasm-bindgen CLI present: $wb_have (matches Cargo.lock)"
  else
    say "installing wasm-bindgen CLI $wb_want (found: ${wb_have:-none}): cargo install wasm-bindgen-cli --version $wb_want --locked"
    # Its own target folder: the CLI's build does not share the workspace's.
    wb_target="$(dirname "$CARGO_TARGET_DIR")/target-tools"
    if ! CARGO_TARGET_DIR="$wb_target" cargo install wasm-bindgen-cli --version "$wb_want" --locked --force; then
      # The CLI's published lock file can name a dependency release the
      # registry does not offer (yanked, or missing from a mirror): resolve
      # its dependencies afresh then. Only the CLI's version must match.
      say "the locked install failed; retrying without --locked"
      CARGO_TARGET_DIR="$wb_target" cargo install wasm-bindgen-cli --version "$wb_want" --force
    fi
    wb_have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
    [[ "$wb_have" == "$wb_want" ]] || die "wasm-bindgen CLI is $wb_have after installing $wb_want: is another wasm-bindgen earlier on PATH? ($(command -v wasm-bindgen))"
  fi
fi

say "done ($profile); CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
