// Command bench measures heddle-ls against the physical floor: it starts
// real heddle-sim daemons and a real heddle-ls process, speaks LSP to it
// over stdio like an editor, and prints one table — each figure's median
// and p99, the floor measured in the same run, and their ratio.
//
//	go run ./bench [--quick] [--bin DIR] [--out DIR]
//
// Timing never fails the run (machines are noisy); the exit code is 1 only
// when the harness itself fails (a daemon that will not start, a server
// that does not answer). Targets are judged in the table's last column.
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// waitTimeout bounds every wait for a process, a notification or a response.
const waitTimeout = 20 * time.Second

type config struct {
	quick   bool
	binDir  string
	outDir  string
	only    map[string]bool
	probeN  int           // figure 1 samples
	opsN    int           // figure 2 samples (120-op log)
	largeN  int           // figure 2 samples (large log)
	large   int           // ops in the large log
	liveN   int           // figure 3 start/stop cycles
	folders int           // figure 4 folders
	live    int           // figure 4 folders with a live daemon (also 5, 6)
	reps    int           // figure 4 repetitions (fresh heddle-ls each)
	statusN int           // figure 4 heddle.status samples
	idle    time.Duration // figure 5 window
	verbN   int           // figure 7 samples
	restart int           // figure 8 restarts
	cliN    int           // figure 10 samples
	seed    int64
}

func main() {
	os.Exit(run())
}

func run() int {
	cfg := config{}
	var only string
	flag.BoolVar(&cfg.quick, "quick", false, "small N: check the harness end to end in well under a minute")
	flag.StringVar(&cfg.binDir, "bin", "bin", "directory holding heddle-ls and heddle-sim")
	flag.StringVar(&cfg.outDir, "out", "", "write results.json and latency.csv here (default: none)")
	flag.StringVar(&only, "only", "", "comma-separated figures to run (1..12); default all")
	flag.Int64Var(&cfg.seed, "seed", 1, "seed of the simulated pollers' phases")
	flag.Parse()
	if cfg.quick {
		cfg.probeN, cfg.opsN, cfg.largeN, cfg.large = 30, 30, 5, 5000
		cfg.liveN, cfg.folders, cfg.live, cfg.reps, cfg.statusN = 10, 100, 10, 1, 10
		cfg.idle, cfg.verbN, cfg.restart = 3*time.Second, 10, 50
		cfg.cliN = 10
	} else {
		cfg.probeN, cfg.opsN, cfg.largeN, cfg.large = 500, 500, 50, 50000
		cfg.liveN, cfg.folders, cfg.live, cfg.reps, cfg.statusN = 300, 1000, 100, 7, 50
		cfg.idle, cfg.verbN, cfg.restart = 60*time.Second, 100, 1000
		cfg.cliN = 200
	}
	cfg.only = map[string]bool{}
	for _, f := range strings.Split(only, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.only[f] = true
		}
	}
	if err := runBench(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench: harness failed: %v\n", err)
		return 1
	}
	return 0
}

// env is what every figure shares.
type env struct {
	cfg    config
	ls     string // heddle-ls binary
	sim    string // heddle-sim binary
	base   string // temp dir for repos and logs
	rows   []row
	series map[string]samples // raw samples for latency.csv
	// Figure 1's cold-probe median, used as the cost of a poller's probe.
	coldProbe time.Duration
}

func (e *env) want(fig string) bool { return len(e.cfg.only) == 0 || e.cfg.only[fig] }

func (e *env) add(rows ...row) {
	for _, r := range rows {
		e.rows = append(e.rows, r)
		if r.Value != "" {
			fmt.Fprintf(os.Stderr, "bench: %s %s: %s\n", r.Figure, r.What, r.Value)
		} else {
			fmt.Fprintf(os.Stderr, "bench: %s %s: median %s ms, p99 %s ms\n", r.Figure, r.What, fmtMs(r.Median), fmtMs(r.P99))
		}
	}
}

func runBench(cfg config) error {
	started := time.Now()
	e := &env{cfg: cfg, series: map[string]samples{}}
	var err error
	if e.ls, err = filepath.Abs(filepath.Join(cfg.binDir, "heddle-ls")); err != nil {
		return err
	}
	e.sim, _ = filepath.Abs(filepath.Join(cfg.binDir, "heddle-sim"))
	for _, b := range []string{e.ls, e.sim} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%s missing (run make build): %w", b, err)
		}
	}
	// Short and canonical: socket paths must fit in 108 bytes, and the
	// server reports canonical paths.
	base, err := os.MkdirTemp("", "hb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	defer stopAll()
	if e.base, err = filepath.EvalSymlinks(base); err != nil {
		return err
	}
	mode := "full"
	if cfg.quick {
		mode = "quick"
	}
	load0 := loadavg()
	fmt.Fprintf(os.Stderr, "bench: %s mode, %d CPUs, load %s\n", mode, runtime.NumCPU(), load0)

	figures := []struct {
		id  string
		run func(*env) error
	}{
		{"1", figProbe}, {"2", figOperations}, {"7", figVerb}, {"3", figLive},
		{"8", figLeaks}, {"9", figOplog}, {"10", figCLI}, {"11", figLoad}, {"12", figMount}, {"4", figScale},
	}
	for _, f := range figures {
		if f.id == "4" && !(e.want("4") || e.want("5") || e.want("6")) {
			continue
		}
		if f.id != "4" && !e.want(f.id) {
			continue
		}
		if err := f.run(e); err != nil {
			return fmt.Errorf("figure %s: %w", f.id, err)
		}
	}

	fmt.Printf("\nheddle-ls benchmark, %s mode, %s; load before %s, after %s; %d CPUs; %s\n\n",
		mode, time.Now().UTC().Format(time.RFC3339), load0, loadavg(), runtime.NumCPU(), time.Since(started).Round(time.Second))
	printTable(os.Stdout, e.rows)
	return e.write(mode, load0)
}

// write saves results.json (the table) and latency.csv (raw samples, for
// scripts/chart.sh) in the out dir.
func (e *env) write(mode, load0 string) error {
	dir := e.cfg.outDir
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	res := map[string]any{"mode": mode, "time": time.Now().UTC().Format(time.RFC3339),
		"load_before": load0, "load_after": loadavg(), "cpus": runtime.NumCPU(), "rows": e.rows}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "latency.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"series", "ms"})
	for _, name := range sortedKeys(e.series) {
		for _, d := range e.series[name] {
			_ = w.Write([]string{name, fmt.Sprintf("%.4f", ms(d))})
		}
	}
	w.Flush()
	if err := errorsJoin(w.Error(), f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s and %s\n", filepath.Join(dir, "results.json"), filepath.Join(dir, "latency.csv"))
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
