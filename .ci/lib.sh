# shellcheck shell=bash
# Shared by .ci/run, .ci/test and .ci/serve: tool versions and idempotent installers.
# Each ensure_* function checks what is present (and its version) and installs only what is
# missing, so a warm machine pays about a second.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION=0.22.1
# Trunk 0.22.1 needs a newer rustc than the project's stable toolchain.
TRUNK_TOOLCHAIN=1.96.1
CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
# The other engines of tests/e2e/browsers.test.mjs: Firefox (Gecko) and WebKitGTK (Safari's engine).
FIREFOX=/usr/bin/firefox-esr
WEBKIT_DRIVER=/usr/bin/WebKitWebDriver
XVFB=/usr/bin/Xvfb

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  log "apt-get install $*"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# The wasm-bindgen version pinned in Cargo.lock (the CLI must match it exactly).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_chromium() {
  if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then return 0; fi
  apt_install chromium chromium-driver
}

# Firefox ESR (driven by puppeteer-core over WebDriver BiDi) and WebKitGTK's WebDriver with its
# MiniBrowser, run under Xvfb: Debian packages, no browser downloads. Without recommends (media
# codecs, GStreamer plugins, X fonts, …): here (Chromium
# already installed) 57 packages and 141 MB instead of 217 and 267 MB.
ensure_browsers() {
  local want=()
  [ -x "$FIREFOX" ] || want+=(firefox-esr)
  [ -x "$WEBKIT_DRIVER" ] || want+=(webkit2gtk-driver)
  [ -x "$XVFB" ] || want+=(xvfb)
  if [ "${#want[@]}" -eq 0 ]; then return 0; fi
  apt_install --no-install-recommends "${want[@]}"
}

ensure_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return 0; fi
  apt_install nodejs npm
}

ensure_python() {
  if command -v python3 >/dev/null; then return 0; fi
  apt_install python3
}

ensure_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then return 0; fi
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
}

ensure_wasm_bindgen() {
  local want have
  want="$(wasm_bindgen_version)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
  if [ "$have" = "$want" ] && command -v wasm-bindgen-test-runner >/dev/null; then return 0; fi
  log "cargo install wasm-bindgen-cli $want (have: ${have:-none}; ~2 min)"
  # Not --locked: one of its pinned dependencies is no longer in the registry.
  cargo install wasm-bindgen-cli --version "$want"
}

ensure_trunk() {
  local have
  have="$(trunk --version 2>/dev/null | awk '{ print $2 }' || true)"
  if [ "$have" = "$TRUNK_VERSION" ]; then return 0; fi
  log "installing trunk $TRUNK_VERSION with rust $TRUNK_TOOLCHAIN (have: ${have:-none}; ~8 min)"
  rustup toolchain install "$TRUNK_TOOLCHAIN" --profile minimal
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo "+$TRUNK_TOOLCHAIN" install trunk --version "$TRUNK_VERSION" --locked
}

# node_modules (playwright-core, puppeteer-core, binaryen's wasm-opt), reinstalled when package-lock.json changes.
ensure_node_modules() {
  local hash stamp="$ROOT/node_modules/.eifscope-lock-sha256"
  hash="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return 0; fi
  log "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund)
  printf '%s\n' "$hash" >"$stamp"
}

# What building the web app needs.
ensure_build_tools() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_trunk
  ensure_node
  ensure_node_modules
}

# What the whole test suite needs.
ensure_all() {
  ensure_chromium
  ensure_browsers
  ensure_python
  ensure_build_tools
}

# trunk build with everything it needs already local (Trunk.toml sets offline = true).
build_web() {
  (cd "$ROOT" && cargo fetch --locked && trunk build --release "$@")
}
