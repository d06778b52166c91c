# heddle-prompt.sh: a heddle daemon segment for bash and zsh prompts.
# Source it from ~/.bashrc or ~/.zshrc; see docs/statusbars.md.
#
#   heddle_prompt_update  call it from PROMPT_COMMAND (bash) or a precmd hook
#                         (zsh). It keeps one background `heddle-ls watch
#                         --json ROOT` per shell, for the repository you are
#                         in, and sets, from the last line it wrote:
#       HEDDLE_PROMPT           the text, e.g. 'heddle:ready'; '' outside
#                               heddle repositories
#       HEDDLE_PROMPT_HEALTH    the server's verdict: ok, warning or error
#                               ('' from a server older than that field)
#       HEDDLE_PROMPT_COLOURED  the text coloured by that verdict (green,
#                               yellow, red; none without one), with the
#                               shell's zero-width markers: for PS1/PROMPT
#       HEDDLE_PROMPT_OK, HEDDLE_PROMPT_WARNING, HEDDLE_PROMPT_ERROR,
#       HEDDLE_PROMPT_PLAIN     exported, the one that applies set to the
#                               text, the others unset: for starship's
#                               env_var modules, one per colour
#                         At a prompt it starts no process: it reads one
#                         small file, which the watcher rewrites as the
#                         daemon changes, without polling. The watcher ends
#                         when you leave the repository, when the shell
#                         exits, and, through --exit-with-pid, when the
#                         shell dies any other way (SIGKILL, a closed
#                         terminal). Do not call it from $(...) in PS1: a
#                         command substitution is a subshell and would lose
#                         the watcher.
#   heddle_prompt         prints the coloured segment for $PWD once: one
#                         `heddle-ls status --json` per call inside a
#                         repository, nothing outside one. For
#                         PS1='$(heddle_prompt) ...' where a process per
#                         prompt is fine.
#
# Settings: HEDDLE_LS (binary, default heddle-ls on PATH),
# HEDDLE_PROMPT_PREFIX (default 'heddle:').
#
# heddle-segment and heddle-tmux-watch source this file for its helpers
# (with __heddle_no_hooks=1); the helpers use shell builtins only.

# Sets __heddle_dir to DIR made absolute with symlinks, . and .. resolved,
# as the server resolves it (so a symlink into a repository counts as the
# repository). Builtins only while no component needs resolving (zsh:
# always, through its :A modifier); else one subshell, a fork without exec,
# whose answer is kept for the next call with the same DIR ($PWD, mostly).
__heddle_abs() {
  local d=$1 p
  case $d in /*) ;; *) d=${PWD%/}/$d ;; esac
  d=${d%/}
  if [ -n "$__heddle_abs_out" ] && [ "$d" = "$__heddle_abs_in" ]; then
    __heddle_dir=$__heddle_abs_out
    return 0
  fi
  __heddle_abs_in=$d
  if [ -n "${ZSH_VERSION-}" ]; then
    d=${d:A}
  else
    case $d/ in
      */./*|*/../*|*//*) p=$d ;;
      *) p=$d; while [ -n "$p" ] && [ ! -L "$p" ]; do p=${p%/*}; done ;;
    esac
    # p is now empty, or a path that needs resolving (it exists: -L).
    if [ -n "$p" ]; then
      p=$(builtin cd -P -- "$d" 2>/dev/null && builtin pwd -P) && d=$p
    fi
  fi
  __heddle_dir=${d:-/}
  __heddle_abs_out=$__heddle_dir
}
__heddle_abs_in= __heddle_abs_out=

# Sets __heddle_root to the repository root above DIR (default $PWD) by the
# server's rule: the first ancestor whose .heddle holds objects/ (a main
# repository) or an objectstore pointer (a worktree). Returns 1 outside
# heddle repositories.
__heddle_find_root() {
  local d
  __heddle_abs "${1:-$PWD}"
  d=${__heddle_dir%/}
  __heddle_root=
  while :; do
    if [ -d "$d/.heddle/objects" ] || [ -f "$d/.heddle/objectstore" ]; then
      __heddle_root=${d:-/}
      return 0
    fi
    # d is absolute: stripping the last component ends at '' (the root).
    [ -z "$d" ] && return 1
    d=${d%/*}
  done
}

# Sets __heddle_value to the first string field NAME of TEXT, status JSON as
# `status --json` (indented) or `watch --json` (one line) prints it. The
# first one is the status's own: its flat fields come before the nested
# objects (`mount` has a state of its own). No jq.
__heddle_field() {
  local rest
  __heddle_value=
  case $2 in
    *"\"$1\":\""*) rest=${2#*\"$1\":\"} ;;
    *"\"$1\": \""*) rest=${2#*\"$1\": \"} ;;
    *) return 1 ;;
  esac
  __heddle_value=${rest%%\"*}
}

# Sets __heddle_state and __heddle_health from status JSON; returns 1 when
# it holds no state. A health other than ok, warning or error counts as
# none: the segment shows no colour rather than a wrong one.
__heddle_parse() {
  __heddle_field state "$1" || return 1
  __heddle_state=$__heddle_value
  __heddle_field health "$1"
  case $__heddle_value in
    ok|warning|error) __heddle_health=$__heddle_value ;;
    *) __heddle_health= ;;
  esac
}

# Sets __heddle_coloured to TEXT in the colour of HEALTH (ok green,
# warning yellow, error red; TEXT as it is for any other), for MODE:
#   prompt    this shell's prompt (the default): escapes with bash's
#             readline or zsh's %{ %} zero-width markers
#   ansi      bare escapes
#   tmux      tmux styles
# Only the foreground is reset afterwards, so the prompt's or the tmux
# theme's background and attributes stay. tmux's push-default keeps the
# theme's colours at this point as the default, so fg=default restores its
# foreground exactly (not the status line's); pop-default drops that again.
__heddle_colour() {
  local sgr tmux mode=${3:-prompt} e=$'\e'
  case $2 in
    ok) sgr=32 tmux=green ;;
    warning) sgr=33 tmux=yellow ;;
    error) sgr=31 tmux=red ;;
    *) __heddle_coloured=$1; return 0 ;;
  esac
  if [ "$mode" = prompt ]; then
    if [ -n "${ZSH_VERSION-}" ]; then mode=zsh; else mode=readline; fi
  fi
  case $mode in
    tmux) __heddle_coloured="#[push-default]#[fg=$tmux]$1#[fg=default]#[pop-default]" ;;
    zsh) __heddle_coloured="%{${e}[${sgr}m%}${1//\%/%%}%{${e}[39m%}" ;;
    ansi) __heddle_coloured="${e}[${sgr}m$1${e}[39m" ;;
    *) __heddle_coloured=$'\001'"${e}[${sgr}m"$'\002'"$1"$'\001'"${e}[39m"$'\002' ;;
  esac
}

heddle_prompt() {
  local json
  __heddle_find_root || return 0
  json=$("${HEDDLE_LS:-heddle-ls}" status --json "$__heddle_root" 2>/dev/null)
  __heddle_parse "$json" || { __heddle_state=unknown __heddle_health=; }
  __heddle_colour "${HEDDLE_PROMPT_PREFIX-heddle:}$__heddle_state" "$__heddle_health"
  printf '%s' "$__heddle_coloured"
}

# The background watcher of this shell: its repo, pid and output file. The
# file's name holds the shell's pid, so that a shell started later can
# remove the file of one that died without running its exit hook.
__heddle_watch_root=
__heddle_watch_pid=
__heddle_watch_file=
__heddle_watch_dir=${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}

# Removes the watcher files of shells that are gone (SIGKILL, a crashed
# terminal: their watchers have ended by --exit-with-pid).
__heddle_watch_sweep() {
  local f pid
  [ -n "${ZSH_VERSION-}" ] && setopt localoptions nullglob
  for f in "$__heddle_watch_dir"/heddle-prompt.*.*; do
    [ -O "$f" ] || continue
    pid=${f##*/heddle-prompt.}
    pid=${pid%%.*}
    kill -0 "$pid" 2>/dev/null || rm -f "$f"
  done
}

__heddle_watch_stop() {
  [ -n "$__heddle_watch_pid" ] && kill "$__heddle_watch_pid" 2>/dev/null
  [ -n "$__heddle_watch_file" ] && rm -f "$__heddle_watch_file"
  __heddle_watch_pid= __heddle_watch_root= __heddle_watch_file=
}

# Sets the HEDDLE_PROMPT* variables to TEXT and HEALTH.
__heddle_prompt_set() {
  HEDDLE_PROMPT=$1 HEDDLE_PROMPT_HEALTH=$2
  __heddle_colour "$1" "$2"
  HEDDLE_PROMPT_COLOURED=$__heddle_coloured
  unset HEDDLE_PROMPT_OK HEDDLE_PROMPT_WARNING HEDDLE_PROMPT_ERROR HEDDLE_PROMPT_PLAIN
  [ -n "$1" ] || return 0
  case $2 in
    ok) export HEDDLE_PROMPT_OK="$1" ;;
    warning) export HEDDLE_PROMPT_WARNING="$1" ;;
    error) export HEDDLE_PROMPT_ERROR="$1" ;;
    *) export HEDDLE_PROMPT_PLAIN="$1" ;;
  esac
}

heddle_prompt_update() {
  local line last=
  __heddle_find_root
  # A new repository, the file deleted under us (a tmp cleaner), or a
  # watcher that ended (heddle-ls crashed or was replaced; kill -0 is a
  # builtin: no fork).
  if [ "$__heddle_root" != "$__heddle_watch_root" ] ||
    { [ -n "$__heddle_watch_file" ] && [ ! -f "$__heddle_watch_file" ]; } ||
    { [ -n "$__heddle_watch_pid" ] && ! kill -0 "$__heddle_watch_pid" 2>/dev/null; }; then
    __heddle_watch_stop
    if [ -n "$__heddle_root" ]; then
      __heddle_watch_file=$(mktemp "$__heddle_watch_dir/heddle-prompt.$$.XXXXXX") || {
        __heddle_prompt_set '' ''
        return 0
      }
      __heddle_watch_root=$__heddle_root
      # Started from a subshell so that it is no job of this shell: no
      # "[1] 1234" / "Done" chatter. __heddle_watch_stop ends it; so does
      # this shell's death ($$ is the shell's pid in the subshell too).
      __heddle_watch_pid=$(
        "${HEDDLE_LS:-heddle-ls}" watch --json --exit-with-pid $$ "$__heddle_root" \
          >"$__heddle_watch_file" 2>/dev/null </dev/null &
        printf '%s' "$!"
      )
    fi
  fi
  if [ -n "$__heddle_watch_file" ]; then
    # One line per change; the last complete line is the current status.
    while IFS= read -r line; do last=$line; done <"$__heddle_watch_file"
  fi
  if __heddle_parse "$last"; then
    __heddle_prompt_set "${HEDDLE_PROMPT_PREFIX-heddle:}$__heddle_state" "$__heddle_health"
  else
    __heddle_prompt_set '' ''
  fi
}

# The watcher is no job of the shell, so nothing else would stop it on a
# normal exit and remove its file (--exit-with-pid and the sweep cover the
# other ways to end).
if [ -z "${__heddle_no_hooks-}" ]; then
  __heddle_watch_sweep
  if [ -n "${ZSH_VERSION-}" ]; then
    autoload -Uz add-zsh-hook && add-zsh-hook zshexit __heddle_watch_stop
  else
    # Chained before an EXIT trap set earlier (a trap set later replaces
    # this one: then --exit-with-pid and the sweep still clean up).
    __heddle_trap_body() { printf '%s' "${3-}"; }
    __heddle_prev_exit=$(eval "__heddle_trap_body $(trap -p EXIT)")
    trap "__heddle_watch_stop${__heddle_prev_exit:+; $__heddle_prev_exit}" EXIT
    unset -f __heddle_trap_body
    unset __heddle_prev_exit
  fi
fi
