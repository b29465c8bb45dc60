#!/usr/bin/env bash
# Adds a target's work corpus (of fuzz/run.sh) and its seeds to
# fuzz/corpus/TARGET and minimizes it to the inputs that reach new edges
# (hit counts aside, which keeps it small): bash fuzz/cmin.sh TARGET
set -euo pipefail
target=$1
cd "$(dirname "$0")"
work=${FUZZ_WORK:-${TMPDIR:-/tmp}/pandafest-fuzz}/$target
mkdir -p "corpus/$target"
for dir in "$work" "seeds/$target"; do
  if [ -d "$dir" ]; then cp -n "$dir"/* "corpus/$target/" 2>/dev/null || true; fi
done
nice -n 10 cargo +nightly fuzz cmin --sanitizer none --debug-assertions "$target" \
  "corpus/$target" -- -use_counters=0
echo "corpus/$target: $(ls "corpus/$target" | wc -l) files, $(du -sh --apparent-size "corpus/$target" | cut -f1)"
