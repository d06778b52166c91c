package sim

// The verbs of heddle-sim's heddle CLI (see cli.go).

import (
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// DefaultQueryLimit is `heddle query`'s --limit default (0 = unlimited).
const DefaultQueryLimit = 100

// QueryVerbCatalog is heddle's operation verb catalog (the kinds of `heddle
// watch`, heddle-cli-facts §3): the names `--verb` accepts from v0.13.0 on.
var QueryVerbCatalog = []string{
	"snapshot", "goto", "thread_create", "thread_delete", "thread_update", "fork", "collapse",
	"marker_create", "marker_delete", "checkpoint", "transaction_abort", "ephemeral_thread_collapse",
	"conflict_resolved", "transaction_commit", "redact", "purge", "fast_forward", "git_checkpoint",
	"remote_thread_update", "remote_thread_delete", "undo_recovery_update", "state_visibility_set",
	"state_visibility_promote", "head_update",
}

// The CLI reads a hit's thread and state id from the operation's record,
// and some records carry none (heddle's query.rs, thread_for and
// primary_state_id): for these verbs the hit has "thread": null, or a null
// id.
var (
	verbsWithoutThread = []string{"goto", "fork", "collapse", "transaction_abort", "transaction_commit",
		"conflict_resolved", "redact", "purge"}
	verbsWithoutState = []string{"transaction_abort", "transaction_commit", "conflict_resolved", "purge", "fast_forward"}
)

// HookNames are the hook scripts `heddle hook list` recognises in
// <heddle_dir>/hooks/.
var HookNames = []string{
	"pre-snapshot", "post-snapshot", "pre-push", "post-push", "pre-pull", "post-pull",
	"pre-merge", "post-merge", "pre-rebase", "post-rebase",
}

// CLIHookEvents is `heddle hook events`' static catalog (the descriptions
// are heddle-sim's own words).
var CLIHookEvents = []struct{ Name, Description string }{
	{"pre_capture", "before a capture; may add signals or abort it"},
	{"post_capture", "after a capture succeeded"},
	{"pre_merge", "before a merge is applied; may abort it"},
	{"post_merge", "after a merge succeeded"},
	{"on_conflict", "when a conflict arises; may veto"},
	{"pre_thread_create", "before a thread is created; may abort it"},
	{"post_thread_create", "after a thread was created"},
	{"pre_push", "before a push; may abort it"},
	{"post_push", "after a push"},
	{"on_signal", "when a risk signal is recorded"},
}

// StateIDFor is the 32-byte StateId heddle-sim's CLI prints (hs-…) for
// operation seq from v0.10.3 on; up to v0.10.1 it prints the operation's
// 16-byte ChangeId, the daemon's change_id.
func StateIDFor(seed int64, seq uint64) []byte {
	b := make([]byte, 32)
	for i := range 4 {
		binary.BigEndian.PutUint64(b[i*8:], mix(seed, seq, 20+uint64(i)))
	}
	return b
}

// verbFlags are a verb's own flags: a value list per flag, or presence.
type verbFlags map[string][]string

func parseVerbFlags(args []string, withValue, boolean []string) (verbFlags, error) {
	f := verbFlags{}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		switch {
		case slices.Contains(withValue, name):
			if !hasValue {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("a value is required for '%s' but none was supplied", name)
				}
				i++
				value = args[i]
			}
			f[name] = append(f[name], value)
		case slices.Contains(boolean, name) && !hasValue:
			f[name] = append(f[name], "")
		default:
			return nil, fmt.Errorf("unexpected argument '%s' found", args[i])
		}
	}
	return f, nil
}

func (f verbFlags) last(name string) (string, bool) {
	v := f[name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

func (c *cliRun) writeJSON(v any) int {
	var b strings.Builder
	if err := writeJSONLine(&b, v); err != nil {
		return c.fail(c.runtimeError(exitIoErr, "runtime_error", err.Error()))
	}
	fmt.Fprint(c.stdout, b.String())
	return exitOK
}

func (c *cliRun) loadLog(r cliRepo) ([]*heddlev1.OperationHit, int64, int, bool) {
	rec, ops, err := LoadOperations(r.heddleDir)
	if err != nil {
		return nil, 0, c.fail(c.runtimeError(exitIoErr, "runtime_error", "read the operation log: "+err.Error())), true
	}
	return ops, rec.Seed, 0, false
}

// queryHit is one hit of `heddle query --output json`, in heddle's key
// order; the id key follows (changeHit, stateHit).
type queryHit struct {
	Seq           uint64   `json:"seq"`
	TimestampSecs int64    `json:"timestamp_secs"`
	Verb          string   `json:"verb"`
	ActorEmail    string   `json:"actor_email"`
	OperationID   *string  `json:"operation_id"`
	Thread        *string  `json:"thread"`
	Symbols       []string `json:"symbols"`
	SignalKinds   []string `json:"signal_kinds"`
}

type changeHit struct {
	queryHit
	ChangeID *string `json:"change_id"`
}

type stateHit struct {
	queryHit
	StateID *string `json:"state_id"`
}

func (c *cliRun) query(args []string) (func(cliRepo) int, error) {
	f, err := parseVerbFlags(args,
		[]string{"--actor", "--thread", "--verb", "--since", "--until", "--symbol", "--signal", "--limit"},
		[]string{"--include-checkpoints"})
	if err != nil {
		return nil, err
	}
	limit := DefaultQueryLimit
	if v, ok := f.last("--limit"); ok {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("invalid value '%s' for '--limit <LIMIT>': invalid digit found in string", v)
		}
		limit = int(n)
	}
	// The rest fails only once the repository is open, as heddle's does.
	return func(r cliRepo) int {
		var bounds [2]int64
		for i, name := range []string{"--since", "--until"} {
			v, _ := f.last(name)
			if bounds[i], err = parseQueryTime(v); err != nil {
				return c.fail(c.runtimeError(exitIoErr, "runtime_error", err.Error()))
			}
		}
		verbs, code, failed := c.queryVerbs(f["--verb"])
		if failed {
			return code
		}
		_, includeCheckpoints := f.last("--include-checkpoints")
		ops, seed, code, failed := c.loadLog(r)
		if failed {
			return code
		}
		actor, _ := f.last("--actor")
		thread, _ := f.last("--thread")
		_, symbol := f.last("--symbol")
		_, signal := f.last("--signal")

		hits := []any{}
		var text strings.Builder
		// The CLI scans the oplog, which has no symbols or signal kinds,
		// and skips the scan when either filter is set (the index it would
		// use instead is never written): such queries always answer no hits.
		for _, op := range ops {
			if symbol || signal || (limit > 0 && len(hits) >= limit) {
				break
			}
			h := cliHit(op)
			switch {
			case len(verbs) == 0 && !includeCheckpoints && op.GetVerb() == "checkpoint":
				continue
			case len(verbs) > 0 && !slices.Contains(verbs, op.GetVerb()):
				continue
			case actor != "" && op.GetActorEmail() != actor:
				continue
			case thread != "" && (h.Thread == nil || *h.Thread != thread):
				continue
			case bounds[0] != 0 && op.GetTimestampSecs() < bounds[0]:
				continue
			case bounds[1] != 0 && op.GetTimestampSecs() > bounds[1]:
				continue
			}
			id := c.printedID(seed, op)
			if c.prof.idField == "change_id" {
				hits = append(hits, changeHit{h, id})
			} else {
				hits = append(hits, stateHit{h, id})
			}
			fmt.Fprintf(&text, "#%d %s %s <%s>\n", op.GetSeq(),
				time.Unix(op.GetTimestampSecs(), 0).UTC().Format(time.RFC3339), op.GetVerb(), op.GetActorEmail())
		}
		if c.json() {
			return c.writeJSON(struct {
				OutputKind string `json:"output_kind"`
				Hits       []any  `json:"hits"`
			}{"query", hits})
		}
		if len(hits) == 0 {
			text.WriteString("(no matches)\n")
		}
		fmt.Fprint(c.stdout, text.String())
		return exitOK
	}, nil
}

// queryVerbs are the --verb values as the release matches them: as given
// up to v0.12 (an unknown verb matches nothing), canonical from v0.13.0 (an
// unknown verb is an error).
func (c *cliRun) queryVerbs(verbs []string) ([]string, int, bool) {
	if !c.prof.canonicalVerbs {
		return verbs, 0, false
	}
	var canon []string
	for _, v := range verbs {
		name, ok := canonicalQueryVerb(v)
		if !ok {
			return nil, c.fail(envelope{Error: fmt.Sprintf("no operation verb is called '%s'", v), ExitCode: exitIoErr,
				Kind: "unknown_query_verb", Hint: "Name a verb of the operation log; `capture` means `snapshot`.",
				UnsafeCondition:  "the arguments name no operation verb",
				WouldChange:      "a query for an unknown verb could be taken for an empty log",
				Preserved:        "nothing was written",
				RecoveryCommands: []string{"heddle help --output json"}}), true
		}
		if !slices.Contains(canon, name) {
			canon = append(canon, name)
		}
	}
	return canon, 0, false
}

func cliHit(op *heddlev1.OperationHit) queryHit {
	h := queryHit{Seq: op.GetSeq(), TimestampSecs: op.GetTimestampSecs(), Verb: op.GetVerb(),
		ActorEmail: op.GetActorEmail(), Symbols: []string{}, SignalKinds: []string{}}
	if id := op.GetOperationId(); id != "" {
		h.OperationID = &id
	}
	if t := op.GetThread(); t != "" && !slices.Contains(verbsWithoutThread, op.GetVerb()) {
		h.Thread = &t
	}
	return h
}

func (c *cliRun) printedID(seed int64, op *heddlev1.OperationHit) *string {
	if slices.Contains(verbsWithoutState, op.GetVerb()) {
		return nil
	}
	prefix, id := "hd-", op.GetChangeId()
	if c.prof.idField == "state_id" {
		prefix, id = "hs-", StateIDFor(seed, op.GetSeq())
	}
	s := prefix + strings.ToLower(crockford.EncodeToString(id))
	return &s
}

// crockford is heddle's id alphabet (Crockford base32, unpadded), built on
// the standard library rather than on package heddle's encoder, so the two
// check each other.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// canonicalQueryVerb maps a --verb onto the catalog as v0.13.0 and later
// do: case-insensitive, and `capture` is the CLI's name for `snapshot`.
func canonicalQueryVerb(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "capture") {
		return "snapshot", true
	}
	for _, name := range QueryVerbCatalog {
		if strings.EqualFold(name, v) {
			return name, true
		}
	}
	return "", false
}

// parseQueryTime reads --since/--until: RFC 3339, or N followed by a unit
// (s, m, h, d, w and their longer spellings) meaning that long ago; "" is 0.
func parseQueryTime(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Unix(), nil
	}
	lower := strings.ToLower(v)
	digits := strings.IndexFunc(lower, func(r rune) bool { return r < '0' || r > '9' })
	if digits > 0 {
		n, err := strconv.ParseInt(lower[:digits], 10, 64)
		unit := map[string]int64{"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
			"m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
			"h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
			"d": 86400, "day": 86400, "days": 86400,
			"w": 604800, "wk": 604800, "wks": 604800, "week": 604800, "weeks": 604800}[lower[digits:]]
		if err == nil && unit > 0 {
			return time.Now().Unix() - n*unit, nil
		}
	}
	return 0, fmt.Errorf("invalid timestamp '%s': want RFC 3339 or a relative time such as 1h or 2d", v)
}

// healthEntry is one entry of `heddle review health`: heddle builds the
// output with serde_json's json! (sorted keys, as its envelope), and widens
// the f32 fire rate to f64.
type healthEntry struct {
	FireRate float64 `json:"fire_rate"`
	ModuleID string  `json:"module_id"`
	Warn     bool    `json:"warn"`
}

func (c *cliRun) reviewHealth(args []string) (func(cliRepo) int, error) {
	f, err := parseVerbFlags(args, []string{"--window"}, nil)
	if err != nil {
		return nil, err
	}
	var window uint32
	if v, ok := f.last("--window"); ok {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("invalid value '%s' for '--window <WINDOW>': invalid digit found in string", v)
		}
		window = uint32(n)
	}
	return func(r cliRepo) int {
		ops, _, code, failed := c.loadLog(r)
		if failed {
			return code
		}
		entries := []healthEntry{}
		// A fresh native repository's first-parent chain is its genesis state.
		visited := uint32(1)
		if len(ops) > 0 {
			report := FiredSignalHealth(ops, window)
			visited = report.GetWindowStates()
			for _, e := range report.GetEntries() {
				entries = append(entries, healthEntry{float64(e.GetFireRate()), e.GetModuleId(), e.GetWarn()})
			}
		}
		if c.prof.unorderedHealth {
			rand.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
		}
		if c.json() {
			return c.writeJSON(struct {
				Entries      []healthEntry `json:"entries"`
				OutputKind   string        `json:"output_kind"`
				WindowStates uint32        `json:"window_states"`
			}{entries, "review_health", visited})
		}
		fmt.Fprintf(c.stdout, "signal health (window: %d states)\n", visited)
		for _, e := range entries {
			fmt.Fprintf(c.stdout, "  %-30s %6.1f%%\n", e.ModuleID, e.FireRate*100)
		}
		return exitOK
	}, nil
}

func (c *cliRun) hookList(args []string) (func(cliRepo) int, error) {
	if _, err := parseVerbFlags(args, nil, nil); err != nil {
		return nil, err
	}
	return func(r cliRepo) int {
		names := []string{}
		dir, err := os.ReadDir(filepath.Join(r.heddleDir, "hooks"))
		if err != nil && !os.IsNotExist(err) {
			return c.fail(c.runtimeError(exitIoErr, "runtime_error", err.Error()))
		}
		for _, de := range dir {
			if slices.Contains(HookNames, de.Name()) {
				names = append(names, de.Name())
			}
		}
		slices.Sort(names)
		if c.json() {
			return c.writeJSON(names)
		}
		if len(names) == 0 {
			fmt.Fprintln(c.stdout, "No hooks installed")
		}
		for _, n := range names {
			fmt.Fprintln(c.stdout, n)
		}
		return exitOK
	}, nil
}

func (c *cliRun) hookEvents(args []string) (func(cliRepo) int, error) {
	f, err := parseVerbFlags(args, []string{"--event"}, nil)
	if err != nil {
		return nil, err
	}
	// Sorted keys, as review health's.
	type event struct {
		Description string `json:"description"`
		Name        string `json:"name"`
	}
	return func(cliRepo) int {
		events := []event{}
		want, filtered := f.last("--event")
		for _, e := range CLIHookEvents {
			if !filtered || e.Name == want {
				events = append(events, event{e.Description, e.Name})
			}
		}
		if c.json() {
			return c.writeJSON(struct {
				Events []event `json:"events"`
			}{events})
		}
		for _, e := range events {
			fmt.Fprintf(c.stdout, "  %-24s %s\n", e.Name, e.Description)
		}
		return exitOK
	}, nil
}
