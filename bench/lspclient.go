// lspclient.go: the bench speaks LSP through internal/lsptest's core, as
// the tests do: every message stamped with the moment its last byte was
// read, before any JSON decoding; the server's requests answered null.

package main

import (
	"errors"
	"os"
	"time"

	"github.com/heddle-ls/heddle-ls/internal/lsptest"
	"github.com/heddle-ls/heddle-ls/lsp"
	"github.com/heddle-ls/heddle-ls/lsp/protocol"
)

// startServer runs bin (heddle-ls) in LSP mode; its stderr goes to logPath.
func startServer(bin, logPath string) (*lsptest.Process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own copy
	return lsptest.StartProcess(bin, []string{"--stdio"}, logf)
}

// serveInProcess runs the same server code on a pipe in this process.
func serveInProcess() *lsptest.Pipe { return lsptest.NewPipe(lsp.NewServer(lsp.Options{}).Serve) }

// closeInProcess ends an in-process session and waits for the server.
func closeInProcess(p *lsptest.Pipe) error {
	return errors.Join(p.Shutdown(waitTimeout), p.Stop(waitTimeout))
}

// initialize opens folders (URIs) with notifications off and returns when
// initialized was written.
func initialize(c *lsptest.Conn, folders []string) (time.Time, error) {
	_, at, err := c.Initialize(waitTimeout, folders, map[string]any{"processId": os.Getpid(),
		"initializationOptions": map[string]any{"notifications": "off"}})
	return at, err
}

// waitState waits for folder to reach state in a notification at message
// index from or later (see Len), and returns when it arrived.
func waitState(c *lsptest.Conn, from int, folder, state string) (time.Time, error) {
	_, at, err := c.WaitState(from, folder, state, "", waitTimeout)
	return at, err
}

// rpc is a request whose error response is an error too; the duration is
// client to client.
func rpc(c *lsptest.Conn, method string, params any) (time.Duration, lsptest.Message, error) {
	m, took, err := c.Request(waitTimeout, method, params)
	if err == nil && m.Error != nil {
		err = errors.New(method + ": error response: " + m.Raw)
	}
	return took, m, err
}

// openFolder starts a heddle-ls (its log in base/ls-name.log), opens the
// folder at root and waits for its first status to be state.
func openFolder(e *env, name, root, state string) (*lsptest.Process, string, error) {
	c, err := startServer(e.ls, e.base+"/ls-"+name+".log")
	if err != nil {
		return nil, "", err
	}
	uri := protocol.PathToURI(root)
	if _, err := initialize(c.Conn, []string{uri}); err != nil {
		c.Close(waitTimeout)
		return nil, "", err
	}
	if _, err := waitState(c.Conn, 0, uri, state); err != nil {
		c.Close(waitTimeout)
		return nil, "", err
	}
	return c, uri, nil
}
