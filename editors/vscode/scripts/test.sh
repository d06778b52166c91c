#!/usr/bin/env bash
# Everything for the VS Code extension (what `make test-vscode` runs):
#   1. provisioning (idempotent; seconds when .e2e/ is already complete, ~5 min on a fresh machine)
#   2. typecheck + unit tests of the pure modules (node --test, no VS Code)
#   3. the end-to-end test in a real VS Code (scripts/e2e.sh)
# SKIP_E2E=1 stops after the unit tests (no provisioning of code-server or chromium).
set -euo pipefail
EXT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$EXT"
if [ -n "${SKIP_E2E:-}" ]; then
  [ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
else
  ./scripts/provision.sh
fi
echo "[test] typecheck + unit tests" >&2
npx --no-install tsc -p . --noEmit
rm -rf out-test
npm run --silent test:unit
[ -n "${SKIP_E2E:-}" ] && exit 0
echo "[test] end to end in code-server" >&2
./scripts/e2e.sh
