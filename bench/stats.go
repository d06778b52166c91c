// stats.go: samples, percentiles and the result table.

package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// samples is a set of durations.
type samples []time.Duration

func (s samples) sorted() samples {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// pct is the q-quantile (0..1), nearest rank.
func (s samples) pct(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := s.sorted()
	i := int(math.Ceil(q*float64(len(c)))) - 1
	return c[max(0, min(i, len(c)-1))]
}

func (s samples) median() time.Duration { return s.pct(0.5) }
func (s samples) p99() time.Duration    { return s.pct(0.99) }

// row is one line of the table. Timed rows carry samples; others a value.
type row struct {
	Figure string  `json:"figure"`
	What   string  `json:"what"`
	N      int     `json:"n"`
	Median float64 `json:"median_ms,omitempty"` // ms
	P99    float64 `json:"p99_ms,omitempty"`
	Value  string  `json:"value,omitempty"` // non-timed figures
	Floor  string  `json:"floor,omitempty"` // name of the floor row it is compared with
	FloorM float64 `json:"floor_median_ms,omitempty"`
	Ratio  float64 `json:"ratio,omitempty"` // median / floor median
	Target string  `json:"target,omitempty"`
	Met    string  `json:"met,omitempty"` // "yes", "NO", "" (a floor or info)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timed makes a row from samples.
func timed(fig, what string, s samples) row {
	return row{Figure: fig, What: what, N: len(s), Median: ms(s.median()), P99: ms(s.p99())}
}

// against sets the floor and ratio of r.
func (r row) against(name string, floor samples) row {
	r.Floor = name
	r.FloorM = ms(floor.median())
	if r.FloorM > 0 {
		r.Ratio = r.Median / r.FloorM
	}
	return r
}

func (r row) target(t string, met bool) row {
	r.Target = t
	r.Met = "NO"
	if met {
		r.Met = "yes"
	}
	return r
}

func fmtMs(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 0.1:
		return fmt.Sprintf("%.4f", v)
	case v < 10:
		return fmt.Sprintf("%.3f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// printTable writes rows as a Markdown table.
func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| # | figure | n | median ms | p99 ms | floor (median ms) | ratio | target | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		med, p99 := fmtMs(r.Median), fmtMs(r.P99)
		if r.Value != "" {
			med, p99 = r.Value, ""
		}
		floor, ratio := "", ""
		if r.Floor != "" {
			floor = fmt.Sprintf("%s (%s)", r.Floor, fmtMs(r.FloorM))
			ratio = fmt.Sprintf("%.2f×", r.Ratio)
		}
		n := ""
		if r.N > 0 {
			n = fmt.Sprint(r.N)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Figure, strings.ReplaceAll(r.What, "|", "/"), n, med, p99, floor, ratio, r.Target, r.Met)
	}
}
