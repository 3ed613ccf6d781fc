package adyen_test

import (
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/provider/adyen"
	"github.com/paymux/paymux/internal/provider/adyen/adyenfake"
	"github.com/paymux/paymux/internal/provider/providertest"
	"github.com/paymux/paymux/internal/testutil/apptest"
)

// kitHMACKey signs the fake's notifications (any 32-byte hex key).
const kitHMACKey = "8F3A1C5E7B9D2F4A6C8E0B1D3F5A7C9E2B4D6F8A0C1E3B5D7F9A2C4E6B8D0F1A"

func subject(postReturn bool) providertest.Subject {
	return providertest.Subject{
		Provider: adyen.Name,
		NewFake: func(t testing.TB, _ *apptest.Env) (providertest.Fake, string) {
			f := adyenfake.New(t, "PaymuxKitECOM", kitHMACKey)
			f.SetPostReturn(postReturn)
			return f, f.URL
		},
		Direct: "scheme:4111111111111111", Redirect: "scheme:4917610000000000", MethodType: "card", OtherMethod: "google_pay",
	}
}

// TestKit runs the connector test kit: paymux's own API end to end against the
// stateful Adyen, on both engines. Adyen has no status lookup: payments left
// processing settle by notification.
func TestKit(t *testing.T) {
	t.Parallel()
	providertest.Run(t, subject(false))
}

// TestKitPostReturn: the issuer sends the shopper back with a POST form (as 3-D
// Secure 1 and some methods do); paymux's POST /pay/{id}/return completes the
// payment from the posted redirectResult.
func TestKitPostReturn(t *testing.T) {
	t.Parallel()
	k := providertest.Start(t, subject(true), "sqlite")
	t.Run("automatic", k.AutomaticCapture)
	t.Run("manual", k.ManualCapture)
	t.Run("racing", k.RacingReturns)
}

// TestModificationFailuresByNotification: Adyen reports, after accepting them, a
// capture the card scheme rejected (CAPTURE_FAILED) and a refund the bank returned
// (REFUND_FAILED). The payment goes back to what is true: nothing captured and
// capturable again, or the refund failed and its amount refundable again; the
// failure is kept and each change is an event. A new capture then uses a new
// idempotency key, so Adyen takes it as a new request.
func TestModificationFailuresByNotification(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var f *adyenfake.Server
			s := subject(false)
			s.NewFake = func(t testing.TB, _ *apptest.Env) (providertest.Fake, string) {
				f = adyenfake.New(t, "PaymuxKitECOM", kitHMACKey)
				return f, f.URL
			}
			k := providertest.Start(t, s, engine)
			id := k.CreatePayment(t, "manual")
			if st := k.Back(t, id, k.Pay(t, id)); st != "requires_capture" {
				t.Fatalf("after the return: %s", st)
			}
			k.Settle(t, id, "authorised", func(p map[string]any) bool { return p["status"] == "requires_capture" })

			f.FailNextCapture("Capture rejected by card scheme because of a technical issue")
			p := k.Env.Secret("POST", "/v1/payments/"+id+"/capture", map[string]any{"amount": 600}).MustStatus(t, 200).JSON(t)
			if p["status"] != "succeeded" || p["amount_captured"] != float64(600) {
				t.Fatalf("capture answered: %v", p)
			}
			p = k.Settle(t, id, "back to requires_capture", func(p map[string]any) bool { return p["status"] == "requires_capture" })
			if p["amount_captured"] != float64(0) || p["amount_capturable"] != float64(600) || p["failure_code"] != "capture_failed" ||
				!strings.Contains(p["failure_message"].(string), "technical issue") {
				t.Fatalf("after CAPTURE_FAILED: %v", p)
			}
			k.WantEvents(t, id, "payment.created", "payment.requires_action", "payment.requires_capture", "payment.captured", "payment.capture_failed")
			ev := k.Env.Secret("GET", "/v1/payments/"+id+"/events?limit=100", nil).MustStatus(t, 200).JSON(t)["data"].([]any)
			last := ev[len(ev)-1].(map[string]any)
			if last["from_status"] != "succeeded" || last["to_status"] != "requires_capture" || last["actor"].(map[string]any)["type"] != "provider" {
				t.Fatalf("capture_failed event: %v", last)
			}

			// Captured again: a new request at Adyen, with its own idempotency key.
			p = k.Env.Secret("POST", "/v1/payments/"+id+"/capture", map[string]any{"amount": 600}).MustStatus(t, 200).JSON(t)
			if p["status"] != "succeeded" || p["amount_captured"] != float64(600) || p["failure_code"] != "" {
				t.Fatalf("second capture: %v", p)
			}
			caps := f.Requests("/payments/" + p["provider_reference"].(string) + "/captures")
			if len(caps) != 2 || caps[0].Header.Get("Idempotency-Key") == caps[1].Header.Get("Idempotency-Key") {
				t.Fatalf("%d capture requests; keys must differ", len(caps))
			}
			k.Settle(t, id, "captured", func(p map[string]any) bool { return p["amount_captured"] == float64(600) })

			// A refund that succeeded, then came back.
			r := k.Refund(t, id, 200)
			p = k.Get(t, id)
			if p["amount_refunded"] != float64(200) || p["refund_status"] != "partial" {
				t.Fatalf("after the refund: %v", p)
			}
			f.FailRefund(r["provider_reference"].(string), "Refund rejected by the issuer")
			p = k.Settle(t, id, "refund given back", func(p map[string]any) bool { return p["amount_refunded"] == float64(0) })
			if p["refund_status"] != "none" || p["status"] != "succeeded" || p["amount_captured"] != float64(600) {
				t.Fatalf("after REFUND_FAILED: %v", p)
			}
			r = k.Env.Secret("GET", "/v1/refunds/"+r["id"].(string), nil).MustStatus(t, 200).JSON(t)
			if r["status"] != "failed" || r["failure_code"] != "refund_failed" || !strings.Contains(r["failure_message"].(string), "rejected by the issuer") {
				t.Fatalf("refund after REFUND_FAILED: %v", r)
			}
			k.WantEvents(t, id, "payment.created", "payment.requires_action", "payment.requires_capture", "payment.captured",
				"payment.capture_failed", "payment.captured", "refund.created", "refund.succeeded", "refund.failed")
			// The refunded amount can be refunded again.
			k.Refund(t, id, 600)
		})
	}
}
