package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// ErrCircuitOpen is wrapped by the error a connection's breaker answers with while
// it is open: the call was not sent, so it neither took effect nor is uncertain.
var ErrCircuitOpen = errors.New("circuit breaker open")

// CodeCircuitOpen is the provider_error code of a call refused by an open breaker.
const CodeCircuitOpen = "provider_circuit_open"

// BreakerConfig tunes the circuit breakers.
type BreakerConfig struct {
	// Failures is how many consecutive failed or uncertain calls open a
	// connection's breaker. Zero means 5; negative disables the breakers.
	Failures int
	// CoolDown is how long an open breaker refuses calls before it lets one trial
	// call through (half-open). Zero means 30 s.
	CoolDown time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Breakers holds one circuit breaker per provider connection. A provider that is
// down or overloaded for one connection (timeouts, 5xx, 429, unreachable) is then
// not sent more calls that would each wait for their own timeout and retries: after
// Failures consecutive failed or uncertain calls, calls fail fast for CoolDown with
// a clear provider error; then one trial call is let through, which closes the
// breaker if it succeeds and opens it for another CoolDown if it fails. Declines and
// other conclusive answers count as success: the provider is up.
//
// Breakers live in memory, per process: each paymux instance judges a provider by
// what it sees itself.
type Breakers struct {
	cfg BreakerConfig
	mu  sync.Mutex
	m   map[string]*breaker
}

// NewBreakers returns an empty set of breakers.
func NewBreakers(cfg BreakerConfig) *Breakers {
	if cfg.Failures == 0 {
		cfg.Failures = 5
	}
	if cfg.CoolDown <= 0 {
		cfg.CoolDown = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Breakers{cfg: cfg, m: map[string]*breaker{}}
}

// breaker is one connection's state.
type breaker struct {
	mu        sync.Mutex
	failures  int       // consecutive failures
	openUntil time.Time // while in the future, calls are refused
	open      bool      // opened and not closed since (half-open once openUntil passes)
	trial     bool      // a half-open trial call is under way
	lastCode  string    // the code of the last failure, for the message
}

func (bs *Breakers) get(connectionID string) *breaker {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b, ok := bs.m[connectionID]
	if !ok {
		b = &breaker{}
		bs.m[connectionID] = b
	}
	return b
}

// BreakerState describes a connection's breaker, for operators and tests.
type BreakerState struct {
	// Open is true from the moment the breaker opens until a trial call succeeds.
	Open bool
	// Until is when an open breaker lets a trial call through.
	Until time.Time
	// Failures counts the consecutive failed or uncertain calls.
	Failures int
}

// State reports the breaker of a connection.
func (bs *Breakers) State(connectionID string) BreakerState {
	b := bs.get(connectionID)
	b.mu.Lock()
	defer b.mu.Unlock()
	return BreakerState{Open: b.open, Until: b.openUntil, Failures: b.failures}
}

// Allow asks the breaker of a connection whether a call may be sent now. It answers
// nil (and the caller must then report the call's outcome with Record), or a
// *Error wrapping ErrCircuitOpen.
func (bs *Breakers) Allow(providerName, connectionID string) error {
	if bs.cfg.Failures < 0 {
		return nil
	}
	b := bs.get(connectionID)
	now := bs.cfg.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return nil
	}
	if now.Before(b.openUntil) || b.trial {
		until := b.openUntil
		if !now.Before(until) {
			until = now.Add(bs.cfg.CoolDown) // a trial is under way: its answer decides
		}
		last := ""
		if b.lastCode != "" {
			last = ", the last one " + b.lastCode
		}
		return &Error{Provider: providerName, Code: CodeCircuitOpen, Temporary: true, Err: ErrCircuitOpen,
			Message: fmt.Sprintf("paymux stopped sending calls to %s for this connection after %d consecutive failures%s; "+
				"nothing was sent; it tries again after %s (in %s)",
				providerName, b.failures, last, until.UTC().Format(time.RFC3339), until.Sub(now).Round(time.Second))}
	}
	b.trial = true // half-open: this call is the trial
	return nil
}

// Record reports the outcome of a call Allow let through.
func (bs *Breakers) Record(connectionID string, err error) {
	if bs.cfg.Failures < 0 {
		return
	}
	b := bs.get(connectionID)
	now := bs.cfg.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if !Failing(err) {
		b.failures, b.open, b.openUntil, b.lastCode = 0, false, time.Time{}, ""
		return
	}
	b.failures++
	b.lastCode = "unknown"
	var pe *Error
	if errors.As(err, &pe) && pe.Code != "" {
		b.lastCode = pe.Code
	}
	if b.open || b.failures >= bs.cfg.Failures {
		b.open, b.openUntil = true, now.Add(bs.cfg.CoolDown)
	}
}

// Failing reports whether a call's error says the provider is failing: a timeout, a
// network failure, a 5xx, a 429, an unreadable answer, an uncertain outcome (a
// temporary or uncertain *Error), or any error that is not an answer. A decline is
// an outcome, not an error, and a conclusive refusal (a permanent *Error, a
// payment.Error raised before sending, ErrUnknownPayment, ErrNotSupported) means the
// provider answered.
func Failing(err error) bool {
	if err == nil {
		return false
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Temporary || pe.Uncertain
	}
	var ce *payment.Error
	if errors.As(err, &ce) || errors.Is(err, ErrUnknownPayment) || errors.Is(err, ErrNotSupported) ||
		errors.Is(err, ErrBadSignature) {
		return false
	}
	return true
}

// Guard returns c behind the breaker of its connection: every call to the provider
// (Authorize, Capture, Void, Refund, Status and CompleteRedirect) asks the breaker
// first and reports its outcome. ParseWebhook, which reads what the provider sent,
// passes through, and so does Status when caps has no StatusLookup: such a
// connector answers it without asking its provider, which proves nothing about the
// provider either way. The result implements RedirectCompleter whether c does or
// not: without it, or without return parameters, CompleteRedirect answers as
// Status does.
func (bs *Breakers) Guard(providerName, connectionID string, caps Capabilities, c Connector) Connector {
	return &guarded{bs: bs, name: providerName, id: connectionID, local: !caps.StatusLookup, c: c}
}

type guarded struct {
	bs    *Breakers
	name  string
	id    string
	local bool // Status is answered without a call
	c     Connector
}

var (
	_ Connector         = (*guarded)(nil)
	_ RedirectCompleter = (*guarded)(nil)
)

// call runs fn behind the breaker.
func call[T any](g *guarded, fn func() (T, error)) (T, error) {
	if err := g.bs.Allow(g.name, g.id); err != nil {
		var zero T
		return zero, err
	}
	v, err := fn()
	g.bs.Record(g.id, err)
	return v, err
}

func (g *guarded) Authorize(ctx context.Context, r AuthorizeRequest) (payment.Outcome, error) {
	return call(g, func() (payment.Outcome, error) { return g.c.Authorize(ctx, r) })
}

func (g *guarded) Capture(ctx context.Context, r CaptureRequest) (payment.Outcome, error) {
	return call(g, func() (payment.Outcome, error) { return g.c.Capture(ctx, r) })
}

func (g *guarded) Void(ctx context.Context, r VoidRequest) (payment.Outcome, error) {
	return call(g, func() (payment.Outcome, error) { return g.c.Void(ctx, r) })
}

func (g *guarded) Refund(ctx context.Context, r RefundRequest) (RefundResult, error) {
	return call(g, func() (RefundResult, error) { return g.c.Refund(ctx, r) })
}

func (g *guarded) Status(ctx context.Context, r StatusRequest) (payment.Outcome, error) {
	if g.local {
		return g.c.Status(ctx, r)
	}
	return call(g, func() (payment.Outcome, error) { return g.c.Status(ctx, r) })
}

func (g *guarded) CompleteRedirect(ctx context.Context, r ReturnRequest) (payment.Outcome, error) {
	rc, ok := g.c.(RedirectCompleter)
	if !ok || len(r.Params) == 0 {
		return g.Status(ctx, r.StatusRequest)
	}
	return call(g, func() (payment.Outcome, error) { return rc.CompleteRedirect(ctx, r) })
}

func (g *guarded) ParseWebhook(ctx context.Context, r WebhookRequest) ([]WebhookEvent, error) {
	return g.c.ParseWebhook(ctx, r)
}
