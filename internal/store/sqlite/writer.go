package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/paymux/paymux/internal/store/sqlstore"
)

var errClosed = errors.New("sqlite writer closed")

// groupWriter is the one goroutine that writes. It takes every transaction waiting
// at that moment, runs each as a savepoint of one SQLite transaction, commits (one
// fsync) and only then answers each caller. Under load this turns N syncs into one,
// and the channel serves callers first come, first served.
type groupWriter struct {
	conn     *sql.Conn
	q        *sqlstore.StmtCache // the writer's prepared statements, on conn
	reqs     chan *writeReq
	quit     chan struct{}
	stopped  chan struct{}
	once     sync.Once
	maxBatch int
}

type writeReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, q sqlstore.Querier) error
	done chan error
}

func newGroupWriter(ctx context.Context, db *sql.DB, maxBatch int) (*groupWriter, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite writer connection: %w", err)
	}
	w := &groupWriter{
		conn: conn, q: sqlstore.NewStmtCache(conn), reqs: make(chan *writeReq, maxBatch), quit: make(chan struct{}),
		stopped: make(chan struct{}), maxBatch: maxBatch,
	}
	go w.loop()
	return w, nil
}

// Write queues fn and waits for its commit. Once queued it waits even if ctx ends:
// the caller must not be told "failed" about a change that then commits.
func (w *groupWriter) Write(ctx context.Context, fn func(ctx context.Context, q sqlstore.Querier) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case <-w.quit:
		return errClosed
	default:
	}
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return errClosed
	}
	select {
	case err := <-r.done:
		return err
	case <-w.stopped:
		// The loop ended; it may have answered us on its way out, or never seen us.
		select {
		case err := <-r.done:
			return err
		default:
			return errClosed
		}
	}
}

func (w *groupWriter) Close() error {
	w.once.Do(func() { close(w.quit) })
	<-w.stopped
	_ = w.q.Close()
	return w.conn.Close()
}

func (w *groupWriter) loop() {
	defer close(w.stopped)
	batch := make([]*writeReq, 0, w.maxBatch)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < w.maxBatch {
				select {
				case r := <-w.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			w.run(batch)
		case <-w.quit:
			for {
				select {
				case r := <-w.reqs:
					r.done <- errClosed
				default:
					return
				}
			}
		}
	}
}

func (w *groupWriter) run(batch []*writeReq) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	if _, err := w.q.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		err = dialect{}.Classify(err)
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err // the caller gave up before its turn: do nothing for it
			continue
		}
		errs[i] = w.runOne(r)
	}
	if _, err := w.q.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = w.q.ExecContext(ctx, "ROLLBACK")
		err = fmt.Errorf("commit: %w", dialect{}.Classify(err))
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}

// runOne runs one caller's transaction as a savepoint, so that its failure undoes
// only its own statements.
func (w *groupWriter) runOne(r *writeReq) (err error) {
	ctx := context.Background()
	if _, err := w.q.ExecContext(ctx, "SAVEPOINT tx"); err != nil {
		return dialect{}.Classify(err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write transaction: %v", p)
		}
		if err != nil {
			_, _ = w.q.ExecContext(ctx, "ROLLBACK TO tx")
		}
		_, _ = w.q.ExecContext(ctx, "RELEASE tx")
	}()
	// Statements run without the caller's cancellation: cancelling one of them would
	// interrupt the connection and with it everyone's transaction in this batch.
	return r.fn(context.WithoutCancel(r.ctx), w.q)
}
