package sim

import (
	"slices"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// FilterOperations answers a QueryOperations request over ops (ascending by
// seq) exactly as heddle v0.2.0's operation index does:
// repo_path is ignored; actor, thread are exact matches; symbol and
// signal_kind must be among the hit's lists; verbs is any-of; since/until are
// inclusive and 0 means unset; an empty verbs list with
// include_checkpoints=false means DefaultVerbs; results stay in ascending seq
// order and a non-zero limit keeps the OLDEST hits. Tests in other packages
// use it to compute expected answers.
func FilterOperations(ops []*heddlev1.OperationHit, q *heddlev1.QueryOperationsRequest) []*heddlev1.OperationHit {
	verbs := q.GetVerbs()
	if len(verbs) == 0 && !q.GetIncludeCheckpoints() {
		verbs = DefaultVerbs
	}
	var hits []*heddlev1.OperationHit
	for _, op := range ops {
		if q.GetLimit() != 0 && len(hits) >= int(q.GetLimit()) {
			break
		}
		if matches(op, q, verbs) {
			hits = append(hits, op)
		}
	}
	return hits
}

func matches(op *heddlev1.OperationHit, q *heddlev1.QueryOperationsRequest, verbs []string) bool {
	switch {
	case q.GetActor() != "" && op.GetActorEmail() != q.GetActor():
		return false
	case q.GetSymbol() != "" && !slices.Contains(op.GetSymbols(), q.GetSymbol()):
		return false
	case q.GetSignalKind() != "" && !slices.Contains(op.GetSignalKinds(), q.GetSignalKind()):
		return false
	case q.GetThread() != "" && op.GetThread() != q.GetThread():
		return false
	case len(verbs) > 0 && !slices.Contains(verbs, op.GetVerb()):
		return false
	case q.GetSinceSecs() != 0 && op.GetTimestampSecs() < q.GetSinceSecs():
		return false
	case q.GetUntilSecs() != 0 && op.GetTimestampSecs() > q.GetUntilSecs():
		return false
	}
	return true
}
