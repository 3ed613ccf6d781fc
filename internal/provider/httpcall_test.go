package provider_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/provider"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"2", 2 * time.Second, true}, {" 2 ", 2 * time.Second, true}, {"0", 0, true},
		{"-1", 0, false}, {"soon", 0, false},
		{now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range tests {
		if got, ok := provider.RetryAfter(tc.in, now); got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %s, %t; want %s, %t", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	p := provider.RetryPolicy{MaxRetries: 2, Backoff: 100 * time.Millisecond, MaxWait: time.Second}
	for n, lo := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second} {
		for range 20 {
			if d := p.Delay(n); d < lo || d > min(lo+lo/4, time.Second) {
				t.Fatalf("Delay(%d) = %s, want %s plus at most a quarter, capped at 1s", n, d, lo)
			}
		}
	}
	h := http.Header{"Retry-After": {"1"}}
	if d := p.Wait(h, 0); d != time.Second {
		t.Errorf("Wait with Retry-After 1 = %s", d)
	}
	ctx := context.Background()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	tests := []struct {
		name string
		ctx  context.Context
		done int
		wait time.Duration
		want bool
	}{
		{"first retry", ctx, 0, 10 * time.Millisecond, true},
		{"last retry", ctx, 1, 10 * time.Millisecond, true},
		{"retries used up", ctx, 2, 10 * time.Millisecond, false},
		{"not retryable", ctx, 0, -1, false},
		{"Retry-After beyond the cap", ctx, 0, 2 * time.Second, false},
		{"beyond the deadline", short, 0, 500 * time.Millisecond, false},
	}
	for _, tc := range tests {
		if got := p.Allowed(tc.ctx, tc.done, tc.wait); got != tc.want {
			t.Errorf("%s: Allowed = %t, want %t", tc.name, got, tc.want)
		}
	}
	canceled, stop := context.WithCancel(ctx)
	stop()
	if provider.Sleep(canceled, time.Hour) {
		t.Error("Sleep on a canceled context returned true")
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 300)
	if got := provider.IdempotencyKey("capture", "pay_1-capture", 64); got != "paymux-capture-pay_1-capture" {
		t.Errorf("short key = %q", got)
	}
	for _, max := range []int{64, 108, 255} {
		k := provider.IdempotencyKey("capture", long, max)
		if len(k) > max || !strings.HasPrefix(k, "paymux-capture-") || k != provider.IdempotencyKey("capture", long, max) ||
			k == provider.IdempotencyKey("capture", long+"x", max) {
			t.Errorf("max %d: long key = %q", max, k)
		}
	}
	if a, b := provider.IdempotencyKey("void", "", 64), provider.IdempotencyKey("void", "", 64); a == b || !strings.HasPrefix(a, "paymux-void-") {
		t.Errorf("keys without paymux's key: %q, %q", a, b)
	}
	if provider.IdempotencyKey("authorize", "x", 64) == provider.IdempotencyKey("capture", "x", 64) {
		t.Error("operations share a key")
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	base := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("proxy said: Bearer sk_test_secret123 refused")}
	err := provider.Scrub(base, "", "sk_test_secret123")
	if strings.Contains(err.Error(), "sk_test_secret123") || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("scrubbed = %q", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Fatal("the scrubbed error no longer unwraps to its cause")
	}
	if provider.Scrub(base, "absent") != error(base) {
		t.Error("an error without secrets was wrapped")
	}
	if provider.Scrub(nil, "x") != nil {
		t.Error("Scrub(nil) is not nil")
	}
}

// TestSendTellsWhetherTheRequestWasSent: a request refused at dial time was not
// sent (nothing can have happened), one whose answer never came was.
func TestSendTellsWhetherTheRequestWasSent(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/x", strings.NewReader("a=1"))
	x := provider.Send(http.DefaultClient, req, 1<<10)
	if x.Err == nil || x.Sent || x.Status != 0 {
		t.Fatalf("connection refused: %+v", x)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			w.Header().Set("Request-Id", "req_1")
			w.WriteHeader(201)
			w.Write([]byte(strings.Repeat("x", 100)))
			return
		}
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/reset", strings.NewReader("a=1"))
	x = provider.Send(srv.Client(), req, 1<<10)
	if x.Err == nil || !x.Sent || x.Status != 0 {
		t.Fatalf("reset after sending: %+v", x)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/ok", strings.NewReader("a=1"))
	x = provider.Send(srv.Client(), req, 10)
	if x.Err != nil || !x.Sent || x.Status != 201 || len(x.Body) != 10 || x.Header.Get("Request-Id") != "req_1" {
		t.Fatalf("answer: %+v", x)
	}
}
