package provider_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// fakeClock is a settable clock for breaker tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// scripted is a connector whose calls answer from a script and are counted.
type scripted struct {
	provider.Unsupported
	calls atomic.Int32
	err   atomic.Pointer[error]
}

func (s *scripted) answer(err error) { s.err.Store(&err) }

func (s *scripted) Authorize(context.Context, provider.AuthorizeRequest) (payment.Outcome, error) {
	s.calls.Add(1)
	if p := s.err.Load(); p != nil && *p != nil {
		return payment.Outcome{}, *p
	}
	return payment.Outcome{Status: payment.StatusSucceeded}, nil
}

func (s *scripted) Status(context.Context, provider.StatusRequest) (payment.Outcome, error) {
	s.calls.Add(1)
	return payment.Outcome{Status: payment.StatusProcessing}, nil
}

// lookups are the capabilities of a provider that answers status lookups.
var lookups = provider.Capabilities{StatusLookup: true}

var (
	errTimeout   = &provider.Error{Provider: "psp", Code: "timeout", Uncertain: true, Temporary: true, Message: "timed out"}
	err503       = &provider.Error{Provider: "psp", Code: "api_error", Temporary: true, Message: "HTTP 503"}
	errRefused   = &provider.Error{Provider: "psp", Code: "parameter_invalid", Message: "bad amount"}
	errLocal     = payment.Invalid("payment_method", payment.CodeParameterInvalid, "no such method")
	errUnknown   = fmt.Errorf("%w: never seen", provider.ErrUnknownPayment)
	errNetworkGo = errors.New("dial tcp: connection refused")
)

func TestFailingClassifiesProviderAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false}, {errTimeout, true}, {err503, true}, {errNetworkGo, true},
		{fmt.Errorf("wrapped: %w", errTimeout), true},
		{errRefused, false}, {errLocal, false}, {errUnknown, false}, {provider.ErrNotSupported, false},
	}
	for _, tc := range tests {
		if got := provider.Failing(tc.err); got != tc.want {
			t.Errorf("Failing(%v) = %t, want %t", tc.err, got, tc.want)
		}
	}
}

func TestBreakerOpensFailsFastAndRecoversHalfOpen(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	bs := provider.NewBreakers(provider.BreakerConfig{Failures: 3, CoolDown: 30 * time.Second, Now: clock.now})
	inner := &scripted{}
	c := bs.Guard("psp", "conn_1", lookups, inner)
	ctx := context.Background()
	auth := func() error { _, err := c.Authorize(ctx, provider.AuthorizeRequest{}); return err }

	// Two failures, then a decline-free success: the count starts again.
	inner.answer(errTimeout)
	auth()
	auth()
	inner.answer(nil)
	if err := auth(); err != nil {
		t.Fatalf("third call: %v", err)
	}
	if st := bs.State("conn_1"); st.Open || st.Failures != 0 {
		t.Fatalf("after a success: %+v", st)
	}
	// A conclusive refusal is an answer: it does not count either.
	inner.answer(errRefused)
	for range 5 {
		auth()
	}
	if st := bs.State("conn_1"); st.Open {
		t.Fatalf("refusals opened the breaker: %+v", st)
	}

	// Three consecutive failures open it.
	inner.answer(err503)
	for range 3 {
		auth()
	}
	st := bs.State("conn_1")
	if !st.Open || st.Failures != 3 || !st.Until.Equal(clock.now().Add(30*time.Second)) {
		t.Fatalf("after 3 failures: %+v", st)
	}
	before := inner.calls.Load()
	err := auth()
	var pe *provider.Error
	if !errors.As(err, &pe) || !errors.Is(err, provider.ErrCircuitOpen) || pe.Code != provider.CodeCircuitOpen ||
		!pe.Temporary || pe.Uncertain || !strings.Contains(pe.Message, "3 consecutive failures") ||
		!strings.Contains(pe.Message, "api_error") || !strings.Contains(pe.Message, "nothing was sent") {
		t.Fatalf("open breaker answered %#v", err)
	}
	if inner.calls.Load() != before {
		t.Fatal("an open breaker let a call through")
	}
	// Other connections are not affected.
	other := bs.Guard("psp", "conn_2", lookups, inner)
	if _, err := other.Status(ctx, provider.StatusRequest{}); err != nil {
		t.Fatalf("another connection: %v", err)
	}

	// After the cool-down one trial goes through; while it runs, others fail fast.
	clock.add(31 * time.Second)
	release := make(chan struct{})
	trialStarted := make(chan struct{})
	slow := &blocking{started: trialStarted, release: release}
	gs := bs.Guard("psp", "conn_1", lookups, slow)
	done := make(chan error)
	go func() { _, err := gs.Authorize(ctx, provider.AuthorizeRequest{}); done <- err }()
	<-trialStarted
	if _, err := gs.Authorize(ctx, provider.AuthorizeRequest{}); !errors.Is(err, provider.ErrCircuitOpen) {
		t.Fatalf("a second call during the trial: %v", err)
	}
	slow.fail = true
	close(release)
	if err := <-done; !errors.Is(err, err503) {
		t.Fatalf("trial: %v", err)
	}
	// The failed trial opens it for another cool-down.
	if st := bs.State("conn_1"); !st.Open || !st.Until.Equal(clock.now().Add(30*time.Second)) {
		t.Fatalf("after a failed trial: %+v", st)
	}
	if err := auth(); !errors.Is(err, provider.ErrCircuitOpen) {
		t.Fatalf("right after a failed trial: %v", err)
	}
	// A successful trial closes it.
	clock.add(31 * time.Second)
	inner.answer(nil)
	if err := auth(); err != nil {
		t.Fatalf("successful trial: %v", err)
	}
	if st := bs.State("conn_1"); st.Open || st.Failures != 0 {
		t.Fatalf("after a successful trial: %+v", st)
	}
}

// blocking answers its first call only when released.
type blocking struct {
	provider.Unsupported
	started chan struct{}
	release chan struct{}
	fail    bool
	once    sync.Once
}

func (b *blocking) Authorize(context.Context, provider.AuthorizeRequest) (payment.Outcome, error) {
	b.once.Do(func() { close(b.started) })
	<-b.release
	if b.fail {
		return payment.Outcome{}, err503
	}
	return payment.Outcome{Status: payment.StatusSucceeded}, nil
}

func TestBreakerDisabled(t *testing.T) {
	t.Parallel()
	bs := provider.NewBreakers(provider.BreakerConfig{Failures: -1})
	inner := &scripted{}
	inner.answer(errTimeout)
	c := bs.Guard("psp", "conn_1", lookups, inner)
	for range 20 {
		if _, err := c.Authorize(context.Background(), provider.AuthorizeRequest{}); !errors.Is(err, errTimeout) {
			t.Fatalf("disabled breaker answered %v", err)
		}
	}
	if inner.calls.Load() != 20 {
		t.Fatalf("%d calls reached the provider, want 20", inner.calls.Load())
	}
}

func TestGuardPassesWebhooksAndCompletesRedirectsWithStatus(t *testing.T) {
	t.Parallel()
	bs := provider.NewBreakers(provider.BreakerConfig{Failures: 1})
	inner := &scripted{}
	c := bs.Guard("psp", "conn_1", lookups, inner)
	rc, ok := c.(provider.RedirectCompleter)
	if !ok {
		t.Fatal("a guarded connector is not a RedirectCompleter")
	}
	o, err := rc.CompleteRedirect(context.Background(), provider.ReturnRequest{})
	if err != nil || o.Status != payment.StatusProcessing || inner.calls.Load() != 1 {
		t.Fatalf("CompleteRedirect without the provider's support = %+v, %v (calls %d); want its Status", o, err, inner.calls.Load())
	}
	inner.answer(errTimeout)
	c.Authorize(context.Background(), provider.AuthorizeRequest{})
	// Open now; webhooks still go through to the connector (Unsupported here).
	if _, err := c.ParseWebhook(context.Background(), provider.WebhookRequest{}); !errors.Is(err, provider.ErrNotSupported) {
		t.Fatalf("ParseWebhook behind an open breaker: %v", err)
	}
}

// TestGuardLeavesLocalAnswersOut: a connector that cannot look a payment up at its
// provider answers Status itself; those answers must neither reset nor trip the
// breaker.
func TestGuardLeavesLocalAnswersOut(t *testing.T) {
	t.Parallel()
	bs := provider.NewBreakers(provider.BreakerConfig{Failures: 2})
	inner := &scripted{}
	c := bs.Guard("psp", "conn_1", provider.Capabilities{StatusLookup: false}, inner)
	ctx := context.Background()
	inner.answer(err503)
	c.Authorize(ctx, provider.AuthorizeRequest{})
	c.Status(ctx, provider.StatusRequest{})
	c.(provider.RedirectCompleter).CompleteRedirect(ctx, provider.ReturnRequest{})
	c.Authorize(ctx, provider.AuthorizeRequest{})
	if st := bs.State("conn_1"); !st.Open {
		t.Fatalf("local Status answers reset the count: %+v", st)
	}
	if _, err := c.Status(ctx, provider.StatusRequest{}); err != nil {
		t.Fatalf("a local Status behind an open breaker: %v", err)
	}
}
