package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/paymux/paymux/internal/api"
	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/jobs"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/sandbox"
	"github.com/paymux/paymux/internal/secretbox"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/store/postgres"
	"github.com/paymux/paymux/internal/store/sqlite"
)

// app is everything a paymux process runs, wired once.
type app struct {
	cfg     config
	log     *slog.Logger
	store   store.Store
	engine  *engine.Engine
	sandbox *sandbox.Sandbox
	runner  *jobs.Runner
	api     *api.Server
}

// openStore opens the configured database. exclusive takes SQLite's directory lock.
func openStore(ctx context.Context, c config, exclusive bool) (store.Store, error) {
	if c.DatabaseURL != "" {
		return postgres.Open(ctx, c.DatabaseURL, postgres.Options{})
	}
	return sqlite.Open(ctx, c.sqlitePath(), sqlite.Options{Exclusive: exclusive})
}

func masterKey(c config, log *slog.Logger) (*secretbox.Box, error) {
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

// newApp wires the store, providers, engine, jobs and HTTP server.
func newApp(ctx context.Context, c config, log *slog.Logger, exclusive bool) (*app, error) {
	box, err := masterKey(c, log)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, c, exclusive)
	if err != nil {
		if errors.Is(err, sqlite.ErrLocked) {
			return nil, err
		}
		return nil, fmt.Errorf("open database: %w", err)
	}
	a := &app{cfg: c, log: log, store: st}
	var eng *engine.Engine
	var runner *jobs.Runner
	wake := func() {
		if runner != nil {
			runner.Wake()
		}
	}
	a.sandbox = sandbox.New(sandbox.Deps{
		Store: st, BaseURL: c.BaseURL, Latency: c.SandboxLatency, SettleAfter: c.SandboxSettle,
		Wake: wake, Logger: log,
		Connection: func(ctx context.Context, id string) (provider.Connection, error) {
			return eng.ConnectionByID(ctx, id)
		},
	})
	reg, err := provider.NewRegistry(a.sandbox.Registration())
	if err != nil {
		st.Close()
		return nil, err
	}
	eng = engine.New(engine.Deps{Store: st, Providers: reg, Box: box, Logger: log, Wake: wake},
		engine.Config{BaseURL: c.BaseURL, PaymentExpiry: c.PaymentExpiry})
	runner = jobs.New(st, map[string]jobs.WorkFunc{
		engine.JobReconcilePayment: eng.WorkReconcile,
		engine.JobSubmitRefund:     eng.WorkSubmitRefund,
		engine.JobExpireSweep:      eng.WorkExpireSweep,
		engine.JobPurgeIdempotency: eng.WorkPurgeIdempotency(24 * time.Hour),
		sandbox.JobWebhook:         a.sandbox.WorkWebhook,
	}, jobs.Config{}, log)
	a.engine, a.runner = eng, runner
	a.api = api.New(api.Deps{Engine: eng, Store: st, Logger: log, Sandbox: a.sandbox.ChallengeHandler(), Version: version})
	return a, nil
}

func (a *app) handler() http.Handler { return a.api }

func (a *app) close() error { return a.store.Close() }
