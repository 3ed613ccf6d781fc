package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/paymux/paymux/internal/store"
)

// Job states. A finished job is deleted, so the table holds only live work.
const (
	jobAvailable = "available"
	jobRunning   = "running"
	jobDiscarded = "discarded"
)

func (x *queries) EnqueueJob(ctx context.Context, j store.Job) error {
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 25
	}
	var unique any
	if j.UniqueKey != "" {
		unique = j.UniqueKey
	}
	args := string(j.Args)
	if args == "" {
		args = "{}"
	}
	_, err := x.exec(ctx, `INSERT INTO jobs (kind, merchant_id, args, unique_key, state, attempts,
 max_attempts, run_at, locked_until, last_error, created_at)
 VALUES (?,?,?,?,?,0,?,?,0,'',?) ON CONFLICT DO NOTHING`,
		j.Kind, j.MerchantID, args, unique, jobAvailable, j.MaxAttempts, micros(j.RunAt), micros(time.Now()))
	return err
}

func (x *queries) ClaimJobs(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Job, error) {
	rows, err := x.query(ctx, `UPDATE jobs SET state = ?, attempts = attempts + 1, locked_until = ?
 WHERE id IN (SELECT id FROM jobs
   WHERE (state = ? AND run_at <= ?) OR (state = ? AND locked_until <= ?)
   ORDER BY run_at LIMIT ?`+x.s.d.SkipLocked()+`)
 RETURNING id, kind, merchant_id, args, attempts, max_attempts, run_at, unique_key`,
		jobRunning, micros(now.Add(lease)), jobAvailable, micros(now), jobRunning, micros(now), limit)
	if err != nil {
		return nil, err
	}
	jobs, _, err := collect(x, rows, limit, func(r scanner) (store.Job, error) {
		var (
			j      store.Job
			args   string
			runAt  int64
			unique sql.NullString
		)
		err := r.Scan(&j.ID, &j.Kind, &j.MerchantID, &args, &j.Attempts, &j.MaxAttempts, &runAt, &unique)
		j.Args, j.RunAt, j.UniqueKey = []byte(args), fromMicros(runAt), unique.String
		return j, err
	})
	return jobs, err
}

func (x *queries) FinishJob(ctx context.Context, id int64) error {
	_, err := x.exec(ctx, `DELETE FROM jobs WHERE id = ?`, id)
	return err
}

func (x *queries) RetryJob(ctx context.Context, id int64, runAt time.Time, errMsg string) error {
	if len(errMsg) > 2000 {
		errMsg = errMsg[:2000]
	}
	// A discarded job gives up its unique key, so the work can be queued again.
	_, err := x.exec(ctx, `UPDATE jobs SET
 state = CASE WHEN attempts >= max_attempts THEN ? ELSE ? END,
 unique_key = CASE WHEN attempts >= max_attempts THEN NULL ELSE unique_key END,
 run_at = ?, locked_until = 0, last_error = ? WHERE id = ?`,
		jobDiscarded, jobAvailable, micros(runAt), errMsg, id)
	return err
}

func (x *queries) RescheduleJob(ctx context.Context, id int64, runAt time.Time) error {
	_, err := x.exec(ctx, `UPDATE jobs SET state = ?, attempts = 0, run_at = ?, locked_until = 0,
 last_error = '' WHERE id = ?`, jobAvailable, micros(runAt), id)
	return err
}

func (x *queries) NextJobAt(ctx context.Context) (time.Time, bool, error) {
	// Two index lookups rather than one scan: the table may hold many future jobs.
	var due, lease sql.NullInt64
	err := x.row(ctx, `SELECT (SELECT MIN(run_at) FROM jobs WHERE state = ?),
 (SELECT MIN(locked_until) FROM jobs WHERE state = ?)`, jobAvailable, jobRunning).Scan(&due, &lease)
	if err != nil {
		return time.Time{}, false, x.scanErr(err)
	}
	switch {
	case due.Valid && lease.Valid:
		return fromMicros(min(due.Int64, lease.Int64)), true, nil
	case due.Valid:
		return fromMicros(due.Int64), true, nil
	case lease.Valid:
		return fromMicros(lease.Int64), true, nil
	}
	return time.Time{}, false, nil
}
