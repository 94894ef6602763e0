# Pivot: the two entry points are `make sandbox` and `make test`.
# Both first run scripts/setup.sh, which installs whatever is missing
# (Debian packages, npm packages, Rust target/components, cargo-nextest).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.NOTPARALLEL:
.DEFAULT_GOAL := help

# Cargo's target folder lives outside the clone so that fresh clones (CI)
# reuse the build cache. Override with CARGO_TARGET_DIR=...
export CARGO_TARGET_DIR ?= $(or $(HOME),/root)/.cache/pivot/target
# Screenshots and the sandbox log of the browser test.
export ARTIFACTS_DIR ?= artifacts
# Extra arguments for `make sandbox`, e.g. SANDBOX_ARGS="--base-port 8000".
SANDBOX_ARGS ?=

.PHONY: help setup sandbox test fmt clippy wasm ui nextest doctest browser-test app-test

help:
	@echo "make sandbox   run the sandbox federation (pivot-broker sandbox \$$SANDBOX_ARGS), and the citizen app on a display"
	@echo "make test      run all checks and tests (fmt, clippy, wasm build, UI bundle, nextest, doc tests, browser test, app test)"

setup:
	bash scripts/setup.sh test

# scripts/sandbox.sh installs what it needs (the app's build tools only on
# a display, where it also starts the app).
sandbox:
	bash scripts/sandbox.sh $(SANDBOX_ARGS)

# Runs every step in order and stops at the first that fails.
test:
	bash scripts/setup.sh test
	$(MAKE) --no-print-directory fmt clippy wasm ui nextest doctest browser-test app-test

fmt:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets --locked -- -D warnings

wasm:
	cargo build -p pivot-proto --target wasm32-unknown-unknown --locked

# The citizen app's interface: wasm bundle + DSFR files into ui/dist/.
ui:
	bash scripts/build-ui.sh

# In a fresh session keyring, so that the app's secret-store test uses the
# real kernel keyring (keyutils) and fails rather than skips without one.
nextest:
	keyctl session - env PIVOT_REQUIRE_KEYRING=1 cargo nextest run --workspace --locked --no-fail-fast

doctest:
	cargo test --doc --workspace --locked

browser-test:
	bash scripts/browser-test.sh

# The citizen app's real window under Xvfb, driven by tauri-driver.
app-test:
	bash scripts/app-test.sh
