package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/store/postgres"
	"github.com/paymux/paymux/internal/store/sqlstore"
	"github.com/paymux/paymux/internal/store/storetest"
	"github.com/paymux/paymux/internal/testutil/pgtest"
)

// open connects to url and closes the store when the test ends.
func open(t *testing.T, url string) *sqlstore.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
}

// TestSeveralInstances: with PostgreSQL several paymux processes share one database.
// They start together (migrations must not race), never run a job twice, and never
// refund more than was captured, whichever instance serves which request.
func TestSeveralInstances(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	const instances = 3
	sts := make([]store.Store, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() {
			st, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 4})
			if err != nil {
				t.Errorf("instance %d: postgres.Open: %v", i, err)
				return
			}
			t.Cleanup(func() { st.Close() })
			sts[i] = st
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	ctx := t.Context()
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

	t.Run("JobsClaimedOnce", func(t *testing.T) {
		const jobs = 150
		err := sts[0].Write(ctx, func(ctx context.Context, tx store.Tx) error {
			for i := range jobs {
				if err := tx.EnqueueJob(ctx, store.Job{Kind: "k", Args: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), RunAt: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		claimed := map[int64]int{}
		var wg sync.WaitGroup
		for c := range 9 {
			st := sts[c%instances]
			wg.Go(func() {
				for {
					var got []store.Job
					err := st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
						var err error
						got, err = tx.ClaimJobs(ctx, now, 4, time.Hour)
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
						claimed[j.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(claimed) != jobs {
			t.Errorf("instances claimed %d distinct jobs, want %d", len(claimed), jobs)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("job %d claimed %d times", id, n)
			}
		}
	})

	t.Run("RefundsNeverExceedCaptured", func(t *testing.T) {
		s := store.Scope{MerchantID: payment.NewID(payment.PrefixMerchant)}
		p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), s.MerchantID, false,
			payment.CreateParams{Amount: 1000, Currency: "EUR"}, now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		p.Status, p.AmountCaptured = payment.StatusSucceeded, 1000
		if err := sts[0].Write(ctx, func(ctx context.Context, tx store.Tx) error { return tx.InsertPayment(ctx, p) }); err != nil {
			t.Fatal(err)
		}
		const n = 45
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			st := sts[i%instances]
			wg.Go(func() {
				errs[i] = st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
					cur, err := tx.GetPaymentForUpdate(ctx, s, p.ID)
					if err != nil {
						return err
					}
					if err := cur.ReserveRefund(100, now); err != nil {
						return err
					}
					return tx.UpdatePayment(ctx, cur)
				})
			})
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case payment.ErrorCode(err) != payment.CodeRefundExceeds:
				t.Errorf("refund %d: %v", i, err)
			}
		}
		got, err := sts[1].GetPayment(ctx, s, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 10 || got.AmountRefunded != 1000 {
			t.Errorf("%d refunds succeeded, refunded %d; want 10 and 1000", ok, got.AmountRefunded)
		}
	})
}

// TestWriteAfterClose: a request still running at shutdown gets an error, not a hang.
func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	st, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i := range 10 {
		done := make(chan error, 1)
		go func() {
			done <- st.Write(context.Background(), func(ctx context.Context, tx store.Tx) error {
				return tx.EnqueueJob(ctx, store.Job{Kind: "k"})
			})
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("Write %d after Close returned nil", i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Write %d after Close did not return within 5s", i)
		}
	}
}
