package heddlecli

import (
	"strconv"
	"strings"
)

// Info is the CLI found: its path and the version `heddle --version` printed.
type Info struct {
	Path    string // absolute path of the executable that runs
	Version string // e.g. "0.13.0"; "" when it printed none we could read
}

// The release boundaries (heddle-cli-facts §1).
var (
	firstAgentDaemon = semver{0, 2, 0}  // the agent daemon exists (tagged from v0.2.2)
	firstV1Alpha1    = semver{0, 10, 3} // the daemon speaks only heddle.api.v1alpha1; no --foreground; state_id
	firstNoDaemon    = semver{0, 11, 0} // no agent daemon at all
)

// HasAgentDaemon reports whether this release has `heddle agent serve`
// (v0.2.2 to v0.10.3; builds from before the v0.2.2 tag had it too).
func (i Info) HasAgentDaemon() bool {
	v, ok := parseSemver(i.Version)
	return ok && !v.less(firstAgentDaemon) && v.less(firstNoDaemon)
}

// AgentAPI is the API this release's agent daemon speaks: "heddle.v1" up to
// v0.10.1, "heddle.api.v1alpha1" at v0.10.3, "" without a daemon.
func (i Info) AgentAPI() string {
	v, _ := parseSemver(i.Version)
	switch {
	case !i.HasAgentDaemon():
		return ""
	case v.less(firstV1Alpha1):
		return "heddle.v1"
	}
	return "heddle.api.v1alpha1"
}

// AgentStartCommand is the command that starts this release's agent daemon
// in the foreground, or "" when it has none: up to v0.10.1 serve requires
// --foreground; v0.10.3 rejects the flag (a usage error).
func (i Info) AgentStartCommand() string {
	switch i.AgentAPI() {
	case "heddle.v1":
		return "heddle agent serve --foreground"
	case "heddle.api.v1alpha1":
		return "heddle agent serve"
	}
	return ""
}

type semver [3]int

func (a semver) less(b semver) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// parseSemver reads "X.Y.Z", ignoring a pre-release or build suffix.
func parseSemver(s string) (semver, bool) {
	s, _, _ = strings.Cut(s, "-")
	s, _, _ = strings.Cut(s, "+")
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return semver{}, false
	}
	var v semver
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return semver{}, false
		}
		v[i] = n
	}
	return v, true
}

// parseVersionLine reads heddle's `--version` output, "heddle X.Y.Z\n".
func parseVersionLine(out []byte) (string, bool) {
	line, _, _ := strings.Cut(string(out), "\n")
	name, version, ok := strings.Cut(strings.TrimSpace(line), " ")
	version = strings.TrimSpace(version)
	if !ok || name != "heddle" || version == "" || strings.ContainsAny(version, " \t") {
		return "", false
	}
	return version, true
}
