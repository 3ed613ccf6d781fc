// Package storetest is the conformance suite every store engine runs, in the manner
// of riverqueue/river's riverdrivertest: one set of behaviours, written once against
// store.Store, that SQLite and PostgreSQL must both show. An engine's own test file
// calls Run with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... })
//	}
//
// Every sub-test opens its own store through that function, so sub-tests run in
// parallel and never see each other's rows. Tests assert what a user of paymux would
// notice (a payment read back differently, a refund counted twice, a job run twice, a
// replayed response that is not the stored one), not how the SQL is written.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// Opener opens a fresh, empty store for one test and closes it when the test ends.
type Opener = func(t *testing.T) store.Store

// Run runs the whole conformance suite against the engine that open builds.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Basics", testBasics},
		{"Payments", testPayments},
		{"ListPayments", testListPayments},
		{"ExpiredPayments", testExpiredPayments},
		{"StalePendingAttempts", testStalePendingAttempts},
		{"Refunds", testRefunds},
		{"Events", testEvents},
		{"Atomicity", testAtomicity},
		{"Concurrency", testConcurrency},
		{"Jobs", testJobs},
		{"Idempotency", testIdempotency},
		{"Accounts", testAccounts},
		{"Sandbox", testSandbox},
		{"Webhooks", testWebhooks},
		{"Audit", testAudit},
		{"Invoices", testInvoices},
		{"Notifications", testNotifications},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, open)
		})
	}
}

// t0 is the suite's "now": a fixed instant with nanoseconds and a non-UTC zone, so
// that every round trip also checks microsecond truncation and conversion to UTC.
var t0 = time.Date(2026, time.November, 3, 10, 30, 15, 123456789, time.FixedZone("CET", 3600))

// bundle is what each sub-test starts with: its own store and a fresh merchant.
type bundle struct {
	st    store.Store
	scope store.Scope // a fresh merchant, test mode
}

// parallel runs fn as a parallel sub-test with its own freshly opened store.
func parallel(t *testing.T, open Opener, name string, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		b := &bundle{st: open(t), scope: newScope(false)}
		fn(t, b)
	})
}

func newScope(live bool) store.Scope {
	return store.Scope{MerchantID: payment.NewID(payment.PrefixMerchant), Livemode: live}
}

// otherMode is s in the other mode.
func otherMode(s store.Scope) store.Scope {
	return store.Scope{MerchantID: s.MerchantID, Livemode: !s.Livemode}
}

// write runs fn in one write transaction and fails the test if it does not commit.
func write(t *testing.T, st store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := st.Write(t.Context(), fn); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// newPayment builds a valid EUR payment created at created, then applies mods.
func newPayment(t *testing.T, s store.Scope, created time.Time, mods ...func(p *payment.Payment)) *payment.Payment {
	t.Helper()
	p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), s.MerchantID, s.Livemode,
		payment.CreateParams{Amount: 1000, Currency: "EUR", OrderID: "order-1"}, created, 24*time.Hour)
	if err != nil {
		t.Fatalf("NewPayment: %v", err)
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

// succeeded makes p a captured payment of provider "sandbox".
func succeeded(p *payment.Payment) {
	p.Status = payment.StatusSucceeded
	p.AmountCaptured = p.Amount
	p.AmountCapturable = 0
	p.Provider = "sandbox"
	p.ProviderReference = "sbx_" + p.ID
}

// insertPayments stores ps in one transaction.
func insertPayments(t *testing.T, st store.Store, ps ...*payment.Payment) {
	t.Helper()
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, p := range ps {
			if err := tx.InsertPayment(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// getPayment reads a payment that must exist.
func getPayment(t *testing.T, st store.Store, s store.Scope, id string) *payment.Payment {
	t.Helper()
	p, err := st.GetPayment(t.Context(), s, id)
	if err != nil {
		t.Fatalf("GetPayment(%s): %v", id, err)
	}
	return p
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// wantNoErr fails the test at once on err.
func wantNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// us is the instant t as a store keeps it: microseconds, UTC.
func us(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// errBoom is what failing transactions return in these tests.
var errBoom = errors.New("storetest: deliberate failure")

func testBasics(t *testing.T, open Opener) {
	parallel(t, open, "EngineAndPing", func(t *testing.T, b *bundle) {
		if e := b.st.Engine(); e != "sqlite" && e != "postgres" {
			t.Errorf("Engine() = %q, want sqlite or postgres", e)
		}
		if err := b.st.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
	parallel(t, open, "EmptyStore", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		if n, err := b.st.CountMerchants(ctx); err != nil || n != 0 {
			t.Errorf("CountMerchants = %d, %v; want 0 on a new store", n, err)
		}
		ps, more, err := b.st.ListPayments(ctx, b.scope, store.PaymentFilter{})
		if err != nil || len(ps) != 0 || more {
			t.Errorf("ListPayments = %d rows, more=%v, %v; want none", len(ps), more, err)
		}
		if _, ok, err := b.st.NextJobAt(ctx); err != nil || ok {
			t.Errorf("NextJobAt ok=%v, %v; want no job", ok, err)
		}
	})
}
