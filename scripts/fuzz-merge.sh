#!/usr/bin/env bash
# The merge fuzz campaign (docs/ROBUSTNESS.md): writes two small shards with the negsim binary
# into fuzz/merge_template/, seeds the corpus with each of their files (byte 0 selects the file
# and whether its hash is forged, as fuzz/fuzz_targets/merge.rs reads it), then fuzzes for
# SECONDS (default 1800). Needs scripts/install-fuzz.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TOTAL="${1:-1800}"
cargo build --release --quiet
T=fuzz/merge_template
rm -rf "$T" && mkdir -p "$T"
for k in 1 2; do
  ./target/release/negsim run scenarios/baseline.toml --runs 10 --weeks 20 --trace 2 \
    --shard "$k/2" --quiet --out "$T/s$k" >/dev/null
done
S=fuzz/seeds-merge
rm -rf "$S" && mkdir -p "$S"
i=0
for f in partial.json manifest.json runs.csv events.csv; do
  for forged in 0 4; do
    printf "\\x$(printf %02x $((i + forged)))" > "$S/$f-$forged"
    cat "$T/s2/$f" >> "$S/$f-$forged"
  done
  i=$((i + 1))
done
mkdir -p fuzz/corpus/merge
cargo +nightly fuzz run merge fuzz/corpus/merge "$S" -- -max_len=400000 \
  -max_total_time="$SECONDS_TOTAL" -close_fd_mask=1 -print_final_stats=1
