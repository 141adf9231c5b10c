#!/usr/bin/env bash
# Roster benchmarks B-small and B-large: kefu's solver (2 threads) against OR-Tools CP-SAT
# (2 workers) on the same generated instances. Every roster is re-scored and re-checked with
# kefu's own rules (`roster_bench score`), so both solvers are judged the same way.
#
# usage: bench/wfm/roster.sh [small|large|large-short|handbook ...]
#   KEFU_SECONDS / CPSAT_SECONDS override the time limits (defaults per instance below).
#   KEFU_THREADS sets kefu's threads (default 2, as CP-SAT's workers).
#   CPSAT=0 skips CP-SAT (needs `pip install ortools`).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p kefu-wfm --example roster_bench
bin="$CARGO_TARGET_DIR/release/examples/roster_bench"
out="${OUT:-target/roster-bench}"
mkdir -p "$out"

names=("$@")
[ ${#names[@]} -eq 0 ] && names=(small large)
for name in "${names[@]}"; do
  case "$name" in
    small) kefu_s=5; cp_s=60 ;;
    large|large-short) kefu_s=60; cp_s=300 ;;
    *) kefu_s=10; cp_s=60 ;;
  esac
  kefu_s="${KEFU_SECONDS:-$kefu_s}"
  cp_s="${CPSAT_SECONDS:-$cp_s}"
  inst="$out/$name.json"
  "$bin" gen "$name" "$inst"
  echo "== $name (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  for seed in ${SEEDS:-1}; do
    "$bin" solve "$inst" --seconds "$kefu_s" --seed "$seed" \
      --threads "${KEFU_THREADS:-2}" --out "$out/$name.kefu.$seed.json"
  done
  if [ "${CPSAT:-1}" != 0 ]; then
    python3 bench/wfm/cpsat.py "$inst" --seconds "$cp_s" --workers 2 --out "$out/$name.cpsat.json"
    echo "cpsat re-scored by kefu: $("$bin" score "$inst" "$out/$name.cpsat.json")"
  fi
done
