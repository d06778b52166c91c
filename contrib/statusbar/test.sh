#!/usr/bin/env bash
# The terminal status-bar scripts (contrib/statusbar), against real daemons
# (heddle-sim) and a real tmux: heddle-segment for every kind of DIR
# argument (relative ones under a timeout, so a loop fails instead of
# hanging), the health colours in tmux styles that keep a theme's colours,
# the starship variants, the bash (and, where installed, zsh) prompt
# functions with the background watcher, which ends with its shell even by
# SIGKILL (heddle-ls watch --exit-with-pid) and costs no process per prompt,
# and heddle-tmux-watch, one copy per tmux server however often tmux.conf
# is sourced. Prints wall times (TIMING line).
#
#   contrib/statusbar/test.sh        (needs make build, tmux, flock)
#
# Env: HEDDLE_LS, HEDDLE_SIM (default bin/ of this checkout); STARSHIP (a
# starship binary; default starship on PATH; its cases are skipped without).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
export HEDDLE_LS=${HEDDLE_LS:-$TOP/bin/heddle-ls}
HEDDLE_SIM=${HEDDLE_SIM:-$TOP/bin/heddle-sim}
STARSHIP=${STARSHIP:-$(command -v starship || true)}
SEG=$HERE/heddle-segment
TW=$HERE/heddle-tmux-watch
PROMPT=$HERE/heddle-prompt.sh
for need in "$HEDDLE_LS" "$HEDDLE_SIM"; do
  [ -x "$need" ] || { echo "missing $need: run make build" >&2; exit 2; }
done
for tool in tmux timeout flock pgrep; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install tmux coreutils util-linux procps)" >&2; exit 2; }
done

# Short paths: a daemon's socket path must stay under 108 bytes.
WORK=$(mktemp -d /tmp/hsb.XXXXXX)
SOCK=hsb-$$
TMUX_DIR=${TMUX_TMPDIR:-/tmp}/tmux-$(id -u) # where tmux puts the sockets of -L
SIM_PIDS=()
cleanup() {
  local s
  for s in "$SOCK-outer" "$SOCK-w" "$SOCK-sh" "$SOCK-once" "$SOCK"; do
    tmux -L "$s" kill-server 2>/dev/null
    rm -f "$TMUX_DIR/$s" "$TMUX_DIR/$s.heddle-tmux-watch.lock"
  done
  for s in "${SIM_PIDS[@]}"; do kill -INT "$s" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fails=0 passes=0 skips=0
check() { # NAME WANT GOT
  if [ "$2" == "$3" ]; then
    echo "ok   statusbar: $1"; passes=$((passes + 1))
  else
    printf 'FAIL statusbar: %s:\n  want %q\n  got  %q\n' "$1" "$2" "$3"; fails=$((fails + 1))
  fi
}
check_cmd() { # NAME CMD...
  local name=$1; shift
  if "$@"; then echo "ok   statusbar: $name"; passes=$((passes + 1)); else echo "FAIL statusbar: $name"; fails=$((fails + 1)); fi
}
skip() { echo "skip statusbar: $1"; skips=$((skips + 1)); }

# wait_until SECONDS WHAT CMD...: CMD until it succeeds, or fail at the
# deadline. A condition polled with a deadline, never a bare sleep.
wait_until() {
  local end=$(( $(date +%s%N) + $1 * 1000000000 )) what=$2; shift 2
  until "$@"; do
    (( $(date +%s%N) < end )) || { echo "timeout waiting for: $what" >&2; return 1; }
    sleep 0.02
  done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wall_ms() { # N CMD...: mean wall time of N runs, in ms
  local n=$1; shift
  local t0=$(date +%s%N)
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done
  local t=$(( ($(date +%s%N) - t0) / n / 1000 ))
  echo "$(( t / 1000 )).$(printf '%03d' $(( t % 1000 )))"
}
start_sim() { # REPO: a daemon for REPO, waited for; sets SIM_PID
  "$HEDDLE_SIM" --repo "$1" --log-level warn >>"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  SIM_PIDS+=("$SIM_PID")
  wait_until 10 "heddle-sim socket in $1" test -S "$1/.heddle/sockets/grpc.sock"
}

E=$'\e'
GREEN="$E[32m" YELLOW="$E[33m" RED="$E[31m" BLUE="$E[34m"

R=$WORK/s                 # a repository with a daemon
SPACED="$WORK/a b/repo"   # one without, in a path with a space
NOREPO=$WORK/plain
mkdir -p "$R/sub/deep" "$SPACED/src" "$NOREPO/x"
mkdir -p "$SPACED/.heddle/objects"
ln -s "$R/sub" "$WORK/link"           # a symlink into a repository
ln -s "$SEG" "$WORK/seg-link"         # the script installed as a symlink
start_sim "$R" || exit 1
READY_SIM=$SIM_PID

# The colours below come from the server's health: it must send one.
check "heddle-ls status --json sends health" 1 "$("$HEDDLE_LS" status --json "$R" | grep -c '"health": "ok"')"

seg() { timeout 5 "$SEG" "$@"; echo "rc=$?"; }
in_dir() { (cd "$1" && shift && timeout 5 "$@"; echo "rc=$?"); }

# --- heddle-segment: every kind of DIR --------------------------------------
check "segment in a ready repo" "heddle:ready rc=0" "$(seg "$R" | tr '\n' ' ' | sed 's/ $//')"
check "segment from a subdirectory" "heddle:ready" "$(seg "$R/sub/deep" | head -n 1)"
check "segment: '.' at the root of a repo" "heddle:ready" "$(in_dir "$R" "$SEG" . | head -n 1)"
check "segment: '.' in a subdirectory" "heddle:ready" "$(in_dir "$R/sub/deep" "$SEG" . | head -n 1)"
check "segment: a relative subdirectory" "heddle:ready" "$(in_dir "$R" "$SEG" sub/deep | head -n 1)"
check "segment: '..' from a subdirectory" "heddle:ready" "$(in_dir "$R/sub/deep" "$SEG" ../.. | head -n 1)"
check "segment: no argument, in a subdirectory" "heddle:ready" "$(in_dir "$R/sub" "$SEG" | head -n 1)"
check "segment: '..' out of the repository is empty" "rc=0" "$(in_dir "$R" "$SEG" .. | tr -d '\n')"
check "segment: '.' outside any repo is empty" "rc=0" "$(in_dir "$NOREPO/x" "$SEG" . | tr -d '\n')"
check "segment: / is empty" "rc=0" "$(seg / | tr -d '\n')"
check "segment: in / with '.'" "rc=0" "$(in_dir / "$SEG" . | tr -d '\n')"
check "segment: a path with a space" "heddle:stopped" "$(seg "$SPACED/src" | head -n 1)"
check "segment: a relative path with a space" "heddle:stopped" "$(in_dir "$WORK" "$SEG" "a b/repo/src" | head -n 1)"
check "segment: a symlink into a repo (resolved as the server does)" "heddle:ready" "$(seg "$WORK/link" | head -n 1)"
check "segment: a relative path through a symlink" "heddle:ready" "$(in_dir "$WORK" "$SEG" link/deep | head -n 1)"
check "segment: a trailing slash" "heddle:ready" "$(seg "$R/sub/" | head -n 1)"
check "segment: a directory that does not exist is empty" "rc=0" "$(seg "$WORK/nowhere/x" | tr -d '\n')"
check "segment run through a symlink to the script" "heddle:ready" "$(in_dir "$R" "$WORK/seg-link" . | head -n 1)"
check "segment outside any repo is empty" "rc=0" "$(seg "$NOREPO" | tr -d '\n')"
check_cmd "--in-repo succeeds inside a repo" timeout 5 "$SEG" --in-repo "$R/sub"
check_cmd "--in-repo succeeds for '.' inside a repo" bash -c "cd '$R/sub' && timeout 5 '$SEG' --in-repo ."
check_cmd "--in-repo fails outside any repo" bash -c "cd '$NOREPO' && timeout 5 '$SEG' --in-repo .; [ \$? -eq 1 ]"

# The prompt's own root finder, relative and symlinked, in bash and zsh.
find_root_in() { # SHELL DIR ARG: prints __heddle_root
  (cd "$2" && timeout 5 "$1" -c "__heddle_no_hooks=1; . '$PROMPT'; __heddle_find_root $3; printf %s \"\$__heddle_root\"")
}
SHELLS=(bash)
if command -v zsh >/dev/null; then SHELLS+=(zsh); else skip "zsh not installed: zsh cases"; fi
for sh in "${SHELLS[@]}"; do
  check "$sh: find_root of '.'" "$R" "$(find_root_in "$sh" "$R/sub/deep" .)"
  check "$sh: find_root of a relative dir" "$R" "$(find_root_in "$sh" "$R" sub)"
  check "$sh: find_root through a symlink" "$R" "$(find_root_in "$sh" "$WORK" link/deep)"
  check "$sh: find_root with a space" "$SPACED" "$(find_root_in "$sh" "$WORK" "'a b/repo/src'")"
  check "$sh: find_root of / is empty" "" "$(find_root_in "$sh" / /)"
  check "$sh: find_root of \$PWD, a symlink" "$R" "$(find_root_in "$sh" "$WORK/link" '')"
done

# --- colours: health, from a stand-in heddle-ls (its answer is FAKE_STATUS) -
FAKE=$WORK/fake-ls
# Its watch prints the status as one line, then lasts as long as the
# --exit-with-pid process (heddle-prompt.sh passes it as the 4th argument).
cat >"$FAKE" <<'EOF'
#!/bin/sh
case $1 in
  watch) echo "$FAKE_STATUS" | tr -d '\n'; echo; exec tail -f --pid="$4" /dev/null ;;
  *) printf '%s\n' "$FAKE_STATUS" ;;
esac
EOF
chmod +x "$FAKE"
fake_status() { # STATE [HEALTH]: one status --json answer, the server's indented form
  printf '[\n  {\n    "folder": "file:///r",\n    "state": "%s",\n    "reason": "x",\n' "$1"
  [ -n "${2-}" ] && printf '    "health": "%s",\n' "$2"
  printf '    "mount": {\n      "state": "running"\n    }\n  }\n]\n'
}
fake_seg() { FAKE_STATUS=$(fake_status "$1" "${2-}") HEDDLE_LS=$FAKE timeout 5 "$SEG" "${@:3}" "$R"; }
check "tmux: ok is green, and gives the theme its colours back" \
  "#[push-default]#[fg=green]heddle:ready#[fg=default]#[pop-default]" "$(fake_seg ready ok --tmux)"
check "tmux: warning is yellow" \
  "#[push-default]#[fg=yellow]heddle:stale#[fg=default]#[pop-default]" "$(fake_seg stale warning --tmux)"
check "tmux: error is red" \
  "#[push-default]#[fg=red]heddle:denied#[fg=default]#[pop-default]" "$(fake_seg denied error --tmux)"
check "tmux: the verdict, not the state, picks the colour" \
  "#[push-default]#[fg=green]heddle:stopped#[fg=default]#[pop-default]" "$(fake_seg stopped ok --tmux)"
check "tmux: no health (an older server) is no colour" "heddle:denied" "$(fake_seg denied '' --tmux)"
check "tmux: an unknown health is no colour" "heddle:ready" "$(fake_seg ready purple --tmux)"
check "plain: no colour even with health" "heddle:denied" "$(fake_seg denied error)"
check "the status's own state, not the mount's" "heddle:starting" "$(fake_seg starting warning)"
check "--ansi: bare escapes, the foreground reset" "${RED}heddle:denied${E}[39m" "$(fake_seg denied error --ansi)"
check "--ansi: warning is yellow" "${YELLOW}heddle:stale${E}[39m" "$(fake_seg stale warning --ansi)"
check "--ansi: no health is no colour" "heddle:denied" "$(fake_seg denied '' --ansi)"
check "bash prompt: readline's zero-width markers" $'\001'"${RED}"$'\002heddle:denied\001'"${E}[39m"$'\002' \
  "$(cd "$R" && FAKE_STATUS=$(fake_status denied error) HEDDLE_LS=$FAKE bash --norc -c ". '$PROMPT'; heddle_prompt")"
if command -v zsh >/dev/null; then
  check "zsh prompt: %{ %} markers" "%{${YELLOW}%}heddle:stale%{${E}[39m%}" \
    "$(cd "$R" && FAKE_STATUS=$(fake_status stale warning) HEDDLE_LS=$FAKE zsh -f -c ". '$PROMPT'; heddle_prompt")"
fi
check "bash: an EXIT trap set before the hook still runs" "user exit trap" \
  "$(cd "$NOREPO" && HEDDLE_LS=$FAKE bash --norc -c "trap 'echo user exit trap' EXIT; . '$PROMPT'")"
check "bash: no EXIT trap before the hook is fine" "" \
  "$(cd "$NOREPO" && HEDDLE_LS=$FAKE bash --norc -c ". '$PROMPT'" 2>&1)"
# The variables heddle_prompt_update sets, for one line of each health.
prompt_vars() { # HEALTH: the variables after one watch line with that health
  local line
  line=$(fake_status denied "$1" | tr -d '\n')
  bash --norc -c ". '$PROMPT'; __heddle_parse '$line'; __heddle_prompt_set \"heddle:\$__heddle_state\" \"\$__heddle_health\"
    env | grep '^HEDDLE_PROMPT_' | sort | tr '\n' ' '; printf '%s|%q' \"\$HEDDLE_PROMPT_HEALTH\" \"\$HEDDLE_PROMPT_COLOURED\""
}
check "prompt variables: error" "HEDDLE_PROMPT_ERROR=heddle:denied error|\$'\\001\\E[31m\\002heddle:denied\\001\\E[39m\\002'" "$(prompt_vars error)"
check "prompt variables: ok" "HEDDLE_PROMPT_OK=heddle:denied ok|\$'\\001\\E[32m\\002heddle:denied\\001\\E[39m\\002'" "$(prompt_vars ok)"
check "prompt variables: no health" "HEDDLE_PROMPT_PLAIN=heddle:denied |heddle:denied" "$(prompt_vars '')"

# starship itself, where there is one: the custom module (escapes) and the
# env_var modules (one per colour), from the snippet in starship.toml.
if [ -n "$STARSHIP" ]; then
  sed "s|~/src/heddle-ls/contrib/statusbar|$HERE|g" "$HERE/starship.toml" >"$WORK/starship.toml"
  starship_prompt() { # DIR SHELL [VAR=VALUE...]: starship's prompt in DIR
    local dir=$1 shell=$2; shift 2
    (cd "$dir" && env -i PATH="$PATH" HOME="$WORK" STARSHIP_CONFIG="$WORK/starship.toml" \
      STARSHIP_SHELL="$shell" HEDDLE_LS="$FAKE" "$@" timeout 10 "$STARSHIP" prompt 2>/dev/null)
  }
  check_has() { # NAME NEEDLE HAYSTACK
    case $3 in *"$2"*) check "$1" x x ;; *) check "$1" "…$2…" "$3" ;; esac
  }
  check_has "starship (bash): the custom module is red for error, in \\[ \\]" "\\[${RED}\\]heddle:denied\\[${E}[39m\\]" \
    "$(starship_prompt "$R" bash FAKE_STATUS="$(fake_status denied error)")"
  check_has "starship (zsh): the custom module is green for ok, in %{ %}" "%{${GREEN}%}heddle:ready%{${E}[39m%}" \
    "$(starship_prompt "$R" zsh FAKE_STATUS="$(fake_status ready ok)")"
  check_has "starship: the custom module has no colour without health" " heddle:stale " \
    "$(starship_prompt "$R" fish FAKE_STATUS="$(fake_status stale)")"
  check "starship: no module outside a repo" "" \
    "$(starship_prompt "$NOREPO" bash FAKE_STATUS="$(fake_status ready ok)" | grep -o 'heddle:[a-z]*')"
  check_has "starship: env_var module for HEDDLE_PROMPT_ERROR is red" "${RED}heddle:x" \
    "$(starship_prompt "$NOREPO" fish HEDDLE_PROMPT_ERROR=heddle:x)"
  check_has "starship: env_var module for HEDDLE_PROMPT_WARNING is yellow" "${YELLOW}heddle:x" \
    "$(starship_prompt "$NOREPO" fish HEDDLE_PROMPT_WARNING=heddle:x)"
  check_has "starship: env_var module for HEDDLE_PROMPT_PLAIN has no colour" " heddle:x" \
    "$(starship_prompt "$NOREPO" fish HEDDLE_PROMPT_PLAIN=heddle:x)"
else
  skip "no starship binary (STARSHIP=...): starship's own rendering"
fi

# The documented prompt snippets, as docs/statusbars.md writes them, in
# real interactive shells inside tmux, read back from the screen in colour.
snippet() { # SHELL: the docs' block after the line "# ~/.SHELLrc"
  awk -v m="# ~/.${1}rc" '$0 == m { on = 1; next } on && /^```/ { exit } on' "$TOP/docs/statusbars.md" |
    sed "s|~/src/heddle-ls/contrib/statusbar|$HERE|"
}
sh_screen() { tmux -L "$SOCK-sh" capture-pane -e -p -t "$1"; }
sh_prompt_has() { # SESSION TEXT: presses Enter (a new prompt), looks for TEXT
  tmux -L "$SOCK-sh" send-keys -t "$1" Enter
  sh_screen "$1" | grep -qF -- "$2"
}
mkdir -p "$WORK/zdot"
snippet bash >"$WORK/bashrc"
snippet zsh >"$WORK/zdot/.zshrc"
check_cmd "docs: the bash snippet is there" grep -q heddle_prompt_update "$WORK/bashrc"
sh_env=(-e "HEDDLE_LS=$FAKE" -e "FAKE_STATUS=$(fake_status denied error | tr -d '\n')" -e XDG_RUNTIME_DIR= -e "TMPDIR=$WORK" -e PS1= -e PROMPT_COMMAND=)
tmux -L "$SOCK-sh" -f /dev/null new-session -d -s bash -x 100 -y 10 -c "$R/sub" "${sh_env[@]}" \
  "bash --noprofile --rcfile '$WORK/bashrc' -i"
check_cmd "docs' bash prompt: heddle:denied in red, the foreground reset after it" \
  wait_until 10 "bash prompt" sh_prompt_has bash "${RED}heddle:denied${E}[39m "
if command -v zsh >/dev/null; then
  tmux -L "$SOCK-sh" new-session -d -s zsh -x 100 -y 10 -c "$R/sub" "${sh_env[@]}" -e "ZDOTDIR=$WORK/zdot" "zsh -i"
  check_cmd "docs' zsh prompt: heddle:denied in red" \
    wait_until 10 "zsh prompt" sh_prompt_has zsh "${RED}heddle:denied${E}[39m"
fi
tmux -L "$SOCK-sh" kill-server

# --- tmux: #() status-right in a private server ------------------------------
# A detached server draws no status line (and display -p does not run #()
# jobs), so a client is attached inside an outer private tmux whose screen
# we read, colours included (capture-pane -e). #() runs asynchronously:
# wait for its output. A theme-like status-right proves the text after the
# segment keeps the theme's colours (blue on red here).
tmux -L "$SOCK" -f /dev/null new-session -d -s main -x 120 -y 10 -c "$R/sub" "exec sleep 600"
tmux -L "$SOCK" set -g status-interval 1
tmux -L "$SOCK" set -g status-style 'fg=white,bg=black'
tmux -L "$SOCK" set -g status-right "#(HEDDLE_LS='$HEDDLE_LS' '$SEG' --tmux '#{pane_current_path}')"
tmux -L "$SOCK-outer" -f /dev/null new-session -d -s outer -x 120 -y 12 "TMUX= tmux -L '$SOCK' attach -t main"
tmux_status() { tmux -L "$SOCK-outer" capture-pane -e -p -t "outer:$1" | grep -F '[main]' | tail -n 1; }
tmux_has() { tmux_status "$1" | grep -qF -- "$2"; }
check_cmd "tmux status-right shows heddle:ready in green" wait_until 10 "status-right ready" tmux_has 0 "${GREEN}heddle:ready"
tmux -L "$SOCK" set -g status-right "#[fg=colour4,bg=colour1]A #(FAKE_STATUS='$(fake_status denied error | tr -d '\n')' HEDDLE_LS='$FAKE' '$SEG' --tmux '$R') B#[default] C"
check_cmd "tmux: the segment in red, then the theme's blue on red again" \
  wait_until 10 "themed status-right" tmux_has 0 "${RED}heddle:denied${BLUE} B"
check "tmux: the theme's background is never reset inside its block" "" \
  "$(tmux_status 0 | grep -o "A .*heddle:denied.* B" | grep -F "$E[4")"

# --- heddle-tmux-watch: from tmux.conf, sourced again and again ---------------
# Each copy that ends appends x to @ended: the first runs on, so after two
# more `source-file`s @ended is xx when both extra copies have ended.
cat >"$WORK/tmux.conf" <<EOF
set -g status-right '[#{@heddle}]'
run-shell -b "'$TW' '$R'; tmux set -ga @ended x"
EOF
tmux -L "$SOCK-w" -f "$WORK/tmux.conf" new-session -d -s main -x 120 -y 10 "exec sleep 600"
tmux -L "$SOCK-outer" new-window -d -t outer -n w "TMUX= tmux -L '$SOCK-w' attach -t main"
W_SERVER=$(tmux -L "$SOCK-w" display-message -p '#{pid}')
w_opt() { tmux -L "$SOCK-w" show-options -gqv "$1"; }
w_opt_is() { [ "$(w_opt "$1")" == "$2" ]; }
watchers() { pgrep -f -- "--exit-with-pid $W_SERVER " | wc -l; }
check_cmd "heddle-tmux-watch from tmux.conf sets @heddle, green for ready" wait_until 10 "@heddle ready" tmux_has w "[${GREEN}heddle:ready"
wait_until 5 "@heddle-watch" bash -c "[ -n \"\$(tmux -L '$SOCK-w' show-options -gqv @heddle-watch)\" ]"
TW_PID=$(w_opt @heddle-watch | cut -d' ' -f1)
check "@heddle-watch names the copy and its repository" "$TW_PID $R" "$(w_opt @heddle-watch)"
tmux -L "$SOCK-w" source-file "$WORK/tmux.conf"
tmux -L "$SOCK-w" source-file "$WORK/tmux.conf"
check_cmd "two more tmux source-file: both extra copies end at once" wait_until 10 "@ended = xx" w_opt_is @ended xx
check_cmd "... and the first copy runs on" kill -0 "$TW_PID"
check "... with one heddle-ls watch for the server" 1 "$(watchers)"
check_cmd "a second copy run by hand for the same repository exits 0 at once" \
  env TMUX_BIN="tmux -L $SOCK-w" timeout 5 "$TW" "$R"

# A copy for another repository takes over: the running one ends.
TMUX_BIN="tmux -L $SOCK-w" "$TW" "$SPACED" </dev/null &
NEW_TW=$!
check_cmd "a copy for another repository replaces the running one" wait_until 10 "old copy ends" gone "$TW_PID"
check_cmd "... and shows that repository" wait_until 10 "@heddle stopped" tmux_has w "heddle:stopped"
TW_PID=$NEW_TW
check "... named in @heddle-watch" "$TW_PID $SPACED" "$(w_opt @heddle-watch)"
one_watcher() { [ "$(watchers)" -eq 1 ]; }
check_cmd "... with one heddle-ls watch for the server" wait_until 5 "one heddle-ls watch" one_watcher
W_LS=$(pgrep -f -- "--exit-with-pid $W_SERVER ")

# --- the watched prompt, in one long-lived bash ------------------------------
WATCH_OUT=$WORK/watch.out
mkfifo "$WORK/watch.ctl"
# Its watcher file goes into $WORK (never $XDG_RUNTIME_DIR, which other
# shells use).
XDG_RUNTIME_DIR= TMPDIR=$WORK bash --norc -c "
  . '$PROMPT'
  cd '$R'
  while read -r cmd; do
    case \$cmd in
      prompt) heddle_prompt_update; printf '%s|%s|%s\n' \"\$HEDDLE_PROMPT\" \"\$__heddle_watch_pid\" \"\$HEDDLE_PROMPT_HEALTH\" ;;
      cd-out) cd '$NOREPO'; heddle_prompt_update; echo \"[\$HEDDLE_PROMPT]\" ;;
      cd-in) cd '$R' ;;
      quit) exit 0 ;;
    esac
  done <'$WORK/watch.ctl' >'$WATCH_OUT' 2>&1
" &
BASH_PID=$!
disown "$BASH_PID" # its SIGKILL below is no news
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
check "watched prompt: health ok" ok "$(watched | cut -d'|' -f3)"

# No process per prompt: strace counts the forks of 20 prompts.
if command -v strace >/dev/null; then
  strace -f -e trace=clone,clone3,fork,vfork -o "$WORK/strace.out" -p "$BASH_PID" 2>"$WORK/strace.err" &
  STRACE_PID=$!
  if wait_until 10 "strace attached" grep -q attached "$WORK/strace.err"; then
    for _ in $(seq 20); do watched >/dev/null; done
    kill "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null
    check "20 watched prompts start no process" 0 "$(grep -cE '(clone|fork)' "$WORK/strace.out")"
  else
    kill "$STRACE_PID" 2>/dev/null
    skip "strace could not attach: the watched prompt's zero forks ($(cat "$WORK/strace.err"))"
  fi
else
  skip "no strace: the watched prompt's zero forks"
fi

t0=$(now_ms)
kill -INT "$READY_SIM"
check_cmd "watched prompt follows the daemon to heddle:stopped" wait_until 10 "watched stopped" watched_is "heddle:stopped"
WATCH_LAT=$(( $(now_ms) - t0 ))
echo "cd-out" >&7
check_cmd "leaving the repo stops the watcher" wait_until 5 "watcher $WATCH_PID exits" gone "$WATCH_PID"
echo "cd-in" >&7
check_cmd "back in the repo: a new watcher" wait_until 10 "watched stopped again" watched_is "heddle:stopped"
WATCH_PID=$(watched | cut -d'|' -f2)
check_cmd "... running" kill -0 "$WATCH_PID"
rm -f "$WORK/heddle-prompt.$BASH_PID."*
new_watcher() { local a; a=$(watched); [ "${a%%|*}" == heddle:stopped ] && [ "$(echo "$a" | cut -d'|' -f2)" != "$WATCH_PID" ]; }
check_cmd "its file deleted (a tmp cleaner): the next prompt starts a new watcher" wait_until 10 "a new watcher" new_watcher
check_cmd "... and stops the old one" wait_until 5 "watcher $WATCH_PID exits" gone "$WATCH_PID"
WATCH_PID=$(watched | cut -d'|' -f2)
kill -KILL "$WATCH_PID"
check_cmd "its watcher killed: the next prompt starts a new one" wait_until 10 "a new watcher" new_watcher
WATCH_PID=$(watched | cut -d'|' -f2)
kill -KILL "$BASH_PID"
exec 7>&-
check_cmd "a shell killed with SIGKILL: its watcher exits (--exit-with-pid)" wait_until 10 "watcher $WATCH_PID exits" gone "$WATCH_PID"
check "... leaving its watcher file" 1 "$(ls "$WORK" | grep -c "^heddle-prompt\.$BASH_PID\.")"
XDG_RUNTIME_DIR= TMPDIR=$WORK bash --norc -c ". '$PROMPT'"
check "... which the next shell removes" 0 "$(ls "$WORK" | grep -c "^heddle-prompt\.")"

# zsh: the same watcher from a precmd-style call.
if command -v zsh >/dev/null; then
  check "zsh: heddle_prompt_update in a stopped repo" "heddle:stopped" "$(cd "$R/sub" && XDG_RUNTIME_DIR= TMPDIR=$WORK timeout 20 zsh -f -c "
    . '$PROMPT'
    for i in {1..500}; do heddle_prompt_update; [ -n \"\$HEDDLE_PROMPT\" ] && break; sleep 0.02; done
    printf %s \"\$HEDDLE_PROMPT\"")"
fi

check "segment in a stopped repo" "heddle:stopped" "$(seg "$R" | head -n 1)"
check "bash prompt in a stopped repo" "heddle:stopped" "$(cd "$R" && bash --norc -c ". '$PROMPT'; heddle_prompt" | sed "s/$E\[[0-9]*m//g; s/[\x01\x02]//g")"
tmux -L "$SOCK" set -g status-right "#(HEDDLE_LS='$HEDDLE_LS' '$SEG' --tmux '#{pane_current_path}')"
check_cmd "tmux status-right follows to heddle:stopped" wait_until 10 "status-right stopped" tmux_has 0 "heddle:stopped"

# It follows its daemon (and tmux redraws on the option change alone).
start_sim "$SPACED" || exit 1
check_cmd "heddle-tmux-watch follows a daemon starting: heddle:ready" wait_until 10 "@heddle ready" tmux_has w "heddle:ready"
kill -INT "$SIM_PID"

# The tmux server's end ends heddle-tmux-watch and its heddle-ls.
tmux -L "$SOCK-w" kill-server
check_cmd "heddle-tmux-watch ends with its tmux server" wait_until 10 "heddle-tmux-watch exits" gone "$TW_PID"
check_cmd "... and so does its heddle-ls watch" wait_until 10 "its heddle-ls exits" gone "$W_LS"

# A watch that ends on its own (its heddle-ls exited) leaves no stale
# segment: @heddle and @heddle-watch are cleared.
printf '%s\n' '#!/bin/sh' '[ "$1" = watch ] && printf "%s\n" "$FAKE_STATUS" | tr -d "\n" && echo' >"$WORK/fake-ls-once"
chmod +x "$WORK/fake-ls-once"
tmux -L "$SOCK-once" new-session -d -s once "exec sleep 600"
once_opt() { tmux -L "$SOCK-once" show-options -gqv "$1"; }
FAKE_STATUS=$(fake_status ready ok) HEDDLE_LS=$WORK/fake-ls-once TMUX_BIN="tmux -L $SOCK-once" timeout 10 "$TW" "$R"
check "a watch that ends clears @heddle and @heddle-watch" "[] []" "[$(once_opt @heddle)] [$(once_opt @heddle-watch)]"
tmux -L "$SOCK-once" kill-server

echo "tmux status line: $(tmux_status 0 | sed "s/$E\[[0-9;]*m//g" | tr -s ' ')"
STOPPED_MS=$(wall_ms 20 "$HEDDLE_LS" status "$R")
start_sim "$R" || exit 1
READY_MS=$(wall_ms 20 "$HEDDLE_LS" status "$R")

# --- real daemons: the server's health picks the colour ----------------------
# A ready daemon is ok; a daemon killed by SIGKILL leaves a stale pidfile
# (warning); a pidfile another program wrote (foreign marker) is error.
STALE=$WORK/stale FOREIGN=$WORK/foreign
mkdir -p "$FOREIGN/.heddle/objects" "$FOREIGN/.heddle/sockets"
printf '%s\nnginx\n0\n' $$ >"$FOREIGN/.heddle/sockets/grpc.pid"
start_sim "$STALE" || exit 1
kill -KILL "$SIM_PID"
wait "$SIM_PID" 2>/dev/null # reaped: a zombie would still count as alive
want_tmux() { echo "#[push-default]#[fg=$2]$1#[fg=default]#[pop-default]"; } # TEXT COLOUR
check "real daemon: ready is ok, green" "$(want_tmux heddle:ready green)" "$(timeout 5 "$SEG" --tmux "$R")"
check "real daemon: a stale pidfile is warning, yellow" "$(want_tmux heddle:stale yellow)" "$(timeout 5 "$SEG" --tmux "$STALE")"
check "real daemon: a foreign pidfile is error, red" "$(want_tmux heddle:invalid-pidfile red)" "$(timeout 5 "$SEG" --tmux "$FOREIGN")"
NOREPO_MS=$(wall_ms 20 "$SEG" "$NOREPO")
echo "TIMING heddle-ls status wall time (mean of 20): ready daemon ${READY_MS} ms, no daemon ${STOPPED_MS} ms; heddle-segment outside a repo ${NOREPO_MS} ms; watched prompt saw the stop after ${WATCH_LAT} ms (incl. a prompt round trip)"
echo "statusbar: $passes passed, $fails failed, $skips skipped"
[ "$fails" -eq 0 ]
