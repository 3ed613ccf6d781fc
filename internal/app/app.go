// Package app wires a paymux process: the store, the provider registry, the engine,
// the job runner and the HTTP server. cmd/paymux and the end-to-end tests build the
// same thing through it, so tests exercise the real wiring.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"path/filepath"
	"time"

	"github.com/paymux/paymux/internal/api"
	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/jobs"
	"github.com/paymux/paymux/internal/metrics"
	"github.com/paymux/paymux/internal/notify"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/adyen"
	"github.com/paymux/paymux/internal/provider/paypal"
	"github.com/paymux/paymux/internal/provider/sandbox"
	"github.com/paymux/paymux/internal/provider/stripe"
	"github.com/paymux/paymux/internal/secretbox"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/store/postgres"
	"github.com/paymux/paymux/internal/store/sqlite"
	"github.com/paymux/paymux/internal/webhook"
)

// Config is what a process is built from.
type Config struct {
	// DataDir holds the SQLite file and the development master key.
	DataDir string
	// DatabaseURL selects PostgreSQL; empty means SQLite in DataDir.
	DatabaseURL string
	// BaseURL is paymux's public URL.
	BaseURL string
	// MasterKey seals secrets; empty means a key file in DataDir.
	MasterKey      string
	SandboxLatency time.Duration
	SandboxSettle  time.Duration
	PaymentExpiry  time.Duration
	// WebhookRetrySchedule is how long outbound webhooks wait after each failed
	// attempt; nil means webhook.DefaultSchedule (about three days).
	WebhookRetrySchedule webhook.Schedule
	// SMTPURL is the mail server (PAYMUX_SMTP_URL, see notify.ParseSMTPURL); empty
	// means no email is sent: notifications are recorded as skipped.
	SMTPURL string
	// MailFrom is the address emails come from (PAYMUX_MAIL_FROM); required with
	// SMTPURL.
	MailFrom string
	// MailRetrySchedule is how long an email waits after each temporary failure;
	// nil means engine.DefaultMailRetrySchedule.
	MailRetrySchedule webhook.Schedule
	// SMTPTLS, when set, verifies the mail server with it instead of the system's
	// roots (tests trust their own certificate authority).
	SMTPTLS *tls.Config
	// Exclusive takes SQLite's data-directory lock (servers do; admin commands don't).
	Exclusive bool
	// Version is reported by /healthz.
	Version string
	// ApplePayDomainFile is served at /.well-known/apple-developer-merchantid-domain-association.
	ApplePayDomainFile []byte
	// Jobs tunes the job runner.
	Jobs jobs.Config
	// MaxInFlight and AdmissionWait bound concurrent API requests (0: defaults).
	MaxInFlight   int
	AdmissionWait time.Duration
	// ProviderTimeout bounds one provider call, retries included (0: 30 s).
	ProviderTimeout time.Duration
	// ReconcileAfter is when a payment left processing is first looked up at its
	// provider (0: one minute).
	ReconcileAfter time.Duration
	// Breaker tunes the circuit breaker in front of each provider connection.
	Breaker provider.BreakerConfig
}

// SQLitePath is the database file used when no DatabaseURL is set.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "paymux.db") }

// App is everything a paymux process runs, wired once.
type App struct {
	Store   store.Store
	Engine  *engine.Engine
	Sandbox *sandbox.Sandbox
	Runner  *jobs.Runner
	API     *api.Server
}

// OpenStore opens the configured database.
func OpenStore(ctx context.Context, c Config) (store.Store, error) {
	if c.DatabaseURL != "" {
		return postgres.Open(ctx, c.DatabaseURL, postgres.Options{})
	}
	return sqlite.Open(ctx, c.SQLitePath(), sqlite.Options{Exclusive: c.Exclusive})
}

func masterKey(c Config, log *slog.Logger) (*secretbox.Box, error) {
	if c.MasterKey != "" {
		k, err := secretbox.ParseKey(c.MasterKey)
		if err != nil {
			return nil, err
		}
		return secretbox.New(k)
	}
	path := filepath.Join(c.DataDir, "master.key")
	k, created, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if created {
		log.Warn("generated a development master key; set PAYMUX_MASTER_KEY in production", "file", path)
	}
	return secretbox.New(k)
}

// MailConfig turns the email settings into the engine's, checking them.
func MailConfig(c Config) (engine.MailConfig, error) {
	mc := engine.MailConfig{RetrySchedule: c.MailRetrySchedule}
	if c.SMTPURL == "" {
		return mc, nil
	}
	sc, err := notify.ParseSMTPURL(c.SMTPURL)
	if err != nil {
		return mc, fmt.Errorf("PAYMUX_SMTP_URL: %w", err)
	}
	sc.TLSConfig = c.SMTPTLS
	from, err := ParseMailFrom(c.MailFrom)
	if err != nil {
		return mc, err
	}
	sender, err := notify.NewSMTP(sc)
	if err != nil {
		return mc, err
	}
	mc.Sender, mc.From = sender, from
	return mc, nil
}

// ParseMailFrom checks PAYMUX_MAIL_FROM and returns its address. A display name
// given with it is dropped: each email shows the merchant's brand name instead.
func ParseMailFrom(v string) (string, error) {
	if v == "" {
		return "", errors.New("PAYMUX_MAIL_FROM is required with PAYMUX_SMTP_URL: the address emails come from, e.g. noreply@pay.example.com")
	}
	a, err := mail.ParseAddress(v)
	if err != nil {
		return "", fmt.Errorf("PAYMUX_MAIL_FROM=%q is not an email address such as noreply@pay.example.com", v)
	}
	return a.Address, nil
}

// New wires the store, providers, engine, jobs and HTTP server.
func New(ctx context.Context, c Config, log *slog.Logger) (*App, error) {
	mc, err := MailConfig(c)
	if err != nil {
		return nil, err
	}
	box, err := masterKey(c, log)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, c)
	if err != nil {
		if errors.Is(err, sqlite.ErrLocked) {
			return nil, err
		}
		return nil, fmt.Errorf("open database: %w", err)
	}
	m := metrics.New()
	a := &App{Store: st}
	var eng *engine.Engine
	var runner *jobs.Runner
	wake := func() {
		if runner != nil {
			runner.Wake()
		}
	}
	a.Sandbox = sandbox.New(sandbox.Deps{
		Store: st, BaseURL: c.BaseURL, Latency: c.SandboxLatency, SettleAfter: c.SandboxSettle,
		Wake: wake, Logger: log,
		Connection: func(ctx context.Context, id string) (provider.Connection, error) {
			return eng.ConnectionByID(ctx, id)
		},
	})
	reg, err := provider.NewRegistry(a.Sandbox.Registration(), stripe.Registration(stripe.Options{Logger: log}),
		paypal.Registration(paypal.Options{Logger: log}), adyen.Registration(adyen.Options{Logger: log}))
	if err != nil {
		st.Close()
		return nil, err
	}
	eng = engine.New(engine.Deps{Store: st, Providers: reg, Box: box, Logger: log, Wake: wake},
		engine.Config{BaseURL: c.BaseURL, PaymentExpiry: c.PaymentExpiry, FollowLag: followLag(c), ProviderTimeout: c.ProviderTimeout,
			ReconcileAfter: c.ReconcileAfter, Breaker: c.Breaker,
			Webhooks: engine.WebhookConfig{RetrySchedule: c.WebhookRetrySchedule,
				Client: webhook.NewClient(webhook.Options{UserAgent: "paymux-webhooks/" + c.Version})},
			Mail: mc})
	if smtp, ok := mc.Sender.(*notify.SMTP); ok {
		log.Info("email: sending through "+smtp.Config().String(), "from", mc.From)
	} else {
		log.Info("email: PAYMUX_SMTP_URL is not set: no email is sent; notifications are recorded as skipped")
	}
	runner = jobs.New(st, map[string]jobs.WorkFunc{
		engine.JobReconcilePayment: eng.WorkReconcile,
		engine.JobSubmitRefund:     eng.WorkSubmitRefund,
		engine.JobExpireSweep:      eng.WorkExpireSweep,
		engine.JobAttemptSweep:     eng.WorkAttemptSweep,
		engine.JobPurgeIdempotency: eng.WorkPurgeIdempotency(24 * time.Hour),
		sandbox.JobWebhook:         a.Sandbox.WorkWebhook,
		engine.JobWebhookDelivery:  eng.WorkWebhookDelivery,
		engine.JobIssueInvoice:     eng.WorkIssueInvoice,
		engine.JobIssueCreditNote:  eng.WorkIssueCreditNote,
		engine.JobRenderInvoice:    eng.WorkRenderInvoice,
		engine.JobNotification:     eng.WorkNotification,
		engine.JobPaymentReminder:  eng.WorkPaymentReminder,
	}, c.Jobs, log, m)
	a.Engine, a.Runner = eng, runner
	a.API = api.New(api.Deps{Engine: eng, Store: st, Logger: log, Sandbox: a.Sandbox.ChallengeHandler(),
		Version: c.Version, Metrics: m, ApplePayDomainFile: c.ApplePayDomainFile,
		MaxInFlight: c.MaxInFlight, AdmissionWait: c.AdmissionWait})
	return a, nil
}

// Handler is the HTTP handler of the process.
func (a *App) Handler() http.Handler { return a.API }

// Close closes the store.
func (a *App) Close() error { return a.Store.Close() }

// followLag is how long live event followers wait for late commits: none on SQLite,
// whose single writer commits events in the order they are numbered.
func followLag(c Config) time.Duration {
	if c.DatabaseURL == "" {
		return 0
	}
	return 5 * time.Second
}
