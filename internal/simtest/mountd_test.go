package simtest

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"testing"
)

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type endpointFile struct {
	Version    int     `json:"version"`
	Host       string  `json:"host"`
	Port       int     `json:"port"`
	PID        int     `json:"pid"`
	SocketPath *string `json:"socket_path"`
}

// The mount daemon's files are heddle's, for its own pid; mounts.json
// follows Mount and Unmount; SIGINT removes everything.
func TestMountDaemon_FilesFollowTheProcess(t *testing.T) {
	for _, protocol := range []int{2, 3} {
		t.Run(fmt.Sprint("protocol", protocol), func(t *testing.T) {
			root := NewRepo(t)
			m := StartMountDaemon(t, root, protocol, "--mounts", "2")
			var ep endpointFile
			readJSON(t, m.Endpoint(), &ep)
			if ep.Version != protocol || ep.PID != m.PID() {
				t.Fatalf("endpoint %+v, want version %d and pid %d", ep, protocol, m.PID())
			}
			if protocol == 3 {
				if ep.SocketPath == nil || *ep.SocketPath != m.Socket() || ep.Host != "unix" {
					t.Fatalf("protocol 3 endpoint %+v, want socket_path %s", ep, m.Socket())
				}
				fi, err := os.Lstat(m.Socket())
				if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
					t.Fatalf("socket %v, %v: want a 0600 socket", fi, err)
				}
			} else if ep.SocketPath != nil || ep.Host != "127.0.0.1" || ep.Port == 0 {
				t.Fatalf("protocol 2 endpoint %+v, want 127.0.0.1:<port> and no socket_path", ep)
			}
			var reg struct{ Mounts []map[string]any }
			readJSON(t, m.MountsFile(), &reg)
			if len(reg.Mounts) != 2 {
				t.Fatalf("mounts.json has %d mounts, want 2", len(reg.Mounts))
			}
			if n := m.Mount("extra"); n != 3 {
				t.Fatalf("after Mount: %d mounts, want 3", n)
			}
			if n := m.Unmount(""); n != 2 {
				t.Fatalf("after Unmount: %d mounts, want 2", n)
			}
			readJSON(t, m.MountsFile(), &reg)
			if len(reg.Mounts) != 2 {
				t.Fatalf("mounts.json has %d mounts after Unmount, want 2", len(reg.Mounts))
			}
			if err := m.Interrupt(); err != nil {
				t.Fatalf("Interrupt: %v\n%s", err, m.Stderr())
			}
			for _, p := range []string{m.Endpoint(), m.Socket(), m.MountsFile()} {
				if FileExists(p) {
					t.Fatalf("%s survived a clean exit", p)
				}
			}
			if n := m.Connections(); n != 0 {
				t.Fatalf("%d connections recorded; nothing connected", n)
			}
		})
	}
}

func TestMountDaemon_KillLeavesFiles(t *testing.T) {
	m := StartMountDaemon(t, NewRepo(t), 3, "--mounts", "1")
	m.Kill()
	for _, p := range []string{m.Endpoint(), m.Socket(), m.MountsFile()} {
		if !FileExists(p) {
			t.Fatalf("%s vanished after SIGKILL", p)
		}
	}
}

// The recorder the zero-connection assertions rely on does count: a
// connection made just before the clean exit is recorded too.
func TestMountDaemon_RecordsConnections(t *testing.T) {
	for _, protocol := range []int{2, 3} {
		m := StartMountDaemon(t, NewRepo(t), protocol)
		network, addr := "unix", m.Socket()
		if protocol == 2 {
			var ep endpointFile
			readJSON(t, m.Endpoint(), &ep)
			network, addr = "tcp", fmt.Sprintf("%s:%d", ep.Host, ep.Port)
		}
		for range 3 {
			c, err := net.Dial(network, addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
		if err := m.Interrupt(); err != nil {
			t.Fatal(err)
		}
		if n := m.Connections(); n != 3 {
			t.Fatalf("protocol %d: %d connections recorded, want 3\n%s", protocol, n, m.Stderr())
		}
	}
}
