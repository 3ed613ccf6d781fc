package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func testListPayments(t *testing.T, open Opener) {
	parallel(t, open, "NewestFirst", func(t *testing.T, b *bundle) {
		var ps []*payment.Payment
		for _, off := range []int{3, 0, 4, 1, 2} { // inserted out of order
			ps = append(ps, newPayment(t, b.scope, t0.Add(time.Duration(off)*time.Microsecond)))
		}
		insertPayments(t, b.st, ps...)
		got, more, err := b.st.ListPayments(t.Context(), b.scope, store.PaymentFilter{})
		wantNoErr(t, "ListPayments", err)
		want := slices.Clone(ps)
		sortNewestFirst(want)
		if !slices.Equal(ids(got), ids(want)) || more {
			t.Errorf("ListPayments = %v (more=%v), want newest first %v", ids(got), more, ids(want))
		}
		if len(got) > 0 {
			checkSame(t, "listed payment", got[0], want[0])
		}
	})

	parallel(t, open, "Filters", func(t *testing.T, b *bundle) {
		at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
		type spec struct {
			status   payment.Status
			provider string
			order    string
		}
		specs := []spec{
			{payment.StatusSucceeded, "sandbox", "A"},
			{payment.StatusRequiresPaymentMethod, "", "A"},
			{payment.StatusSucceeded, "stripe", "B"},
			{payment.StatusFailed, "stripe", "C"},
			{payment.StatusSucceeded, "sandbox", "C"},
			{payment.StatusCanceled, "paypal", "A"},
			{payment.StatusSucceeded, "stripe", "A"},
		}
		var mine []*payment.Payment
		for i, s := range specs {
			mine = append(mine, newPayment(t, b.scope, at(i), func(p *payment.Payment) {
				if s.status == payment.StatusSucceeded {
					succeeded(p)
				}
				p.Status, p.Provider, p.OrderID = s.status, s.provider, s.order
			}))
		}
		// Rows of another merchant and of the other mode match every filter, and
		// must never show up.
		noise := []*payment.Payment{
			newPayment(t, newScope(false), at(2), succeeded),
			newPayment(t, otherMode(b.scope), at(3), succeeded),
		}
		insertPayments(t, b.st, append(slices.Clone(mine), noise...)...)

		cases := []struct {
			name string
			f    store.PaymentFilter
			keep func(p *payment.Payment) bool
		}{
			{"All", store.PaymentFilter{}, func(*payment.Payment) bool { return true }},
			{"Status", store.PaymentFilter{Status: payment.StatusSucceeded}, func(p *payment.Payment) bool { return p.Status == payment.StatusSucceeded }},
			{"Provider", store.PaymentFilter{Provider: "stripe"}, func(p *payment.Payment) bool { return p.Provider == "stripe" }},
			{"OrderID", store.PaymentFilter{OrderID: "A"}, func(p *payment.Payment) bool { return p.OrderID == "A" }},
			{"CreatedGTE", store.PaymentFilter{CreatedGTE: at(4)}, func(p *payment.Payment) bool { return !p.CreatedAt.Before(at(4)) }},
			{"CreatedLT", store.PaymentFilter{CreatedLT: at(2)}, func(p *payment.Payment) bool { return p.CreatedAt.Before(at(2)) }},
			{"CreatedRange", store.PaymentFilter{CreatedGTE: at(1), CreatedLT: at(5)}, func(p *payment.Payment) bool {
				return !p.CreatedAt.Before(at(1)) && p.CreatedAt.Before(at(5))
			}},
			{"StatusProviderOrder", store.PaymentFilter{Status: payment.StatusSucceeded, Provider: "stripe", OrderID: "A"}, func(p *payment.Payment) bool {
				return p.Status == payment.StatusSucceeded && p.Provider == "stripe" && p.OrderID == "A"
			}},
			{"NoMatch", store.PaymentFilter{Status: payment.StatusExpired}, func(*payment.Payment) bool { return false }},
		}
		for _, c := range cases {
			var want []*payment.Payment
			for _, p := range mine {
				if c.keep(p) {
					want = append(want, p)
				}
			}
			sortNewestFirst(want)
			got, more, err := b.st.ListPayments(t.Context(), b.scope, c.f)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if !slices.Equal(ids(got), ids(want)) || more {
				t.Errorf("%s: ListPayments = %v (more=%v), want %v", c.name, ids(got), more, ids(want))
			}
		}
	})

	parallel(t, open, "LimitClamping", func(t *testing.T, b *bundle) {
		var ps []*payment.Payment
		for i := range store.MaxLimit + 5 {
			ps = append(ps, newPayment(t, b.scope, t0.Add(time.Duration(i)*time.Second)))
		}
		insertPayments(t, b.st, ps...)
		for _, c := range []struct {
			limit, want int
		}{
			{0, store.DefaultLimit},
			{-3, store.DefaultLimit},
			{1, 1},
			{37, 37},
			{store.MaxLimit, store.MaxLimit},
			{store.MaxLimit + 1, store.MaxLimit},
			{1 << 30, store.MaxLimit},
		} {
			got, more, err := b.st.ListPayments(t.Context(), b.scope, store.PaymentFilter{Limit: c.limit})
			if err != nil {
				t.Errorf("limit %d: %v", c.limit, err)
				continue
			}
			if len(got) != c.want || !more {
				t.Errorf("limit %d: %d rows, more=%v; want %d rows and more=true", c.limit, len(got), more, c.want)
			}
		}
	})

	parallel(t, open, "CursorWalkSharedTimestamps", func(t *testing.T, b *bundle) {
		// 57 payments in groups of up to 10 created in the same microsecond (they
		// differ only in nanoseconds, which the store drops): only the id tells
		// them apart, and the cursor must still neither repeat nor skip one.
		var ps []*payment.Payment
		for i := range 57 {
			created := t0.Truncate(time.Microsecond).Add(time.Duration(i/10)*time.Microsecond + time.Duration(i%10)*10*time.Nanosecond)
			ps = append(ps, newPayment(t, b.scope, created, func(p *payment.Payment) {
				if i%4 == 0 {
					succeeded(p)
				}
			}))
		}
		insertPayments(t, b.st, ps...)
		insertPayments(t, b.st, newPayment(t, newScope(false), t0), newPayment(t, otherMode(b.scope), t0))

		for _, c := range []struct {
			name   string
			filter store.PaymentFilter
			keep   func(p *payment.Payment) bool
		}{
			{"All", store.PaymentFilter{}, func(*payment.Payment) bool { return true }},
			{"Succeeded", store.PaymentFilter{Status: payment.StatusSucceeded}, func(p *payment.Payment) bool { return p.Status == payment.StatusSucceeded }},
		} {
			for _, limit := range []int{1, 7, 10, 100} {
				t.Run(fmt.Sprintf("%s/limit%d", c.name, limit), func(t *testing.T) {
					want := map[string]bool{}
					for _, p := range ps {
						if c.keep(p) {
							want[p.ID] = true
						}
					}
					seen := map[string]bool{}
					var walked []*payment.Payment
					f := c.filter
					f.Limit = limit
					for page := 0; ; page++ {
						if page > len(ps)+1 {
							t.Fatalf("pagination does not end after %d pages", page)
						}
						got, more, err := b.st.ListPayments(t.Context(), b.scope, f)
						wantNoErr(t, "ListPayments", err)
						if len(got) > limit {
							t.Fatalf("page %d has %d rows, limit %d", page, len(got), limit)
						}
						if more && len(got) != limit {
							t.Errorf("page %d: more=true on a short page of %d", page, len(got))
						}
						for _, p := range got {
							if seen[p.ID] {
								t.Errorf("page %d repeats %s", page, p.ID)
							}
							seen[p.ID] = true
							walked = append(walked, p)
						}
						if !more {
							break
						}
						if len(got) == 0 {
							t.Fatalf("page %d: empty page with more=true", page)
						}
						f.StartingAfter = got[len(got)-1].ID
					}
					for id := range want {
						if !seen[id] {
							t.Errorf("the walk skipped %s", id)
						}
					}
					for id := range seen {
						if !want[id] {
							t.Errorf("the walk returned %s, which the filter excludes", id)
						}
					}
					for i := 1; i < len(walked); i++ {
						if walked[i].CreatedAt.After(walked[i-1].CreatedAt) {
							t.Errorf("walk not newest first at %d: %v after %v", i, walked[i].CreatedAt, walked[i-1].CreatedAt)
						}
					}
				})
			}
		}
	})

	parallel(t, open, "UnknownCursor", func(t *testing.T, b *bundle) {
		mine := newPayment(t, b.scope, t0)
		theirs := newPayment(t, newScope(false), t0)
		insertPayments(t, b.st, mine, theirs)
		for _, c := range []struct{ name, id string }{
			{"Unknown", payment.NewID(payment.PrefixPayment)},
			{"OtherMerchant", theirs.ID},
		} {
			got, _, err := b.st.ListPayments(t.Context(), b.scope, store.PaymentFilter{StartingAfter: c.id})
			var pe *payment.Error
			if !errors.As(err, &pe) || pe.Param != "starting_after" {
				t.Errorf("%s: ListPayments(starting_after=%s) = %d rows, %v; want a *payment.Error with param starting_after", c.name, c.id, len(got), err)
			} else if pe.Kind != payment.KindInvalid {
				t.Errorf("%s: error kind %v, want KindInvalid", c.name, pe.Kind)
			}
		}
		_, _, err := b.st.ListPayments(t.Context(), otherMode(b.scope), store.PaymentFilter{StartingAfter: mine.ID})
		var pe *payment.Error
		if !errors.As(err, &pe) || pe.Param != "starting_after" {
			t.Errorf("OtherMode: ListPayments(starting_after=a test-mode id) in live mode = %v; want a *payment.Error with param starting_after", err)
		}
	})
}

// sortNewestFirst sorts as ListPayments does: created_at (to the microsecond)
// descending, then id descending.
func sortNewestFirst(ps []*payment.Payment) {
	slices.SortFunc(ps, func(a, b *payment.Payment) int {
		if c := us(b.CreatedAt).Compare(us(a.CreatedAt)); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
}

// listed is what ids accepts.
type listed interface {
	*payment.Payment | *payment.Refund
}

// ids lists the ids of xs, for comparisons and messages.
func ids[T listed](xs []T) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		switch v := any(x).(type) {
		case *payment.Payment:
			out = append(out, v.ID)
		case *payment.Refund:
			out = append(out, v.ID)
		}
	}
	return out
}
