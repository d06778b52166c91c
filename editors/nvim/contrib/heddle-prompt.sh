# heddle-prompt.sh: a heddle daemon segment for bash and zsh prompts.
# Source it from ~/.bashrc or ~/.zshrc; see docs/statusbars.md.
#
#   heddle_prompt          the segment for $PWD ('' outside heddle repos):
#                          runs `heddle-ls status --json` once per prompt
#                          inside a repo, nothing at all outside one.
#   heddle_prompt_watched  the same text from a background
#                          `heddle-ls watch --json ROOT` (one per shell, for
#                          the current repo): the prompt reads a file and
#                          starts no process; the text changes as the daemon
#                          does, without polling.
#
# Settings: HEDDLE_LS (binary, default heddle-ls on PATH),
# HEDDLE_PROMPT_PREFIX (default 'heddle:').

# The repo root above $1 (default $PWD), by the plugin's and server's rule.
heddle_prompt_root() {
  local d=${1:-$PWD}
  d=${d%/}
  while :; do
    if [ -d "$d/.heddle/objects" ] || [ -f "$d/.heddle/objectstore" ]; then
      printf '%s\n' "${d:-/}"
      return 0
    fi
    [ -z "$d" ] && return 1
    d=${d%/*}
  done
}

# Extracts "state" from one line of status JSON (flat object, no jq needed).
__heddle_prompt_state() {
  local json=$1 rest
  case $json in
    *'"state":"'*) rest=${json#*\"state\":\"}; printf '%s' "${rest%%\"*}" ;;
    *'"state": "'*) rest=${json#*\"state\": \"}; printf '%s' "${rest%%\"*}" ;;
  esac
}

heddle_prompt() {
  local root json state
  root=$(heddle_prompt_root) || return 0
  json=$("${HEDDLE_LS:-heddle-ls}" status --json "$root" 2>/dev/null)
  state=$(__heddle_prompt_state "$json")
  printf '%s%s' "${HEDDLE_PROMPT_PREFIX-heddle:}" "${state:-unknown}"
}

# Background variant. One watcher per shell, for the repo of $PWD; it is
# replaced when you cd into another repo and stopped when the shell exits.
__heddle_watch_root=
__heddle_watch_pid=
__heddle_watch_file=

__heddle_watch_stop() {
  if [ -n "$__heddle_watch_pid" ]; then
    kill "$__heddle_watch_pid" 2>/dev/null
    wait "$__heddle_watch_pid" 2>/dev/null
  fi
  [ -n "$__heddle_watch_file" ] && rm -f "$__heddle_watch_file"
  __heddle_watch_pid= __heddle_watch_root= __heddle_watch_file=
}

heddle_prompt_watched() {
  local root line last=
  root=$(heddle_prompt_root)
  if [ "$root" != "$__heddle_watch_root" ]; then
    __heddle_watch_stop
    if [ -n "$root" ]; then
      __heddle_watch_file=$(mktemp "${TMPDIR:-/tmp}/heddle-prompt.XXXXXX") || return 0
      __heddle_watch_root=$root
      # The subshell keeps job-control chatter ("[1] 1234") out of the prompt.
      __heddle_watch_pid=$(
        "${HEDDLE_LS:-heddle-ls}" watch --json "$root" >"$__heddle_watch_file" 2>/dev/null &
        printf '%s' "$!"
      )
    fi
  fi
  [ -n "$__heddle_watch_file" ] || return 0
  # The last line is the current status; the file grows by one line per change.
  while IFS= read -r line; do last=$line; done <"$__heddle_watch_file"
  [ -n "$last" ] || return 0
  printf '%s%s' "${HEDDLE_PROMPT_PREFIX-heddle:}" "$(__heddle_prompt_state "$last")"
}

if [ -n "${ZSH_VERSION-}" ]; then
  autoload -Uz add-zsh-hook 2>/dev/null && add-zsh-hook zshexit __heddle_watch_stop
else
  trap '__heddle_watch_stop' EXIT
fi
