#!/usr/bin/env bash
# Import benchmark: `pandafest import-schedule` of the real 38C3 schedule
# (frab XML, 1007 events, 72 rooms, 4 days) into a new festival directory,
# a re-import of the same file (nothing to publish), then a cold
# `pandafest build` of the result (fresh store, from logs/), beside Hugo
# rendering the same schedule through ../shared/bench/hugo_site.py, in the
# same run.
#
#   bash benches/import.sh
#
# Each figure is the best of 3 runs. Targets: import under 1 s; build at
# most 0.5x Hugo's time. The work directory is on a tmpfs (/dev/shm) when
# there is one, for both tools alike, as in benches/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
schedule="$shared/data/schedules/38c3-schedule.xml"
command -v hugo >/dev/null || { apt-get update -qq && apt-get install -y -qq hugo >/dev/null; }
cargo build --release --locked --quiet --bin pandafest
bin="${CARGO_TARGET_DIR:-target}/release/pandafest"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then work=$(mktemp -d -p /dev/shm); else work=$(mktemp -d); fi
trap 'rm -rf "$work"' EXIT

# Runs a command and prints "seconds peak-RSS-KiB" of it alone.
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(f"{time.perf_counter() - start:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
PY
}

best() { sort -n | head -1; }

python3 "$shared/bench/hugo_site.py" "$schedule" "$work/hugo" >/dev/null
i_runs=() r_runs=() p_runs=() h_runs=()
for _ in 1 2 3; do
  rm -rf "$work/fest" "$work/out" "$work/hout"
  i_runs+=("$(measure "$bin" import-schedule "$schedule" --into "$work/fest")")
  r_runs+=("$(measure "$bin" import-schedule "$schedule" --into "$work/fest")")
  rm -rf "$work/fest/.pandafest"
  p_runs+=("$(measure "$bin" build "$work/fest" -o "$work/out")")
  h_runs+=("$(measure hugo --quiet -s "$work/hugo" -d "$work/hout")")
done
read -r i_time i_mem < <(printf '%s\n' "${i_runs[@]}" | best)
read -r r_time _ < <(printf '%s\n' "${r_runs[@]}" | best)
read -r p_time p_mem < <(printf '%s\n' "${p_runs[@]}" | best)
read -r h_time h_mem < <(printf '%s\n' "${h_runs[@]}" | best)
python3 - "$i_time" "$i_mem" "$r_time" "$p_time" "$p_mem" "$h_time" "$h_mem" <<'PY'
import sys
it, im, rt, pt, pm, ht, hm = sys.argv[1:]
it, im, rt, pt, pm, ht, hm = float(it), int(im) / 1024, float(rt), float(pt), int(pm) / 1024, float(ht), int(hm) / 1024
print(f"import 38C3 (1007 events, 72 rooms): {it:.2f} s, {im:.0f} MiB (target < 1 s); "
      f"re-import (no change): {rt:.2f} s")
print(f"cold build of the import: pandafest {pt:.2f} s, {pm:.0f} MiB; hugo {ht:.2f} s, {hm:.0f} MiB; "
      f"time ratio {pt / ht:.2f} (target <= 0.5)")
PY
