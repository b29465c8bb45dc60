#!/usr/bin/env bash
# kill -9 trials (issue 15): import-schedule, import, build, `event add`,
# `sync` (a fresh directory joining from a node) and serve's rebuild,
# each killed with SIGKILL after a random sleep, CRASH_TRIALS times (default
# 100). After each kill and after the next run of the same command:
#   - PRAGMA integrity_check of the store is ok;
#   - the store and logs/ agree: `pandafest check` on a copy of logs/
#     rejects nothing and finds no fork, and ingests no more entries than
#     the store holds (after a kill: logs/ is rewritten after each commit,
#     so it may lag behind) and exactly as many after the next run;
#   - everything a run that exited 0 reported (entries, printed ids) is
#     still in the store;
#   - no log is forked (fork proofs or forked logs in the store);
#   - the site is the old one or the new one, never a mix;
#   - after the next run no staging leftovers (.NAME.building-*, .old-site-*,
#     .NAME.new-*) are left.
# Usage: bash tests/crash.sh [PANDAFEST_BINARY]; the binary defaults to
# target/release/pandafest, else target/debug/pandafest. The last line is the
# summary; the exit status is 1 if any check failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin=${1:-}
if [ -z "$bin" ]; then
    for candidate in "$target/release/pandafest" "$target/debug/pandafest"; do
        if [ -x "$candidate" ]; then bin=$candidate; break; fi
    done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "crash.sh: no pandafest binary (pass one, or cargo build)" >&2; exit 1; }
bin=$(realpath "$bin")
trials=${CRASH_TRIALS:-100}
schedules=$root/../shared/data/schedules
checker=$root/tests/crash_check.py
work=$(mktemp -d -t crash-XXXXXX)
trap 'rm -rf "$work"' EXIT

mid_run=0 total=0 integrity=0 lost=0 half=0 forks=0 leftovers=0 disagree=0 failed_runs=0

fail() { echo "FAIL [$1 trial $2]: $3" >&2; }

# A random number of seconds in [0, $1].
random_delay() { python3 -c "import random; print(f'{random.uniform(0, $1):.4f}')"; }

# Runs "$@" in the background, kills it with SIGKILL after a random sleep of
# up to $window seconds; sets $killed_rc (the exit status; 137 if killed).
# Its stdout goes to $work/out.
kill_run() {
    local delay pid
    # Drawn before the start, so that drawing it takes none of the window.
    delay=$(random_delay "$window")
    "$@" >"$work/out" 2>"$work/err" &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    killed_rc=$?
    if [ "$killed_rc" = 137 ]; then mid_run=$((mid_run + 1)); fi
}

# Wall time of "$@" in seconds, for the kill window.
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    python3 -c "print(max(0.01, 1.1 * ($end - $start)))"
}

# check_state NAME TRIAL DIR ACKFILE PHASE [EXPECTED_ENTRIES]
# PHASE is "kill" (logs/ may lag behind the store) or "rerun" (they agree).
check_state() {
    local name=$1 trial=$2 dir=$3 acks=$4 phase=$5 expected=${6:-}
    local line integ entries nforks missing
    line=$(python3 "$checker" store "$dir/.pandafest/store.sqlite" "$acks")
    integ=$(sed -E 's/.*integrity=([^ ]*).*/\1/' <<<"$line")
    entries=$(sed -E 's/.*entries=([0-9]+).*/\1/' <<<"$line")
    nforks=$(sed -E 's/.*forks=([0-9]+).*/\1/' <<<"$line")
    missing=$(sed -E 's/.*missing=([0-9]+).*/\1/' <<<"$line")
    [ "$integ" = ok ] || { integrity=$((integrity + 1)); fail "$name" "$trial" "$phase: integrity $integ"; }
    [ "$missing" = 0 ] || { lost=$((lost + missing)); fail "$name" "$trial" "$phase: $missing acknowledged entries or ids missing"; }
    [ "$nforks" = 0 ] || { forks=$((forks + nforks)); fail "$name" "$trial" "$phase: $nforks forks in the store"; }
    # The store and logs/: check a copy of logs/ in a directory of its own.
    local copy=$work/check-copy logs_count=0
    rm -rf "$copy"
    mkdir -p "$copy"
    if [ -d "$dir/logs" ]; then
        cp -a "$dir/logs" "$copy/logs"
        local report
        report=$("$bin" check "$copy" 2>&1 | grep -E '^ingested ' | tail -1)
        if [ -z "$report" ]; then
            if [ -f "$dir/logs/manifest.json" ]; then
                disagree=$((disagree + 1)); fail "$name" "$trial" "$phase: pandafest check of logs/ reported nothing"
            fi
        else
            logs_count=$(sed -E 's/^ingested ([0-9]+),.*/\1/' <<<"$report")
            local rejected logs_forks
            rejected=$(sed -E 's/.*rejected ([0-9]+),.*/\1/' <<<"$report")
            logs_forks=$(sed -E 's/.*forks ([0-9]+),.*/\1/' <<<"$report")
            [ "$rejected" = 0 ] || { disagree=$((disagree + 1)); fail "$name" "$trial" "$phase: logs/ has $rejected rejected entries"; }
            [ "$logs_forks" = 0 ] || { forks=$((forks + logs_forks)); fail "$name" "$trial" "$phase: logs/ has $logs_forks forks"; }
        fi
    fi
    if [ "$phase" = kill ]; then
        [ "$logs_count" -le "$entries" ] || { disagree=$((disagree + 1)); fail "$name" "$trial" "kill: logs/ has $logs_count entries, the store $entries"; }
    else
        [ "$logs_count" = "$entries" ] || { disagree=$((disagree + 1)); fail "$name" "$trial" "rerun: logs/ has $logs_count entries, the store $entries"; }
        if [ -n "$expected" ] && [ "$entries" != "$expected" ]; then
            disagree=$((disagree + 1)); fail "$name" "$trial" "rerun: the store has $entries entries, expected $expected"
        fi
    fi
}

# Staging leftovers in directory $1 (after the next run: none).
count_leftovers() {
    find "$1" -maxdepth 1 \( -name '.*.building-*' -o -name '.old-site-*' -o -name '.*.new-*' -o -name '.*.writing-*' \) | wc -l
}

check_leftovers() {
    local n
    n=$(count_leftovers "$3")
    [ "$n" = 0 ] || { leftovers=$((leftovers + n)); fail "$1" "$2" "$n leftovers in $3: $(ls -a "$3" | tr '\n' ' ')"; }
}

ack() { python3 "$checker" ack "$1/.pandafest/store.sqlite" "$2"; }

# --- import-schedule: 38C3 into a new directory, killed, then run again ---
echo "import-schedule: $trials trials" >&2
base=$work/is
mkdir -p "$base"
schedule=$schedules/38c3-schedule.xml
window=$(timed "$bin" import-schedule "$schedule" --into "$base/ref")
expected=$(python3 "$checker" store "$base/ref/.pandafest/store.sqlite" /dev/null | sed -E 's/.*entries=([0-9]+).*/\1/')
rm -rf "$base/ref"
for ((i = 1; i <= trials; i++)); do
    total=$((total + 1))
    acks=$work/is-acks
    rm -rf "$base/fest" "$acks"
    kill_run "$bin" import-schedule "$schedule" --into "$base/fest"
    [ "$killed_rc" = 0 ] && ack "$base/fest" "$acks"
    check_state import-schedule "$i" "$base/fest" "$acks" kill
    "$bin" import-schedule "$schedule" --into "$base/fest" >/dev/null 2>"$work/err" || { failed_runs=$((failed_runs + 1)); fail import-schedule "$i" "rerun failed: $(tail -1 "$work/err")"; }
    check_state import-schedule "$i" "$base/fest" "$acks" rerun "$expected"
    check_leftovers import-schedule "$i" "$base"
done

# --- import: a built site's logs into a new festival directory ---
echo "import: $trials trials" >&2
base=$work/im
mkdir -p "$base"
"$bin" import-schedule "$schedule" --into "$base/source" >/dev/null 2>&1
"$bin" build "$base/source" >/dev/null 2>&1
site=$base/source/public
"$bin" init "$base/template" >/dev/null 2>&1
cp -a "$base/template" "$base/ref"
window=$(timed "$bin" import "$site" --into "$base/ref")
expected=$(python3 "$checker" store "$base/ref/.pandafest/store.sqlite" /dev/null | sed -E 's/.*entries=([0-9]+).*/\1/')
source_hash=$(python3 "$checker" site "$site")
rm -rf "$base/ref"
for ((i = 1; i <= trials; i++)); do
    total=$((total + 1))
    acks=$work/im-acks
    rm -rf "$base/fest" "$acks"
    cp -a "$base/template" "$base/fest"
    kill_run "$bin" import "$site" --into "$base/fest"
    [ "$killed_rc" = 0 ] && ack "$base/fest" "$acks"
    check_state import "$i" "$base/fest" "$acks" kill
    "$bin" import "$site" --into "$base/fest" >/dev/null 2>"$work/err" || { failed_runs=$((failed_runs + 1)); fail import "$i" "rerun failed: $(tail -1 "$work/err")"; }
    check_state import "$i" "$base/fest" "$acks" rerun "$expected"
    check_leftovers import "$i" "$base"
    check_leftovers import "$i" "$base/fest"
done
[ "$(python3 "$checker" site "$site")" = "$source_hash" ] || { half=$((half + 1)); fail import all "the imported site changed"; }

# --- build: the site alternates between two base URLs, so old and new differ ---
echo "build: $trials trials" >&2
base=$work/bd
mkdir -p "$base"
fest=$base/fest
"$bin" import-schedule "$schedules/rc3-2020-pretalx.json" --into "$fest" >/dev/null 2>&1
config=$fest/pandafest.toml
grep -v '^#\? *base_url' "$config" >"$work/config"
set_base() { { echo "base_url = \"https://$1.example.org/\""; cat "$work/config"; } >"$config"; }
declare -A site_hash
for side in a b; do
    set_base "$side"
    "$bin" build "$fest" -o "$base/ref-$side" >/dev/null 2>&1
    site_hash[$side]=$(python3 "$checker" site "$base/ref-$side")
    rm -rf "$base/ref-$side"
done
[ "${site_hash[a]}" != "${site_hash[b]}" ] || { echo "crash.sh: the two base URLs give the same site" >&2; exit 1; }
set_base b
window=$(timed "$bin" build "$fest")
expected=$(python3 "$checker" store "$fest/.pandafest/store.sqlite" /dev/null | sed -E 's/.*entries=([0-9]+).*/\1/')
acks=$work/bd-acks
rm -f "$acks"
ack "$fest" "$acks"
for ((i = 1; i <= trials; i++)); do
    total=$((total + 1))
    old=$([ $((i % 2)) = 1 ] && echo b || echo a)
    new=$([ "$old" = a ] && echo b || echo a)
    set_base "$new"
    kill_run "$bin" build "$fest"
    now=$(python3 "$checker" site "$fest/public")
    if [ "$killed_rc" = 0 ]; then
        [ "$now" = "${site_hash[$new]}" ] || { half=$((half + 1)); fail build "$i" "kill: build exited 0 but the site is not the new one"; }
    elif [ "$now" != "${site_hash[a]}" ] && [ "$now" != "${site_hash[b]}" ]; then
        half=$((half + 1)); fail build "$i" "kill: the site is neither the old nor the new one"
    fi
    check_state build "$i" "$fest" "$acks" kill
    "$bin" build "$fest" >/dev/null 2>"$work/err" || { failed_runs=$((failed_runs + 1)); fail build "$i" "rerun failed: $(tail -1 "$work/err")"; }
    [ "$(python3 "$checker" site "$fest/public")" = "${site_hash[$new]}" ] || { half=$((half + 1)); fail build "$i" "rerun: the site is not the new one"; }
    check_state build "$i" "$fest" "$acks" rerun "$expected"
    check_leftovers build "$i" "$fest"
done

# --- event add: one directory, every printed id must stay ---
echo "event add: $trials trials" >&2
base=$work/ev
mkdir -p "$base"
fest=$base/fest
"$bin" import-schedule "$schedules/rc3-2020-pretalx.json" --into "$fest" >/dev/null 2>&1
acks=$work/ev-acks
rm -f "$acks"
add() { "$bin" --dir "$fest" event add --title "$1" --start "2020-12-28 12:00" --duration 30m; }
window=$(timed add "timing run")
for ((i = 1; i <= trials; i++)); do
    total=$((total + 1))
    kill_run "$bin" --dir "$fest" event add --title "crash $i" --start "2020-12-28 12:00" --duration 30m
    if [ "$killed_rc" = 0 ]; then cat "$work/out" >>"$acks"; fi
    check_state "event add" "$i" "$fest" "$acks" kill
    if add "again $i" >>"$acks" 2>"$work/err"; then :; else failed_runs=$((failed_runs + 1)); fail "event add" "$i" "rerun failed: $(tail -1 "$work/err")"; fi
    check_state "event add" "$i" "$fest" "$acks" rerun
    check_leftovers "event add" "$i" "$base"
    check_leftovers "event add" "$i" "$fest"
done

# --- sync: a fresh directory joins from a running node, killed, then again ---
echo "sync: $trials trials" >&2
base=$work/sy
mkdir -p "$base"
"$bin" import-schedule "$schedules/rc3-2020-pretalx.json" --into "$base/source" >/dev/null 2>&1
"$bin" --dir "$base/source" node --no-mdns --listen /ip4/127.0.0.1/tcp/0 >/dev/null 2>"$work/node.err" &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null; rm -rf "$work"' EXIT
peer=
for _ in $(seq 1 200); do
    peer=$(sed -n 's/^listening on //p' "$work/node.err" | head -1)
    [ -n "$peer" ] && break
    sleep 0.1
done
[ -n "$peer" ] || { echo "crash.sh: the source node did not start: $(tail -3 "$work/node.err")" >&2; exit 1; }
expected=$(python3 "$checker" store "$base/source/.pandafest/store.sqlite" /dev/null | sed -E 's/.*entries=([0-9]+).*/\1/')
window=$(timed "$bin" --dir "$base/ref" sync --peer "$peer")
rm -rf "$base/ref"
for ((i = 1; i <= trials; i++)); do
    total=$((total + 1))
    acks=$work/sy-acks
    rm -rf "$base/fest" "$acks"
    kill_run "$bin" --dir "$base/fest" sync --peer "$peer"
    [ "$killed_rc" = 0 ] && ack "$base/fest" "$acks"
    if [ -f "$base/fest/.pandafest/store.sqlite" ]; then check_state sync "$i" "$base/fest" "$acks" kill; fi
    "$bin" --dir "$base/fest" sync --peer "$peer" >/dev/null 2>"$work/err" || { failed_runs=$((failed_runs + 1)); fail sync "$i" "rerun failed: $(tail -1 "$work/err")"; }
    check_state sync "$i" "$base/fest" "$acks" rerun "$expected"
    check_leftovers sync "$i" "$base/fest"
    # A join that was cut short is finished now: nothing left to join.
    if [ -e "$base/fest/.pandafest/joining" ]; then leftovers=$((leftovers + 1)); fail sync "$i" "rerun: .pandafest/joining is left"; fi
done
kill "$node_pid" 2>/dev/null
wait "$node_pid" 2>/dev/null

# --- serve's rebuild: serve rebuilds after `event add` beside it; killed ---
# serve writes a rebuild file by file (only what changed), so a kill in the
# middle of its writes can leave a mix of old and new pages until serve
# starts again, which builds whole. Those are counted apart (mixed after a
# kill), not as half sites; after the next start the site must be a cold
# build's.
echo "serve rebuild: $trials trials" >&2
base=$work/sv
mkdir -p "$base"
fest=$base/fest
"$bin" import-schedule "$schedules/rc3-2020-pretalx.json" --into "$fest" >/dev/null 2>&1
acks=$work/sv-acks
rm -f "$acks"
ack "$fest" "$acks"
serve_mixed=0
# Starts serve on $fest; sets $serve_pid once it serves.
start_serve() {
    "$bin" serve "$fest" --port 0 >"$work/serve.out" 2>"$work/serve.err" &
    serve_pid=$!
    for _ in $(seq 1 600); do
        grep -q '^serving' "$work/serve.out" 2>/dev/null && return 0
        kill -0 "$serve_pid" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}
start_serve || { echo "crash.sh: serve did not start: $(tail -3 "$work/serve.err")" >&2; exit 1; }
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null
for ((i = 1; i <= trials; i++)); do
    total=$((total + 1))
    start_serve || { failed_runs=$((failed_runs + 1)); fail "serve rebuild" "$i" "serve did not start: $(tail -1 "$work/serve.err")"; continue; }
    old=$(python3 "$checker" site "$fest/public")
    add "served $i" >>"$acks" 2>"$work/err" || { failed_runs=$((failed_runs + 1)); fail "serve rebuild" "$i" "event add failed: $(tail -1 "$work/err")"; }
    # serve hears of the entry within its poll and rebuilds: kill it in
    # the next 1.5 s.
    sleep "$(random_delay 1.5)"
    kill -9 "$serve_pid" 2>/dev/null
    wait "$serve_pid" 2>/dev/null
    mid_run=$((mid_run + 1))
    now=$(python3 "$checker" site "$fest/public")
    check_state "serve rebuild" "$i" "$fest" "$acks" rerun
    # The next start builds whole: that is the cold build of the logs.
    start_serve || { failed_runs=$((failed_runs + 1)); fail "serve rebuild" "$i" "restart failed: $(tail -1 "$work/serve.err")"; continue; }
    kill "$serve_pid"; wait "$serve_pid" 2>/dev/null
    new=$(python3 "$checker" site "$fest/public")
    "$bin" build "$fest" -o "$base/cold" >/dev/null 2>&1
    [ "$new" = "$(python3 "$checker" site "$base/cold")" ] || { half=$((half + 1)); fail "serve rebuild" "$i" "after a restart the site is not a cold build's"; }
    rm -rf "$base/cold"
    if [ "$now" != "$old" ] && [ "$now" != "$new" ]; then serve_mixed=$((serve_mixed + 1)); fi
    check_state "serve rebuild" "$i" "$fest" "$acks" rerun
    check_leftovers "serve rebuild" "$i" "$fest"
done
echo "serve rebuild: mixed after a kill $serve_mixed of $trials (each mended by the next start)"

echo "killed mid-run $mid_run of $total; store and logs/ disagreements $disagree; failed reruns $failed_runs; acknowledged ids checked $(wc -l <"$acks")"
echo "kill -9 trials: $total; integrity failures $integrity; lost acknowledged entries $lost; half sites $half; forks $forks; leftovers $leftovers"
[ $((integrity + lost + half + forks + leftovers + disagree + failed_runs)) = 0 ]
