#!/usr/bin/env bash
# make test: every suite, in order, each timed; at the end a table of the
# suites that ran, their result and their time. A failing suite does not
# stop the others (one run shows every failure); the exit code is non-zero
# if any failed. Suites are make targets: scripts/test.sh [TARGET...]
# (default: all of them).
set -uo pipefail
cd "$(dirname "$0")/.."
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(deps test-go test-vscode test-nvim test-statusbar fuzz soak bench-quick)
names=() results=() times=()
failed=0
for s in "${suites[@]}"; do
  echo
  echo "=============== make $s"
  t0=$(date +%s)
  if make --no-print-directory "$s"; then r=ok; else r=FAILED; failed=1; fi
  names+=("$s") results+=("$r") times+=($(( $(date +%s) - t0 )))
  # Without its dependencies nothing else can run.
  [ "$s" = deps ] && [ "$r" != ok ] && break
done
echo
echo "=============== make test: summary"
total=0
for i in "${!names[@]}"; do
  printf '  %-16s %-7s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
  total=$(( total + times[i] ))
done
printf '  %-16s %-7s %5ss\n' total "$([ $failed = 0 ] && echo ok || echo FAILED)" "$total"
exit $failed
