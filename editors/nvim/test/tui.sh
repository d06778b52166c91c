#!/usr/bin/env bash
# The real Neovim TUI inside a private tmux server: open a file in a heddle
# repo, read the statusline off the screen, run :HeddleStatus and :HeddleOps,
# stop the daemon and watch the statusline follow.
# Env: HEDDLE_LS, HEDDLE_SIM, PLUGIN (editors/nvim), WORK (a short temp dir).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

REPO=$WORK/t
mkdir -p "$REPO"
SOCK=heddle-nvim-tui-$$
SIM_PID=
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill -INT "$SIM_PID" 2>/dev/null || true
}
trap cleanup EXIT

SIM_PID=$(start_sim "$REPO")
printf "hello\nsecond line\nthird line\n" >"$REPO/readme.txt"

cat >"$WORK/tui-init.lua" <<LUA
vim.opt.rtp:prepend('$PLUGIN')
vim.cmd('runtime! plugin/heddle.lua')
require('heddle').setup({ cmd = { '$HEDDLE_LS' } })
vim.o.laststatus = 2
vim.o.statusline = '%f %= %{v:lua.require("heddle").statusline()} '
vim.o.shortmess = vim.o.shortmess .. 'I'
LUA

screen() { tmux -L "$SOCK" capture-pane -p -t main; }
on_screen() { screen | grep -qE -- "$1"; }
expect_screen() {
  if ! wait_until 10 "screen matching '$1'" on_screen "$1"; then
    echo "--- screen ---"; screen; echo "--------------"; return 1
  fi
}

tmux -L "$SOCK" -f /dev/null new-session -d -s main -x 160 -y 30 \
  "cd '$REPO' && nvim -n -i NONE -u '$WORK/tui-init.lua' readme.txt"

fails=0
check() { # NAME CMD...: runs one check and tallies it
  local name=$1; shift
  if "$@"; then echo "ok   tui: $name"; else echo "FAIL tui: $name"; fails=$((fails + 1)); fi
}

check "statusline shows heddle:ready" expect_screen 'readme.txt +heddle:ready'

tmux -L "$SOCK" send-keys -t main ':HeddleStatus' Enter
check ":HeddleStatus prints the state" expect_screen "heddle: $REPO: ready"

tmux -L "$SOCK" send-keys -t main ':HeddleOps 5' Enter
ops_window() { [ "$(screen | grep -cE '^#[0-9]+ ')" -eq 5 ]; }
check ":HeddleOps 5 shows 5 operations" wait_until 10 "5 operation lines" ops_window
check ":HeddleOps buffer is named heddle://ops" expect_screen "heddle://ops$REPO"
tmux -L "$SOCK" send-keys -t main 'q'
check "q closes the ops window" wait_until 10 "ops window closed" bash -c "! tmux -L '$SOCK' capture-pane -p -t main | grep -q 'heddle://ops'"

tmux -L "$SOCK" send-keys -t main ':HeddleExplain' Enter
check ":HeddleExplain shows the probe steps in a float" expect_screen '[│|].*pidfile'
tmux -L "$SOCK" send-keys -t main 'j'   # moving the cursor closes the preview
check "the float closes on cursor move" wait_until 10 "float closed" bash -c "! tmux -L '$SOCK' capture-pane -p -t main | grep -q '╭'"

stop_sim "$SIM_PID" "$REPO"; SIM_PID=
check "statusline follows the daemon to heddle:stopped" expect_screen 'readme.txt +heddle:stopped'

tmux -L "$SOCK" send-keys -t main ':qa!' Enter
wait_until 10 "nvim exits" bash -c "! tmux -L '$SOCK' has-session -t main 2>/dev/null" || fails=$((fails + 1))
exit "$fails"
