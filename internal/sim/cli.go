package sim

// heddle-sim's heddle CLI: the read verbs heddle-ls runs (`--version`,
// `query`, `review health`, `hook list`, `hook events`), answering with the
// JSON shapes, key order, ordering, exit codes and stderr envelope of a
// chosen heddle release (heddle-cli-facts §3), over the repository's log
// (oplog.go) — the one heddle-sim's daemon serves.
//
// The environment steers it (a wrapper script can bake these in):
//
//	HEDDLE_SIM_VERSION    the release to act as (CLIVersions; default DefaultCLIVersion)
//	HEDDLE_SIM_CLI_LOG    append one JSON line per invocation: {"argv":[…],"cwd":"…","pid":N}
//	HEDDLE_SIM_CLI_FAULT  misbehave (CLIFaults)
//	HEDDLE_SIM_CLI_PIDS   with fault hang-tree: append each process's pid, one a line

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultCLIVersion is the release heddle-sim's CLI acts as by default.
const DefaultCLIVersion = "0.13.0"

// CLIVersions are the releases heddle-sim's CLI can act as: those whose
// JSON contract the facts describe (v0.10.1 and later).
var CLIVersions = []string{"0.10.1", "0.10.3", "0.11.0", "0.12.0", "0.13.0", "0.14.0"}

// CLIFaults are the values of HEDDLE_SIM_CLI_FAULT:
//
//	hang          block until killed, before writing anything
//	hang-tree     start a child, which starts a grandchild; all three block
//	              until killed (each appends its pid to HEDDLE_SIM_CLI_PIDS)
//	slow=DUR      wait DUR, then answer normally
//	huge          write an endless JSON answer to stdout
//	garbage       exit 0 with stdout that is not JSON
//	exit=CODE[:KIND]  fail with CODE and an envelope of KIND (default runtime_error),
//	              after two plain log lines on stderr, as heddle's logging writes them
//	lock          fail as a held repository lock does (75; 74 at v0.10.1)
var CLIFaults = []string{"hang", "hang-tree", "slow=DUR", "huge", "garbage", "exit=CODE[:KIND]", "lock"}

// Exit codes (heddle's sysexits-style table).
const (
	exitOK       = 0
	exitUsage    = 64
	exitDataErr  = 65
	exitIoErr    = 74
	exitTempFail = 75
	exitConfig   = 78
	// exitSimMisuse is heddle-sim's own: heddle never exits 2 on purpose,
	// so a misconfigured simulation cannot pass for a heddle answer.
	exitSimMisuse = 2
)

// cliProfile is what differs between releases.
type cliProfile struct {
	version string
	// idField is the hit's id key: change_id (hd-, 16 bytes) up to v0.10.1,
	// state_id (hs-, 32 bytes) from v0.10.3.
	idField         string
	oplog           OplogFormat
	repoFormat      int  // SUPPORTED_REPO_FORMAT
	unorderedHealth bool // v0.10.1 emits signal entries in HashMap order
	canonicalVerbs  bool // v0.13.0+: capture→snapshot, case-insensitive, unknown verb is an error
	cloneIntent     bool // v0.13.0+: resumes an interrupted hosted clone first
	incompleteClone bool // v0.12.0+: opening refuses a root whose .heddle has a clone intent
	lockTempFail    bool // v0.10.3+: a held lock exits 75 (v0.10.1: 74)
}

func profileFor(version string) (cliProfile, error) {
	if !slices.Contains(CLIVersions, version) {
		return cliProfile{}, fmt.Errorf("heddle-sim cannot act as heddle %q (known: %s)", version, strings.Join(CLIVersions, ", "))
	}
	p := cliProfile{version: version, idField: "state_id", oplog: OplogV5, repoFormat: 4,
		canonicalVerbs: true, cloneIntent: true, incompleteClone: true, lockTempFail: true}
	older := func(v string) bool { return compareVersions(version, v) < 0 }
	if older("0.13.0") {
		p.repoFormat, p.canonicalVerbs, p.cloneIntent = 3, false, false
		p.oplog.SweepGrace = 0
	}
	if older("0.12.0") {
		p.oplog, p.incompleteClone = OplogV4, false
	}
	if older("0.10.3") {
		p.idField, p.repoFormat, p.unorderedHealth, p.lockTempFail = "change_id", 2, true, false
		p.oplog.RecordSchema = 3
	}
	return p, nil
}

// OplogFormatFor is how heddle version publishes its oplog.
func OplogFormatFor(version string) (OplogFormat, error) {
	p, err := profileFor(version)
	return p.oplog, err
}

// compareVersions orders "X.Y.Z" strings numerically.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// CLIEnv is what RunCLI takes from its process.
type CLIEnv struct {
	Version string // HEDDLE_SIM_VERSION ("" = DefaultCLIVersion)
	Fault   string // HEDDLE_SIM_CLI_FAULT
	Log     string // HEDDLE_SIM_CLI_LOG
	Pids    string // HEDDLE_SIM_CLI_PIDS
	Dir     string // working directory
}

// CLIEnvFromOS reads CLIEnv from the process environment.
func CLIEnvFromOS() CLIEnv {
	dir, _ := os.Getwd()
	return CLIEnv{Version: os.Getenv("HEDDLE_SIM_VERSION"), Fault: os.Getenv("HEDDLE_SIM_CLI_FAULT"),
		Log: os.Getenv("HEDDLE_SIM_CLI_LOG"), Pids: os.Getenv("HEDDLE_SIM_CLI_PIDS"), Dir: dir}
}

// RunCLI runs one heddle command line (args without argv[0]) and returns
// its exit code.
func RunCLI(args []string, env CLIEnv, stdout, stderr io.Writer) int {
	if env.Log != "" {
		if err := logInvocation(env, args); err != nil {
			fmt.Fprintf(stderr, "heddle-sim: %v\n", err)
			return exitSimMisuse
		}
	}
	version := cmp.Or(env.Version, DefaultCLIVersion)
	prof, err := profileFor(version)
	if err != nil {
		fmt.Fprintf(stderr, "heddle-sim: HEDDLE_SIM_VERSION: %v\n", err)
		return exitSimMisuse
	}
	c := &cliRun{prof: prof, env: env, stdout: stdout, stderr: stderr}
	return c.run(args)
}

func logInvocation(env CLIEnv, args []string) error {
	line, _ := json.Marshal(CLICall{Argv: append([]string{"heddle"}, args...), Cwd: env.Dir, Pid: os.Getpid()})
	return appendLine(env.Log, line)
}

// CLICall is one line of the HEDDLE_SIM_CLI_LOG invocation log, defined
// once for the CLI that writes it and the tests that read it
// (simtest.Call).
type CLICall struct {
	Argv []string `json:"argv"` // argv[0] is "heddle"
	Cwd  string   `json:"cwd"`
	Pid  int      `json:"pid"`
}

// appendLine appends line and a newline in one write (O_APPEND keeps
// concurrent writers' lines whole).
func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	_, err = f.Write(append(line, '\n'))
	return errors.Join(err, f.Close())
}

// cliRun is one invocation.
type cliRun struct {
	prof   cliProfile
	env    CLIEnv
	stdout io.Writer
	stderr io.Writer
	// Global flags.
	output string // text | json | json-compact
	repo   string // -C / --repo
	words  []string
	verb   string // the verb's path, e.g. "review health", once known
}

func (c *cliRun) json() bool { return c.output == "json" || c.output == "json-compact" }

// cliVerb parses a verb's own flags (a usage error is clap's, before
// anything runs) and returns what runs it in the opened repository.
type cliVerb func(c *cliRun, flags []string) (func(cliRepo) int, error)

var cliVerbs = []struct {
	path []string
	verb cliVerb
}{
	{[]string{"query"}, (*cliRun).query},
	{[]string{"review", "health"}, (*cliRun).reviewHealth},
	{[]string{"hook", "list"}, (*cliRun).hookList},
	{[]string{"hook", "events"}, (*cliRun).hookEvents},
}

func (c *cliRun) run(args []string) int {
	// heddle answers --version before anything else, even in JSON mode
	// and outside a repository.
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-V") {
		fmt.Fprintf(c.stdout, "heddle %s\n", c.prof.version)
		return exitOK
	}
	if err := c.parseGlobals(args); err != nil {
		// A parse error is an envelope when the command line asks for
		// JSON anywhere, even if it is the part that failed to parse.
		c.output = "text"
		for i, a := range args {
			if a == "--output=json" || a == "--output" && i+1 < len(args) && args[i+1] == "json" {
				c.output = "json"
			}
		}
		return c.usage(err.Error())
	}
	if code, done := c.fault(); done {
		return code
	}
	for _, v := range cliVerbs {
		if len(c.words) >= len(v.path) && slices.Equal(c.words[:len(v.path)], v.path) {
			c.verb = strings.Join(v.path, " ")
			runVerb, err := v.verb(c, c.words[len(v.path):])
			if err != nil {
				return c.usage(err.Error())
			}
			return c.inRepo(runVerb)
		}
	}
	if len(c.words) == 0 {
		return c.usage("a subcommand is required")
	}
	return c.usage(fmt.Sprintf("unrecognized subcommand '%s' (heddle-sim implements --version, query, review health, hook list and hook events)",
		strings.Join(c.words, " ")))
}

// parseGlobals takes heddle's global flags out of args, wherever they are
// (clap's global flags may follow the verb); what is left are the verb's
// words and flags.
func (c *cliRun) parseGlobals(args []string) error {
	c.output = "text"
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(a, "=")
		switch name {
		case "--output", "-C", "--repo", "--op-id":
			if !hasValue {
				if i+1 >= len(args) {
					return fmt.Errorf("a value is required for '%s <%s>' but none was supplied", name, strings.ToUpper(strings.TrimLeft(name, "-")))
				}
				i++
				value = args[i]
			}
			canonical := cmp.Or(map[string]string{"-C": "--repo"}[name], name)
			if seen[canonical] {
				return fmt.Errorf("the argument '%s <%s>' cannot be used multiple times", canonical, strings.ToUpper(strings.TrimLeft(canonical, "-")))
			}
			seen[canonical] = true
			switch name {
			case "--output":
				if !slices.Contains([]string{"text", "json", "json-compact"}, value) {
					return fmt.Errorf("invalid value '%s' for '--output <OUTPUT>' [possible values: json, json-compact, text]", value)
				}
				c.output = value
			case "-C", "--repo":
				c.repo = value
			}
		case "--no-color", "-q", "--quiet", "-v", "-vv", "-vvv", "--verbose":
		case "--version", "-V":
			return fmt.Errorf("unexpected argument '%s' found", a)
		default:
			c.words = append(c.words, a)
		}
	}
	return nil
}

// usage is a command-line error as clap renders it: exit 64, and in JSON
// mode a parse_error envelope whose error is clap's whole message.
func (c *cliRun) usage(msg string) int {
	usageLine := "heddle [OPTIONS] <COMMAND>"
	if c.verb != "" {
		usageLine = "heddle " + c.verb + " [OPTIONS]"
	}
	text := fmt.Sprintf("error: %s\n\nUsage: %s\n\nFor more information, try '--help'.\n", msg, usageLine)
	if strings.HasPrefix(msg, "invalid value") {
		// clap shows no usage line for a bad value.
		text = fmt.Sprintf("error: %s\n\nFor more information, try '--help'.\n", msg)
	}
	if !c.json() {
		fmt.Fprint(c.stderr, text)
		return exitUsage
	}
	c.envelope(envelope{Error: text, ExitCode: exitUsage, Kind: "parse_error",
		Hint:             "See `heddle help --output json` for the commands and their flags.",
		UnsafeCondition:  "the arguments match no command heddle knows",
		WouldChange:      "nothing: the command did not run",
		Preserved:        "everything: the command did not run",
		RecoveryCommands: []string{"heddle help --output json", "heddle help --output text"}})
	return exitUsage
}

// fail reports a command failure: the envelope in JSON mode, heddle's
// "Error:/Next:" lines otherwise.
func (c *cliRun) fail(e envelope) int {
	if c.json() {
		c.envelope(e)
	} else {
		fmt.Fprintf(c.stderr, "Error: %s\nNext: %s\n", e.Error, e.RecoveryCommands[0])
	}
	return e.ExitCode
}

// runtimeError is an unclassified failure (heddle's catch-all kind), whose
// recovery adds the verb's help.
func (c *cliRun) runtimeError(code int, kind, msg string) envelope {
	e := envelope{Error: msg, ExitCode: code, Kind: kind,
		Hint:             "Try `heddle status`, or run again with -v to see more.",
		UnsafeCondition:  "heddle could not tell what went wrong or what would be safe",
		WouldChange:      "running it again may fail the same way until the cause is fixed",
		Preserved:        "no recovery is known; look at the error before running it again",
		RecoveryCommands: []string{"heddle status"}}
	if c.verb != "" {
		e.RecoveryCommands = append(e.RecoveryCommands, "heddle help "+c.verb)
	}
	return e
}

// fault applies HEDDLE_SIM_CLI_FAULT; done means the run is over.
func (c *cliRun) fault() (int, bool) {
	name, arg, _ := strings.Cut(c.env.Fault, "=")
	switch name {
	case "":
		return 0, false
	case "hang":
		c.notePid()
		blockForever()
	case "hang-tree":
		c.notePid()
		depth, _ := strconv.Atoi(arg)
		if depth < 2 {
			if err := c.spawnSelf(fmt.Sprintf("hang-tree=%d", depth+1)); err != nil {
				fmt.Fprintf(c.stderr, "heddle-sim: %v\n", err)
				return exitSimMisuse, true
			}
		}
		blockForever()
	case "slow":
		d, err := time.ParseDuration(arg)
		if err != nil {
			fmt.Fprintf(c.stderr, "heddle-sim: HEDDLE_SIM_CLI_FAULT slow=%q: %v\n", arg, err)
			return exitSimMisuse, true
		}
		time.Sleep(d)
		return 0, false
	case "huge":
		fmt.Fprint(c.stdout, `{"output_kind":"query","hits":[`)
		hit := []byte(`{"seq":1,"timestamp_secs":0,"verb":"snapshot","actor_email":"","operation_id":null,"thread":null,"symbols":[],"signal_kinds":[],"state_id":null},`)
		for {
			if _, err := c.stdout.Write(hit); err != nil {
				return exitIoErr, true
			}
		}
	case "garbage":
		fmt.Fprintln(c.stdout, "this is not JSON")
		return exitOK, true
	case "exit":
		codeText, kind, _ := strings.Cut(arg, ":")
		code, err := strconv.Atoi(codeText)
		if err != nil || code <= 0 || code > 255 {
			fmt.Fprintf(c.stderr, "heddle-sim: HEDDLE_SIM_CLI_FAULT exit=%q: want a code 1..255\n", arg)
			return exitSimMisuse, true
		}
		// heddle's logging shares stderr with the envelope.
		fmt.Fprintf(c.stderr, "2026-01-01T00:00:00.000000Z  WARN heddle::cli: simulated failure\n{not json\n")
		return c.fail(c.runtimeError(code, cmp.Or(kind, "runtime_error"), fmt.Sprintf("simulated failure (exit %d)", code))), true
	case "lock":
		msg := "the repository lock is held by another heddle process"
		if !c.prof.lockTempFail {
			return c.fail(c.runtimeError(exitIoErr, "runtime_error", msg)), true
		}
		return c.fail(envelope{Error: msg, ExitCode: exitTempFail, Kind: "repository_lock_unavailable",
			Hint:             "Let the other heddle command finish, then run this one again.",
			UnsafeCondition:  "another heddle process holds the repository lock",
			WouldChange:      "going on without the lock could interleave two writers",
			Preserved:        "the repository was not touched",
			RecoveryCommands: []string{"heddle status"}}), true
	}
	fmt.Fprintf(c.stderr, "heddle-sim: unknown HEDDLE_SIM_CLI_FAULT %q (want one of %s)\n", c.env.Fault, strings.Join(CLIFaults, ", "))
	return exitSimMisuse, true
}

func (c *cliRun) notePid() {
	if c.env.Pids != "" {
		_ = appendLine(c.env.Pids, []byte(strconv.Itoa(os.Getpid())))
	}
}

// blockForever sleeps until the process is killed (a bare select{} would
// be reported as a deadlock by the Go runtime).
func blockForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// spawnSelf starts this program again as heddle-sim's CLI with another
// fault and leaves it running, holding this process's stdout and stderr
// (so a reader waiting for EOF waits for it too).
func (c *cliRun) spawnSelf(fault string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "cli", "query")
	cmd.Env = append(os.Environ(), "HEDDLE_SIM_CLI_FAULT="+fault, "HEDDLE_SIM_CLI_LOG=")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start a child: %w", err)
	}
	return cmd.Process.Release()
}

// inRepo applies heddle's gates in heddle's order (the JSON output mode,
// then a clone intent, then opening the repository) and runs the verb.
func (c *cliRun) inRepo(runVerb func(cliRepo) int) int {
	if c.output == "json-compact" {
		command := "heddle " + c.verb + " --output json"
		return c.fail(envelope{Error: fmt.Sprintf("`heddle %s` has no --output json-compact form", c.verb),
			ExitCode: exitDataErr, Kind: "json_compact_unsupported",
			Hint:             "Ask for --output json instead.",
			UnsafeCondition:  "this command has no compact output",
			WouldChange:      "nothing: the command did not run",
			Preserved:        "everything: the command did not run",
			RecoveryCommands: []string{command, "heddle help --output json"}})
	}
	start := c.env.Dir
	if c.repo != "" {
		start = c.repo
		if !filepath.IsAbs(start) {
			start = filepath.Join(c.env.Dir, start)
		}
	}
	start = filepath.Clean(start)
	if resolved, err := filepath.EvalSymlinks(start); err == nil {
		start = resolved
	}
	r, code, failed := c.openRepo(start)
	if failed {
		return code
	}
	return runVerb(r)
}

// cliRepo is an opened repository.
type cliRepo struct {
	root, heddleDir string
}

func (c *cliRun) openRepo(start string) (cliRepo, int, bool) {
	notFound := func(at string) (cliRepo, int, bool) {
		command := "heddle init " + shellWord(at)
		return cliRepo{}, c.fail(envelope{Error: "open the repository: no repository at " + at,
			ExitCode: exitConfig, Kind: "repository_not_found",
			Hint:             fmt.Sprintf("`%s` makes one there.", command),
			UnsafeCondition:  fmt.Sprintf("there is no heddle repository at '%s'", at),
			WouldChange:      "nothing can be read or changed before the repository exists",
			Preserved:        "nothing was written",
			RecoveryCommands: []string{command}}), true
	}
	if c.prof.cloneIntent {
		for dir := start; ; dir = filepath.Dir(dir) {
			if _, err := os.Lstat(filepath.Join(dir, ".heddle", "clone-intent.toml")); err == nil {
				// Real heddle resumes the clone over the network here (a
				// build with its default client feature); heddle-sim fails
				// as an offline attempt would.
				return cliRepo{}, c.fail(c.runtimeError(exitIoErr, "runtime_error",
					"resume the interrupted clone at "+dir+": heddle-sim has no network")), true
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	var root string
	for dir := start; ; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(filepath.Join(dir, ".heddle", "clone-intent.toml")); err == nil && fi.Mode().IsRegular() && c.prof.incompleteClone {
			// heddle v0.12.0's open, observed: exit 74, runtime_error.
			return cliRepo{}, c.fail(c.runtimeError(exitIoErr, "runtime_error",
				"open the repository: the clone at "+dir+" is incomplete; repair it from its origin")), true
		}
		if isHeddleRoot(dir) {
			root = dir
			break
		}
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			// Real heddle bootstraps a git-overlay .heddle here; heddle-sim
			// writes nothing and answers as if no repository were found.
			fmt.Fprintf(c.stderr, "heddle-sim: %s is a Git root without .heddle: real heddle would bootstrap it\n", dir)
			return notFound(start)
		}
		if filepath.Dir(dir) == dir {
			return notFound(start)
		}
	}
	dot := filepath.Join(root, ".heddle")
	heddleDir := dot
	if pointer, err := os.ReadFile(filepath.Join(dot, "objectstore")); err == nil {
		if heddleDir, err = followPointer(pointer); err != nil {
			return cliRepo{}, c.fail(c.runtimeError(exitIoErr, "runtime_error", err.Error())), true
		}
	} else if fi, err := os.Stat(filepath.Join(dot, "objects")); err != nil || !fi.IsDir() {
		return notFound(root)
	}
	if code, bad := c.checkFormat(dot); bad {
		return cliRepo{}, code, true
	}
	return cliRepo{root: root, heddleDir: heddleDir}, 0, false
}

// shellWord quotes s for a shell only when it needs it, as heddle's hints do.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-=:@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isHeddleRoot is heddle's root rule (heddle.IsHeddleRoot; restated here
// so the simulation does not share code with what it tests).
func isHeddleRoot(dir string) bool {
	dot := filepath.Join(dir, ".heddle")
	if fi, err := os.Stat(dot); err != nil || !fi.IsDir() {
		return false
	}
	for _, m := range []string{"HEAD", "objects", "objectstore", "oplog", "refs"} {
		if _, err := os.Lstat(filepath.Join(dot, m)); err == nil {
			return true
		}
	}
	return false
}

// checkFormat compares .heddle/config.toml's [repository] version with the
// release's supported format; a missing file or key passes.
func (c *cliRun) checkFormat(dot string) (int, bool) {
	path := filepath.Join(dot, "config.toml")
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	found, ok := repositoryVersion(string(data))
	if !ok || found == c.prof.repoFormat {
		return 0, false
	}
	if found > c.prof.repoFormat {
		return c.fail(envelope{
			Error:    fmt.Sprintf("%s: repository format %d is newer than this heddle's %d", path, found, c.prof.repoFormat),
			ExitCode: exitDataErr, Kind: "repository_format_too_new",
			Hint:             "Use a heddle release that reads this repository format.",
			UnsafeCondition:  fmt.Sprintf("repository format %d, this heddle reads %d", found, c.prof.repoFormat),
			WouldChange:      "reading a newer format could misread its data",
			Preserved:        "nothing was written",
			RecoveryCommands: []string{"heddle status"}}), true
	}
	return c.fail(envelope{
		Error:    fmt.Sprintf("%s: repository format %d is older than this heddle's %d", path, found, c.prof.repoFormat),
		ExitCode: exitDataErr, Kind: "repository_format_migration_required",
		Hint:             fmt.Sprintf("Back up the repository, then recreate it in format %d.", c.prof.repoFormat),
		UnsafeCondition:  fmt.Sprintf("repository format %d, this heddle needs %d", found, c.prof.repoFormat),
		WouldChange:      "reading an older format as the current one could misread its data",
		Preserved:        "nothing was written",
		RecoveryCommands: []string{"heddle help adopt"}}), true
}

// repositoryVersion finds `version = N` in the [repository] table.
func repositoryVersion(toml string) (int, bool) {
	inTable := false
	for line := range strings.Lines(toml) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inTable = line == "[repository]"
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if inTable && ok && strings.TrimSpace(key) == "version" {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			return n, err == nil
		}
	}
	return 0, false
}
