#!/usr/bin/env bash
# The full soak: 1,000 daemon start/stop/kill/restart cycles across 20
# folders while commands run, in-process server under the race detector;
# goroutines and open fds must return to baseline. (go test ./... runs the
# same test with 100 cycles.) Usage: faults/soak.sh [CYCLES]
set -euo pipefail
cd "$(dirname "$0")/.."
HEDDLE_SOAK_CYCLES=${1:-${HEDDLE_SOAK_CYCLES:-1000}} \
  exec go test -race -count=1 -v -timeout 30m -run '^TestSoak_' ./faults
