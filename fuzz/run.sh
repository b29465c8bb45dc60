#!/usr/bin/env bash
# Fuzzes one target (see docs/fuzzing.md), from its committed corpus and
# the seeds of fuzz/seed.py, into a work corpus outside the repository:
#   bash fuzz/run.sh TARGET [RUNS] [SECONDS]
# Defaults: 10 million runs, at most 900 s. libFuzzer's final stats
# (execs, time, crashes) end the output.
set -euo pipefail
target=$1
runs=${2:-10000000}
seconds=${3:-900}
cd "$(dirname "$0")"
work=${FUZZ_WORK:-${TMPDIR:-/tmp}/pandafest-fuzz}/$target
mkdir -p "$work" "corpus/$target"
seeds=()
[ -d "seeds/$target" ] && seeds=("seeds/$target")
exec nice -n 10 cargo +nightly fuzz run --sanitizer none --debug-assertions "$target" \
  "$work" "corpus/$target" "${seeds[@]}" -- \
  -runs="$runs" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1
