# heddle-prompt.sh: a heddle daemon segment for bash and zsh prompts.
# Source it from ~/.bashrc or ~/.zshrc; see docs/statusbars.md.
#
#   heddle_prompt         prints the segment for $PWD, e.g. 'heddle:ready',
#                         '' outside heddle repos. Runs `heddle-ls status
#                         --json` once per call inside a repo, nothing
#                         outside one. Fine in PS1='$(heddle_prompt) ...'.
#   heddle_prompt_update  sets $HEDDLE_PROMPT to the same text, read from a
#                         background `heddle-ls watch --json ROOT` (one per
#                         shell, for the current repo): at prompt time it
#                         reads a file and starts no process, and the
#                         watcher rewrites that file as the daemon changes,
#                         without polling. Call it from PROMPT_COMMAND (bash)
#                         or a precmd hook (zsh), not from $(...) in PS1: a
#                         command substitution is a subshell and would lose
#                         the watcher.
#
# Settings: HEDDLE_LS (binary, default heddle-ls on PATH),
# HEDDLE_PROMPT_PREFIX (default 'heddle:').

# Sets __heddle_root to the repo root above $1 (default $PWD), by the
# plugin's and server's rule; returns 1 outside heddle repos. Builtins only.
__heddle_find_root() {
  local d=${1:-$PWD}
  d=${d%/}
  __heddle_root=
  while :; do
    if [ -d "$d/.heddle/objects" ] || [ -f "$d/.heddle/objectstore" ]; then
      __heddle_root=${d:-/}
      return 0
    fi
    [ -z "$d" ] && return 1
    d=${d%/*}
  done
}

# Sets __heddle_state from one line of status JSON (a flat object; no jq).
__heddle_parse_state() {
  local rest
  __heddle_state=
  case $1 in
    *'"state":"'*) rest=${1#*\"state\":\"} ;;
    *'"state": "'*) rest=${1#*\"state\": \"} ;;
    *) return 1 ;;
  esac
  __heddle_state=${rest%%\"*}
}

heddle_prompt() {
  local json
  __heddle_find_root || return 0
  json=$("${HEDDLE_LS:-heddle-ls}" status --json "$__heddle_root" 2>/dev/null)
  __heddle_parse_state "$json" || __heddle_state=unknown
  printf '%s%s' "${HEDDLE_PROMPT_PREFIX-heddle:}" "$__heddle_state"
}

# The background watcher of this shell: its repo, pid and output file.
__heddle_watch_root=
__heddle_watch_pid=
__heddle_watch_file=

__heddle_watch_stop() {
  [ -n "$__heddle_watch_pid" ] && kill "$__heddle_watch_pid" 2>/dev/null
  [ -n "$__heddle_watch_file" ] && rm -f "$__heddle_watch_file"
  __heddle_watch_pid= __heddle_watch_root= __heddle_watch_file=
}

heddle_prompt_update() {
  local line last=
  HEDDLE_PROMPT=
  __heddle_find_root
  if [ "$__heddle_root" != "$__heddle_watch_root" ]; then
    __heddle_watch_stop
    if [ -n "$__heddle_root" ]; then
      __heddle_watch_file=$(mktemp "${TMPDIR:-/tmp}/heddle-prompt.XXXXXX") || return 0
      __heddle_watch_root=$__heddle_root
      # Started from a subshell so that it is no job of this shell: no
      # "[1] 1234" / "Done" chatter. __heddle_watch_stop ends it.
      __heddle_watch_pid=$(
        "${HEDDLE_LS:-heddle-ls}" watch --json "$__heddle_root" >"$__heddle_watch_file" 2>/dev/null </dev/null &
        printf '%s' "$!"
      )
    fi
  fi
  [ -n "$__heddle_watch_file" ] || return 0
  # One line per change; the last complete line is the current status.
  while IFS= read -r line; do last=$line; done <"$__heddle_watch_file"
  __heddle_parse_state "$last" || return 0
  HEDDLE_PROMPT=${HEDDLE_PROMPT_PREFIX-heddle:}$__heddle_state
}

# The watcher is no job of the shell, so nothing else would stop it.
if [ -n "${ZSH_VERSION-}" ]; then
  autoload -Uz add-zsh-hook && add-zsh-hook zshexit __heddle_watch_stop
else
  trap '__heddle_watch_stop' EXIT
fi
