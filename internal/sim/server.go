package sim

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// HealthMode says whether and how the daemon registers grpc.health.v1.Health.
type HealthMode string

const (
	HealthNone       HealthMode = ""            // like real heddle: Health answers UNIMPLEMENTED
	HealthServing    HealthMode = "serving"     // Health registered, service "" SERVING
	HealthNotServing HealthMode = "not-serving" // Health registered, service "" NOT_SERVING
	HealthHang       HealthMode = "hang"        // Check and Watch block until the client gives up
)

// Options configure a Server. The zero value serves seed 0 with no
// operations; use DefaultOptions for the CLI's defaults.
type Options struct {
	Seed int64 // seed of the in-memory data
	Ops  int   // number of operations in the log
	// Operations, when non-nil, replaces the seeded log (Seed and Ops are
	// then ignored): for in-process tests that need a hand-made log. It
	// must be sorted by ascending seq and must not be modified afterwards.
	Operations []*heddlev1.OperationHit
	// HeddleDir, when set (and Operations is nil), makes the log the
	// repository's: Seed and Ops as recorded there (WriteRecord), plus the
	// operations appended to its oplog, served as soon as they are published.
	HeddleDir string
	Slow      time.Duration // every heddle.v1 and heddle.api RPC waits this long first
	NoV1      bool          // no heddle.v1 service: a v1alpha1-only daemon (v0.10.3)
	Health    HealthMode
	Logger    *slog.Logger // nil: slog.Default()
}

// DefaultOptions are heddle-sim's defaults: seed 1, 120 operations.
func DefaultOptions() Options { return Options{Seed: 1, Ops: 120} }

// Server holds the daemon's in-memory state and its gRPC service
// implementations. Register it on a grpc.Server built with
// ServerOptions so that --slow applies.
type Server struct {
	opts   Options
	log    *slog.Logger
	ops    []*heddlev1.OperationHit // immutable after New; nil when live is set
	live   *liveLog                 // the repository's log, when Options.HeddleDir is set
	health *health.Server           // nil unless Health is serving/not-serving
	hooks  *hookRegistry
	txs    *transactions
}

// New builds a Server over its seeded data.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		opts:  opts,
		log:   log,
		ops:   opts.Operations,
		hooks: newHookRegistry(SeedHooks()),
		txs:   newTransactions(),
	}
	switch {
	case s.ops != nil:
	case opts.HeddleDir != "":
		s.live = newLiveLog(opts.HeddleDir, LogRecord{Seed: opts.Seed, Ops: opts.Ops}, log)
	default:
		s.ops = SeedOperations(opts.Seed, opts.Ops)
	}
	switch opts.Health {
	case HealthServing, HealthNotServing:
		s.health = health.NewServer()
		st := healthpb.HealthCheckResponse_SERVING
		if opts.Health == HealthNotServing {
			st = healthpb.HealthCheckResponse_NOT_SERVING
		}
		s.health.SetServingStatus("", st)
	}
	return s
}

// ServerOptions are the interceptors the Server needs on its grpc.Server.
func (s *Server) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.unarySlow),
		grpc.ChainStreamInterceptor(s.streamSlow),
	}
}

// Register adds every service the options call for to g.
func (s *Server) Register(g *grpc.Server) {
	switch {
	case s.health != nil:
		healthpb.RegisterHealthServer(g, s.health)
	case s.opts.Health == HealthHang:
		healthpb.RegisterHealthServer(g, hangingHealth{})
	}
	if s.opts.NoV1 {
		registerV1Alpha1(g, s)
		return
	}
	heddlev1.RegisterOperationLogQueryServiceServer(g, &opLogService{s: s})
	heddlev1.RegisterSignalServiceServer(g, &signalService{s: s})
	heddlev1.RegisterHookServiceServer(g, &hookService{s: s})
	heddlev1.RegisterTransactionServiceServer(g, &transactionService{s: s})
	heddlev1.RegisterStateReviewServiceServer(g, heddlev1.UnimplementedStateReviewServiceServer{})
	heddlev1.RegisterDiscussionServiceServer(g, heddlev1.UnimplementedDiscussionServiceServer{})
}

// ToggleHealth flips service "" between SERVING and NOT_SERVING and returns
// the new status; Watch streams see the change. It reports false when the
// daemon has no togglable Health service.
func (s *Server) ToggleHealth() (healthpb.HealthCheckResponse_ServingStatus, bool) {
	if s.health == nil {
		return healthpb.HealthCheckResponse_UNKNOWN, false
	}
	resp, err := s.health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: ""})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN, false
	}
	next := healthpb.HealthCheckResponse_SERVING
	if resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
		next = healthpb.HealthCheckResponse_NOT_SERVING
	}
	s.health.SetServingStatus("", next)
	return next, true
}

// operations is the current log, ascending by seq; callers must not modify it.
func (s *Server) operations() []*heddlev1.OperationHit {
	if s.live != nil {
		return s.live.operations()
	}
	return s.ops
}

// Shutdown ends Health Watch streams (NOT_SERVING is their last message), so
// a graceful stop is not held up by them.
func (s *Server) Shutdown() {
	if s.health != nil {
		s.health.Shutdown()
	}
}

// delay waits the --slow duration, or until the client gives up.
func (s *Server) delay(ctx context.Context, method string) error {
	if s.opts.Slow <= 0 || !strings.HasPrefix(method, "/heddle.") {
		return nil
	}
	t := time.NewTimer(s.opts.Slow)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

func (s *Server) unarySlow(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := s.delay(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (s *Server) streamSlow(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := s.delay(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}

// hangingHealth is the hang-health fault: it never answers, it only notices
// the client giving up.
type hangingHealth struct {
	healthpb.UnimplementedHealthServer
}

func (hangingHealth) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	<-ctx.Done()
	return nil, status.FromContextError(ctx.Err()).Err()
}

func (hangingHealth) Watch(_ *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	<-stream.Context().Done()
	return status.FromContextError(stream.Context().Err()).Err()
}

// String describes the server for logs.
func (s *Server) String() string {
	return fmt.Sprintf("seed=%d ops=%d health=%q no-v1=%t slow=%s",
		s.opts.Seed, s.opts.Ops, s.opts.Health, s.opts.NoV1, s.opts.Slow)
}
