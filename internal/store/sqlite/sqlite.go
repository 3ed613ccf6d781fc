// Package sqlite is paymux's embedded engine: one SQLite file in WAL mode with
// synchronous=FULL, one writer that group-commits, and a pool of readers. A lock file
// keeps a second process off the same data directory.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrLocked means another process has the database open.
var ErrLocked = errors.New("another paymux process is using this data directory")

// Options tune the engine; zero values are sensible.
type Options struct {
	// Readers is the size of the read pool.
	Readers int
	// MaxBatch caps how many transactions one group commit holds.
	MaxBatch int
	// Exclusive takes the data directory's lock: a server sets it, so a second server
	// on the same directory stops at once; short admin commands leave it unset and
	// share the file through SQLite's own locking.
	Exclusive bool
}

// Open opens (creating if needed) the database file at path, takes the directory
// lock if asked, applies migrations and starts the writer.
func Open(ctx context.Context, path string, opt Options) (*sqlstore.Store, error) {
	if opt.Readers <= 0 {
		opt.Readers = 8
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	unlock := func() error { return nil }
	if opt.Exclusive {
		var err error
		if unlock, err = lockFile(path + ".lock"); err != nil {
			return nil, err
		}
	}
	fail := func(err error, closers ...func() error) (*sqlstore.Store, error) {
		for _, c := range closers {
			_ = c()
		}
		_ = unlock()
		return nil, err
	}
	wdb, err := sql.Open("sqlite", dsn(path, false)+"&_pragma=wal_autocheckpoint(10000)")
	if err != nil {
		return fail(fmt.Errorf("open sqlite: %w", err))
	}
	// The writer owns the one connection that writes; nobody else may take it.
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxLifetime(0)
	if err := Migrate(ctx, wdb); err != nil {
		return fail(err, wdb.Close)
	}
	rdb, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return fail(fmt.Errorf("open sqlite readers: %w", err), wdb.Close)
	}
	rdb.SetMaxOpenConns(opt.Readers)
	rdb.SetMaxIdleConns(opt.Readers)
	w, err := newGroupWriter(ctx, wdb, opt.MaxBatch)
	if err != nil {
		return fail(err, rdb.Close, wdb.Close)
	}
	ckpt, err := startCheckpointer(path)
	if err != nil {
		_ = w.Close()
		return fail(err, rdb.Close, wdb.Close)
	}
	reads := sqlstore.NewStmtCache(rdb)
	return sqlstore.New(rdb, w, dialect{}, ckpt, reads.Close, rdb.Close, wdb.Close, unlock).ReadThrough(reads), nil
}

// startCheckpointer copies the WAL back into the database from its own connection,
// twice a second. Left to SQLite, the checkpoint runs inside whichever commit
// crosses the threshold, on the single writer's time; the writer's own automatic
// checkpoint stays as a backstop at a larger WAL size.
func startCheckpointer(path string) (stop func() error, err error) {
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				// PASSIVE never blocks the writer or readers; a busy moment just
				// leaves the rest for the next tick.
				_, _ = db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return func() error {
		close(quit)
		<-done
		return db.Close()
	}, nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: a commit is on disk before paymux answers 2xx, even on power loss.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(0)")
	q.Add("_pragma", "cache_size(-16000)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Migrate applies the embedded migrations to db.
func Migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(database.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("sqlite migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite migrations: %w", err)
	}
	return nil
}

// lockFile takes an exclusive, non-blocking flock. The kernel drops it when the
// process dies, so a crash never leaves a stale lock behind.
func lockFile(path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked): stop the other process, or use PostgreSQL to run several", ErrLocked, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() error {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return f.Close()
	}, nil
}

type dialect struct{}

func (dialect) Name() string       { return "sqlite" }
func (dialect) Numbered() bool     { return false }
func (dialect) ForUpdate() string  { return "" }
func (dialect) SkipLocked() string { return "" }
func (dialect) True() string       { return "1" }

func (dialect) Classify(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrDuplicate, err)
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
	}
	if errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
