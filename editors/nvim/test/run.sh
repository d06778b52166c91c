#!/usr/bin/env bash
# Every test of the Neovim plugin (what `make test-nvim` runs), on every
# Neovim under test: unit tests, the headless end-to-end tests and the real
# TUI in tmux, on Debian's nvim (0.7.2) and on 0.11 (provisioned into .e2e/
# by provision.sh, idempotent: a no-op once done). The terminal status
# segments have their own suite: contrib/statusbar/test.sh. Needs
# bin/heddle-ls and bin/heddle-sim (make build), nvim and tmux. Exits
# non-zero on any failure.
#
# HEDDLE_NVIMS="nvim /path/to/nvim …" chooses the Neovims instead (no
# provisioning then).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PLUGIN=$(cd "$HERE/.." && pwd)
TOP=$(cd "$PLUGIN/../.." && pwd)
export PLUGIN
export HEDDLE_LS=${HEDDLE_LS:-$TOP/bin/heddle-ls}
export HEDDLE_SIM=${HEDDLE_SIM:-$TOP/bin/heddle-sim}

for need in "$HEDDLE_LS" "$HEDDLE_SIM"; do
  [ -x "$need" ] || { echo "missing $need: run make build" >&2; exit 2; }
done
for tool in nvim tmux timeout; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install neovim tmux)" >&2; exit 2; }
done

failed=()
if [ -n "${HEDDLE_NVIMS:-}" ]; then
  read -r -a nvims <<<"$HEDDLE_NVIMS"
else
  nvims=("$(command -v nvim)")
  if nvim011=$("$HERE/provision.sh"); then
    nvims+=("$nvim011")
  else
    echo "== provision Neovim 0.11: FAILED (see above)"
    failed+=(provision-nvim-0.11)
  fi
fi

# Short paths: a daemon's socket path must stay under 108 bytes.
WORK=$(mktemp -d /tmp/hnv.XXXXXX)
export WORK
trap 'rm -rf "$WORK"' EXIT

suite() { # NAME CMD...
  local name=$1; shift
  echo "== $name"
  local t0=$(date +%s%N)
  if "$@"; then
    echo "== $name: ok ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
  else
    echo "== $name: FAILED (rc=$?)"
    failed+=("$name")
  fi
}

echo "tmux: $(tmux -V)"
for bin in "${nvims[@]}"; do
  ver=$("$bin" --version | head -1 | sed 's/^NVIM v//')
  echo "nvim $ver: $bin"
  # Each Neovim gets its own work dir and XDG dirs: lsp.log, state and
  # any user config stay out of the way (and are checked per version).
  W=$WORK/$ver
  mkdir -p "$W/u" "$W/a" "$W/b" "$W/c" "$W/xdg"
  run_env=(env NVIM_BIN="$bin" WORK="$W" XDG_CONFIG_HOME="$W/xdg/config" XDG_DATA_HOME="$W/xdg/data"
    XDG_STATE_HOME="$W/xdg/state" XDG_CACHE_HOME="$W/xdg/cache")
  headless=("$bin" --headless -n -i NONE -u NONE --cmd "set rtp^=$PLUGIN,$PLUGIN/test" -c 'runtime! plugin/heddle.lua')
  suite "unit@$ver" "${run_env[@]}" TMPD="$W/u" timeout 60 "${headless[@]}" -c "luafile $HERE/unit.lua" </dev/null
  suite "e2e-headless@$ver" "${run_env[@]}" REPO_A="$W/a" REPO_B="$W/b" timeout 120 "${headless[@]}" -c "luafile $HERE/e2e.lua" </dev/null
  suite "e2e-external@$ver" "${run_env[@]}" REPO_A="$W/c" timeout 120 "${headless[@]}" -c "luafile $HERE/e2e_external.lua" </dev/null
  suite "tui-tmux@$ver" "${run_env[@]}" timeout 120 "$HERE/tui.sh"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all Neovim plugin suites passed (Neovim $(for b in "${nvims[@]}"; do "$b" --version | head -1 | sed 's/^NVIM v//'; done | paste -sd' '))"
