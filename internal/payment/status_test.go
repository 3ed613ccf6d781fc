package payment_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// wantTransitions is the expected transition table, one row per "from" status and one
// column per "to" status in the order of allStatuses. "x" is allowed, "." refused.
// Changing the table in status.go must come with a deliberate change here.
var wantTransitions = map[payment.Status]string{
	//     to: rpm act prc cap suc fai can exp
	rpm:        ".   x   x   x   x   x   x   x",
	action:     ".   .   x   x   x   x   x   x",
	processing: ".   .   .   x   x   x   x   .",
	capture:    ".   .   .   .   x   .   x   x",
	succeeded:  ".   .   .   .   .   .   .   .",
	failed:     ".   x   x   x   x   x   x   x",
	canceled:   ".   .   .   .   .   .   .   .",
	expired:    ".   .   .   .   .   .   .   .",
}

func TestTransitionTable(t *testing.T) {
	t.Parallel()
	if len(wantTransitions) != len(allStatuses) {
		t.Fatalf("wantTransitions has %d rows, want %d", len(wantTransitions), len(allStatuses))
	}
	for _, from := range allStatuses {
		row := strings.Fields(wantTransitions[from])
		if len(row) != len(allStatuses) {
			t.Fatalf("row %s has %d columns", from, len(row))
		}
		for i, to := range allStatuses {
			t.Run(fmt.Sprintf("%s->%s", from, to), func(t *testing.T) {
				t.Parallel()
				want := row[i] == "x"
				if got := payment.CanTransition(from, to); got != want {
					t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
				}
			})
		}
	}
}

func TestCanTransitionUnknownStatuses(t *testing.T) {
	t.Parallel()
	for _, bad := range []payment.Status{"", "bogus", "Succeeded", "pending", "refunded"} {
		for _, s := range allStatuses {
			if payment.CanTransition(bad, s) {
				t.Errorf("CanTransition(%q, %s) = true", bad, s)
			}
			if payment.CanTransition(s, bad) {
				t.Errorf("CanTransition(%s, %q) = true", s, bad)
			}
		}
	}
}

func TestTerminalAndValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s        payment.Status
		valid    bool
		terminal bool
	}{
		{rpm, true, false},
		{action, true, false},
		{processing, true, false},
		{capture, true, false},
		{succeeded, true, true},
		{failed, true, false}, // a failed payment may be confirmed again
		{canceled, true, true},
		{expired, true, true},
		{"", false, false},
		{"bogus", false, false},
		{"SUCCEEDED", false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.s), func(t *testing.T) {
			t.Parallel()
			if got := tt.s.Valid(); got != tt.valid {
				t.Errorf("%q.Valid() = %v, want %v", tt.s, got, tt.valid)
			}
			if got := tt.s.Terminal(); got != tt.terminal {
				t.Errorf("%q.Terminal() = %v, want %v", tt.s, got, tt.terminal)
			}
			if tt.terminal {
				for _, to := range allStatuses {
					if payment.CanTransition(tt.s, to) {
						t.Errorf("terminal %s may move to %s", tt.s, to)
					}
				}
			}
		})
	}
}

func TestStatusesListsEveryStatusInLifecycleOrder(t *testing.T) {
	t.Parallel()
	if got := payment.Statuses(); !slices.Equal(got, allStatuses) {
		t.Errorf("Statuses() = %v, want %v", got, allStatuses)
	}
	// The list is the caller's own.
	a := payment.Statuses()
	a[0] = "mutated"
	if payment.Statuses()[0] != rpm {
		t.Error("Statuses() shares its backing array between calls")
	}
}

func TestExpirableStatuses(t *testing.T) {
	t.Parallel()
	want := []payment.Status{rpm, action, failed}
	got := payment.ExpirableStatuses()
	if !slices.Equal(got, want) {
		t.Fatalf("ExpirableStatuses() = %v, want %v", got, want)
	}
	got[0] = succeeded
	if again := payment.ExpirableStatuses(); !slices.Equal(again, want) {
		t.Errorf("mutating the result changed the package's set: %v", again)
	}
	for _, s := range want {
		if !payment.CanTransition(s, expired) {
			t.Errorf("%s is expirable but the table refuses %s -> expired", s, s)
		}
	}
}

func TestPaymentEventType(t *testing.T) {
	t.Parallel()
	for _, s := range allStatuses {
		if got, want := payment.PaymentEventType(s), "payment."+string(s); got != want {
			t.Errorf("PaymentEventType(%s) = %q, want %q", s, got, want)
		}
	}
}

// operation is one merchant/operator/system action with the statuses it is allowed
// from, written out explicitly.
type operation struct {
	name    string
	verb    string // as the error message says it
	allowed []payment.Status
	run     func(p *payment.Payment, now time.Time) error
	mutates bool
}

var operations = []operation{
	{"CheckConfirmable", "confirm", []payment.Status{rpm, failed},
		func(p *payment.Payment, _ time.Time) error { return p.CheckConfirmable() }, false},
	{"Capture", "capture", []payment.Status{capture},
		func(p *payment.Payment, now time.Time) error { return p.Capture(0, now) }, true},
	{"CheckCapturable", "capture", []payment.Status{capture},
		func(p *payment.Payment, _ time.Time) error { return p.CheckCapturable(0) }, false},
	{"Cancel", "cancel", []payment.Status{rpm, action, capture, failed},
		func(p *payment.Payment, now time.Time) error { return p.Cancel(now) }, true},
	{"CheckCancelable", "cancel", []payment.Status{rpm, action, capture, failed},
		func(p *payment.Payment, _ time.Time) error { return p.CheckCancelable() }, false},
	{"ReserveRefund", "refund", []payment.Status{succeeded},
		func(p *payment.Payment, now time.Time) error { return p.ReserveRefund(100, now) }, true},
}

func TestOperationsFromEveryStatus(t *testing.T) {
	t.Parallel()
	now := t0.Add(time.Hour).In(cet)
	for _, op := range operations {
		for _, s := range allStatuses {
			t.Run(op.name+"/"+string(s), func(t *testing.T) {
				t.Parallel()
				p := inStatus(t, s)
				before := clone(p)
				err := op.run(p, now)
				if slices.Contains(op.allowed, s) {
					if err != nil {
						t.Fatalf("%s from %s: %v", op.name, s, err)
					}
					if !op.mutates {
						assertUnchanged(t, before, p)
					}
					if p.Status != s && !payment.CanTransition(s, p.Status) {
						t.Errorf("%s moved %s -> %s, which the table refuses", op.name, s, p.Status)
					}
					if op.mutates && (!p.UpdatedAt.Equal(now) || p.UpdatedAt.Location() != time.UTC) {
						t.Errorf("UpdatedAt = %v, want %v in UTC", p.UpdatedAt, now.UTC())
					}
					if err := p.CheckInvariants(); err != nil {
						t.Error(err)
					}
					return
				}
				e := wantErr(t, err, payment.KindConflict, payment.CodePaymentInvalidState, "-",
					p.ID, string(s), op.verb)
				if e.Param != "" {
					t.Errorf("Param = %q, want none for a state conflict", e.Param)
				}
				assertUnchanged(t, before, p)
			})
		}
	}
}

func TestOperationSetsAgreeWithTable(t *testing.T) {
	t.Parallel()
	target := map[string]payment.Status{"Cancel": canceled, "Capture": succeeded}
	for _, op := range operations {
		to, ok := target[op.name]
		if !ok {
			continue
		}
		for _, s := range op.allowed {
			if !payment.CanTransition(s, to) {
				t.Errorf("%s is allowed from %s but the table refuses %s -> %s", op.name, s, s, to)
			}
		}
	}
}

func TestExpireFromEveryStatus(t *testing.T) {
	t.Parallel()
	expirable := []payment.Status{rpm, action, failed}
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			p := inStatus(t, s)

			// Before the deadline nothing happens, whatever the status.
			before := clone(p)
			if p.Expire(p.ExpiresAt.Add(-time.Nanosecond)) {
				t.Fatal("Expire before ExpiresAt returned true")
			}
			assertUnchanged(t, before, p)

			now := p.ExpiresAt.In(cet)
			got := p.Expire(now)
			if want := slices.Contains(expirable, s); got != want {
				t.Fatalf("Expire from %s = %v, want %v", s, got, want)
			}
			if !got {
				assertUnchanged(t, before, p)
				return
			}
			if p.Status != expired || !payment.CanTransition(s, expired) {
				t.Errorf("status %s after Expire from %s", p.Status, s)
			}
			if p.NextAction != nil {
				t.Errorf("NextAction %+v kept on an expired payment", p.NextAction)
			}
			if !p.UpdatedAt.Equal(now) || p.UpdatedAt.Location() != time.UTC {
				t.Errorf("UpdatedAt = %v, want %v in UTC", p.UpdatedAt, now.UTC())
			}
			if p.AmountCapturable != 0 {
				t.Errorf("AmountCapturable = %d after expiry", p.AmountCapturable)
			}
			// A second expiry is a no-op.
			again := clone(p)
			if p.Expire(now.Add(time.Hour)) {
				t.Error("second Expire returned true")
			}
			assertUnchanged(t, again, p)
		})
	}
}
