package sim

import (
	"context"

	"google.golang.org/grpc"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddleapiv1alpha1"
	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// A heddle v0.10.3 daemon registers only heddle.api.v1alpha1's
// StateReviewService (heddle-cli-facts §2): heddle-sim's NoV1 mode serves
// its GetRepoSignalHealth over the same log; every heddle.v1 path, and the
// service's other methods, answer UNIMPLEMENTED.

type v1alpha1Review struct {
	heddleapiv1alpha1.UnimplementedStateReviewServiceServer
	s *Server
}

func registerV1Alpha1(g *grpc.Server, s *Server) {
	heddleapiv1alpha1.RegisterStateReviewServiceServer(g, &v1alpha1Review{s: s})
}

// GetRepoSignalHealth answers for the daemon's own repository whatever
// repo_path says, as v0.10.3 does.
func (r *v1alpha1Review) GetRepoSignalHealth(_ context.Context, req *heddleapiv1alpha1.GetRepoSignalHealthRequest) (*heddleapiv1alpha1.RepoSignalHealthReport, error) {
	report := FiredSignalHealth(r.s.operations(), req.GetWindowStates())
	out := &heddleapiv1alpha1.RepoSignalHealthReport{WindowStates: report.GetWindowStates()}
	for _, e := range report.GetEntries() {
		out.Entries = append(out.Entries, &heddleapiv1alpha1.SignalHealthEntry{
			ModuleId: e.GetModuleId(), FireRate: e.GetFireRate(), Warn: e.GetWarn()})
	}
	return out, nil
}

// FiredSignalHealth is SignalHealth as heddle from v0.10.1 on computes it
// (`heddle review health`, and v0.10.3's daemon): only modules that fired
// in the window have an entry, sorted by module id.
func FiredSignalHealth(ops []*heddlev1.OperationHit, window uint32) *heddlev1.RepoSignalHealthReport {
	report := SignalHealth(ops, window)
	fired := report.Entries[:0]
	for _, e := range report.GetEntries() {
		if e.GetFireRate() > 0 {
			fired = append(fired, e)
		}
	}
	report.Entries = fired
	return report
}
