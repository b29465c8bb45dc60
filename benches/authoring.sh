#!/usr/bin/env bash
# Authoring benchmark: `pandafest event add` and `pandafest pending` in a
# festival of 10,070 events (examples/generate_festival, 72 rooms, 4 days),
# with a warm store, as a user has it.
#
#   bash benches/authoring.sh
#
# The festival is generated with its keys (`--keys`: the organiser, who
# owns every room with the `manual` policy, is the directory's key; a
# speaker's key is beside it) and ingested once with `pandafest check`.
# Then the speaker adds 10 events, one after the other, each requesting a
# room (the script checks that they rewrite only the manifest and the
# speaker's log in logs/); the organiser lists what awaits a decision 10
# times (it shows those 10 requests). Figures are the medians of the 10 runs, with their
# range on the line before. Targets: event add at most 100 ms, pending at
# most 200 ms. The work directory is on a tmpfs (/dev/shm) when there is
# one, as in benches/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet --bin pandafest --example generate_festival
release="${CARGO_TARGET_DIR:-target}/release"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then work=$(mktemp -d -p /dev/shm); else work=$(mktemp -d); fi
trap 'rm -rf "$work"' EXIT

events=10070
fest="$work/fest"
"$release/examples/generate_festival" "$fest" "$events" 72 4 --keys >/dev/null
"$release/pandafest" check "$fest" >/dev/null
room=$("$release/pandafest" --dir "$fest" ls resources --json |
  python3 -c 'import json, sys; print(next(r["id"] for r in json.load(sys.stdin) if r["title"] == "Hall 0"))')

python3 - "$release/pandafest" "$fest" "$room" "$events" <<'PY'
import os, statistics, subprocess, sys, time
binary, fest, room, events = sys.argv[1:]

def timed(*args):
    """Runs pandafest in the festival; returns (milliseconds, stdout)."""
    start = time.perf_counter()
    done = subprocess.run([binary, "--dir", fest, *args], check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return (time.perf_counter() - start) * 1000, done.stdout

speaker = f"{fest}/.pandafest/speaker.key"
logs = os.path.join(fest, "logs")
def log_files():
    return {os.path.relpath(os.path.join(d, f), logs): os.stat(os.path.join(d, f)).st_mtime_ns
            for d, _, files in os.walk(logs) for f in files}
before = log_files()
add = [timed("--key", speaker, "event", "add", "--title", f"Benchmark talk {n}",
             "--start", f"2027-12-28 {10 + n}:30", "--duration", "20m",
             "--request", room)[0]
       for n in range(10)]
# `event add` rewrites the manifest and the speaker's log, nothing else.
after = log_files()
written = sorted(f for f, mtime in after.items() if before.get(f) != mtime)
logs_written = {os.path.dirname(f) for f in written if f != "manifest.json"}
if "manifest.json" not in written or len(logs_written) != 1:
    sys.exit(f"event add wrote more of logs/ than the manifest and one log: {written}")
pending = []
for _ in range(10):
    ms, out = timed("pending")
    lines = out.splitlines()
    if len(lines) != 10:
        sys.exit(f"pending listed {len(lines)} requests, not the 10 added:\n{out}")
    pending.append(ms)
print(f"event add {min(add):.0f}-{max(add):.0f} ms, pending {min(pending):.0f}-{max(pending):.0f} ms (range of 10 runs each)")
print(f"authoring: event add {statistics.median(add):.0f} ms, pending {statistics.median(pending):.0f} ms "
      f"on {events} events (targets 100, 200)")
PY
