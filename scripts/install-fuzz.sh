#!/usr/bin/env bash
# Installs cargo-fuzz from the crate registry, for the fuzz campaigns of docs/ROBUSTNESS.md.
# cargo-fuzz builds with sanitizer flags that need a nightly toolchain: the machine's nightly is
# used when present, otherwise RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# CI does not run this: it only replays the kept crash inputs (tests/regressions/).
set -euo pipefail
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
cargo fuzz --version
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz with: cargo +nightly fuzz run <target> ..."
else
  echo "fuzz with: RUSTC_BOOTSTRAP=1 cargo fuzz run <target> ..."
fi
