package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/heddle-ls/heddle-ls/internal/sim"
)

// serve runs the daemon until SIGINT. Its order is heddle's: pidfile, then
// bind, then listen, then serve. Only SIGINT is handled; SIGTERM keeps its
// default action (the process dies and its files stay behind), as in heddle.
func serve(cfg *config, stderr io.Writer, log *slog.Logger) error {
	// Listen for signals before anything exists on disk, so a SIGINT that
	// arrives as soon as the files appear still gets a clean shutdown.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	heddleDir, err := sim.PrepareRepo(cfg.repo)
	if err != nil {
		return err
	}
	if err := sim.MakeSocketsDir(heddleDir); err != nil {
		return err
	}
	pidfile, socket := sim.PidfilePath(heddleDir), sim.SocketPath(heddleDir)
	if cfg.socket != "" {
		socket = cfg.socket
	}
	if err := sim.AcquirePidfile(pidfile, socket, os.Getpid(), time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "heddle-sim: pidfile at %s\n", pidfile)
	// The log this daemon serves becomes the repository's, so heddle-sim's
	// CLI answers from it too (and appended operations reach both).
	if err := sim.WriteRecord(heddleDir, sim.LogRecord{Seed: cfg.server.Seed, Ops: cfg.server.Ops}); err != nil {
		return errors.Join(err, sim.RemoveFiles(pidfile))
	}
	cfg.server.HeddleDir = heddleDir

	if cfg.has("pidfile-only") {
		fmt.Fprintf(stderr, "heddle-sim: ready (pid %d)\n", os.Getpid())
		waitForInterrupt(sigs, nil, log)
		return sim.RemoveFiles(pidfile)
	}

	ln, err := sim.ListenUnix(socket)
	if err != nil {
		return errors.Join(err, sim.RemoveFiles(pidfile))
	}
	fmt.Fprintf(stderr, "heddle-sim: listening on %s\n", socket)

	var stop func() // ends serving; the listener is closed by then
	serveErr := make(chan error, 1)
	var srv *sim.Server
	switch {
	case cfg.has("no-serve"):
		// Never Accept: connects complete in the kernel backlog, and no
		// byte of HTTP/2 is ever spoken.
		stop = func() { ln.Close() }
	case cfg.has("accept-silent"):
		stop = holdSilently(ln, log)
	default:
		srv = sim.New(cfg.server)
		opts := srv.ServerOptions()
		if cfg.maxSendBytes > 0 {
			opts = append(opts, grpc.MaxSendMsgSize(cfg.maxSendBytes))
		}
		g := grpc.NewServer(opts...)
		srv.Register(g)
		go func() { serveErr <- g.Serve(ln) }()
		stop = func() { gracefulStop(g, srv) }
		log.Info("serving", "server", srv.String())
	}
	fmt.Fprintf(stderr, "heddle-sim: ready (pid %d)\n", os.Getpid())

	var failed error
	select {
	case failed = <-serveErr:
		failed = fmt.Errorf("serve on %s: %w", socket, failed)
	case <-interrupted(sigs, srv, log):
	}
	stop()
	return errors.Join(failed, sim.RemoveFiles(socket, pidfile))
}

// interrupted returns a channel closed on SIGINT; SIGUSR1 meanwhile
// toggles the Health status.
func interrupted(sigs <-chan os.Signal, srv *sim.Server, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		waitForInterrupt(sigs, srv, log)
		close(done)
	}()
	return done
}

func waitForInterrupt(sigs <-chan os.Signal, srv *sim.Server, log *slog.Logger) {
	for sig := range sigs {
		if sig == syscall.SIGINT {
			log.Info("interrupted: shutting down")
			return
		}
		if srv == nil {
			log.Warn("SIGUSR1 ignored: no gRPC server")
			continue
		}
		if st, ok := srv.ToggleHealth(); ok {
			log.Info("health toggled", "status", st.String())
		} else {
			log.Warn("SIGUSR1 ignored: no togglable Health service (use --health)")
		}
	}
}

// gracefulStop lets in-flight RPCs finish, but cuts streams that never end
// on their own after gracePeriod.
func gracefulStop(g *grpc.Server, srv *sim.Server) {
	srv.Shutdown()
	done := make(chan struct{})
	go func() {
		g.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(gracePeriod)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		g.Stop()
		<-done
	}
}

// holdSilently is the accept-silent fault: accept every connection and keep
// it open without writing a byte. The returned func closes everything.
func holdSilently(ln net.Listener, log *slog.Logger) func() {
	var mu sync.Mutex
	var conns []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					log.Error("accept", "err", err)
				}
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return func() {
		ln.Close()
		<-accepted
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
}
