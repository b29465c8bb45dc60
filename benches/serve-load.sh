#!/usr/bin/env bash
# Load benchmark of `pandafest serve`:
#
#   bash benches/serve-load.sh
#
# Serves a copy of the sample festival and runs Debian's wrk against it
# (`wrk -c 64 -d 60s`, the home page) while the site is rebuilt every
# second (pandafest.toml is touched, which serve rebuilds on). Errors are
# wrk's connect, read, write and timeout errors plus non-2xx answers;
# target 0. Then 500 connections are opened and held idle, and one normal
# request must still be answered within 1 s. Last line:
#
# DURATION (default 60s) shortens a trial run.
#
#   serve under load: N req/s, p99 L ms, errors E; with 500 idle connections: page in T ms
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-60s}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
# PANDAFEST_BIN runs another build of pandafest (no cargo build then).
if [ -z "${PANDAFEST_BIN:-}" ]; then cargo build --release --locked --quiet --bin pandafest; fi
bin=${PANDAFEST_BIN:-"${CARGO_TARGET_DIR:-target}/release/pandafest"}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cp -r sample-festival "$work/fest"
rm -rf "$work/fest/.pandafest" "$work/fest/public"
"$bin" serve "$work/fest" --port 0 >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
for _ in $(seq 1 200); do grep -q '^serving' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(awk '/^serving/ {print $2; exit}' "$work/serve.out")
[ -n "$url" ] || { cat "$work/serve.err" >&2; echo "serve did not start" >&2; exit 1; }
(while kill -0 "$pid" 2>/dev/null; do touch "$work/fest/pandafest.toml"; sleep 1; done) &
toucher=$!
wrk -t 2 -c 64 -d "$duration" --timeout 2s --latency "$url" >"$work/wrk.txt"
kill "$toucher" 2>/dev/null || true
rebuilds=$(grep -c '^built ' "$work/serve.err" || true)
failed=$(grep -c 'rebuild failed' "$work/serve.err" || true)
idle_ms=$(python3 - "$url" <<'PY'
import socket, sys, time, urllib.parse, urllib.request
url = sys.argv[1]
host = urllib.parse.urlparse(url)
held = [socket.create_connection((host.hostname, host.port)) for _ in range(500)]
time.sleep(0.5)
start = time.perf_counter()
with urllib.request.urlopen(url + "screen/", timeout=5) as answer:
    assert answer.status == 200
    answer.read()
print(f"{(time.perf_counter() - start) * 1000:.0f}")
for s in held:
    s.close()
PY
)
python3 - "$work/wrk.txt" "$idle_ms" "$rebuilds" "$failed" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
print(text.strip())
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
p99 = ms(*re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", text).groups())
errors = 0
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m:
    errors += sum(int(g) for g in m.groups())
m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if m:
    errors += int(m.group(1))
print(f"rebuilds during the run: {sys.argv[3]} ({sys.argv[4]} failed)")
print(f"serve under load: {rate:.0f} req/s, p99 {p99:.1f} ms, errors {errors}; with 500 idle connections: page in {sys.argv[2]} ms")
PY
