#!/usr/bin/env bash
# Benchmark (issue #4): `eifscope diff` on a generated large pair, as a ratio to the "floor"
# measured in the same run: libdeflate-gunzip of both customer ramdisks + sha384sum of both EIFs,
# everything pinned to one core. Targets: ratio <= 2x, peak RSS <= 256 MB.
#
# Usage: bench/run.sh [RUNS]   (default 3; medians are printed)
# Env:   BENCH_DIR (default target/bench), BENCH_FILES (files in the generated rootfs, 12000),
#        CORE (CPU to pin to, 0), TOOL_CORES (CPUs for eifscope only, default CORE; e.g. 0,1
#        for the two-core ratio: the CLI reads A and B on two threads; the floor stays on CORE).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
dir=${BENCH_DIR:-target/bench}
core=${CORE:-0}
tool_cores=${TOOL_CORES:-$core}

need=()
command -v libdeflate-gunzip >/dev/null || need+=(libdeflate-tools)
[ -x /usr/bin/time ] || need+=(time)
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get install -y "${need[@]}" >/dev/null || { $sudo_ apt-get update >/dev/null && $sudo_ apt-get install -y "${need[@]}" >/dev/null; }
fi

cargo build --release --quiet --bin eifscope --example make_large_pair
if [ ! -f "$dir/A.eif" ] || [ ! -f "$dir/B.eif" ] || [ ! -f "$dir/A.rootfs.gz" ] || [ ! -f "$dir/B.rootfs.gz" ]; then
  echo "generating the pair in $dir (about a minute)" >&2
  target/release/examples/make_large_pair "$dir" --files "${BENCH_FILES:-12000}"
fi
A=$dir/A.eif B=$dir/B.eif GA=$dir/A.rootfs.gz GB=$dir/B.rootfs.gz
cat "$A" "$B" "$GA" "$GB" >/dev/null # warm the page cache

# Prints "SECONDS MAX_RSS_KB" of one command pinned to the CPUs in $1.
measure() {
  local out cpus=$1
  shift
  out=$(mktemp)
  /usr/bin/time -o "$out" -f '%e %M' taskset -c "$cpus" "$@" >/dev/null || [ $? -le 1 ] # diff exits 1 when inputs differ
  tail -n 1 "$out"
  rm -f "$out"
}
floor_cmd() {
  libdeflate-gunzip -c "$GA" >/dev/null
  libdeflate-gunzip -c "$GB" >/dev/null
  sha384sum "$A" "$B" >/dev/null
}
export -f floor_cmd
export A B GA GB

floors=() tools=() rss=()
for i in $(seq "$runs"); do
  read -r f _ < <(measure "$core" bash -c floor_cmd)
  read -r t m < <(measure "$tool_cores" target/release/eifscope diff "$A" "$B" --json /dev/null)
  echo "run $i: floor ${f} s, eifscope ${t} s, peak RSS $((m / 1024)) MB" >&2
  floors+=("$f") tools+=("$t") rss+=("$m")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
f=$(median "${floors[@]}") t=$(median "${tools[@]}") m=$(median "${rss[@]}")
awk -v f="$f" -v t="$t" -v m="$m" -v c="$core" -v tc="$tool_cores" 'BEGIN {
  printf "floor %.2f s (cpu %s), eifscope %.2f s (cpu %s), ratio %.2fx (target <= 2x), peak RSS %d MB (target <= 256 MB)\n", f, c, t, tc, t / f, m / 1024 }'
