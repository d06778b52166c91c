package sim

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/heddle-ls/heddle-ls/daemonlink/heddlev1"
)

// opLogService answers from the seeded operation log (see FilterOperations).
type opLogService struct {
	heddlev1.UnimplementedOperationLogQueryServiceServer
	s *Server
}

func (o *opLogService) QueryOperations(_ context.Context, req *heddlev1.QueryOperationsRequest) (*heddlev1.QueryOperationsResponse, error) {
	return &heddlev1.QueryOperationsResponse{Hits: FilterOperations(o.s.operations(), req)}, nil
}

// StreamOperations sends the same result set as QueryOperations, then EOF:
// like heddle v0.2.0 it is a snapshot, not a live tail.
func (o *opLogService) StreamOperations(req *heddlev1.StreamOperationsRequest, stream grpc.ServerStreamingServer[heddlev1.OperationHit]) error {
	q := req.GetQuery()
	if q == nil {
		q = &heddlev1.QueryOperationsRequest{}
	}
	for _, hit := range FilterOperations(o.s.operations(), q) {
		if err := stream.Send(hit); err != nil {
			return fmt.Errorf("send operation %d: %w", hit.GetSeq(), err)
		}
	}
	return nil
}

type signalService struct {
	heddlev1.UnimplementedSignalServiceServer
	s *Server
}

func (g *signalService) GetRepoSignalHealth(_ context.Context, req *heddlev1.GetRepoSignalHealthRequest) (*heddlev1.RepoSignalHealthReport, error) {
	return SignalHealth(g.s.operations(), req.GetWindowStates()), nil
}

// ComputeStateSignals knows of no stored signals; heddle answers such a
// state with an empty list and its fixed tick budget of 3.
func (g *signalService) ComputeStateSignals(_ context.Context, req *heddlev1.ComputeStateSignalsRequest) (*heddlev1.ComputeStateSignalsResponse, error) {
	if n := len(req.GetStateId()); n != 16 {
		return nil, status.Errorf(codes.InvalidArgument, "state id must be 16 bytes, got %d", n)
	}
	return &heddlev1.ComputeStateSignalsResponse{TickBudget: 3}, nil
}

// SubscribeSignalUpdates ends at once, as heddle v0.2.0's does.
func (g *signalService) SubscribeSignalUpdates(*heddlev1.SubscribeSignalUpdatesRequest, grpc.ServerStreamingServer[heddlev1.SignalUpdate]) error {
	return nil
}

// hookRegistry is the in-memory hook registration table.
type hookRegistry struct {
	mu    sync.Mutex
	hooks map[string]*heddlev1.Hook
}

func newHookRegistry(seed []*heddlev1.Hook) *hookRegistry {
	r := &hookRegistry{hooks: make(map[string]*heddlev1.Hook)}
	for _, h := range seed {
		r.hooks[h.GetName()] = h
	}
	return r
}

type hookService struct {
	heddlev1.UnimplementedHookServiceServer
	s *Server
}

func (h *hookService) ListHooks(context.Context, *heddlev1.ListHooksRequest) (*heddlev1.ListHooksResponse, error) {
	r := h.s.hooks
	r.mu.Lock()
	defer r.mu.Unlock()
	resp := &heddlev1.ListHooksResponse{}
	for _, hook := range r.hooks {
		resp.Hooks = append(resp.Hooks, hook)
	}
	sort.Slice(resp.Hooks, func(i, j int) bool { return resp.Hooks[i].GetName() < resp.Hooks[j].GetName() })
	return resp, nil
}

func (h *hookService) RegisterHook(_ context.Context, req *heddlev1.RegisterHookRequest) (*heddlev1.Hook, error) {
	if req.GetName() == "" || req.GetCommand() == "" {
		return nil, status.Error(codes.InvalidArgument, "hook name and command are required")
	}
	for _, ev := range req.GetEvents() {
		if !slices.Contains(HookEvents, ev) {
			return nil, status.Errorf(codes.InvalidArgument, "unknown hook event %q", ev)
		}
	}
	hook := &heddlev1.Hook{Name: req.GetName(), Command: req.GetCommand(),
		Events: slices.Clone(req.GetEvents()), TimeoutMs: req.GetTimeoutMs()}
	r := h.s.hooks
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks[hook.GetName()] = hook
	return hook, nil
}

func (h *hookService) DeregisterHook(_ context.Context, req *heddlev1.DeregisterHookRequest) (*heddlev1.DeleteResponse, error) {
	r := h.s.hooks
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.hooks[req.GetName()]
	delete(r.hooks, req.GetName())
	return &heddlev1.DeleteResponse{Deleted: ok}, nil
}

// GetHookEventSchema returns the whole catalog for an empty name, else the
// named event's schema; an unknown event is NOT_FOUND.
func (h *hookService) GetHookEventSchema(_ context.Context, req *heddlev1.GetHookEventSchemaRequest) (*heddlev1.GetHookEventSchemaResponse, error) {
	resp := &heddlev1.GetHookEventSchemaResponse{}
	if req.GetEventName() == "" {
		for _, ev := range HookEvents {
			resp.Schemas = append(resp.Schemas, hookSchema(ev))
		}
		return resp, nil
	}
	if !slices.Contains(HookEvents, req.GetEventName()) {
		return nil, status.Errorf(codes.NotFound, "unknown hook event %q", req.GetEventName())
	}
	resp.Schemas = append(resp.Schemas, hookSchema(req.GetEventName()))
	return resp, nil
}

// SubscribeHookEvents stays open and never emits, like heddle v0.2.0 (its
// broker only ever hears from tests), until the client goes away.
func (h *hookService) SubscribeHookEvents(req *heddlev1.SubscribeHookEventsRequest, stream grpc.ServerStreamingServer[heddlev1.HookEvent]) error {
	for _, ev := range req.GetEvents() {
		if !slices.Contains(HookEvents, ev) {
			return status.Errorf(codes.InvalidArgument, "unknown hook event %q", ev)
		}
	}
	<-stream.Context().Done()
	return status.FromContextError(stream.Context().Err()).Err()
}

// RespondToHook has no waiters to deliver to.
func (h *hookService) RespondToHook(_ context.Context, req *heddlev1.RespondToHookRequest) (*heddlev1.RespondToHookResponse, error) {
	if req.GetHookEventId() == "" {
		return nil, status.Error(codes.InvalidArgument, "hook_event_id is required")
	}
	return &heddlev1.RespondToHookResponse{Accepted: false}, nil
}

// transactions is the in-memory transaction table.
type transactions struct {
	mu  sync.Mutex
	txs map[string]*heddlev1.TransactionStatus
}

func newTransactions() *transactions {
	return &transactions{txs: make(map[string]*heddlev1.TransactionStatus)}
}

type transactionService struct {
	heddlev1.UnimplementedTransactionServiceServer
	s *Server
}

func (t *transactionService) BeginTransaction(context.Context, *heddlev1.BeginTransactionRequest) (*heddlev1.BeginTransactionResponse, error) {
	id := randomUUID()
	now := timestamppb.New(time.Now())
	txs := t.s.txs
	txs.mu.Lock()
	defer txs.mu.Unlock()
	txs.txs[id] = &heddlev1.TransactionStatus{TransactionId: id, State: "active", StartedAt: now}
	return &heddlev1.BeginTransactionResponse{TransactionId: id, StartedAt: now}, nil
}

// finish moves an active transaction to its final state.
func (t *transactionService) finish(id, final string) error {
	txs := t.s.txs
	txs.mu.Lock()
	defer txs.mu.Unlock()
	tx, ok := txs.txs[id]
	if !ok {
		return status.Errorf(codes.NotFound, "transaction %q not found", id)
	}
	if tx.GetState() != "active" {
		return status.Errorf(codes.FailedPrecondition, "transaction %q is %s", id, tx.GetState())
	}
	tx.State = final
	return nil
}

// CommitTransaction answers, like heddle, the base state and no ops.
func (t *transactionService) CommitTransaction(_ context.Context, req *heddlev1.CommitTransactionRequest) (*heddlev1.CommitTransactionResponse, error) {
	if err := t.finish(req.GetTransactionId(), "committed"); err != nil {
		return nil, err
	}
	var base []byte
	if ops := t.s.operations(); len(ops) > 0 {
		base = ops[len(ops)-1].GetChangeId()
	}
	return &heddlev1.CommitTransactionResponse{StateId: base}, nil
}

func (t *transactionService) AbortTransaction(_ context.Context, req *heddlev1.AbortTransactionRequest) (*heddlev1.AbortTransactionResponse, error) {
	if err := t.finish(req.GetTransactionId(), "aborted"); err != nil {
		return nil, err
	}
	return &heddlev1.AbortTransactionResponse{Aborted: true}, nil
}

func (t *transactionService) GetTransactionStatus(_ context.Context, req *heddlev1.GetTransactionStatusRequest) (*heddlev1.TransactionStatus, error) {
	txs := t.s.txs
	txs.mu.Lock()
	defer txs.mu.Unlock()
	tx, ok := txs.txs[req.GetTransactionId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "transaction %q not found", req.GetTransactionId())
	}
	return &heddlev1.TransactionStatus{TransactionId: tx.GetTransactionId(), State: tx.GetState(),
		StartedAt: tx.GetStartedAt()}, nil
}

// randomUUID is a random version-4 UUID, the form heddle requires of
// transaction ids.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
