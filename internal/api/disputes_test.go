package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

// A chargeback reported by the provider shows in the payment's history as
// dispute.created, reaches the merchant's webhooks, and leaves the payment as it was.
func TestDisputeRecordedOnThePayment(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		rcv := newHookReceiver(t, nil)
		newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"dispute.created"}})
		id := str(createPayment(t, env, `{"amount":2500,"currency":"EUR"}`), "id")
		if p := confirm(t, env, id, "pm_card_createDispute"); str(p, "status") != "succeeded" {
			t.Fatalf("confirm: %v", p)
		}
		reqs := rcv.waitFor("the dispute webhook", 20*time.Second, func(r []hookRequest) bool { return len(r) > 0 })
		var ev struct {
			Type, PaymentID string
			FromStatus      string `json:"from_status"`
			ToStatus        string `json:"to_status"`
			Actor           struct{ Type, ID string }
			Data            struct {
				Object struct {
					ID, Object, PaymentID, Provider, Currency, Reason, Status string
					Amount                                                    int64
				}
			}
		}
		if err := json.Unmarshal(reqs[0].Body, &ev); err != nil {
			t.Fatal(err)
		}
		d := ev.Data.Object
		if ev.Type != "dispute.created" || reqs[0].PaymentID != id || ev.FromStatus != "succeeded" || ev.ToStatus != "succeeded" ||
			ev.Actor.Type != "provider" || d.Object != "dispute" || d.Amount != 2500 || d.Currency != "EUR" ||
			d.Reason != "fraudulent" || d.Status != "needs_response" || d.Provider != "sandbox" || d.ID == "" {
			t.Fatalf("dispute event %s", reqs[0].Body)
		}
		p := env.Secret("GET", "/v1/payments/"+id, nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(p, "status") != "succeeded" || num(p, "amount_captured") != 2500 || num(p, "amount_refunded") != 0 {
			t.Errorf("the payment changed: %v", p)
		}
		var types []string
		for _, e := range env.Secret("GET", "/v1/payments/"+id+"/events", nil).MustStatus(t, http.StatusOK).JSON(t)["data"].([]any) {
			types = append(types, str(e.(map[string]any), "type"))
		}
		if len(types) != 3 || types[2] != "dispute.created" {
			t.Errorf("history %v, want created, succeeded, dispute.created", types)
		}
	})
}
