// process.go: the two places a server runs — a child process spoken to
// over its stdio, or a function serving one end of a pipe in this process.

package lsptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"time"
)

// Process is an LSP server running as a child process, spoken to over its
// stdio.
type Process struct {
	*Conn
	cmd    *exec.Cmd
	stdin  *os.File
	stdout *os.File
	exited chan struct{} // closed once reaped and its output read to the end
	state  *os.ProcessState
}

// StartProcess runs bin with args, its stderr going to stderr (nil
// discards it).
func StartProcess(bin string, args []string, stderr io.Writer) (*Process, error) {
	// Pipes of our own rather than exec's: they take write deadlines, and
	// reaping the process does not close them under the read loop.
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, stderr
	err = cmd.Start()
	inR.Close() // the child has its own copies
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{Conn: NewConn(outR, inW), cmd: cmd, stdin: inW, stdout: outR, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		<-p.Conn.Done()
		p.state = cmd.ProcessState
		outR.Close()
		close(p.exited)
	}()
	return p, nil
}

// PID is the server's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// CloseStdin closes the server's input, as an editor that goes away does.
func (p *Process) CloseStdin() error { return p.stdin.Close() }

// Signal sends sig to the server.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Exited is closed once the process has exited, been reaped, and its
// output has been read to the end.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitCode is the exit code once Exited is closed (-1 if a signal ended
// the process).
func (p *Process) ExitCode() int { return p.state.ExitCode() }

// WaitExit waits up to d for the process to exit and returns its exit code.
func (p *Process) WaitExit(d time.Duration) (int, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.exited:
		return p.ExitCode(), nil
	case <-timer.C:
		return 0, fmt.Errorf("pid %d did not exit within %v", p.PID(), d)
	}
}

// Kill ends the process with SIGKILL, if it still runs, and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.stdin.Close()
}

// Close ends the session as an editor does (shutdown, exit, stdin closed)
// and waits up to d for each step, and for exit code 0; a process still
// running then is killed.
func (p *Process) Close(d time.Duration) error {
	err := p.Shutdown(d)
	p.stdin.Close()
	code, werr := p.WaitExit(d)
	if werr != nil {
		p.Kill()
		return errors.Join(err, werr, errors.New("killed"))
	}
	if code != 0 && err == nil {
		err = fmt.Errorf("pid %d exited with code %d after shutdown and exit", p.PID(), code)
	}
	return err
}

// Pipe is an LSP server served in this process on one end of a net.Pipe,
// spoken to over the other.
type Pipe struct {
	*Conn
	end    net.Conn // the client's end
	cancel context.CancelFunc
	served chan struct{} // closed once serve has returned
	err    error         // serve's result, set before served is closed
}

// NewPipe runs serve (e.g. an lsp.Server's Serve) in a goroutine on the
// server's end of a new pipe.
func NewPipe(serve func(context.Context, io.ReadWriteCloser) error) *Pipe {
	serverEnd, clientEnd := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pipe{Conn: NewConn(clientEnd, clientEnd), end: clientEnd, cancel: cancel, served: make(chan struct{})}
	go func() {
		p.err = serve(ctx, serverEnd)
		close(p.served)
	}()
	return p
}

// CloseClient closes the client's end: the server reads EOF.
func (p *Pipe) CloseClient() error { return p.end.Close() }

// Served is closed once serve has returned.
func (p *Pipe) Served() <-chan struct{} { return p.served }

// ServeErr is serve's result once Served is closed.
func (p *Pipe) ServeErr() error { return p.err }

// WaitServed waits up to d for serve to return and returns its result.
func (p *Pipe) WaitServed(d time.Duration) (served, err error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.served:
		return p.err, nil
	case <-timer.C:
		return nil, fmt.Errorf("serve did not return within %v", d)
	}
}

// Stop cancels serve's context, closes the client's end and waits up to d
// for serve to return, whatever it returns.
func (p *Pipe) Stop(d time.Duration) error {
	p.cancel()
	p.end.Close()
	_, err := p.WaitServed(d)
	return err
}
