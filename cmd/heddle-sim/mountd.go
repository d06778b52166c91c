package main

// heddle-sim mountd: a stand-in for heddled, the mount daemon (see package
// simmount). Scripts and tests rely on these stderr lines:
//
//	heddle-sim: endpoint at <path>             the endpoint is written
//	heddle-sim: ready (pid <N>)                and the initial mounts.json, if any
//	heddle-sim: mounts <N>                     mounts.json was rewritten
//	heddle-sim: connection accepted (<N>) …    someone connected (heddle-ls never should)
//
// Commands on stdin, one per line, each answered on stdout with
// "mounts <N>" (or "error: …"): "mount THREAD", "unmount [THREAD]".

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/heddle-ls/heddle-ls/internal/simmount"
)

func runMountd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts := simmount.Options{Log: stderr}
	var initial int
	fs := flag.NewFlagSet("heddle-sim mountd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: heddle-sim mountd --repo DIR [flags]

Write heddled's files (DIR/.heddle/state/heddled.endpoint.json, mounts.json
and, for protocol 3, the socket heddled.sock) for this live process, and bind
what heddled binds, serving nothing: every connection is recorded. SIGINT
removes the files (a clean exit); SIGTERM and SIGKILL leave them. SIGUSR1
adds a mount, SIGUSR2 removes the newest; so do the stdin commands
"mount THREAD" and "unmount [THREAD]", answered on stdout with "mounts N".

flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&opts.Root, "repo", "", "repository root `dir` (made a heddle repo if it is not one)")
	fs.IntVar(&opts.Protocol, "protocol", 3, "mount protocol: 2 (TCP, heddle ≤ 0.13.0) or 3 (Unix socket)")
	fs.IntVar(&initial, "mounts", 0, "start with this many mounts")
	fs.StringVar(&opts.Record, "record", "", "keep the number of accepted connections in this `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "heddle-sim: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return exitUsage
	case opts.Root == "":
		fmt.Fprintln(stderr, "heddle-sim: --repo is required")
		return exitUsage
	case opts.Protocol != 2 && opts.Protocol != 3:
		fmt.Fprintf(stderr, "heddle-sim: --protocol must be 2 or 3, got %d\n", opts.Protocol)
		return exitUsage
	case initial < 0:
		fmt.Fprintf(stderr, "heddle-sim: --mounts must not be negative, got %d\n", initial)
		return exitUsage
	}

	// Before any file exists, so a SIGINT as soon as they appear is clean.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)

	d, err := simmount.Start(opts)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-sim: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stderr, "heddle-sim: endpoint at %s/%s\n", d.StateDir(), simmount.EndpointFile)
	next := 0 // names the mounts added without a name
	for range initial {
		next++
		if _, err := d.Mount("t" + strconv.Itoa(next)); err != nil {
			fmt.Fprintf(stderr, "heddle-sim: %v\n", err)
		}
	}
	fmt.Fprintf(stderr, "heddle-sim: ready (pid %d)\n", os.Getpid())

	commands := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			commands <- sc.Text()
		}
	}()
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGINT:
				if err := d.Close(); err != nil {
					fmt.Fprintf(stderr, "heddle-sim: %v\n", err)
					return exitFailure
				}
				return 0
			case syscall.SIGUSR1:
				next++
				_, err = d.Mount("t" + strconv.Itoa(next))
			case syscall.SIGUSR2:
				_, err = d.Unmount("")
			}
			if err != nil {
				fmt.Fprintf(stderr, "heddle-sim: %v\n", err)
			}
		case line := <-commands:
			verb, thread, _ := strings.Cut(strings.TrimSpace(line), " ")
			var n int
			switch {
			case verb == "mount" && thread != "":
				n, err = d.Mount(thread)
			case verb == "unmount":
				n, err = d.Unmount(thread)
			default:
				err = fmt.Errorf("unknown command %q (want mount THREAD or unmount [THREAD])", line)
			}
			if err != nil {
				fmt.Fprintf(stdout, "error: %v\n", err)
			} else {
				fmt.Fprintf(stdout, "mounts %d\n", n)
			}
		}
	}
}
