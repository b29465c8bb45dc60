#!/usr/bin/env bash
# Build benchmark: a cold `pandafest build` (fresh store) beside Hugo
# rendering the same number of events, in the same run.
#
#   bash benches/build.sh
#
# pandafest builds a generated festival of 38C3's size (1007 events, 72
# rooms, 4 days) and of 10x that size; Hugo renders 38C3's schedule.xml
# through ../shared/bench/hugo_site.py at scale 1 and 10. The tools take
# turns, $ROUNDS times (default 5). Times are the best of the rounds; the
# ratio of the best times comes first, then the median and the range of the
# ratios round by round (each pandafest run against the Hugo run right
# after it), which shows how much the machine's speed drifted. Memory is
# the largest peak resident set size of the rounds. Targets: pandafest
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
rounds=${ROUNDS:-5}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive number, not '$rounds'" >&2; exit 2; }
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

for scale in 1 10; do
  events=$((1007 * scale))
  "$release/examples/generate_festival" "$work/fest" "$events" 72 4 >/dev/null
  python3 "$shared/bench/hugo_site.py" "$shared/data/schedules/38c3-schedule.xml" "$work/hugo" --scale "$scale" >/dev/null
  runs=()
  for _ in $(seq "$rounds"); do
    rm -rf "$work/fest/.pandafest" "$work/out" "$work/hout"
    p=$(measure "$release/pandafest" build "$work/fest" -o "$work/out")
    h=$(measure hugo --quiet -s "$work/hugo" -d "$work/hout")
    runs+=("$p $h")
  done
  printf '%s\n' "${runs[@]}" | python3 -c '
import statistics, sys
scale, events = sys.argv[1:]
runs = [line.split() for line in sys.stdin]
pt = [float(r[0]) for r in runs]
pm = max(int(r[1]) for r in runs) / 1024
ht = [float(r[2]) for r in runs]
hm = max(int(r[3]) for r in runs) / 1024
paired = sorted(p / h for p, h in zip(pt, ht))
print(f"build x{scale} ({events} events): pandafest {min(pt):.2f} s, {pm:.0f} MiB; "
      f"hugo {min(ht):.2f} s, {hm:.0f} MiB; time ratio {min(pt) / min(ht):.2f} (target <= 0.5; "
      f"run by run {statistics.median(paired):.2f}, {paired[0]:.2f}-{paired[-1]:.2f}); "
      f"memory ratio {pm / hm:.2f}" + (" (target <= 0.5)" if scale == "10" else ""))
' "$scale" "$events"
done
