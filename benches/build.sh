#!/usr/bin/env bash
# Build benchmark: a cold `pandafest build` (fresh store) beside Hugo
# rendering the same number of events, in the same run.
#
#   bash benches/build.sh
#
# pandafest builds a generated festival of 38C3's size (1007 events, 72
# rooms, 4 days) and of 10x that size; Hugo renders 38C3's schedule.xml
# through ../shared/bench/hugo_site.py at scale 1 and 10. Each figure is the
# best of 3 runs; memory is the peak resident set size. Targets: pandafest
# at most 0.5x Hugo's time at both sizes, and at most 0.5x Hugo's memory at
# 10x.
#
# The work directory (festivals, stores, sites) is on a tmpfs, /dev/shm,
# when there is one, for both tools alike: file-system noise (a slow disk,
# ext4 creating inodes after many deletions) then does not drown the
# difference between the tools.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
command -v hugo >/dev/null || { apt-get update -qq && apt-get install -y -qq hugo >/dev/null; }
cargo build --release --locked --quiet --bin pandafest --example generate_festival
release="${CARGO_TARGET_DIR:-target}/release"
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

for scale in 1 10; do
  events=$((1007 * scale))
  "$release/examples/generate_festival" "$work/fest" "$events" 72 4 >/dev/null
  python3 "$shared/bench/hugo_site.py" "$shared/data/schedules/38c3-schedule.xml" "$work/hugo" --scale "$scale" >/dev/null
  p_runs=() h_runs=()
  for _ in 1 2 3; do
    rm -rf "$work/fest/.pandafest" "$work/out" "$work/hout"
    p_runs+=("$(measure "$release/pandafest" build "$work/fest" -o "$work/out")")
    h_runs+=("$(measure hugo --quiet -s "$work/hugo" -d "$work/hout")")
  done
  read -r p_time p_mem < <(printf '%s\n' "${p_runs[@]}" | best)
  read -r h_time h_mem < <(printf '%s\n' "${h_runs[@]}" | best)
  python3 - "$scale" "$events" "$p_time" "$p_mem" "$h_time" "$h_mem" <<'PY'
import sys
scale, events, pt, pm, ht, hm = sys.argv[1:]
pt, pm, ht, hm = float(pt), int(pm) / 1024, float(ht), int(hm) / 1024
print(f"build x{scale} ({events} events): pandafest {pt:.2f} s, {pm:.0f} MiB; "
      f"hugo {ht:.2f} s, {hm:.0f} MiB; time ratio {pt / ht:.2f} (target <= 0.5); "
      f"memory ratio {pm / hm:.2f}" + (" (target <= 0.5)" if scale == "10" else ""))
PY
done
