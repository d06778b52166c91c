#!/usr/bin/env bash
# Benchmarks heddle-ls against the physical floor (see docs/performance.md).
#
#   ./scripts/bench.sh            full run: the numbers of docs/performance.md (~5 min)
#   ./scripts/bench.sh --quick    small N: checks the harness end to end (~10 s)
#
# Extra flags go to the bench program (go run ./bench -h): --out DIR keeps
# results.json and latency.csv (for scripts/chart.sh), --only 1,3 runs some
# figures. Exits non-zero only when the harness itself fails (a daemon that
# will not start, a server that does not answer), never on a timing: the
# table's "met" column judges the targets.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
GO=${GO:-go}

# The binaries under test, as `make build` makes them.
CGO_ENABLED=0 $GO build -trimpath -o bin/heddle-ls ./cmd/heddle-ls
CGO_ENABLED=0 $GO build -trimpath -o bin/heddle-sim ./cmd/heddle-sim

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$GO build -o "$tmp/bench" ./bench

echo "== machine: $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$tmp/bench" --bin bin "$@"
