package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/store"
)

func enqueue(t *testing.T, st store.Store, jobs ...store.Job) {
	t.Helper()
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, j := range jobs {
			if err := tx.EnqueueJob(ctx, j); err != nil {
				return err
			}
		}
		return nil
	})
}

// claim runs ClaimJobs in its own transaction.
func claim(t *testing.T, st store.Store, now time.Time, limit int, lease time.Duration) []store.Job {
	t.Helper()
	var jobs []store.Job
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(ctx, now, limit, lease)
		return err
	})
	return jobs
}

func jobOp(t *testing.T, st store.Store, what string, op func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := st.Write(t.Context(), op); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func nextJobAt(t *testing.T, st store.Store) (time.Time, bool) {
	t.Helper()
	at, ok, err := st.NextJobAt(t.Context())
	wantNoErr(t, "NextJobAt", err)
	return at, ok
}

func testJobs(t *testing.T, open Opener) {
	parallel(t, open, "RoundTripAndRunAt", func(t *testing.T, b *bundle) {
		later := store.Job{Kind: "payment.expire", MerchantID: b.scope.MerchantID, Args: json.RawMessage(`{"payment_id":"pay_1"}`),
			MaxAttempts: 3, RunAt: t0.Add(time.Hour), UniqueKey: "expire:pay_1"}
		due := store.Job{Kind: "webhook.deliver", MerchantID: b.scope.MerchantID, Args: json.RawMessage(`{"event_id":"evt_1","n":"ü"}`),
			MaxAttempts: 5, RunAt: t0}
		enqueue(t, b.st, later, due)

		got := claim(t, b.st, t0.Add(59*time.Minute), 10, 24*time.Hour)
		if len(got) != 1 {
			t.Fatalf("ClaimJobs before the later job's run_at claimed %d jobs, want only the due one", len(got))
		}
		want := due
		want.ID, want.Attempts = got[0].ID, 1
		checkSame(t, "claimed job", got[0], want)
		if got[0].ID == 0 {
			t.Errorf("claimed job has no id")
		}

		got = claim(t, b.st, t0.Add(time.Hour), 10, time.Minute)
		if len(got) != 1 {
			t.Fatalf("ClaimJobs at the later job's run_at claimed %d jobs, want 1", len(got))
		}
		want = later
		want.ID, want.Attempts = got[0].ID, 1
		checkSame(t, "claimed later job", got[0], want)
	})

	parallel(t, open, "DefaultsAndOrder", func(t *testing.T, b *bundle) {
		enqueue(t, b.st,
			store.Job{Kind: "c", RunAt: t0.Add(3 * time.Second)},
			store.Job{Kind: "a", RunAt: t0.Add(1 * time.Second)},
			store.Job{Kind: "b", RunAt: t0.Add(2 * time.Second)},
		)
		var kinds []string
		for range 3 {
			got := claim(t, b.st, t0.Add(time.Minute), 1, time.Minute)
			if len(got) != 1 {
				t.Fatalf("ClaimJobs(limit 1) = %d jobs", len(got))
			}
			kinds = append(kinds, got[0].Kind)
			if got[0].MaxAttempts <= 0 {
				t.Errorf("job enqueued without MaxAttempts has MaxAttempts %d, want a positive default", got[0].MaxAttempts)
			}
			if string(got[0].Args) == "" {
				t.Errorf("job enqueued without Args has empty Args, want a JSON value")
			}
		}
		if fmt.Sprint(kinds) != "[a b c]" {
			t.Errorf("claim order %v, want the earliest due first: [a b c]", kinds)
		}
	})

	parallel(t, open, "UniqueKey", func(t *testing.T, b *bundle) {
		j := store.Job{Kind: "poll", MerchantID: b.scope.MerchantID, RunAt: t0, UniqueKey: "poll:pay_1"}
		enqueue(t, b.st, j, j)                                                        // twice in one transaction
		enqueue(t, b.st, store.Job{Kind: "poll", RunAt: t0, UniqueKey: "poll:pay_1"}) // and again later
		enqueue(t, b.st, store.Job{Kind: "plain", RunAt: t0}, store.Job{Kind: "plain", RunAt: t0})
		got := claim(t, b.st, t0, 100, time.Minute)
		counts := map[string]int{}
		for _, j := range got {
			counts[j.Kind]++
		}
		if counts["poll"] != 1 || counts["plain"] != 2 {
			t.Errorf("claimed %v, want 1 poll job (same UniqueKey) and 2 plain jobs (no UniqueKey)", counts)
		}

		// Once finished, the key is free again.
		for _, j := range got {
			jobOp(t, b.st, "FinishJob", func(ctx context.Context, tx store.Tx) error { return tx.FinishJob(ctx, j.ID) })
		}
		enqueue(t, b.st, j)
		if got := claim(t, b.st, t0, 100, time.Minute); len(got) != 1 || got[0].UniqueKey != j.UniqueKey {
			t.Errorf("after FinishJob, enqueueing the same UniqueKey gave claimable jobs %v, want the one job", got)
		}
	})

	parallel(t, open, "DiscardedJobFreesUniqueKey", func(t *testing.T, b *bundle) {
		// A job that ran out of attempts is no longer queued ("with a UniqueKey
		// already queued it does nothing"); as with River's unique jobs, a new job
		// under its key must be accepted, not silently dropped. Otherwise a periodic
		// job (engine.SchedulePeriodic, key "periodic:<kind>") that once exhausted
		// its attempts never runs again, not even after a restart.
		j := store.Job{Kind: "webhook.deliver", MerchantID: b.scope.MerchantID, MaxAttempts: 1, RunAt: t0, UniqueKey: "deliver:evt_1"}
		enqueue(t, b.st, j)
		got := claim(t, b.st, t0, 10, time.Minute)
		if len(got) != 1 {
			t.Fatalf("claimed %d jobs, want 1", len(got))
		}
		jobOp(t, b.st, "RetryJob", func(ctx context.Context, tx store.Tx) error {
			return tx.RetryJob(ctx, got[0].ID, t0.Add(time.Minute), "endpoint answered 500")
		})
		if got := claim(t, b.st, t0.Add(24*time.Hour), 10, time.Minute); len(got) != 0 {
			t.Fatalf("a discarded job was claimed again: %v", got)
		}
		enqueue(t, b.st, j)
		if got := claim(t, b.st, t0.Add(24*time.Hour), 10, time.Minute); len(got) != 1 {
			t.Errorf("after the job under UniqueKey %q was discarded, a new EnqueueJob under it gave %d claimable jobs, want 1", j.UniqueKey, len(got))
		}
	})

	parallel(t, open, "ConcurrentClaimers", func(t *testing.T, b *bundle) {
		const jobs, claimers = 200, 8
		var all []store.Job
		for i := range jobs {
			all = append(all, store.Job{Kind: "k", MerchantID: b.scope.MerchantID, Args: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), RunAt: t0})
		}
		enqueue(t, b.st, all...)

		var mu sync.Mutex
		claimedBy := map[int64]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for c := range claimers {
			wg.Go(func() {
				<-start
				for {
					var got []store.Job
					err := b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
						var err error
						got, err = tx.ClaimJobs(ctx, t0.Add(time.Second), 3+c%3, time.Hour)
						return err
					})
					if err != nil {
						t.Errorf("claimer %d: %v", c, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						claimedBy[j.ID]++
						if j.Attempts != 1 {
							t.Errorf("job %d claimed with Attempts %d, want 1", j.ID, j.Attempts)
						}
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if len(claimedBy) != jobs {
			t.Errorf("claimers together got %d distinct jobs, want all %d", len(claimedBy), jobs)
		}
		for id, n := range claimedBy {
			if n != 1 {
				t.Errorf("job %d was claimed %d times", id, n)
			}
		}
		if got := claim(t, b.st, t0.Add(time.Minute), 100, time.Hour); len(got) != 0 {
			t.Errorf("%d jobs claimable again while their leases run", len(got))
		}
	})

	parallel(t, open, "ExpiredLeaseIsClaimedAgain", func(t *testing.T, b *bundle) {
		enqueue(t, b.st, store.Job{Kind: "k", MerchantID: b.scope.MerchantID, RunAt: t0, MaxAttempts: 5})
		first := claim(t, b.st, t0, 10, 30*time.Second)
		if len(first) != 1 {
			t.Fatalf("claimed %d jobs, want 1", len(first))
		}
		// The worker "crashes": no Finish, no Retry.
		if got := claim(t, b.st, t0.Add(29*time.Second), 10, 30*time.Second); len(got) != 0 {
			t.Errorf("job claimed again while its lease runs: %v", got)
		}
		second := claim(t, b.st, t0.Add(30*time.Second), 10, 30*time.Second)
		if len(second) != 1 || second[0].ID != first[0].ID || second[0].Attempts != 2 {
			t.Fatalf("after the lease expired, ClaimJobs = %+v, want job %d again with Attempts 2", second, first[0].ID)
		}
		third := claim(t, b.st, t0.Add(2*time.Minute), 10, 30*time.Second)
		if len(third) != 1 || third[0].Attempts != 3 {
			t.Errorf("second recovery: ClaimJobs = %+v, want the job with Attempts 3", third)
		}
	})

	parallel(t, open, "FinishJob", func(t *testing.T, b *bundle) {
		enqueue(t, b.st, store.Job{Kind: "k", RunAt: t0}, store.Job{Kind: "k2", RunAt: t0})
		got := claim(t, b.st, t0, 1, time.Minute)
		jobOp(t, b.st, "FinishJob", func(ctx context.Context, tx store.Tx) error { return tx.FinishJob(ctx, got[0].ID) })
		rest := claim(t, b.st, t0.Add(365*24*time.Hour), 10, time.Minute)
		if len(rest) != 1 || rest[0].ID == got[0].ID {
			t.Errorf("after FinishJob, claimable %+v, want only the other job", rest)
		}
		jobOp(t, b.st, "FinishJob", func(ctx context.Context, tx store.Tx) error { return tx.FinishJob(ctx, rest[0].ID) })
		if at, ok := nextJobAt(t, b.st); ok {
			t.Errorf("NextJobAt after finishing every job = %v, want none", at)
		}
	})

	parallel(t, open, "RetryJob", func(t *testing.T, b *bundle) {
		enqueue(t, b.st, store.Job{Kind: "k", RunAt: t0, MaxAttempts: 2})
		got := claim(t, b.st, t0, 10, time.Minute)
		if len(got) != 1 {
			t.Fatalf("claimed %d jobs, want 1", len(got))
		}
		id := got[0].ID
		jobOp(t, b.st, "RetryJob", func(ctx context.Context, tx store.Tx) error {
			return tx.RetryJob(ctx, id, t0.Add(10*time.Minute), "first failure")
		})
		if at, ok := nextJobAt(t, b.st); !ok || !at.Equal(us(t0.Add(10*time.Minute))) {
			t.Errorf("NextJobAt after RetryJob = %v, %v; want the retry time %v", at, ok, us(t0.Add(10*time.Minute)))
		}
		if got := claim(t, b.st, t0.Add(9*time.Minute), 10, time.Minute); len(got) != 0 {
			t.Errorf("retried job claimed before its new run_at: %v", got)
		}
		got = claim(t, b.st, t0.Add(10*time.Minute), 10, time.Minute)
		if len(got) != 1 || got[0].ID != id || got[0].Attempts != 2 {
			t.Fatalf("ClaimJobs at the retry time = %+v, want job %d with Attempts 2", got, id)
		}
		// Attempts (2) has reached MaxAttempts (2): the next failure discards it.
		jobOp(t, b.st, "RetryJob", func(ctx context.Context, tx store.Tx) error {
			return tx.RetryJob(ctx, id, t0.Add(20*time.Minute), "second failure")
		})
		if got := claim(t, b.st, t0.Add(1000*time.Hour), 10, time.Minute); len(got) != 0 {
			t.Errorf("a job past MaxAttempts was claimed again: %+v", got)
		}
		if at, ok := nextJobAt(t, b.st); ok {
			t.Errorf("NextJobAt with only a discarded job = %v, want none", at)
		}
	})

	parallel(t, open, "RescheduleJob", func(t *testing.T, b *bundle) {
		enqueue(t, b.st, store.Job{Kind: "periodic", RunAt: t0, MaxAttempts: 1, UniqueKey: "periodic"})
		var id int64
		for i := range 3 { // a periodic job runs more often than MaxAttempts
			now := t0.Add(time.Duration(i) * time.Hour)
			got := claim(t, b.st, now, 10, time.Minute)
			if len(got) != 1 || got[0].Attempts != 1 {
				t.Fatalf("run %d: ClaimJobs = %+v, want the periodic job with Attempts 1", i, got)
			}
			id = got[0].ID
			jobOp(t, b.st, "RescheduleJob", func(ctx context.Context, tx store.Tx) error {
				return tx.RescheduleJob(ctx, id, now.Add(time.Hour))
			})
			if got := claim(t, b.st, now.Add(59*time.Minute), 10, time.Minute); len(got) != 0 {
				t.Fatalf("run %d: rescheduled job claimed before its time: %+v", i, got)
			}
		}
		if at, ok := nextJobAt(t, b.st); !ok || !at.Equal(us(t0.Add(3*time.Hour))) {
			t.Errorf("NextJobAt = %v, %v; want %v", at, ok, us(t0.Add(3*time.Hour)))
		}
	})

	parallel(t, open, "NextJobAt", func(t *testing.T, b *bundle) {
		if at, ok := nextJobAt(t, b.st); ok {
			t.Fatalf("NextJobAt on an empty queue = %v, want none", at)
		}
		enqueue(t, b.st, store.Job{Kind: "late", RunAt: t0.Add(5 * time.Minute)}, store.Job{Kind: "soon", RunAt: t0.Add(time.Minute)})
		if at, ok := nextJobAt(t, b.st); !ok || !at.Equal(us(t0.Add(time.Minute))) {
			t.Errorf("NextJobAt = %v, %v; want the soonest run_at %v", at, ok, us(t0.Add(time.Minute)))
		}
		// A running job matters when its lease ends (a crashed worker's job is due then).
		got := claim(t, b.st, t0.Add(time.Minute), 1, 10*time.Second)
		if len(got) != 1 || got[0].Kind != "soon" {
			t.Fatalf("ClaimJobs = %+v, want the soon job", got)
		}
		if at, ok := nextJobAt(t, b.st); !ok || !at.Equal(us(t0.Add(time.Minute+10*time.Second))) {
			t.Errorf("NextJobAt with a leased job = %v, %v; want its lease end %v", at, ok, us(t0.Add(time.Minute+10*time.Second)))
		}
		jobOp(t, b.st, "FinishJob", func(ctx context.Context, tx store.Tx) error { return tx.FinishJob(ctx, got[0].ID) })
		if at, ok := nextJobAt(t, b.st); !ok || !at.Equal(us(t0.Add(5*time.Minute))) {
			t.Errorf("NextJobAt = %v, %v; want %v", at, ok, us(t0.Add(5*time.Minute)))
		}
	})
}
