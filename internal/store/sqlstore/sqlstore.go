package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paymux/paymux/internal/store"
)

// Querier is what both a pooled *sql.DB and a transaction offer.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Dialect is what differs between engines in the SQL itself.
type Dialect interface {
	// Name is "sqlite" or "postgres".
	Name() string
	// Numbered reports whether placeholders are $1, $2… rather than ?.
	Numbered() bool
	// ForUpdate is the row-lock suffix of a SELECT ("" where the single writer
	// already serialises transactions).
	ForUpdate() string
	// SkipLocked is the suffix that lets concurrent job claimers pass each other.
	SkipLocked() string
	// True is the boolean literal true, as partial indexes are written with it.
	True() string
	// Classify turns a driver error into a store error (ErrUnavailable,
	// ErrDuplicate) wrapping it, or returns it unchanged.
	Classify(err error) error
}

// Writer runs write transactions.
type Writer interface {
	Write(ctx context.Context, fn func(ctx context.Context, q Querier) error) error
	Close() error
}

// Store implements store.Store over database/sql.
type Store struct {
	*queries // reads outside a transaction go through the read pool
	read     *sql.DB
	w        Writer
	d        Dialect
	closers  []func() error
	rebound  sync.Map // query text → engine's text
}

var _ store.Store = (*Store)(nil)

// New builds a store reading through read and writing through w. closers run on
// Close after the writer is closed.
func New(read *sql.DB, w Writer, d Dialect, closers ...func() error) *Store {
	s := &Store{read: read, w: w, d: d, closers: closers}
	s.queries = &queries{s: s, q: read}
	return s
}

// ReadThrough makes reads outside transactions go through q (e.g. a StmtCache over
// the read pool) instead of the pool itself.
func (s *Store) ReadThrough(q Querier) *Store {
	s.queries.q = q
	return s
}

// Engine names the engine.
func (s *Store) Engine() string { return s.d.Name() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return s.d.Classify(err)
	}
	return nil
}

// Close stops the writer and closes the pools.
func (s *Store) Close() error {
	err := s.w.Close()
	for _, c := range s.closers {
		if cerr := c(); err == nil {
			err = cerr
		}
	}
	return err
}

// Write runs fn in a write transaction.
func (s *Store) Write(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.w.Write(ctx, func(ctx context.Context, q Querier) error {
		return fn(ctx, &queries{s: s, q: q, tx: true})
	})
}

// rebind turns ? placeholders into $n for engines that number them, once per query text.
func (s *Store) rebind(q string) string {
	if !s.d.Numbered() {
		return q
	}
	if v, ok := s.rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	out := b.String()
	s.rebound.Store(q, out)
	return out
}

// queries holds every query; it runs against the read pool or inside a transaction.
type queries struct {
	s  *Store
	q  Querier
	tx bool
}

func (x *queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := x.q.ExecContext(ctx, x.s.rebind(query), args...)
	if err != nil {
		return nil, x.s.d.Classify(err)
	}
	return res, nil
}

func (x *queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := x.q.QueryContext(ctx, x.s.rebind(query), args...)
	if err != nil {
		return nil, x.s.d.Classify(err)
	}
	return rows, nil
}

func (x *queries) row(ctx context.Context, query string, args ...any) *sql.Row {
	return x.q.QueryRowContext(ctx, x.s.rebind(query), args...)
}

// scanErr maps sql.ErrNoRows to store.ErrNotFound and classifies the rest.
func (x *queries) scanErr(err error) error {
	if err == sql.ErrNoRows {
		return store.ErrNotFound
	}
	return x.s.d.Classify(err)
}

// Times are stored as integer microseconds since 1970 UTC in both engines: exact,
// sortable, and free of each driver's time-zone handling.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func clampLimit(n int) int {
	if n <= 0 {
		return store.DefaultLimit
	}
	if n > store.MaxLimit {
		return store.MaxLimit
	}
	return n
}
