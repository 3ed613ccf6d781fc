// Package apptest starts a whole paymux (store, engine, sandbox, job runner, HTTP
// server on loopback) for end-to-end tests, on SQLite or PostgreSQL, and gives a
// small client for its JSON API.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/app"
	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/jobs"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/testutil/pgtest"
)

// Engines are the database engines every end-to-end test runs on.
var Engines = []string{"sqlite", "postgres"}

// Env is a running paymux with one merchant.
type Env struct {
	T       testing.TB
	URL     string
	App     *app.App
	Keys    *engine.MerchantKeys
	Client  *http.Client
	DataDir string
	// DatabaseURL is the PostgreSQL database it runs on ("" on SQLite).
	DatabaseURL string

	cfg     app.Config
	log     *slog.Logger
	handler atomic.Pointer[http.Handler]
	stop    func()
}

// settings are what options change before the app is built.
type settings struct {
	cfg      app.Config
	logOut   io.Writer
	logLevel slog.Level
}

// Option changes the settings before the app is built.
type Option func(*settings)

// WithLog sends paymux's log, at debug level, to w instead of standard error.
func WithLog(w io.Writer) Option {
	return func(s *settings) { s.logOut, s.logLevel = w, slog.LevelDebug }
}

// WithSettleAfter sets the sandbox's settlement delay.
func WithSettleAfter(d time.Duration) Option { return func(s *settings) { s.cfg.SandboxSettle = d } }

// WithExpiry sets the payment expiry.
func WithExpiry(d time.Duration) Option { return func(s *settings) { s.cfg.PaymentExpiry = d } }

// WithSandboxLatency sets the sandbox's latency per call.
func WithSandboxLatency(d time.Duration) Option {
	return func(s *settings) { s.cfg.SandboxLatency = d }
}

// WithWebhookRetrySchedule sets the waits between outbound webhook attempts.
func WithWebhookRetrySchedule(d ...time.Duration) Option {
	return func(s *settings) { s.cfg.WebhookRetrySchedule = d }
}

// WithApplePayDomainFile serves b as the Apple Pay domain-association file.
func WithApplePayDomainFile(b []byte) Option {
	return func(s *settings) { s.cfg.ApplePayDomainFile = b }
}

// WithSMTP sends emails through the SMTP server at url (e.g. a mailtest.Server's
// URL), from noreply@paymux.test.
func WithSMTP(url string) Option {
	return func(s *settings) { s.cfg.SMTPURL, s.cfg.MailFrom = url, "noreply@paymux.test" }
}

// WithMailRetrySchedule sets the waits after an email's temporary failures.
func WithMailRetrySchedule(d ...time.Duration) Option {
	return func(s *settings) { s.cfg.MailRetrySchedule = d }
}

// WithJobLease sets how long the job runner holds a claimed job (5s by default in
// tests, 30s in production).
func WithJobLease(d time.Duration) Option { return func(s *settings) { s.cfg.Jobs.Lease = d } }

// WithDatabaseURL runs on an existing PostgreSQL database, such as another Env's,
// to start a second instance beside it.
func WithDatabaseURL(url string) Option { return func(s *settings) { s.cfg.DatabaseURL = url } }

// WithAdmission bounds concurrent API requests.
func WithAdmission(max int, wait time.Duration) Option {
	return func(s *settings) { s.cfg.MaxInFlight, s.cfg.AdmissionWait = max, wait }
}

// WithProviderTimeout bounds each provider call, retries included.
func WithProviderTimeout(d time.Duration) Option {
	return func(s *settings) { s.cfg.ProviderTimeout = d }
}

// WithReconcileAfter sets when a payment left processing is first looked up at its
// provider (and the step of later lookups).
func WithReconcileAfter(d time.Duration) Option {
	return func(s *settings) { s.cfg.ReconcileAfter = d }
}

// WithBreaker sets the provider circuit breakers: failures consecutive failed
// calls open a connection's breaker for coolDown (negative failures disables them).
func WithBreaker(failures int, coolDown time.Duration) Option {
	return WithBreakerConfig(provider.BreakerConfig{Failures: failures, CoolDown: coolDown})
}

// WithBreakerConfig sets the provider circuit breakers, clock included.
func WithBreakerConfig(c provider.BreakerConfig) Option {
	return func(s *settings) { s.cfg.Breaker = c }
}

// Start builds and starts paymux on engine ("sqlite" or "postgres").
func Start(t testing.TB, engineName string, opts ...Option) *Env {
	t.Helper()
	env := &Env{T: t, Client: &http.Client{Timeout: 30 * time.Second}}
	notFound := http.NotFoundHandler()
	env.handler.Store(&notFound)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*env.handler.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, BaseURL: srv.URL, MasterKey: strings.Repeat("ab", 32), SandboxSettle: 200 * time.Millisecond,
		PaymentExpiry: time.Hour, Exclusive: true, Version: "test",
		Jobs: jobs.Config{Poll: 50 * time.Millisecond, Lease: 5 * time.Second}}
	st := settings{cfg: cfg, logOut: os.Stderr, logLevel: slog.LevelWarn}
	if os.Getenv("PAYMUX_TEST_LOG") != "" {
		st.logLevel = slog.LevelDebug
	}
	for _, o := range opts {
		o(&st)
	}
	cfg = st.cfg
	if engineName == "postgres" && cfg.DatabaseURL == "" {
		cfg.DatabaseURL = pgtest.URL(t)
	}
	env.URL, env.DataDir, env.DatabaseURL, env.cfg = srv.URL, dir, cfg.DatabaseURL, cfg
	env.log = slog.New(slog.NewTextHandler(st.logOut, &slog.HandlerOptions{Level: st.logLevel}))
	env.run(engineName)
	t.Cleanup(func() { env.stop() })
	keys, err := env.App.Engine.CreateMerchant(context.Background(), "Test Shop")
	if err != nil {
		t.Fatalf("create merchant: %v", err)
	}
	env.Keys = keys
	return env
}

// run builds the app on the env's settings, serves it at env.URL and starts its
// job runner; env.stop undoes it.
func (e *Env) run(engineName string) {
	e.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, e.cfg, e.log)
	if err != nil {
		cancel()
		e.T.Fatalf("start paymux on %s: %v", engineName, err)
	}
	h := a.Handler()
	e.handler.Store(&h)
	done := make(chan struct{})
	go func() { defer close(done); a.Runner.Run(ctx) }()
	e.App = a
	e.stop = func() {
		a.API.CloseStreams()
		cancel()
		<-done
		a.Close()
	}
	if err := a.Engine.SchedulePeriodic(ctx); err != nil {
		e.T.Fatalf("schedule jobs: %v", err)
	}
}

// Restart stops paymux (its job runner, then its database) and starts it again on
// the same data directory or database, at the same URL, as after a redeploy. The
// merchant and its keys stay.
func (e *Env) Restart() {
	e.T.Helper()
	e.stop()
	notFound := http.NotFoundHandler()
	e.handler.Store(&notFound)
	engineName := "sqlite"
	if e.DatabaseURL != "" {
		engineName = "postgres"
	}
	e.run(engineName)
}

// Response is an API answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map, failing the test if it is not JSON.
func (r *Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Do sends a request with key as bearer token; body may be nil, a string, []byte or
// any value (encoded as JSON). headers are name, value pairs.
func (e *Env) Do(method, path, key string, body any, headers ...string) *Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Secret sends a request with the merchant's test secret key.
func (e *Env) Secret(method, path string, body any, headers ...string) *Response {
	e.T.Helper()
	return e.Do(method, path, e.Keys.TestSecretKey, body, headers...)
}

// MustStatus fails the test unless the response has the status.
func (r *Response) MustStatus(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}
