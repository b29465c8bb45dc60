#!/usr/bin/env bash
# Bounded-memory benchmark: a hostile bundle of one log whose file holds
# 2,000,000 nine-byte records (18 MB, none a Bamboo entry; made by
# `examples/hostile_bundle.rs`), then
#   - `pandafest check` of a directory holding it, and
#   - `pandafest import` of it over HTTP (python3's http.server on
#     loopback) into a fresh directory,
# each with its peak resident memory and the lines it prints.
#
#   bash benches/hostile.sh
#
# Targets: a peak of at most 100 MiB and at most 1,000 lines of output,
# for each.
set -euo pipefail
cd "$(dirname "$0")/.."
records=2000000
cargo build --release --locked --quiet --bin pandafest --example hostile_bundle
target="${CARGO_TARGET_DIR:-target}/release"
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
"$target/examples/hostile_bundle" "$work/site/logs" "$records" >/dev/null
size=$(stat -c %s "$work"/site/logs/*/1.bamboo)

# Runs a command with its output in $work/out; prints "peak-KiB lines".
measure() {
  python3 - "$work/out" "$@" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
lines = sum(1 for _ in open(sys.argv[1], "rb"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, lines)
PY
}

read -r c_peak c_lines < <(measure "$target/pandafest" check "$work/site")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/site" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/logs/manifest.json')" 2>/dev/null && break
  sleep 0.1
done
read -r i_peak i_lines < <(measure "$target/pandafest" import "http://127.0.0.1:$port/" --into "$work/into")
echo "check: peak $((c_peak / 1024)) MiB, $c_lines lines"
echo "import over HTTP: peak $((i_peak / 1024)) MiB, $i_lines lines"
echo "hostile bundle ($records records, $((size / 1000000)) MB): check $((c_peak / 1024)) MiB / $c_lines lines; import over HTTP $((i_peak / 1024)) MiB / $i_lines lines (targets 100 MiB, 1000 lines)"
