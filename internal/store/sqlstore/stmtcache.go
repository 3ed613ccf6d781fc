package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// PreparingQuerier is a Querier that can also prepare statements: *sql.DB, *sql.Conn.
type PreparingQuerier interface {
	Querier
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// StmtCache is a Querier that prepares each distinct query text once and reuses the
// statement. On SQLite, parsing and planning took over a quarter of the writer's
// time; the set of query texts is small and fixed, so the cache stays small.
type StmtCache struct {
	q     PreparingQuerier
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// NewStmtCache wraps q.
func NewStmtCache(q PreparingQuerier) *StmtCache {
	return &StmtCache{q: q, stmts: map[string]*sql.Stmt{}}
}

func (c *StmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	// Prepared under the caller's statement context but kept for later calls:
	// preparing must not be cut short by one caller's cancellation.
	st, err := c.q.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

// ExecContext runs a prepared statement.
func (c *StmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a prepared query.
func (c *StmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a prepared single-row query. A statement that fails to
// prepare runs unprepared, so the error reaches the caller through Row.Scan.
func (c *StmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return c.q.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Close closes every cached statement.
func (c *StmtCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for q, st := range c.stmts {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.stmts, q)
	}
	return first
}
