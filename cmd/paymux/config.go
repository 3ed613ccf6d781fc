package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/app"
	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/notify"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/webhook"
)

// config is paymux's configuration, read from the environment.
type config struct {
	Addr           string
	DataDir        string
	DatabaseURL    string
	BaseURL        string
	MasterKey      string
	LogLevel       slog.Level
	LogFormat      string
	SandboxLatency time.Duration
	SandboxSettle  time.Duration
	PaymentExpiry  time.Duration
	WebhookRetries webhook.Schedule
	// ApplePayDomainFile is the content of Apple Pay's domain-association file.
	ApplePayDomainFile []byte
	SMTPURL            string
	MailFrom           string
	MailRetries        webhook.Schedule
	// Provider calls: their timeout and the per-connection circuit breaker.
	ProviderTimeout time.Duration
	BreakerFailures int
	BreakerCoolDown time.Duration
}

// envDoc documents every setting; serve -h and the README show it.
const envDoc = `Configuration (environment variables):
  PAYMUX_ADDR                   listen address                       (default 127.0.0.1:8080)
  PAYMUX_DATA_DIR               data directory: SQLite file, dev master key
                                                                     (default ./paymux-data)
  PAYMUX_DATABASE_URL           postgres://… to use PostgreSQL instead of SQLite
  PAYMUX_BASE_URL               public URL of this paymux, for links and provider
                                callbacks                            (default http://PAYMUX_ADDR)
  PAYMUX_MASTER_KEY             32-byte key (64 hex digits) sealing secrets at rest;
                                unset: generated into PAYMUX_DATA_DIR/master.key
                                (development only: set it in production)
  PAYMUX_LOG_LEVEL              debug, info, warn, error              (default info)
  PAYMUX_LOG_FORMAT             text or json                          (default text)
  PAYMUX_SANDBOX_LATENCY        added to every sandbox provider call  (default 0)
  PAYMUX_SANDBOX_SETTLE_AFTER   when pm_card_processing settles       (default 5s)
  PAYMUX_PAYMENT_EXPIRY         when an unpaid payment expires        (default 24h)
  PAYMUX_WEBHOOK_RETRY_SCHEDULE waits between a merchant webhook's attempts, comma-
                                separated; given up after the last  (default
                                1m,5m,30m,2h,5h,10h,10h,24h,24h: about 3 days)
  PAYMUX_APPLE_PAY_DOMAIN_FILE  path of the Apple Pay domain-association file your
                                provider gives you, served at /.well-known/apple-
                                developer-merchantid-domain-association  (default none)
  PAYMUX_SMTP_URL               mail server for emails to shoppers and operators:
                                smtp://user:pass@host:587 (STARTTLS when offered;
                                ?tls=starttls to require it), smtps://…:465 (TLS),
                                smtp://127.0.0.1:1025?tls=none (no TLS, loopback
                                only); unset: no email is sent, notifications are
                                recorded as skipped
  PAYMUX_MAIL_FROM              address emails come from, e.g. noreply@pay.example.com
                                (required with PAYMUX_SMTP_URL)
  PAYMUX_MAIL_RETRY_SCHEDULE    waits after an email's temporary failures (4xx, server
                                down), comma-separated; failed after the last
                                (default 1m,5m,15m,30m,1h,2h,4h,8h: about 16h)
  PAYMUX_PROVIDER_TIMEOUT       bound on one provider call, retries included
                                                                     (default 30s)
  PAYMUX_PROVIDER_BREAKER_FAILURES
                                consecutive failed calls to a provider connection
                                after which its calls fail fast; 0 turns the
                                breaker off                          (default 5)
  PAYMUX_PROVIDER_BREAKER_COOLDOWN
                                how long they fail fast before one trial call
                                                                     (default 30s)
Durations use Go syntax: 250ms, 5s, 24h.
`

func loadConfig() (config, error) {
	c := config{
		Addr:        env("PAYMUX_ADDR", "127.0.0.1:8080"),
		DataDir:     env("PAYMUX_DATA_DIR", "paymux-data"),
		DatabaseURL: os.Getenv("PAYMUX_DATABASE_URL"),
		BaseURL:     strings.TrimRight(os.Getenv("PAYMUX_BASE_URL"), "/"),
		MasterKey:   os.Getenv("PAYMUX_MASTER_KEY"),
		LogFormat:   env("PAYMUX_LOG_FORMAT", "text"),
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("PAYMUX_LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("PAYMUX_LOG_LEVEL: use debug, info, warn or error: %w", err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("PAYMUX_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return c, fmt.Errorf("PAYMUX_DATABASE_URL must be a postgres:// URL (leave it unset for SQLite)")
	}
	var err error
	if c.SandboxLatency, err = duration("PAYMUX_SANDBOX_LATENCY", 0); err != nil {
		return c, err
	}
	if c.SandboxSettle, err = duration("PAYMUX_SANDBOX_SETTLE_AFTER", 5*time.Second); err != nil {
		return c, err
	}
	if c.PaymentExpiry, err = duration("PAYMUX_PAYMENT_EXPIRY", 24*time.Hour); err != nil {
		return c, err
	}
	if c.PaymentExpiry <= 0 {
		return c, fmt.Errorf("PAYMUX_PAYMENT_EXPIRY must be positive")
	}
	c.WebhookRetries = webhook.DefaultSchedule
	if v := os.Getenv("PAYMUX_WEBHOOK_RETRY_SCHEDULE"); v != "" {
		if c.WebhookRetries, err = webhook.ParseSchedule(v); err != nil {
			return c, fmt.Errorf("PAYMUX_WEBHOOK_RETRY_SCHEDULE=%q: %w (e.g. 1m,5m,30m,2h)", v, err)
		}
	}
	if path := os.Getenv("PAYMUX_APPLE_PAY_DOMAIN_FILE"); path != "" {
		if c.ApplePayDomainFile, err = os.ReadFile(path); err != nil {
			return c, fmt.Errorf("PAYMUX_APPLE_PAY_DOMAIN_FILE: %w", err)
		}
		if len(c.ApplePayDomainFile) == 0 || len(c.ApplePayDomainFile) > 64<<10 {
			return c, fmt.Errorf("PAYMUX_APPLE_PAY_DOMAIN_FILE %s: %d bytes: expected the file Apple Pay's domain verification asks for (a few KiB)", path, len(c.ApplePayDomainFile))
		}
	}
	c.SMTPURL, c.MailFrom = os.Getenv("PAYMUX_SMTP_URL"), os.Getenv("PAYMUX_MAIL_FROM")
	if c.SMTPURL != "" {
		// Checked here so that a typo stops paymux at once, not at the first email.
		if _, err := notify.ParseSMTPURL(c.SMTPURL); err != nil {
			return c, fmt.Errorf("PAYMUX_SMTP_URL: %w", err)
		}
		if _, err := app.ParseMailFrom(c.MailFrom); err != nil {
			return c, err
		}
	}
	c.MailRetries = engine.DefaultMailRetrySchedule
	if v := os.Getenv("PAYMUX_MAIL_RETRY_SCHEDULE"); v != "" {
		if c.MailRetries, err = webhook.ParseSchedule(v); err != nil {
			return c, fmt.Errorf("PAYMUX_MAIL_RETRY_SCHEDULE=%q: %w (e.g. 1m,5m,30m,2h)", v, err)
		}
	}
	if c.ProviderTimeout, err = duration("PAYMUX_PROVIDER_TIMEOUT", 30*time.Second); err != nil {
		return c, err
	}
	if c.ProviderTimeout <= 0 {
		return c, fmt.Errorf("PAYMUX_PROVIDER_TIMEOUT must be positive")
	}
	c.BreakerFailures = 5
	if v := os.Getenv("PAYMUX_PROVIDER_BREAKER_FAILURES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("PAYMUX_PROVIDER_BREAKER_FAILURES=%q is not a count such as 5 (0 turns the breaker off)", v)
		}
		c.BreakerFailures = n
	}
	if c.BreakerCoolDown, err = duration("PAYMUX_PROVIDER_BREAKER_COOLDOWN", 30*time.Second); err != nil {
		return c, err
	}
	if c.BreakerCoolDown <= 0 {
		return c, fmt.Errorf("PAYMUX_PROVIDER_BREAKER_COOLDOWN must be positive")
	}
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	return c, nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func duration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q is not a duration such as 250ms, 5s or 24h", name, v)
	}
	return d, nil
}

func (c config) logger(w *os.File) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (c config) app(exclusive bool) app.Config {
	return app.Config{DataDir: c.DataDir, DatabaseURL: c.DatabaseURL, BaseURL: c.BaseURL, MasterKey: c.MasterKey,
		SandboxLatency: c.SandboxLatency, SandboxSettle: c.SandboxSettle, PaymentExpiry: c.PaymentExpiry,
		WebhookRetrySchedule: c.WebhookRetries, ApplePayDomainFile: c.ApplePayDomainFile, SMTPURL: c.SMTPURL, MailFrom: c.MailFrom,
		MailRetrySchedule: c.MailRetries, Exclusive: exclusive, Version: version,
		ProviderTimeout: c.ProviderTimeout, Breaker: c.breaker()}
}

// mailSummary says, for the banner, whether and how emails are sent.
func (c config) mailSummary() string {
	if c.SMTPURL == "" {
		return "off: PAYMUX_SMTP_URL is not set, so no email is sent (notifications are recorded as skipped)"
	}
	sc, err := notify.ParseSMTPURL(c.SMTPURL)
	if err != nil {
		return "misconfigured: " + err.Error()
	}
	from, _ := app.ParseMailFrom(c.MailFrom)
	return sc.String() + ", from " + from
}

// breaker is the provider breakers' configuration: 0 failures turns them off.
func (c config) breaker() provider.BreakerConfig {
	if c.BreakerFailures == 0 {
		return provider.BreakerConfig{Failures: -1}
	}
	return provider.BreakerConfig{Failures: c.BreakerFailures, CoolDown: c.BreakerCoolDown}
}
