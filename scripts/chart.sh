#!/usr/bin/env bash
# Draws docs/images/latency.png from a benchmark run's latency.csv: the
# distribution (CDF) of daemon start → "ready" and stop → "stopped" as the
# editor sees them, heddle-ls against pollers at 250 ms and 1 s, with the
# inotify floor.
#
#   ./scripts/bench.sh --out /tmp/bench     # writes /tmp/bench/latency.csv
#   ./scripts/chart.sh /tmp/bench/latency.csv [docs/images/latency.png]
#
# Needs gnuplot (Debian: apt-get install gnuplot-nox).
set -euo pipefail
cd "$(dirname "$0")/.."
csv=${1:?usage: scripts/chart.sh LATENCY.csv [OUT.png]}
out=${2:-docs/images/latency.png}
command -v gnuplot >/dev/null || { echo "chart.sh: gnuplot missing: apt-get install gnuplot-nox" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One file per series: sorted samples and their cumulative fraction.
tail -n +2 "$csv" | awk -F, -v dir="$tmp" '
  { f = $1; gsub(/[^A-Za-z0-9]+/, "_", f); print $2 > (dir "/" f ".raw") }'
for raw in "$tmp"/*.raw; do
  sort -g "$raw" | awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }' > "${raw%.raw}.cdf"
done
for s in heddle_ls_start heddle_ls_stop poll_250_ms_start poll_250_ms_stop poll_1_s_start poll_1_s_stop inotify_floor; do
  [ -s "$tmp/$s.cdf" ] || { echo "chart.sh: series ${s//_/ } missing from $csv" >&2; exit 1; }
done
n=$(wc -l < "$tmp/heddle_ls_start.cdf")
mkdir -p "$(dirname "$out")"

gnuplot <<GP
set terminal pngcairo size 1400,620 font "DejaVu Sans,12"
set output "$out"
set multiplot layout 1,2 title "heddle-ls: daemon start/stop → heddle/status at the editor ($n cycles each; pollers simulated with uniform phase)" font ",14"
set logscale x
set xrange [0.01:2000]
set yrange [0:1]
set format x "%g"
set xlabel "latency, ms (log scale)"
set ylabel "fraction of events seen"
set grid xtics ytics mxtics
set key outside below center horizontal maxrows 2
set arrow 1 from 5, graph 0 to 5, graph 1 nohead dt 2 lc rgb "#666666"
set label 1 "target 5 ms" at 5.5, graph 0.5 textcolor rgb "#444444"
set title "start: socket listening → ready"
plot "$tmp/inotify_floor.cdf" using 1:2 with steps lw 2 lc rgb "#999999" title "floor: inotify event", \
     "$tmp/heddle_ls_start.cdf" using 1:2 with steps lw 3 lc rgb "#1b7837" title "heddle-ls (events)", \
     "$tmp/poll_250_ms_start.cdf" using 1:2 with steps lw 2 lc rgb "#e08214" title "poll every 250 ms", \
     "$tmp/poll_1_s_start.cdf" using 1:2 with steps lw 2 lc rgb "#b2182b" title "poll every 1 s"
set title "stop: SIGINT → stopped"
plot "$tmp/inotify_floor.cdf" using 1:2 with steps lw 2 lc rgb "#999999" title "floor: inotify event", \
     "$tmp/heddle_ls_stop.cdf" using 1:2 with steps lw 3 lc rgb "#1b7837" title "heddle-ls (events)", \
     "$tmp/poll_250_ms_stop.cdf" using 1:2 with steps lw 2 lc rgb "#e08214" title "poll every 250 ms", \
     "$tmp/poll_1_s_stop.cdf" using 1:2 with steps lw 2 lc rgb "#b2182b" title "poll every 1 s"
unset multiplot
GP
echo "chart.sh: wrote $out" >&2
