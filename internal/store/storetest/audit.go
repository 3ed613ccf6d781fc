package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func newAudit(s store.Scope, objectID, action string, at time.Time) *store.AuditEntry {
	return &store.AuditEntry{ID: payment.NewID("aud_"), MerchantID: s.MerchantID, Livemode: s.Livemode,
		Action: action, ObjectType: "provider_connection", ObjectID: objectID,
		Actor: payment.Actor{Type: payment.ActorAPIKey, ID: "key_1"}, RequestID: "req_1",
		Data: json.RawMessage(`{"before":null,"after":{"id":"` + objectID + `","note":"ünïcödé"}}`), CreatedAt: at}
}

func testAudit(t *testing.T, open Opener) {
	parallel(t, open, "AppendAndList", func(t *testing.T, b *bundle) {
		var mine []*store.AuditEntry
		for i := range 5 {
			obj := "conn_A"
			if i%2 == 1 {
				obj = "conn_B"
			}
			mine = append(mine, newAudit(b.scope, obj, fmt.Sprintf("provider_connection.v%d", i), t0))
		}
		noise := []*store.AuditEntry{newAudit(newScope(false), "conn_A", "x.created", t0), newAudit(otherMode(b.scope), "conn_A", "x.created", t0)}
		for _, batch := range [][]*store.AuditEntry{mine[:2], noise, mine[2:]} {
			write(t, b.st, func(ctx context.Context, tx store.Tx) error {
				for _, a := range batch {
					if err := tx.InsertAudit(ctx, a); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if mine[0].Seq <= 0 || mine[4].Seq <= mine[0].Seq {
			t.Errorf("InsertAudit set Seq %d … %d, want positive and increasing", mine[0].Seq, mine[4].Seq)
		}
		ids := func(as []*store.AuditEntry) []string {
			out := make([]string, len(as))
			for i, a := range as {
				out[i] = a.ID
			}
			return out
		}
		newest := slices.Clone(mine)
		slices.Reverse(newest)
		var ofA []*store.AuditEntry
		for _, a := range newest {
			if a.ObjectID == "conn_A" {
				ofA = append(ofA, a)
			}
		}
		for _, c := range []struct {
			name string
			f    store.AuditFilter
			want []*store.AuditEntry
		}{
			{"All", store.AuditFilter{}, newest},
			{"OneObject", store.AuditFilter{ObjectID: "conn_A"}, ofA},
		} {
			for _, limit := range []int{2, 100} {
				f := c.f
				f.Limit = limit
				var walked []*store.AuditEntry
				for range 10 {
					got, more, err := b.st.ListAudit(t.Context(), b.scope, f)
					wantNoErr(t, "ListAudit", err)
					walked = append(walked, got...)
					if !more {
						break
					}
					f.StartingAfter = got[len(got)-1].ID
				}
				if !slices.Equal(ids(walked), ids(c.want)) {
					t.Errorf("%s/limit%d: walked %v, want %v", c.name, limit, ids(walked), ids(c.want))
				}
			}
		}
		got, _, err := b.st.ListAudit(t.Context(), b.scope, store.AuditFilter{Limit: 1})
		wantNoErr(t, "ListAudit", err)
		checkSame(t, "ListAudit", got[0], mine[4])
		_, _, err = b.st.ListAudit(t.Context(), b.scope, store.AuditFilter{StartingAfter: noise[0].ID})
		if err == nil {
			t.Errorf("a cursor of another merchant's entry was accepted")
		}
	})
}
