package daemonlink

import "fmt"

// QueryError is why a query could not be answered. Kind lets callers branch
// (the LSP layer maps it to a JSON-RPC error); Message and Hint are for users.
type QueryError struct {
	Kind    QueryErrorKind
	Message string // why, in one line
	Hint    string // what to do
	Err     error  // the underlying error, if any
}

// QueryErrorKind classifies query failures.
type QueryErrorKind string

const (
	KindNotTracked  QueryErrorKind = "not-tracked"     // the heddle dir is not tracked
	KindNotReady    QueryErrorKind = "not-ready"       // the daemon is not ready (see Status)
	KindUnsupported QueryErrorKind = "api-unsupported" // the daemon's API lacks the call
	KindDeadline    QueryErrorKind = "deadline"        // the daemon did not answer in time
	KindCanceled    QueryErrorKind = "canceled"        // the caller cancelled
	KindDaemon      QueryErrorKind = "daemon-error"    // the daemon answered with an error
	KindBadQuery    QueryErrorKind = "bad-query"       // the query itself is invalid
)

func (e *QueryError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *QueryError) Unwrap() error { return e.Err }
