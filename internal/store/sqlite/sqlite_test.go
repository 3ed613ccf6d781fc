package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/store/sqlite"
	"github.com/paymux/paymux/internal/store/sqlstore"
	"github.com/paymux/paymux/internal/store/storetest"
)

// exclusive is how a server opens its data directory: holding the directory lock.
var exclusive = sqlite.Options{Exclusive: true}

// open opens the database at path and closes it when the test ends.
func open(t *testing.T, path string, opt sqlite.Options) *sqlstore.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", path, err)
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
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "paymux.db"), sqlite.Options{})
	})
}

var scope = store.Scope{MerchantID: "mer_sqlite_test"}

func newPayment(t *testing.T) *payment.Payment {
	t.Helper()
	p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), scope.MerchantID, scope.Livemode,
		payment.CreateParams{Amount: 1000, Currency: "EUR", OrderID: "o-1"}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func insert(p *payment.Payment) func(ctx context.Context, tx store.Tx) error {
	return func(ctx context.Context, tx store.Tx) error { return tx.InsertPayment(ctx, p) }
}

func stored(t *testing.T, st store.Store, id string) bool {
	t.Helper()
	_, err := st.GetPayment(t.Context(), scope, id)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatalf("GetPayment: %v", err)
	}
	return true
}

// TestSecondOpenFailsAtOnce: one server per data directory. A second exclusive Open
// of the same file fails at once, saying why, and leaves the first one working.
func TestSecondOpenFailsAtOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "paymux.db")
	first := open(t, path, exclusive)

	for i := range 2 {
		began := time.Now()
		second, err := sqlite.Open(context.Background(), path, exclusive)
		if err == nil {
			second.Close()
			t.Fatalf("attempt %d: a second Open of %s succeeded, want ErrLocked", i, path)
		}
		if !errors.Is(err, sqlite.ErrLocked) {
			t.Errorf("attempt %d: second Open: %v, want an error wrapping sqlite.ErrLocked", i, err)
		}
		if d := time.Since(began); d > 2*time.Second {
			t.Errorf("attempt %d: the second Open took %v to fail, want at once", i, d)
		}
	}

	// The failed attempts did not disturb the first store, nor drop its lock.
	p := newPayment(t)
	if err := first.Write(t.Context(), insert(p)); err != nil {
		t.Fatalf("Write on the first store after a refused second Open: %v", err)
	}
	if !stored(t, first, p.ID) {
		t.Errorf("payment written by the first store is missing")
	}
	if _, err := sqlite.Open(context.Background(), path, exclusive); !errors.Is(err, sqlite.ErrLocked) {
		t.Errorf("third Open while the first is open: %v, want ErrLocked", err)
	}
}

// TestDataSurvivesReopen: what a Write acknowledged is there after Close and a new Open,
// and Close releases the directory lock.
func TestDataSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "paymux.db")
	st, err := sqlite.Open(context.Background(), path, exclusive)
	if err != nil {
		t.Fatal(err)
	}
	ps := []*payment.Payment{newPayment(t), newPayment(t), newPayment(t)}
	ev := &payment.Event{ID: payment.NewID(payment.PrefixEvent), MerchantID: scope.MerchantID, Type: payment.EventPaymentCreated,
		PaymentID: ps[0].ID, Data: payment.EventData{Object: []byte(`{"x":1}`)}, CreatedAt: time.Now()}
	for _, p := range ps {
		if err := st.Write(t.Context(), insert(p)); err != nil {
			t.Fatal(err)
		}
	}
	err = st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.InsertEvent(ctx, ev); err != nil {
			return err
		}
		if err := tx.EnqueueJob(ctx, store.Job{Kind: "k", RunAt: time.Unix(1_800_000_000, 0)}); err != nil {
			return err
		}
		if _, err := tx.ClaimIdempotency(ctx, store.IdemClaim{Scope: scope, Key: "k", RequestHash: "h", Token: "t",
			Now: time.Now(), Lease: time.Minute, Retention: time.Hour}); err != nil {
			return err
		}
		if err := tx.CompleteIdempotency(ctx, scope, "k", "t", 201, []byte(`{"ok":true}`)); err != nil {
			return err
		}
		return tx.InsertMerchant(ctx, &store.Merchant{ID: scope.MerchantID, Name: "M", CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	re := open(t, path, exclusive) // fails if Close kept the lock
	for _, p := range ps {
		if !stored(t, re, p.ID) {
			t.Errorf("payment %s lost across Close and reopen", p.ID)
		}
	}
	if _, err := re.GetEvent(t.Context(), scope, ev.ID); err != nil {
		t.Errorf("event lost across reopen: %v", err)
	}
	if at, ok, err := re.NextJobAt(t.Context()); err != nil || !ok || !at.Equal(time.Unix(1_800_000_000, 0)) {
		t.Errorf("job lost across reopen: NextJobAt = %v, %v, %v", at, ok, err)
	}
	if n, err := re.CountMerchants(t.Context()); err != nil || n != 1 {
		t.Errorf("CountMerchants after reopen = %d, %v; want 1", n, err)
	}
	err = re.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ClaimIdempotency(ctx, store.IdemClaim{Scope: scope, Key: "k", RequestHash: "h", Token: "t2",
			Now: time.Now(), Lease: time.Minute, Retention: time.Hour})
		if err == nil && (res.State != store.IdemReplay || string(res.ResponseBody) != `{"ok":true}`) {
			t.Errorf("idempotency key after reopen: %+v, want the stored response replayed", res)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeWithin runs Write in a goroutine and reports a hang instead of hanging the test.
func writeWithin(st store.Store, d time.Duration, fn func(ctx context.Context, tx store.Tx) error) (err error, returned bool) {
	done := make(chan error, 1)
	go func() { done <- st.Write(context.Background(), fn) }()
	select {
	case err := <-done:
		return err, true
	case <-time.After(d):
		return nil, false // the goroutine is leaked on purpose: the Write never returns
	}
}

// TestWriteAfterClose: a request still running when the server shuts down must get
// an error, not hang (and with it the shutdown).
func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "paymux.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	const n = 50
	errs := make([]error, n)
	returned := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i], returned[i] = writeWithin(st, 3*time.Second, insert(newPayment(t))) })
	}
	wg.Wait()
	hung := 0
	for i := range n {
		switch {
		case !returned[i]:
			hung++
		case errs[i] == nil:
			t.Errorf("Write %d after Close returned nil", i)
		}
	}
	if hung > 0 {
		t.Errorf("%d of %d Writes after Close never returned (waited 3s), want every one to fail at once", hung, n)
	}
}

// TestCloseWithWritesInFlight: Close while requests write. Every Write returns, and
// those that returned nil are on disk after a reopen; those that failed are not.
func TestCloseWithWritesInFlight(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "paymux.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	ps := make([]*payment.Payment, n)
	errs := make([]error, n)
	returned := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		ps[i] = newPayment(t)
		wg.Go(func() {
			if i == n/4 {
				if err := st.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}
			errs[i], returned[i] = writeWithin(st, 5*time.Second, insert(ps[i]))
		})
	}
	wg.Wait()

	re := open(t, path, sqlite.Options{})
	hung := 0
	for i := range n {
		if !returned[i] {
			hung++
			continue
		}
		if got := stored(t, re, ps[i].ID); got != (errs[i] == nil) {
			t.Errorf("write %d: Write returned %v, but after reopen the payment stored = %v", i, errs[i], got)
		}
	}
	if hung > 0 {
		t.Errorf("%d of %d Writes racing Close never returned (waited 5s each)", hung, n)
	}
}
