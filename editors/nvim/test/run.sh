#!/usr/bin/env bash
# Every test of the Neovim plugin (what `make test-nvim` runs): unit tests,
# the headless end-to-end test and the real TUI in tmux (the terminal
# status segments have their own suite: contrib/statusbar/test.sh). Needs
# bin/heddle-ls and bin/heddle-sim (make build),
# nvim (0.7.2 or newer) and tmux. Exits non-zero on any failure.
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

# Short paths: a daemon's socket path must stay under 108 bytes.
WORK=$(mktemp -d /tmp/hnv.XXXXXX)
export WORK
trap 'rm -rf "$WORK"' EXIT

NVIM=(nvim --headless -n -i NONE -u NONE --cmd "set rtp^=$PLUGIN,$PLUGIN/test" -c 'runtime! plugin/heddle.lua')
failed=()
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

mkdir -p "$WORK/u" "$WORK/a" "$WORK/b"
echo "nvim: $(nvim --version | head -1), tmux: $(tmux -V)"
suite unit env TMPD="$WORK/u" timeout 60 "${NVIM[@]}" -c "luafile $HERE/unit.lua" </dev/null
suite e2e-headless env REPO_A="$WORK/a" REPO_B="$WORK/b" timeout 120 "${NVIM[@]}" -c "luafile $HERE/e2e.lua" </dev/null
suite tui-tmux timeout 120 "$HERE/tui.sh"

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all Neovim plugin suites passed"
