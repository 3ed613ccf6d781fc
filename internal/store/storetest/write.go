package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// writeRecover runs Write and turns a panic that escapes it into a value, so that
// engines that re-raise a panic from fn (rather than returning it as an error) can be
// tested too.
func writeRecover(ctx context.Context, st store.Store, fn func(ctx context.Context, tx store.Tx) error) (panicked any, err error) {
	defer func() { panicked = recover() }()
	return nil, st.Write(ctx, fn)
}

// exists reports whether payment id is stored, failing the test on other errors.
func exists(t *testing.T, st store.Store, s store.Scope, id string) bool {
	t.Helper()
	_, err := st.GetPayment(t.Context(), s, id)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatalf("GetPayment(%s): %v", id, err)
	}
	return true
}

// insertWithEvent is a typical write: a payment and its first event.
func insertWithEvent(p *payment.Payment) func(ctx context.Context, tx store.Tx) error {
	return func(ctx context.Context, tx store.Tx) error {
		if err := tx.InsertPayment(ctx, p); err != nil {
			return err
		}
		e := newEvent(store.Scope{MerchantID: p.MerchantID, Livemode: p.Livemode}, p.ID, payment.EventPaymentCreated, p.CreatedAt)
		e.ID = "evt_for_" + p.ID
		return tx.InsertEvent(ctx, e)
	}
}

func testAtomicity(t *testing.T, open Opener) {
	parallel(t, open, "FailedWriteLeavesNoTrace", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		p := newPayment(t, b.scope, t0, succeeded)
		e := newEvent(b.scope, p.ID, payment.EventPaymentCreated, t0)
		r := newRefund(p, 100, t0, "rk")
		err := b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			for _, step := range []func() error{
				func() error { return tx.InsertPayment(ctx, p) },
				func() error { return tx.InsertEvent(ctx, e) },
				func() error { return tx.InsertRefund(ctx, r) },
				func() error {
					return tx.EnqueueJob(ctx, store.Job{Kind: "webhook", MerchantID: b.scope.MerchantID, RunAt: t0})
				},
				func() error {
					_, err := tx.ClaimIdempotency(ctx, store.IdemClaim{Scope: b.scope, Key: "k", RequestHash: "h", Token: "t1", Now: t0, Lease: time.Minute, Retention: 24 * time.Hour})
					return err
				},
				func() error {
					return tx.InsertMerchant(ctx, &store.Merchant{ID: b.scope.MerchantID, Name: "M", CreatedAt: t0})
				},
			} {
				if err := step(); err != nil {
					return err
				}
			}
			// Everything is visible inside the transaction…
			if _, err := tx.GetPayment(ctx, b.scope, p.ID); err != nil {
				return fmt.Errorf("own insert invisible inside the transaction: %w", err)
			}
			return fmt.Errorf("wrapped: %w", errBoom) // …and then the caller gives up.
		})
		wantErr(t, "Write", err, errBoom)

		_, err = b.st.GetPayment(ctx, b.scope, p.ID)
		wantErr(t, "GetPayment after a failed Write", err, store.ErrNotFound)
		_, err = b.st.LocatePayment(ctx, p.ID)
		wantErr(t, "LocatePayment after a failed Write", err, store.ErrNotFound)
		_, err = b.st.GetEvent(ctx, b.scope, e.ID)
		wantErr(t, "GetEvent after a failed Write", err, store.ErrNotFound)
		_, err = b.st.GetRefund(ctx, b.scope, r.ID)
		wantErr(t, "GetRefund after a failed Write", err, store.ErrNotFound)
		if _, ok, err := b.st.NextJobAt(ctx); err != nil || ok {
			t.Errorf("NextJobAt after a failed Write: ok=%v, %v; want no job", ok, err)
		}
		if n, err := b.st.CountMerchants(ctx); err != nil || n != 0 {
			t.Errorf("CountMerchants after a failed Write = %d, %v; want 0", n, err)
		}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			res, err := tx.ClaimIdempotency(ctx, store.IdemClaim{Scope: b.scope, Key: "k", RequestHash: "other", Token: "t2", Now: t0, Lease: time.Minute, Retention: 24 * time.Hour})
			if err == nil && res.State != store.IdemClaimed {
				t.Errorf("idempotency key of a failed Write: state %v, want Claimed (the key must not exist)", res.State)
			}
			return err
		})
	})

	parallel(t, open, "ConcurrentWritesFailIndependently", func(t *testing.T, b *bundle) {
		// Many writes at the same moment, so that an engine that commits them
		// together (SQLite's group commit) holds failing and succeeding ones in one
		// batch: each caller must see only its own outcome.
		for round := range 3 {
			const n = 50
			ps := make([]*payment.Payment, n)
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				ps[i] = newPayment(t, b.scope, t0.Add(time.Duration(round*n+i)*time.Second))
				wg.Go(func() {
					<-start
					errs[i] = b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
						if err := insertWithEvent(ps[i])(ctx, tx); err != nil {
							return err
						}
						if i%3 == 2 {
							return errBoom
						}
						return nil
					})
				})
			}
			close(start)
			wg.Wait()
			for i, p := range ps {
				fail := i%3 == 2
				switch {
				case fail && !errors.Is(errs[i], errBoom):
					t.Errorf("round %d, write %d: err = %v, want its own errBoom", round, i, errs[i])
				case !fail && errs[i] != nil:
					t.Errorf("round %d, write %d: err = %v, want success", round, i, errs[i])
				}
				if got := exists(t, b.st, b.scope, p.ID); got == fail {
					t.Errorf("round %d, write %d (failing=%v): payment stored = %v", round, i, fail, got)
				}
				_, err := b.st.GetEvent(t.Context(), b.scope, "evt_for_"+p.ID)
				if evGot := err == nil; evGot == fail {
					t.Errorf("round %d, write %d (failing=%v): event stored = %v (%v)", round, i, fail, evGot, err)
				}
			}
		}
		if got, want := countPayments(t, b.st, b.scope), 3*(50-50/3); got != want {
			t.Errorf("%d payments stored, want exactly the %d successful ones", got, want)
		}
	})

	parallel(t, open, "SwallowedStatementError", func(t *testing.T, b *bundle) {
		// fn ignores a failed statement and returns nil. Engines differ in what a
		// failed statement does to the transaction (PostgreSQL aborts it, SQLite
		// undoes the statement), but never may Write report success for writes
		// that are not there, nor failure for writes that are.
		taken := newPayment(t, b.scope, t0)
		insertPayments(t, b.st, taken)
		const n = 20
		ps := make([]*payment.Payment, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			ps[i] = newPayment(t, b.scope, t0)
			wg.Go(func() {
				<-start
				errs[i] = b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
					if err := tx.InsertPayment(ctx, ps[i]); err != nil {
						return err
					}
					if i%2 == 0 {
						dup := *taken
						if err := tx.InsertPayment(ctx, &dup); !errors.Is(err, store.ErrDuplicate) {
							return fmt.Errorf("duplicate insert: err = %v, want ErrDuplicate", err)
						}
					}
					return nil
				})
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			got := exists(t, b.st, b.scope, ps[i].ID)
			if (errs[i] == nil) != got {
				t.Errorf("write %d: Write returned %v but payment stored = %v", i, errs[i], got)
			}
			if i%2 == 1 && errs[i] != nil {
				t.Errorf("write %d (no failing statement): %v", i, errs[i])
			}
		}
	})

	parallel(t, open, "PanicInWrite", func(t *testing.T, b *bundle) {
		const n = 20
		const bad = 7
		ps := make([]*payment.Payment, n)
		errs := make([]error, n)
		panics := make([]any, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			ps[i] = newPayment(t, b.scope, t0)
			wg.Go(func() {
				<-start
				panics[i], errs[i] = writeRecover(t.Context(), b.st, func(ctx context.Context, tx store.Tx) error {
					if err := insertWithEvent(ps[i])(ctx, tx); err != nil {
						return err
					}
					if i == bad {
						panic("storetest: deliberate panic")
					}
					return nil
				})
			})
		}
		close(start)
		wg.Wait()
		if errs[bad] == nil && panics[bad] == nil {
			t.Errorf("Write with a panicking fn returned nil: want an error, or the panic raised again")
		}
		if exists(t, b.st, b.scope, ps[bad].ID) {
			t.Errorf("the panicking transaction's payment was stored")
		}
		for i := range n {
			if i == bad {
				continue
			}
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("write %d beside the panicking one: err=%v panic=%v", i, errs[i], panics[i])
			}
			if !exists(t, b.st, b.scope, ps[i].ID) {
				t.Errorf("write %d beside the panicking one was not stored", i)
			}
		}
		// The store still works afterwards.
		after := newPayment(t, b.scope, t0)
		insertPayments(t, b.st, after)
		if !exists(t, b.st, b.scope, after.ID) {
			t.Errorf("a write after the panic was not stored")
		}
	})

	parallel(t, open, "CanceledContextIsNeverAmbiguous", func(t *testing.T, b *bundle) {
		// Whatever Write answers when the caller's context ends, the answer must
		// be true: nil means stored, an error means not stored.
		check := func(what string, p *payment.Payment, err error) {
			t.Helper()
			if got := exists(t, b.st, b.scope, p.ID); got != (err == nil) {
				t.Errorf("%s: Write returned %v, but payment stored = %v", what, err, got)
			}
		}
		for i := range 10 {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			p := newPayment(t, b.scope, t0)
			check(fmt.Sprintf("already canceled #%d", i), p, b.st.Write(ctx, insertWithEvent(p)))
		}

		const n = 40
		ctx, cancel := context.WithCancel(t.Context())
		ps := make([]*payment.Payment, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			ps[i] = newPayment(t, b.scope, t0)
			wg.Go(func() {
				errs[i] = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
					if i == n/4 {
						cancel() // canceled while this and other writes are in flight
					}
					return insertWithEvent(ps[i])(ctx, tx)
				})
			})
		}
		wg.Wait()
		cancel()
		for i := range n {
			check(fmt.Sprintf("canceled under load #%d", i), ps[i], errs[i])
		}
	})
}

func testConcurrency(t *testing.T, open Opener) {
	parallel(t, open, "RefundsNeverExceedCaptured", func(t *testing.T, b *bundle) {
		p := newPayment(t, b.scope, t0, succeeded) // captured 1000
		insertPayments(t, b.st, p)
		const n = 50
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
					cur, err := tx.GetPaymentForUpdate(ctx, b.scope, p.ID)
					if err != nil {
						return err
					}
					if err := cur.ReserveRefund(100, t0.Add(time.Minute)); err != nil {
						return err
					}
					return tx.UpdatePayment(ctx, cur)
				})
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case payment.ErrorCode(err) != payment.CodeRefundExceeds:
				t.Errorf("refund %d: %v, want success or %s", i, err, payment.CodeRefundExceeds)
			}
		}
		if ok != 10 {
			t.Errorf("%d refunds of 100 succeeded on a payment captured 1000, want exactly 10", ok)
		}
		got := getPayment(t, b.st, b.scope, p.ID)
		if got.AmountRefunded != 1000 || got.RefundStatus != payment.RefundFull || got.Version != 11 {
			t.Errorf("after the race: refunded %d, refund_status %s, version %d; want 1000, full, 11",
				got.AmountRefunded, got.RefundStatus, got.Version)
		}
	})

	parallel(t, open, "OptimisticUpdatesLoseNothing", func(t *testing.T, b *bundle) {
		// Read outside the transaction, update with the version read: each update
		// either applies on top of all earlier ones or is refused as stale.
		p := newPayment(t, b.scope, t0, succeeded)
		insertPayments(t, b.st, p)
		const n = 30
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				read, err := b.st.GetPayment(t.Context(), b.scope, p.ID)
				if err != nil {
					errs[i] = err
					return
				}
				errs[i] = b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
					cur := *read // fn may run again on a retry: start from the read each time
					if err := cur.ReserveRefund(10, t0); err != nil {
						return err
					}
					return tx.UpdatePayment(ctx, &cur)
				})
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrStale):
				t.Errorf("update %d: %v, want success or ErrStale", i, err)
			}
		}
		got := getPayment(t, b.st, b.scope, p.ID)
		if ok == 0 || got.AmountRefunded != int64(10*ok) || got.Version != int64(1+ok) {
			t.Errorf("%d updates succeeded, stored refunded %d and version %d; want refunded %d, version %d",
				ok, got.AmountRefunded, got.Version, 10*ok, 1+ok)
		}
	})
}

// countPayments counts the scope's payments, page by page.
func countPayments(t *testing.T, st store.Store, s store.Scope) int {
	t.Helper()
	n := 0
	f := store.PaymentFilter{Limit: store.MaxLimit}
	for {
		ps, more, err := st.ListPayments(t.Context(), s, f)
		wantNoErr(t, "ListPayments", err)
		n += len(ps)
		if !more || len(ps) == 0 {
			return n
		}
		f.StartingAfter = ps[len(ps)-1].ID
	}
}
