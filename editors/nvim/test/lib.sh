# Shared shell helpers for the Neovim plugin's tests (sourced).

# wait_until DEADLINE_SECONDS DESCRIPTION CMD...: runs CMD until it succeeds
# or the deadline passes (then prints DESCRIPTION and fails). Polling a
# condition with a deadline, never a bare sleep.
wait_until() {
  local secs=$1 what=$2; shift 2
  local end=$(( $(date +%s%N) + secs * 1000000000 ))
  until "$@"; do
    if (( $(date +%s%N) > end )); then
      echo "timeout after ${secs}s waiting for: $what" >&2
      return 1
    fi
    sleep 0.02
  done
}

# start_sim REPO: starts heddle-sim for REPO in the background, waits for its
# socket, and prints its pid.
start_sim() {
  local repo=$1
  "$HEDDLE_SIM" --repo "$repo" --log-level warn >>"$WORK/sim.log" 2>&1 &
  local pid=$!
  wait_until 10 "heddle-sim socket in $repo" test -S "$repo/.heddle/sockets/grpc.sock" || return 1
  echo "$pid"
}

# stop_sim PID REPO: SIGINT (clean stop: heddle-sim removes its files), then
# waits for the pidfile to go.
stop_sim() {
  kill -INT "$1"
  wait_until 10 "heddle-sim pidfile removed in $2" test ! -e "$2/.heddle/sockets/grpc.pid"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
