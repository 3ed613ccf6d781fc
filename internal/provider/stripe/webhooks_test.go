package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

var webhookNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// webhookConnector is a test-mode connector whose clock reads webhookNow.
func webhookConnector(t testing.TB, secret string, live bool) provider.Connector {
	t.Helper()
	key := "sk_test_webhooks"
	if live {
		key = "sk_live_webhooks"
	}
	creds := map[string]string{CredSecretKey: key}
	if secret != "" {
		creds[CredWebhookSecret] = secret
	}
	c, err := Registration(Options{Now: func() time.Time { return webhookNow }}).New(
		provider.Connection{ID: "conn_wh", Livemode: live, Provider: Name, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signed(body []byte, header string) provider.WebhookRequest {
	h := http.Header{}
	if header != "" {
		h.Set(SignatureHeader, header)
	}
	return provider.WebhookRequest{Header: h, Body: body}
}

const intentSucceeded = `{"id":"evt_1","object":"event","type":"payment_intent.succeeded","livemode":false,"created":1795000000,
"data":{"object":{"id":"pi_1","object":"payment_intent","status":"succeeded","amount":1000,"amount_received":1000,"currency":"eur",
"latest_charge":"ch_1","payment_method":"pm_1","metadata":{"paymux_payment_id":"pay_1"}}}}`

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	body := []byte(intentSucceeded)
	good := SignWebhook(testWebhookSecret, body, webhookNow)
	forged := SignWebhook("whsec_someone_else", body, webhookNow)
	sig := func(h string) string { _, v, _ := strings.Cut(h, ",v1="); return v }
	ts := func(d time.Duration) string { return "t=" + itoa(webhookNow.Add(d).Unix()) }
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		ok     bool
	}{
		{name: "valid", secret: testWebhookSecret, header: good, body: body, ok: true},
		{name: "valid with a v0 and spaces", secret: testWebhookSecret, header: ts(0) + ", v0=deadbeef, v1=" + sig(good), body: body, ok: true},
		{name: "multiple v1, the second matches (secret roll)", secret: testWebhookSecret,
			header: ts(0) + ",v1=" + sig(forged) + ",v1=" + sig(good), body: body, ok: true},
		{name: "multiple v1, the first matches", secret: testWebhookSecret,
			header: ts(0) + ",v1=" + sig(good) + ",v1=" + sig(forged), body: body, ok: true},
		{name: "forged with another secret", secret: testWebhookSecret, header: forged, body: body},
		{name: "body changed after signing", secret: testWebhookSecret, header: good, body: []byte(strings.Replace(intentSucceeded, "1000", "1", 1))},
		{name: "timestamp changed after signing", secret: testWebhookSecret, header: ts(time.Second) + ",v1=" + sig(good), body: body},
		{name: "stale: signed 301 s ago", secret: testWebhookSecret, header: SignWebhook(testWebhookSecret, body, webhookNow.Add(-301*time.Second)), body: body},
		{name: "just within tolerance", secret: testWebhookSecret, header: SignWebhook(testWebhookSecret, body, webhookNow.Add(-299*time.Second)), body: body, ok: true},
		{name: "from the future beyond tolerance", secret: testWebhookSecret, header: SignWebhook(testWebhookSecret, body, webhookNow.Add(10*time.Minute)), body: body},
		{name: "missing header", secret: testWebhookSecret, header: "", body: body},
		{name: "no timestamp", secret: testWebhookSecret, header: "v1=" + sig(good), body: body},
		{name: "no v1", secret: testWebhookSecret, header: ts(0) + ",v0=" + sig(good), body: body},
		{name: "v1 not hex", secret: testWebhookSecret, header: ts(0) + ",v1=zz" + sig(good)[2:], body: body},
		{name: "v1 truncated", secret: testWebhookSecret, header: ts(0) + ",v1=" + sig(good)[:62], body: body},
		{name: "connection without webhook secret", secret: "", header: good, body: body},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := webhookConnector(t, tc.secret, false)
			events, err := c.ParseWebhook(context.Background(), signed(tc.body, tc.header))
			if tc.ok {
				if err != nil || len(events) != 1 {
					t.Fatalf("ParseWebhook = %v, %v", events, err)
				}
				return
			}
			if !errors.Is(err, provider.ErrBadSignature) || events != nil {
				t.Fatalf("ParseWebhook = %v, %v; want ErrBadSignature", events, err)
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error echoes the secret: %v", err)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// stripeEvent builds a Stripe event around object.
func stripeEvent(id, typ string, object any) []byte {
	b, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "livemode": false,
		"created": webhookNow.Unix(), "api_version": APIVersion, "data": map[string]any{"object": object}})
	if err != nil {
		panic(err)
	}
	return b
}

func pi(status string, extra map[string]any) map[string]any {
	m := map[string]any{"id": "pi_9", "object": "payment_intent", "status": status, "amount": 1000, "currency": "eur",
		"amount_received": 0, "latest_charge": nil, "payment_method": "pm_9", "metadata": map[string]any{"paymux_payment_id": "pay_9"}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func refundObj(status, failure string, meta map[string]any) map[string]any {
	return map[string]any{"id": "re_9", "object": "refund", "amount": 300, "currency": "eur", "status": status,
		"failure_reason": failure, "payment_intent": "pi_9", "charge": "ch_9", "metadata": meta}
}

var paymuxRefund = map[string]any{"paymux_refund_id": "re_paymux9", "paymux_payment_id": "pay_9"}

func TestWebhookTranslation(t *testing.T) {
	t.Parallel()
	payNews := func(o payment.Outcome) []provider.WebhookEvent {
		o.ProviderReference = "pi_9"
		return []provider.WebhookEvent{{ID: "evt_9", PaymentID: "pay_9", ProviderReference: "pi_9", Payment: &o}}
	}
	refundNews := func(id string, state payment.RefundState, code, msg string) provider.WebhookEvent {
		return provider.WebhookEvent{ID: id, PaymentID: "pay_9", ProviderReference: "pi_9", RefundID: "re_paymux9",
			Refund: &provider.RefundResult{State: state, ProviderReference: "re_9", FailureCode: code, FailureMessage: msg}}
	}
	tests := []struct {
		name string
		typ  string
		obj  any
		want []provider.WebhookEvent
	}{
		{"succeeded", "payment_intent.succeeded", pi("succeeded", map[string]any{"amount_received": 1000}),
			payNews(payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1000})},
		{"partially captured", "payment_intent.succeeded", pi("succeeded", map[string]any{"amount_received": 600}),
			payNews(payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 600})},
		{"processing", "payment_intent.processing", pi("processing", nil),
			payNews(payment.Outcome{Status: payment.StatusProcessing})},
		{"requires_action with redirect", "payment_intent.requires_action", pi("requires_action", map[string]any{
			"next_action": map[string]any{"type": "redirect_to_url", "redirect_to_url": map[string]any{"url": "https://hooks.stripe.com/3d_secure_2/x", "return_url": "https://p.test/r"}}}),
			payNews(payment.Outcome{Status: payment.StatusRequiresAction, RedirectURL: "https://hooks.stripe.com/3d_secure_2/x"})},
		{"requires_action through Stripe.js with a hosted page", "payment_intent.requires_action", pi("requires_action", map[string]any{
			"next_action": map[string]any{"type": "use_stripe_sdk", "use_stripe_sdk": map[string]any{"type": "three_d_secure_redirect", "stripe_js": "https://hooks.stripe.com/redirect/authenticate/src_1"}}}),
			payNews(payment.Outcome{Status: payment.StatusRequiresAction, RedirectURL: "https://hooks.stripe.com/redirect/authenticate/src_1"})},
		{"payment_failed with decline code", "payment_intent.payment_failed", pi("requires_payment_method", map[string]any{
			"last_payment_error": map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "Your card has insufficient funds.",
				"payment_method": map[string]any{"id": "pm_9", "type": "card", "card": map[string]any{"brand": "visa", "last4": "9995"}}}}),
			payNews(payment.Outcome{Status: payment.StatusFailed, FailureCode: "insufficient_funds", FailureMessage: "Your card has insufficient funds.",
				PaymentMethodType: "card", CardBrand: "visa", CardLast4: "9995"})},
		{"payment_failed after 3-D Secure", "payment_intent.payment_failed", pi("requires_payment_method", map[string]any{
			"last_payment_error": map[string]any{"type": "invalid_request_error", "code": "payment_intent_authentication_failure", "message": "Authentication failed."}}),
			payNews(payment.Outcome{Status: payment.StatusFailed, FailureCode: "payment_intent_authentication_failure", FailureMessage: "Authentication failed."})},
		{"canceled", "payment_intent.canceled", pi("canceled", map[string]any{"cancellation_reason": "requested_by_customer"}),
			payNews(payment.Outcome{Status: payment.StatusCanceled})},
		{"amount_capturable_updated", "payment_intent.amount_capturable_updated", pi("requires_capture", map[string]any{"amount_capturable": 1000,
			"latest_charge": map[string]any{"id": "ch_9", "payment_method_details": map[string]any{"type": "card", "card": map[string]any{"brand": "amex", "last4": "0005", "wallet": map[string]any{"type": "apple_pay"}}}}}),
			payNews(payment.Outcome{Status: payment.StatusRequiresCapture, PaymentMethodType: "apple_pay", CardBrand: "amex", CardLast4: "0005"})},
		{"refund.updated succeeded", "refund.updated", refundObj("succeeded", "", paymuxRefund),
			[]provider.WebhookEvent{refundNews("evt_9", payment.RefundSucceeded, "", "")}},
		{"refund.updated pending", "refund.updated", refundObj("pending", "", paymuxRefund),
			[]provider.WebhookEvent{refundNews("evt_9", payment.RefundPending, "", "")}},
		{"refund.failed", "refund.failed", refundObj("failed", "expired_or_canceled_card", paymuxRefund),
			[]provider.WebhookEvent{refundNews("evt_9", payment.RefundFailed, "expired_or_canceled_card", "Stripe could not complete the refund (expired_or_canceled_card).")}},
		{"refund canceled", "refund.updated", refundObj("canceled", "", paymuxRefund),
			[]provider.WebhookEvent{refundNews("evt_9", payment.RefundFailed, "refund_canceled", "The refund was canceled at Stripe.")}},
		{"refund made in the Dashboard has no paymux id", "refund.created", refundObj("succeeded", "", map[string]any{}),
			[]provider.WebhookEvent{{ID: "evt_9", ProviderReference: "pi_9",
				Refund: &provider.RefundResult{State: payment.RefundSucceeded, ProviderReference: "re_9"}}}},
		{"charge.refunded with one refund", "charge.refunded", map[string]any{"id": "ch_9", "object": "charge", "payment_intent": "pi_9",
			"amount_refunded": 300, "refunds": map[string]any{"object": "list", "data": []any{refundObj("succeeded", "", paymuxRefund)}}},
			[]provider.WebhookEvent{refundNews("evt_9", payment.RefundSucceeded, "", "")}},
		{"charge.refunded with two refunds", "charge.refunded", map[string]any{"id": "ch_9", "object": "charge", "payment_intent": "pi_9",
			"refunds": map[string]any{"data": []any{refundObj("succeeded", "", paymuxRefund),
				map[string]any{"id": "re_8", "status": "pending", "metadata": map[string]any{"paymux_refund_id": "re_paymux8", "paymux_payment_id": "pay_9"}}}}},
			[]provider.WebhookEvent{refundNews("evt_9/re_9", payment.RefundSucceeded, "", ""),
				{ID: "evt_9/re_8", PaymentID: "pay_9", ProviderReference: "pi_9", RefundID: "re_paymux8",
					Refund: &provider.RefundResult{State: payment.RefundPending, ProviderReference: "re_8"}}}},
		{"charge.refunded without the list", "charge.refunded", map[string]any{"id": "ch_9", "object": "charge", "payment_intent": "pi_9", "amount_refunded": 300},
			[]provider.WebhookEvent{{ID: "evt_9", ProviderReference: "pi_9"}}},
		{"dispute created", "charge.dispute.created", map[string]any{"id": "dp_9", "object": "dispute",
			"amount": 1000, "currency": "eur", "reason": "fraudulent", "status": "needs_response", "payment_intent": "pi_9", "charge": "ch_9"},
			[]provider.WebhookEvent{{ID: "evt_9", ProviderReference: "pi_9", Dispute: &provider.Dispute{News: provider.DisputeCreated,
				Reference: "dp_9", Amount: 1000, Currency: "EUR", Reason: "fraudulent", Status: "needs_response"}}}},
		{"dispute closed, won, in a zero-decimal currency", "charge.dispute.closed", map[string]any{"id": "dp_8", "object": "dispute",
			"amount": 500, "currency": "jpy", "reason": "product_not_received", "status": "won", "payment_intent": map[string]any{"id": "pi_9"}},
			[]provider.WebhookEvent{{ID: "evt_9", ProviderReference: "pi_9", Dispute: &provider.Dispute{News: provider.DisputeClosed,
				Reference: "dp_8", Amount: 500, Currency: "JPY", Reason: "product_not_received", Status: "won"}}}},
		{"dispute updated", "charge.dispute.updated", map[string]any{"id": "dp_9", "object": "dispute",
			"amount": 1000, "currency": "eur", "reason": "fraudulent", "status": "under_review", "payment_intent": "pi_9"},
			[]provider.WebhookEvent{{ID: "evt_9", ProviderReference: "pi_9", Dispute: &provider.Dispute{News: provider.DisputeUpdated,
				Reference: "dp_9", Amount: 1000, Currency: "EUR", Reason: "fraudulent", Status: "under_review"}}}},
		{"unknown type is acknowledged", "customer.created", map[string]any{"id": "cus_9", "object": "customer"}, nil},
		{"payment_intent.created is not acted on", "payment_intent.created", pi("requires_payment_method", nil), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := stripeEvent("evt_9", tc.typ, tc.obj)
			got, err := webhookConnector(t, testWebhookSecret, false).ParseWebhook(context.Background(),
				signed(body, SignWebhook(testWebhookSecret, body, webhookNow)))
			if err != nil {
				t.Fatalf("ParseWebhook: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("events =\n %s\nwant\n %s", dump(got), dump(tc.want))
			}
		})
	}
}

func dump(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestWebhookRejectsBadPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body []byte
		live bool
	}{
		{"not JSON", []byte("not json"), false},
		{"no id", []byte(`{"type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}`), false},
		{"intent without id", stripeEvent("evt_1", "payment_intent.succeeded", map[string]any{"status": "succeeded"}), false},
		{"object of the wrong shape", stripeEvent("evt_1", "payment_intent.succeeded", []any{1, 2}), false},
		{"no data.object", []byte(`{"id":"evt_1","type":"refund.updated","livemode":false}`), false},
		{"test event to a live connection", stripeEvent("evt_1", "payment_intent.succeeded", pi("succeeded", nil)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := webhookConnector(t, testWebhookSecret, tc.live)
			events, err := c.ParseWebhook(context.Background(), signed(tc.body, SignWebhook(testWebhookSecret, tc.body, webhookNow)))
			if err == nil || errors.Is(err, provider.ErrBadSignature) || events != nil {
				t.Fatalf("ParseWebhook = %v, %v; want a payload error", events, err)
			}
		})
	}
}

func TestWebhookEventTypes(t *testing.T) {
	t.Parallel()
	got := WebhookEventTypes()
	for _, want := range []string{"payment_intent.succeeded", "payment_intent.processing", "payment_intent.requires_action",
		"payment_intent.payment_failed", "payment_intent.canceled", "payment_intent.amount_capturable_updated",
		"charge.refunded", "refund.updated", "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("WebhookEventTypes lacks %s", want)
		}
	}
}

// FuzzParseWebhook: whatever the body and header, ParseWebhook does not panic; an
// unsigned delivery is always ErrBadSignature; a correctly signed one is never, and
// what it yields is well-formed. Seeds are in testdata/fuzz/FuzzParseWebhook.
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(intentSucceeded), "", true)
	c := webhookConnector(f, testWebhookSecret, false)
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		if sign {
			header = SignWebhook(testWebhookSecret, body, webhookNow)
		}
		events, err := c.ParseWebhook(context.Background(), signed(body, header))
		if !sign {
			if !errors.Is(err, provider.ErrBadSignature) || events != nil {
				t.Fatalf("unsigned delivery accepted: %v, %v", events, err)
			}
			return
		}
		if errors.Is(err, provider.ErrBadSignature) {
			t.Fatalf("signed delivery refused: %v", err)
		}
		if err != nil {
			if events != nil {
				t.Fatalf("events with an error: %v", events)
			}
			return
		}
		var ev struct {
			ID string `json:"id"`
		}
		if jerr := json.Unmarshal(body, &ev); jerr != nil || ev.ID == "" {
			t.Fatalf("accepted a body without an event id: %q", body)
		}
		for _, e := range events {
			if e.ID != ev.ID && !strings.HasPrefix(e.ID, ev.ID+"/") {
				t.Fatalf("event id %q not derived from %q", e.ID, ev.ID)
			}
			if e.Payment != nil && (!e.Payment.Status.Valid() || e.ProviderReference == "") {
				t.Fatalf("malformed payment news: %+v", e)
			}
			if e.Refund != nil {
				switch e.Refund.State {
				case payment.RefundPending, payment.RefundSucceeded, payment.RefundFailed:
				default:
					t.Fatalf("refund state %q", e.Refund.State)
				}
			}
		}
	})
}
