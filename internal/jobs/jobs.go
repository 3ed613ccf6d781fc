// Package jobs runs paymux's durable background work. Jobs are rows in the same
// database as the state they follow, inserted in the same transaction (a
// transactional outbox), so a crash can lose none: a job whose runner died is taken
// again once its lease runs out. On PostgreSQL, any number of instances claim jobs
// with FOR UPDATE SKIP LOCKED and no job runs twice at once.
//
// River (riverqueue.com) was the first choice, but its SQLite driver writes through
// its own connections, which would contend with paymux's single group-committing
// SQLite writer; this small queue runs every write through the store instead.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/metrics"
	"github.com/paymux/paymux/internal/store"
)

// WorkFunc does one job. Returning engine.RunAgain reschedules it without counting
// a failure; any other error retries it with exponential backoff.
type WorkFunc func(ctx context.Context, j store.Job) error

// Config tunes the runner.
type Config struct {
	// Concurrency is how many jobs run at once in this process.
	Concurrency int
	// Poll is the longest the runner sleeps before looking for due jobs.
	Poll time.Duration
	// Lease is how long a claimed job is held; after a crash it is taken again then.
	Lease time.Duration
	// JobTimeout bounds one run of a job.
	JobTimeout time.Duration
}

// Runner claims due jobs and runs them.
type Runner struct {
	store   store.Store
	workers map[string]WorkFunc
	cfg     Config
	log     *slog.Logger
	metrics *metrics.Metrics
	now     func() time.Time
	wake    chan struct{}
}

// New builds a runner for the given workers, keyed by job kind. m may be nil.
func New(s store.Store, workers map[string]WorkFunc, cfg Config, log *slog.Logger, m *metrics.Metrics) *Runner {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.JobTimeout <= 0 || cfg.JobTimeout > cfg.Lease {
		cfg.JobTimeout = cfg.Lease * 2 / 3
	}
	return &Runner{store: s, workers: workers, cfg: cfg, log: log, metrics: m, now: time.Now, wake: make(chan struct{}, 1)}
}

// Wake tells the runner a job is due now. It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs jobs until ctx ends, then waits for running jobs to finish.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.cfg.Concurrency)
	defer wg.Wait()
	for {
		free := r.cfg.Concurrency - len(slots)
		claimed := 0
		if free > 0 {
			jobs, err := r.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				r.log.Warn("claim jobs", "err", err)
			}
			claimed = len(jobs)
			for _, j := range jobs {
				slots <- struct{}{}
				wg.Add(1)
				go func(j store.Job) {
					defer wg.Done()
					defer func() { <-slots }()
					r.runOne(ctx, j)
				}(j)
			}
		}
		wait := r.cfg.Poll
		if claimed > 0 && claimed == free {
			wait = 10 * time.Millisecond // more may be due: look again soon
		} else if at, ok, err := r.store.NextJobAt(ctx); err == nil && ok {
			wait = min(max(time.Until(at), 5*time.Millisecond), r.cfg.Poll)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (r *Runner) claim(ctx context.Context, n int) ([]store.Job, error) {
	// A cheap read first: on SQLite every claim is a write through the one writer.
	if at, ok, err := r.store.NextJobAt(ctx); err != nil || !ok || at.After(r.now()) {
		return nil, err
	}
	var jobs []store.Job
	err := r.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(ctx, r.now(), n, r.cfg.Lease)
		return err
	})
	return jobs, err
}

func (r *Runner) runOne(ctx context.Context, j store.Job) {
	work, ok := r.workers[j.Kind]
	var err error
	if !ok {
		err = fmt.Errorf("no worker for job kind %q", j.Kind)
	} else {
		jctx, cancel := context.WithTimeout(ctx, r.cfg.JobTimeout)
		err = safeWork(jctx, work, j)
		cancel()
	}
	if ctx.Err() != nil && err != nil {
		return // shutting down: the lease runs out and another run takes it
	}
	// Recording the result must outlive a shutdown that starts meanwhile.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var again engine.RunAgain
	result := "done"
	werr := r.store.Write(wctx, func(ctx context.Context, tx store.Tx) error {
		switch {
		case err == nil:
			return tx.FinishJob(ctx, j.ID)
		case errors.As(err, &again):
			result = "again"
			return tx.RescheduleJob(ctx, j.ID, again.At)
		default:
			result = "retry"
			return tx.RetryJob(ctx, j.ID, r.now().Add(Backoff(j.Attempts)), err.Error())
		}
	})
	r.metrics.ObserveJob(j.Kind, result)
	if err != nil && !errors.As(err, &again) {
		r.log.Warn("job failed", "kind", j.Kind, "id", j.ID, "attempt", j.Attempts, "err", err)
	}
	if werr != nil {
		r.log.Error("record job result", "kind", j.Kind, "id", j.ID, "err", werr)
	}
}

func safeWork(ctx context.Context, work WorkFunc, j store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job panicked: %v", p)
		}
	}()
	return work(ctx, j)
}

// Backoff is the delay before retry number attempt: exponential from one second,
// capped at an hour, with ±20% jitter so that failures do not retry in lockstep.
func Backoff(attempt int) time.Duration {
	d := time.Second << min(max(attempt-1, 0), 12)
	d = min(d, time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) * 2
	return d - d/5 + jitter
}
