package heddlecli

import (
	"fmt"
)

// Kind classifies an Error for the caller.
type Kind string

const (
	KindDisabled   Kind = "disabled"    // heddlePath is "off"
	KindNotFound   Kind = "not-found"   // no heddle on PATH or at the path, or it does not run
	KindBadSetting Kind = "bad-setting" // heddlePath is a relative path
	KindUnsafe     Kind = "unsafe"      // a safety rule refused the run (Error.Reason says which)
	KindTimeout    Kind = "timeout"     // no answer within the timeout
	KindCanceled   Kind = "canceled"    // the caller gave up
	KindTooLarge   Kind = "too-large"   // stdout passed MaxStdout
	KindBadOutput  Kind = "bad-output"  // exit 0, but not the JSON this version prints
	KindBadQuery   Kind = "bad-query"   // the query failed validation; nothing ran
	KindUsage      Kind = "usage"       // exit 64: heddle rejected the command line
	KindData       Kind = "data"        // exit 65: repository format, migration, corrupt data
	KindBusy       Kind = "busy"        // exit 75: temporary (a lock); the only retryable kind
	KindNoRepo     Kind = "no-repo"     // exit 78: heddle found no repository, or a config error
	KindFailed     Kind = "failed"      // any other failure
)

// Error is every error the Runner returns.
type Error struct {
	Kind     Kind
	Message  string // one line for the user
	Hint     string // the next step, "" when there is none
	ExitCode int    // the CLI's exit status when it exited on its own with one, else 0
	CLIKind  string // heddle's envelope "kind", when it printed an envelope
	Reason   string // for KindUnsafe: the heddle.Unsafe* reason (or "verb" for a verb outside the read list)
	Err      error  // the underlying error, if any
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return e.Message
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Hint)
}

func (e *Error) Unwrap() error { return e.Err }

// exitKinds maps heddle's exit codes to kinds, with the hint used when
// heddle printed none.
var exitKinds = map[int]struct {
	kind       Kind
	what, hint string
}{
	64: {KindUsage, "rejected the command line", "this heddle may not support the query; check its version and heddlePath"},
	65: {KindData, "could not read the repository's data", "see heddle's message; a repository format change needs a matching heddle"},
	75: {KindBusy, "was temporarily unable to answer", "another heddle operation holds the repository; try again"},
	78: {KindNoRepo, "found no usable repository", "run heddle in the repository to see why"},
}
