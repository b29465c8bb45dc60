#!/usr/bin/env bash
# Screen latency: an event is published beside a running `pandafest
# serve`, and the time until it is on an open /screen/ in headless
# Chromium is measured, 20 times (TRIALS), from the start of the
# authoring command (examples/screen_latency.rs).
#
#   bash benches/screen.sh
#
# Last line: `screen latency: p50 X ms, p95 Y ms over 20 updates`.
# Target: p95 at most 1000 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
# PANDAFEST_BIN runs another build of pandafest (no cargo build then).
if [ -z "${PANDAFEST_BIN:-}" ]; then cargo build --release --locked --quiet --bin pandafest; fi
bin=${PANDAFEST_BIN:-"${CARGO_TARGET_DIR:-target}/release/pandafest"}
cargo run --locked --quiet --example screen_latency -- "$bin" "${TRIALS:-20}"
