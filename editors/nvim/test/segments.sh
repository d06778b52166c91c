#!/usr/bin/env bash
# The terminal status segments (editors/nvim/contrib): heddle-segment for a
# ready repo, a stopped repo and outside any repo; the same segment as a
# tmux status-right in a private tmux server; the bash prompt functions,
# including the background `watch` variant following a daemon stop. Also
# prints the wall time of `heddle-ls status` on a ready and a stopped repo.
# Env: HEDDLE_LS, HEDDLE_SIM, PLUGIN, WORK.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
SEG=$PLUGIN/contrib/heddle-segment
PROMPT=$PLUGIN/contrib/heddle-prompt.sh
export HEDDLE_LS

R=$WORK/s
NOREPO=$WORK/plain
mkdir -p "$R/sub/deep" "$NOREPO"
SOCK=heddle-seg-$$
SIM_PID=
cleanup() {
  tmux -L "$SOCK-outer" kill-server 2>/dev/null || true
  tmux -L "$SOCK-w" kill-server 2>/dev/null || true
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill -INT "$SIM_PID" 2>/dev/null || true
}
trap cleanup EXIT

fails=0
check() { # NAME WANT GOT
  if [ "$2" == "$3" ]; then echo "ok   segments: $1"; else echo "FAIL segments: $1: want '$2', got '$3'"; fails=$((fails + 1)); fi
}
check_cmd() { # NAME CMD...
  local name=$1; shift
  if "$@"; then echo "ok   segments: $name"; else echo "FAIL segments: $name"; fails=$((fails + 1)); fi
}

# Mean wall time in ms of N runs of a command.
wall_ms() {
  local n=$1; shift
  local t0=$(date +%s%N)
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done
  local t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 / n / 1000 )).$(printf '%03d' $(( (t1 - t0) / 1000 / n % 1000 )))"
}

SIM_PID=$(start_sim "$R") || exit 1

check "segment in a ready repo" "heddle:ready" "$("$SEG" "$R")"
check "segment from a subdirectory" "heddle:ready" "$("$SEG" "$R/sub/deep")"
check "tmux segment colours ready green" "#[fg=green]heddle:ready#[default]" "$("$SEG" --tmux "$R")"
check "segment outside any repo is empty" "" "$("$SEG" "$NOREPO")"
check_cmd "--in-repo succeeds inside a repo" "$SEG" --in-repo "$R/sub"
check_cmd "--in-repo fails outside any repo" bash -c "! '$SEG' --in-repo '$NOREPO'"
check "bash prompt in a ready repo" "heddle:ready" "$(cd "$R/sub" && bash --norc -c ". '$PROMPT'; heddle_prompt")"
check "bash prompt outside any repo is empty" "" "$(cd "$NOREPO" && bash --norc -c ". '$PROMPT'; heddle_prompt")"
READY_MS=$(wall_ms 20 "$HEDDLE_LS" status "$R")

# tmux: the segment as status-right of a private server. A detached server
# draws no status line (and display -p does not run #() jobs), so a client
# is attached inside an outer private tmux whose screen we read, colours
# included (capture-pane -e). #() runs asynchronously: wait for its output.
tmux -L "$SOCK" -f /dev/null new-session -d -s main -x 120 -y 10 -c "$R/sub" "exec sleep 600"
tmux -L "$SOCK" set -g status-interval 1
tmux -L "$SOCK" set -g status-right "#(HEDDLE_LS='$HEDDLE_LS' '$SEG' --tmux '#{pane_current_path}')"
tmux -L "$SOCK-outer" -f /dev/null new-session -d -s outer -x 120 -y 12 "TMUX= tmux -L '$SOCK' attach -t main"
tmux_status() { tmux -L "$SOCK-outer" capture-pane -e -p -t outer | grep -F '[main]' | tail -n 1; }
tmux_has() { tmux_status | grep -qF -- "$1"; }
GREEN=$'\e[32m' YELLOW=$'\e[33m'
check_cmd "tmux status-right shows heddle:ready in green" wait_until 10 "tmux status-right ready" tmux_has "${GREEN}heddle:ready"

# The event-driven variant: heddle-tmux-watch feeds @heddle from `watch`,
# shown by a second private tmux server (and its attached client).
tmux -L "$SOCK-w" -f /dev/null new-session -d -s main -x 120 -y 10 "exec sleep 600"
tmux -L "$SOCK-w" set -g status-right '[#{@heddle}]'
TMUX_BIN="tmux -L $SOCK-w" "$PLUGIN/contrib/heddle-tmux-watch" "$R" &
TW_PID=$!
tmux -L "$SOCK-outer" new-window -d -t outer -n w "TMUX= tmux -L '$SOCK-w' attach -t main"
tmux_w_status() { tmux -L "$SOCK-outer" capture-pane -e -p -t outer:w | grep -F '[main]' | tail -n 1; }
tmux_w_has() { tmux_w_status | grep -qF -- "$1"; }
check_cmd "tmux @heddle from heddle-tmux-watch shows heddle:ready in green" wait_until 10 "@heddle ready" tmux_w_has "[${GREEN}heddle:ready"

# The watched prompt in one long-lived bash: it reads the watcher's file.
WATCH_OUT=$WORK/watch.out
mkfifo "$WORK/watch.ctl"
bash --norc -c "
  . '$PROMPT'
  cd '$R'
  while read -r cmd; do
    case \$cmd in
      prompt) heddle_prompt_update; printf '%s|%s\n' \"\$HEDDLE_PROMPT\" \"\$__heddle_watch_pid\" ;;
      cd-out) cd '$NOREPO'; heddle_prompt_update; echo \"[\$HEDDLE_PROMPT]\" ;;
      quit) exit 0 ;;
    esac
  done <'$WORK/watch.ctl' >'$WATCH_OUT' 2>&1
" &
BASH_PID=$!
exec 7>"$WORK/watch.ctl"
watched() { # asks the bash for its prompt; prints its answer
  local n
  n=$(wc -l <"$WATCH_OUT")
  echo prompt >&7
  wait_until 5 "prompt answer" bash -c "[ \$(wc -l <'$WATCH_OUT') -gt $n ]" || return 1
  tail -n 1 "$WATCH_OUT"
}
watched_is() { [ "$(watched | cut -d'|' -f1)" == "$1" ]; }
check_cmd "watched prompt shows heddle:ready" wait_until 10 "watched ready" watched_is "heddle:ready"
WATCH_PID=$(watched | cut -d'|' -f2)

t0=$(now_ms)
kill -INT "$SIM_PID"; SIM_PID=
check_cmd "watched prompt follows the daemon to heddle:stopped" wait_until 10 "watched stopped" watched_is "heddle:stopped"
WATCH_LAT=$(( $(now_ms) - t0 ))
echo "cd-out" >&7
check_cmd "leaving the repo stops the watcher" wait_until 5 "watcher $WATCH_PID exits" bash -c "! kill -0 $WATCH_PID 2>/dev/null"
echo quit >&7
exec 7>&-
wait "$BASH_PID"

check "segment in a stopped repo" "heddle:stopped" "$("$SEG" "$R")"
check "tmux segment colours stopped yellow" "#[fg=yellow]heddle:stopped#[default]" "$("$SEG" --tmux "$R")"
check "bash prompt in a stopped repo" "heddle:stopped" "$(cd "$R" && bash --norc -c ". '$PROMPT'; heddle_prompt")"
check_cmd "tmux status-right follows to heddle:stopped in yellow" wait_until 10 "tmux status-right stopped" tmux_has "${YELLOW}heddle:stopped"
check_cmd "tmux @heddle from heddle-tmux-watch follows to heddle:stopped" wait_until 10 "@heddle stopped" tmux_w_has "[${YELLOW}heddle:stopped"
tmux -L "$SOCK-w" kill-server
check_cmd "heddle-tmux-watch ends with its tmux server" wait_until 10 "heddle-tmux-watch exits" bash -c "! kill -0 $TW_PID 2>/dev/null"
echo "tmux status line: $(tmux_status | sed 's/\x1b\[[0-9;]*m//g' | tr -s ' ')"
STOPPED_MS=$(wall_ms 20 "$HEDDLE_LS" status "$R")
NOREPO_MS=$(wall_ms 20 "$SEG" "$NOREPO")

echo "TIMING heddle-ls status wall time (mean of 20): ready daemon ${READY_MS} ms, no daemon ${STOPPED_MS} ms; heddle-segment outside a repo ${NOREPO_MS} ms; watched prompt saw the stop after ${WATCH_LAT} ms (incl. a prompt round trip)"
exit "$fails"
