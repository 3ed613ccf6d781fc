package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func newEvent(s store.Scope, paymentID, typ string, created time.Time) *payment.Event {
	data, _ := json.Marshal(map[string]any{"id": paymentID, "type": typ})
	return &payment.Event{
		ID: payment.NewID(payment.PrefixEvent), Object: "event", MerchantID: s.MerchantID, Livemode: s.Livemode,
		Type: typ, PaymentID: paymentID, Actor: payment.Actor{Type: payment.ActorAPIKey, ID: "key_1"},
		Data: payment.EventData{Object: data}, CreatedAt: created,
	}
}

// insertEvents appends es, one transaction each, so that they are ordered.
func insertEvents(t *testing.T, st store.Store, es ...*payment.Event) {
	t.Helper()
	for _, e := range es {
		var seq int64
		write(t, st, func(ctx context.Context, tx store.Tx) error {
			err := tx.InsertEvent(ctx, e)
			seq = e.Seq
			return err
		})
		if seq <= 0 {
			t.Fatalf("InsertEvent set Seq %d, want > 0", seq)
		}
	}
}

func eventIDs(es []*payment.Event) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func testEvents(t *testing.T, open Opener) {
	parallel(t, open, "RoundTripAndSeq", func(t *testing.T, b *bundle) {
		e := newEvent(b.scope, "pay_1", payment.PaymentEventType(payment.StatusSucceeded), t0)
		e.Actor = payment.Actor{Type: payment.ActorProvider, ID: "stripe"}
		e.FromStatus, e.ToStatus = string(payment.StatusProcessing), string(payment.StatusSucceeded)
		e.Data.Object = json.RawMessage(`{"id":"pay_1","amount":1000,"note":"ünïcödé"}`)
		var seqs []int64
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			seqs = seqs[:0]
			for _, ev := range []*payment.Event{e, newEvent(b.scope, "pay_1", "x", t0), newEvent(b.scope, "pay_2", "y", t0)} {
				if err := tx.InsertEvent(ctx, ev); err != nil {
					return err
				}
				seqs = append(seqs, ev.Seq)
			}
			return nil
		})
		if seqs[0] <= 0 || !slices.IsSorted(seqs) || seqs[1] == seqs[0] || seqs[2] == seqs[1] {
			t.Errorf("InsertEvent set Seq %v, want positive and increasing", seqs)
		}
		got, err := b.st.GetEvent(t.Context(), b.scope, e.ID)
		wantNoErr(t, "GetEvent", err)
		checkSame(t, "GetEvent", got, e)

		for _, s := range []store.Scope{newScope(false), otherMode(b.scope)} {
			_, err := b.st.GetEvent(t.Context(), s, e.ID)
			wantErr(t, "GetEvent from another scope", err, store.ErrNotFound)
		}
	})

	parallel(t, open, "EventsAfter", func(t *testing.T, b *bundle) {
		last, err := b.st.LastEventSeq(t.Context(), b.scope)
		wantNoErr(t, "LastEventSeq", err)
		if last != 0 {
			t.Fatalf("LastEventSeq of a scope without events = %d, want 0", last)
		}
		var mine []*payment.Event
		for i := range 5 {
			mine = append(mine, newEvent(b.scope, "pay_A", fmt.Sprintf("payment.t%d", i), t0))
		}
		insertEvents(t, b.st, mine[:2]...)
		insertEvents(t, b.st, newEvent(newScope(false), "pay_A", "payment.created", t0), newEvent(otherMode(b.scope), "pay_A", "payment.created", t0))
		insertEvents(t, b.st, mine[2:]...)
		last, err = b.st.LastEventSeq(t.Context(), b.scope)
		wantNoErr(t, "LastEventSeq", err)
		if last != mine[4].Seq {
			t.Errorf("LastEventSeq = %d, want the last event's %d", last, mine[4].Seq)
		}
		for _, c := range []struct {
			name  string
			after int64
			limit int
			want  []*payment.Event
		}{
			{"FromStart", 0, 100, mine},
			{"AfterSecond", mine[1].Seq, 100, mine[2:]},
			{"Limited", mine[0].Seq, 2, mine[1:3]},
			{"AfterLast", mine[4].Seq, 100, nil},
		} {
			got, err := b.st.EventsAfter(t.Context(), b.scope, c.after, c.limit)
			wantNoErr(t, "EventsAfter", err)
			if !slices.Equal(eventIDs(got), eventIDs(c.want)) {
				t.Errorf("%s: EventsAfter(%d, %d) = %v, want %v", c.name, c.after, c.limit, eventIDs(got), eventIDs(c.want))
			}
		}
	})

	parallel(t, open, "HistoryAndStream", func(t *testing.T, b *bundle) {
		other := newScope(false)
		var all, ofP []*payment.Event
		for i := range 9 {
			pid := "pay_A"
			if i%3 == 2 {
				pid = "pay_B"
			}
			typ := "payment.updated"
			if i%2 == 0 {
				typ = "payment.created"
			}
			e := newEvent(b.scope, pid, typ, t0) // same created_at: order must come from seq
			all = append(all, e)
			if pid == "pay_A" {
				ofP = append(ofP, e)
			}
		}
		var noise []*payment.Event
		for _, s := range []store.Scope{other, otherMode(b.scope)} {
			noise = append(noise, newEvent(s, "pay_A", "payment.created", t0))
		}
		insertEvents(t, b.st, all[:4]...)
		insertEvents(t, b.st, noise...)
		insertEvents(t, b.st, all[4:]...)

		newestFirst := slices.Clone(all)
		slices.Reverse(newestFirst)

		for _, c := range []struct {
			name string
			f    store.EventFilter
			want []*payment.Event
		}{
			{"HistoryOldestFirst", store.EventFilter{PaymentID: "pay_A"}, ofP},
			{"StreamNewestFirst", store.EventFilter{}, newestFirst},
			{"StreamByType", store.EventFilter{Type: "payment.created"}, filterEvents(newestFirst, "payment.created")},
			{"HistoryByType", store.EventFilter{PaymentID: "pay_A", Type: "payment.updated"}, filterEvents(ofP, "payment.updated")},
		} {
			for _, limit := range []int{2, 100} {
				t.Run(fmt.Sprintf("%s/limit%d", c.name, limit), func(t *testing.T) {
					var walked []*payment.Event
					f := c.f
					f.Limit = limit
					for page := 0; page < 20; page++ {
						got, more, err := b.st.ListEvents(t.Context(), b.scope, f)
						wantNoErr(t, "ListEvents", err)
						walked = append(walked, got...)
						if !more {
							break
						}
						f.StartingAfter = got[len(got)-1].ID
					}
					if !slices.Equal(eventIDs(walked), eventIDs(c.want)) {
						t.Errorf("ListEvents(%+v) walked %v, want %v", c.f, eventIDs(walked), eventIDs(c.want))
					}
				})
			}
		}

		_, _, err := b.st.ListEvents(t.Context(), b.scope, store.EventFilter{StartingAfter: noise[0].ID})
		var pe *payment.Error
		if !errors.As(err, &pe) || pe.Param != "starting_after" {
			t.Errorf("ListEvents(starting_after = another merchant's event) = %v, want a *payment.Error with param starting_after", err)
		}
	})
}

func filterEvents(es []*payment.Event, typ string) []*payment.Event {
	var out []*payment.Event
	for _, e := range es {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}
