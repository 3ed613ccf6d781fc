// Package postgres is paymux's distributed engine: any number of stateless paymux
// processes share one PostgreSQL. Rows are locked with SELECT … FOR UPDATE, jobs are
// claimed with FOR UPDATE SKIP LOCKED, and write transactions wait for a connection
// in a first-come-first-served queue.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune the engine.
type Options struct {
	// MaxConns is the connection pool size; 16 measured best on 2 cores.
	MaxConns int
}

// Open connects to the database at url, applies migrations (under an advisory lock,
// so instances starting together do not race) and returns the store.
func Open(ctx context.Context, url string, opt Options) (*sqlstore.Store, error) {
	if opt.MaxConns <= 0 {
		opt.MaxConns = 16
	}
	cfg, err := pgconnConfig(url)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opt.MaxConns)
	db.SetMaxIdleConns(opt.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	w := &poolWriter{db: db, gate: make(chan struct{}, opt.MaxConns)}
	return sqlstore.New(db, w, dialect{}, db.Close), nil
}

// Migrate applies the embedded migrations.
func Migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(database.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres migrations: %w", dialect{}.Classify(err))
	}
	return nil
}

// poolWriter runs each write transaction on a pooled connection. The gate is a FIFO
// queue in front of the pool: database/sql hands a freed connection to a random
// waiter, which under load triples tail latency.
type poolWriter struct {
	db   *sql.DB
	gate chan struct{}
}

const maxTxAttempts = 5

func (w *poolWriter) Write(ctx context.Context, fn func(ctx context.Context, q sqlstore.Querier) error) error {
	select {
	case w.gate <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-w.gate }()
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		err = w.once(ctx, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}

func (w *poolWriter) once(ctx context.Context, fn func(ctx context.Context, q sqlstore.Querier) error) (err error) {
	// The transaction ignores the caller's cancellation once begun, so that a client
	// hanging up cannot leave "committed but reported failed" ambiguity in between.
	ctx = context.WithoutCancel(ctx)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return dialect{}.Classify(err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return dialect{}.Classify(err)
	}
	return nil
}

func (w *poolWriter) Close() error { return nil }

// retryable reports serialisation failures and deadlocks, which PostgreSQL resolves
// by aborting one transaction that may simply run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

type dialect struct{}

func (dialect) Name() string       { return "postgres" }
func (dialect) Numbered() bool     { return true }
func (dialect) ForUpdate() string  { return " FOR UPDATE" }
func (dialect) SkipLocked() string { return " FOR UPDATE SKIP LOCKED" }
func (dialect) True() string       { return "true" }

func (dialect) Classify(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrDuplicate) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return fmt.Errorf("%w: %w", store.ErrDuplicate, err)
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03",
			pe.Code == "53300", pe.Code == "53100":
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, sql.ErrConnDone) ||
		pgconn.Timeout(err) || strings.Contains(err.Error(), "conn closed") {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
