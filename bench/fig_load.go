// fig_load.go: figure 11 — a busy machine is not a broken daemon. Twenty
// live daemons opened at once, on an idle machine and again with two
// processes burning both cores: how long until all are ready, and whether
// any unconfirmed failure (unreachable, unhealthy) or message reached the
// editor on the way. And a daemon that really hangs (Health never answers):
// how long until it is reported unhealthy, against the configured
// deadlines, idle and loaded.

package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

func figLoad(e *env) error {
	n, reps := 20, 3
	if e.cfg.quick {
		n, reps = 10, 1
	}
	var uris []string
	for i := range n {
		root, err := makeRepo(e.base, "load"+strconv.Itoa(i))
		if err != nil {
			return err
		}
		if _, err := startDaemon(e.sim, root); err != nil {
			return err
		}
		uris = append(uris, protocol.PathToURI(root))
	}
	hung, err := makeRepo(e.base, "load-hung")
	if err != nil {
		return err
	}
	if _, err := startDaemon(e.sim, hung, "--fault", "hang-health"); err != nil {
		return err
	}
	hungURI := protocol.PathToURI(hung)

	var idle, loaded, hungIdle, hungLoaded samples
	falseAlarms, messages := 0, 0
	for r := range reps {
		for _, busy := range []bool{false, true} {
			var burners []*exec.Cmd
			if busy {
				if burners, err = burn(2); err != nil {
					return err
				}
			}
			took, alarms, msgs, err := openAtOnce(e, fmt.Sprintf("load-%d-%v", r, busy), uris)
			if err == nil {
				var h time.Duration
				if h, err = untilUnhealthy(e, fmt.Sprintf("hung-%d-%v", r, busy), hungURI); err == nil {
					if busy {
						loaded, hungLoaded = append(loaded, took), append(hungLoaded, h)
						falseAlarms, messages = falseAlarms+alarms, messages+msgs
					} else {
						idle, hungIdle = append(idle, took), append(hungIdle, h)
					}
				}
			}
			stopBurners(burners)
			if err != nil {
				return err
			}
		}
	}
	deadlines := samples{50*time.Millisecond + 150*time.Millisecond} // the default connect + health deadlines
	e.add(
		timed("11", fmt.Sprintf("%d daemons opened at once, idle machine: initialized → all ready", n), idle),
		timed("11", fmt.Sprintf("%d daemons opened at once, two CPU burners: initialized → all ready", n), loaded).
			against("idle", idle),
		row{Figure: "11", What: "under load: unconfirmed failures shown (unreachable/unhealthy on the way to ready), and window/showMessage",
			Value: fmt.Sprintf("%d statuses, %d messages", falseAlarms, messages), Target: "0, 0"}.met(falseAlarms == 0 && messages == 0),
		timed("11", "floor: the default deadlines (connect 50 + health 150 ms)", deadlines),
		timed("11", "a hung daemon (Health never answers), idle: initialized → unhealthy", hungIdle).
			against("deadlines", deadlines).target("≤ the deadlines + one retry at twice them (~0.65 s)", hungIdle.median() <= 700*time.Millisecond),
		timed("11", "a hung daemon, two CPU burners: initialized → unhealthy", hungLoaded).against("deadlines", deadlines),
	)
	return nil
}

// openAtOnce opens every folder in a fresh heddle-ls (notifications at the
// default, errors) and returns how long after initialized the last became
// ready, how many statuses were neither ready nor a first probe's, and how
// many messages were shown.
func openAtOnce(e *env, name string, uris []string) (time.Duration, int, int, error) {
	c, err := startServer(e.ls, e.base+"/ls-"+name+".log")
	if err != nil {
		return 0, 0, 0, err
	}
	defer c.Close(waitTimeout)
	_, at, err := c.Initialize(waitTimeout, uris, map[string]any{"processId": os.Getpid()})
	if err != nil {
		return 0, 0, 0, err
	}
	var last time.Time
	for _, u := range uris {
		got, err := waitState(c.Conn, 0, u, "ready")
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%s: %w", u, err)
		}
		if got.After(last) {
			last = got
		}
	}
	alarms := c.Count(func(m lsptest.Message) bool {
		st, ok := lsptest.StatusOf(m)
		return ok && st.State != "ready"
	})
	msgs := c.Count(func(m lsptest.Message) bool { return m.Method == "window/showMessage" })
	return last.Sub(at), alarms, msgs, nil
}

// untilUnhealthy opens a hung daemon's folder in a fresh heddle-ls and
// returns how long after initialized it was reported unhealthy.
func untilUnhealthy(e *env, name, uri string) (time.Duration, error) {
	c, err := startServer(e.ls, e.base+"/ls-"+name+".log")
	if err != nil {
		return 0, err
	}
	defer c.Close(waitTimeout)
	at, err := initialize(c.Conn, []string{uri})
	if err != nil {
		return 0, err
	}
	got, err := waitState(c.Conn, 0, uri, "unhealthy")
	if err != nil {
		return 0, err
	}
	return got.Sub(at), nil
}

// burn starts n processes that spin on a core each.
func burn(n int) ([]*exec.Cmd, error) {
	var cmds []*exec.Cmd
	for range n {
		cmd := exec.Command("sh", "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			stopBurners(cmds)
			return nil, fmt.Errorf("start a CPU burner: %w", err)
		}
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

func stopBurners(cmds []*exec.Cmd) {
	for _, c := range cmds {
		_ = c.Process.Kill()
		_ = c.Wait()
	}
}
