#!/usr/bin/env bash
# CI: builds the sample festival and every schedule in ../shared/data/schedules
# (after `pandafest import-schedule`) with the given pandafest binary, and
# validates each site's feeds with scripts/validate-feeds.sh.
# Usage: scripts/feeds-ci.sh [PANDAFEST_BINARY] (default target/debug/pandafest).
set -euo pipefail
cd "$(dirname "$0")/.."
pandafest=$(realpath "${1:-target/debug/pandafest}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/sample"
cp -R sample-festival/. "$work/sample/"
rm -rf "$work/sample/.pandafest" "$work/sample/public"
"$pandafest" build "$work/sample" --output "$work/sample-site" >/dev/null
scripts/validate-feeds.sh "$work/sample-site"

if ! "$pandafest" import-schedule --help >/dev/null 2>&1; then
    echo "feeds-ci: no import-schedule command; shared schedules skipped"
    exit 0
fi
for file in ../shared/data/schedules/*.xml ../shared/data/schedules/*.json ../shared/data/schedules/*.ics; do
    case "$file" in *.giggity-meta.json | *'*'*) continue ;; esac
    name=$(basename "$file")
    echo "feeds-ci: $name"
    # Exit code 2 means some events were skipped (and listed): the rest imports.
    status=0
    "$pandafest" import-schedule --into "$work/$name" "$file" >"$work/$name.log" 2>&1 || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
        cat "$work/$name.log" >&2
        exit 1
    fi
    tail -n 1 "$work/$name.log"
    "$pandafest" build "$work/$name" --output "$work/$name-site" >/dev/null
    scripts/validate-feeds.sh "$work/$name-site"
done
