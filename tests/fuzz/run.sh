#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS (default 600) each, seeded from seeds/<target>.
# Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly --profile minimal && cargo install cargo-fuzz --locked
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]    (from anywhere)
# Crashes land in tests/fuzz/artifacts/<target>/; turn each into a regression test in
# tests/robustness.rs (include_bytes! of the input) before fixing it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(eif compression cpio signature pcrs)
cd "$here"
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
  echo "== fuzz $t for ${secs}s"
  cargo +nightly fuzz run --fuzz-dir "$here" "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 2>&1 \
    | grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|Done )" || true
done
