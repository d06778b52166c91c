#!/usr/bin/env bash
# The real Neovim TUI inside a private tmux server, configured the way
# lazy.nvim without `opts` leaves it (vim.g.heddle, no setup() call): open a
# file in a heddle repo, read the statusline off the screen, run
# :HeddleStatus and :HeddleOps (its keys: <CR>, R, q, also in the last
# window), stop the daemon and watch the statusline follow.
# Env: HEDDLE_LS, HEDDLE_SIM, PLUGIN (editors/nvim), WORK (a short temp dir),
# NVIM_BIN (default nvim).
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
-- No setup(): the plugin initialises itself from vim.g.heddle at VimEnter.
vim.g.heddle = { cmd = { '$HEDDLE_LS' } }
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
  "cd '$REPO' && '${NVIM_BIN:-nvim}' -n -i NONE -u '$WORK/tui-init.lua' readme.txt"

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
tmux -L "$SOCK" send-keys -t main Enter
check "<CR> shows the operation's full record in a float" expect_screen '[│|] *operationId: '
tmux -L "$SOCK" send-keys -t main 'j'
check "the record float closes on cursor move" wait_until 10 "float closed" bash -c "! tmux -L '$SOCK' capture-pane -p -t main | grep -q 'operationId: '"
# b:heddle_ops_generation counts renders; echo it until it says what we want.
generation_is() {
  tmux -L "$SOCK" send-keys -t main ':echo "gen=" . b:heddle_ops_generation' Enter
  screen | grep -qE "^gen=$1 *\$"
}
check "the ops buffer was rendered once" wait_until 10 "generation 1" generation_is 1
tmux -L "$SOCK" send-keys -t main 'R'
check "R re-runs the query" wait_until 10 "generation 2" generation_is 2
# An operation appended to the log reaches the open window by itself.
top_seq() { screen | grep -oE '^#[0-9]+ ' | head -1 | tr -dc '0-9'; }
before=$(top_seq)
"$HEDDLE_SIM" append --repo "$REPO" --count 1 >/dev/null
newer_on_top() { local now; now=$(top_seq); [ -n "$now" ] && [ "$now" -gt "$before" ] && ops_window; }
check "an appended operation appears in the open ops window without a key" wait_until 10 "a newer top line than #$before" newer_on_top
tmux -L "$SOCK" send-keys -t main 'q'
check "q closes the ops window" wait_until 10 "ops window closed" bash -c "! tmux -L '$SOCK' capture-pane -p -t main | grep -q 'heddle://ops'"
tmux -L "$SOCK" send-keys -t main ':ls' Enter
ls_without_reports() { local s; s=$(screen); grep -qE '"readme.txt" +line' <<<"$s" && ! grep -q 'heddle://' <<<"$s"; }
check "report buffers are unlisted (:ls shows readme.txt, no heddle://)" wait_until 10 ":ls output" ls_without_reports
tmux -L "$SOCK" send-keys -t main Enter ':HeddleOps 3' Enter
ops3() { [ "$(screen | grep -cE '^#[0-9]+ ')" -eq 3 ]; }
check ":HeddleOps 3 shows 3 operations" wait_until 10 "3 operation lines" ops3
tmux -L "$SOCK" send-keys -t main ':only' Enter
ops_alone() { on_screen "^heddle://ops$REPO" && ! on_screen '^readme.txt +heddle'; }
check ":only leaves the ops window alone" wait_until 10 "only the ops window" ops_alone
tmux -L "$SOCK" send-keys -t main 'q'
file_back() { on_screen '^readme.txt +heddle:ready' && ! on_screen 'heddle://ops'; }
check "q in the last window goes back to the file" wait_until 10 "readme.txt shown again" file_back

tmux -L "$SOCK" send-keys -t main ':HeddleExplain' Enter
check ":HeddleExplain shows the probe steps in a float" expect_screen '[│|].*pidfile'
tmux -L "$SOCK" send-keys -t main 'j'   # moving the cursor closes the preview
check "the float closes on cursor move" wait_until 10 "float closed" bash -c "! tmux -L '$SOCK' capture-pane -p -t main | grep -q '╭'"

stop_sim "$SIM_PID" "$REPO"; SIM_PID=
# The server's message about the stop is longer than a line: Neovim asks for
# Enter before it redraws the statusline, as it would for the user.
check "the server's message about the stop is shown" expect_screen '\[was ready\]'
if on_screen 'Press ENTER'; then tmux -L "$SOCK" send-keys -t main Enter; fi
check "statusline follows the daemon to heddle:stopped" expect_screen 'readme.txt +heddle:stopped'

tmux -L "$SOCK" send-keys -t main ':qa!' Enter
wait_until 10 "nvim exits" bash -c "! tmux -L '$SOCK' has-session -t main 2>/dev/null" || fails=$((fails + 1))
exit "$fails"
