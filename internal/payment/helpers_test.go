package payment_test

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// Short names for the statuses, so that tables stay readable.
const (
	rpm        = payment.StatusRequiresPaymentMethod
	action     = payment.StatusRequiresAction
	processing = payment.StatusProcessing
	capture    = payment.StatusRequiresCapture
	succeeded  = payment.StatusSucceeded
	failed     = payment.StatusFailed
	canceled   = payment.StatusCanceled
	expired    = payment.StatusExpired
)

// allStatuses is every status in lifecycle order, written out here (not taken from
// payment.Statuses) so that adding a status is a deliberate change to the tests too.
var allStatuses = []payment.Status{rpm, action, processing, capture, succeeded, failed, canceled, expired}

var (
	t0     = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	cet    = time.FixedZone("CET", 60*60)
	expiry = 24 * time.Hour
)

const redirectURL = "https://sandbox.example/3ds/txn_1"

func validParams() payment.CreateParams {
	return payment.CreateParams{Amount: 1000, Currency: "EUR", OrderID: "order-1"}
}

// newPayment builds a valid 1000 EUR payment, after mutate (if any) changed its params.
func newPayment(t testing.TB, mutate func(*payment.CreateParams)) *payment.Payment {
	t.Helper()
	cp := validParams()
	if mutate != nil {
		mutate(&cp)
	}
	p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), "mer_test", false, cp, t0, expiry)
	if err != nil {
		t.Fatalf("NewPayment(%+v): %v", cp, err)
	}
	return p
}

func mustApply(t testing.TB, p *payment.Payment, o payment.Outcome, now time.Time) {
	t.Helper()
	changed, err := p.Apply(o, now)
	if err != nil || !changed {
		t.Fatalf("Apply(%+v) from %s = %v, %v; want true, nil", o, p.Status, changed, err)
	}
}

// inStatus returns a manual-capture 1000 EUR payment driven to s through the domain's
// own operations, the way the engine gets it there.
func inStatus(t testing.TB, s payment.Status) *payment.Payment {
	t.Helper()
	p := newPayment(t, func(cp *payment.CreateParams) { cp.CaptureMethod = payment.CaptureManual })
	now := t0.Add(time.Minute)
	switch s {
	case rpm:
	case action:
		mustApply(t, p, payment.Outcome{Status: action, RedirectURL: redirectURL, ProviderReference: "txn_1"}, now)
	case processing:
		mustApply(t, p, payment.Outcome{Status: processing, ProviderReference: "txn_1"}, now)
	case capture:
		mustApply(t, p, payment.Outcome{Status: capture, ProviderReference: "txn_1"}, now)
	case succeeded:
		mustApply(t, p, payment.Outcome{Status: succeeded, ProviderReference: "txn_1"}, now)
	case failed:
		mustApply(t, p, payment.Outcome{Status: failed, FailureCode: "card_declined", FailureMessage: "The card was declined."}, now)
	case canceled:
		if err := p.Cancel(now); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
	case expired:
		if !p.Expire(p.ExpiresAt) {
			t.Fatalf("Expire at ExpiresAt refused")
		}
	default:
		t.Fatalf("inStatus: unknown status %q", s)
	}
	if p.Status != s {
		t.Fatalf("inStatus(%s): got %s", s, p.Status)
	}
	if err := p.CheckInvariants(); err != nil {
		t.Fatalf("inStatus(%s): %v", s, err)
	}
	return p
}

// clone deep-copies p so that a later comparison sees any mutation.
func clone(p *payment.Payment) *payment.Payment {
	q := *p
	q.Items = slices.Clone(p.Items)
	q.Metadata = maps.Clone(p.Metadata)
	if p.NextAction != nil {
		na := *p.NextAction
		q.NextAction = &na
	}
	return &q
}

func assertUnchanged(t testing.TB, before, after *payment.Payment) {
	t.Helper()
	if !reflect.DeepEqual(before, after) {
		t.Errorf("payment changed by a refused operation:\nbefore %+v\nafter  %+v", before, after)
	}
}

// wantErr checks err is a *payment.Error of kind and code, with param (when not "-")
// and a message containing every one of contains.
func wantErr(t testing.TB, err error, kind payment.Kind, code, param string, contains ...string) *payment.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error; want %s", code)
	}
	var e *payment.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *payment.Error", err, err)
	}
	if e.Kind != kind {
		t.Errorf("Kind = %d, want %d (%v)", e.Kind, kind, err)
	}
	if e.Code != code {
		t.Errorf("Code = %q, want %q (%v)", e.Code, code, err)
	}
	if param != "-" && e.Param != param {
		t.Errorf("Param = %q, want %q (%v)", e.Param, param, err)
	}
	if e.Message == "" || strings.Contains(e.Message, "%!") {
		t.Errorf("bad message %q", e.Message)
	}
	for _, s := range contains {
		if !strings.Contains(e.Message, s) {
			t.Errorf("message %q does not contain %q", e.Message, s)
		}
	}
	return e
}

func equalPayments(a, b *payment.Payment) bool { return reflect.DeepEqual(a, b) }

func asError(err error, target **payment.Error) bool { return errors.As(err, target) }
