package adyen

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// webhookConnector is a connector holding hmacKey for merchant account TestMerchant.
func webhookConnector(t testing.TB, hmacKey string, live bool) *connector {
	t.Helper()
	creds := map[string]string{CredAPIKey: testAPIKey, CredMerchantAccount: testMerchant}
	if hmacKey != "" {
		creds[CredHMACKey] = hmacKey
	}
	if live {
		creds[CredLiveURLPrefix] = "abc123-Paymux"
	}
	c, err := newConnector(provider.Connection{ID: "conn_wh", Livemode: live, Provider: Name, Credentials: creds}, Options{}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func notificationBody(live string, items ...map[string]any) []byte {
	wrapped := make([]any, len(items))
	for i, it := range items {
		wrapped[i] = map[string]any{"NotificationRequestItem": it}
	}
	b, _ := json.Marshal(map[string]any{"live": live, "notificationItems": wrapped})
	return b
}

// vectorItem is the notification item of Adyen's published HMAC test vector.
func vectorItem(signature string) map[string]any {
	return map[string]any{
		"additionalData":      map[string]any{"hmacSignature": signature},
		"amount":              map[string]any{"value": 1130, "currency": "EUR"},
		"pspReference":        "7914073381342284",
		"eventCode":           "AUTHORISATION",
		"eventDate":           "2019-05-06T17:15:34.121+02:00",
		"merchantAccountCode": "TestMerchant",
		"operations":          []string{"CANCEL", "CAPTURE", "REFUND"},
		"merchantReference":   "TestPayment-1407325143704",
		"paymentMethod":       "visa",
		"success":             "true",
	}
}

const vectorSignature = "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="

// TestHMACTestVectors checks the signing string and signature against the test
// vectors Adyen publishes with its API libraries, including a colon and backslashes
// inside merchantReference, which Adyen does not escape.
func TestHMACTestVectors(t *testing.T) {
	t.Parallel()
	const slashKey = "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174"
	tests := []struct {
		name, key, psp, merchant, ref, signature, signing string
	}{
		{"published AUTHORISATION vector", testHMACKey, "7914073381342284", "TestMerchant", "TestPayment-1407325143704", vectorSignature,
			"7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true"},
		{"colon in merchantReference", slashKey, "M8NB66SBZSGLNK82", "AntoniStroinski", ":slashes are fun", "2EQYm7YJpKO4EtHSPu55SQTyWf8dkW5u2nD1tJFpViA=", ""},
		{"backslashes and slashes", slashKey, "ZVWN7D3WSMK2WN82", "AntoniStroinski", `\:/\/slashes are fun`, "CZErGCNQaSsxbaQfZaJlakqo7KPP+mIa8a+wx3yNs9A=", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			value := 1000
			if tc.key == testHMACKey {
				value = 1130
			}
			item := map[string]any{"additionalData": map[string]any{"hmacSignature": tc.signature}, "amount": map[string]any{"value": value, "currency": "EUR"},
				"pspReference": tc.psp, "eventCode": "AUTHORISATION", "merchantAccountCode": tc.merchant, "merchantReference": tc.ref,
				"paymentMethod": "visa", "success": "true", "reason": "039404:1111:03/2030"}
			b, _ := json.Marshal(item)
			var it notificationItem
			if err := json.Unmarshal(b, &it); err != nil {
				t.Fatal(err)
			}
			if tc.signing != "" && it.signingString() != tc.signing {
				t.Fatalf("signing string = %q, want %q", it.signingString(), tc.signing)
			}
			key, _ := parseHMACKey(tc.key)
			if !verifyItem(key, &it) {
				t.Fatal("Adyen's signature does not verify")
			}
			// SignNotification computes the same signature.
			body := notificationBody("false", item)
			delete(item["additionalData"].(map[string]any), "hmacSignature")
			signed, err := SignNotification(tc.key, notificationBody("false", item))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(signed), tc.signature) {
				t.Fatalf("SignNotification = %s, want signature %s", signed, tc.signature)
			}
			// And the connector accepts the delivery.
			c := webhookConnector(t, tc.key, false)
			c.cfg.merchantAccount = tc.merchant
			if _, err := c.ParseWebhook(context.Background(), provider.WebhookRequest{Body: body}); err != nil {
				t.Fatalf("ParseWebhook: %v", err)
			}
		})
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	good := vectorItem(vectorSignature)
	tamper := func(k string, v any) map[string]any {
		it := vectorItem(vectorSignature)
		it[k] = v
		return it
	}
	otherKey := strings.Repeat("AB", 32)
	forged, _ := SignNotification(otherKey, notificationBody("false", vectorItem("")))
	tests := []struct {
		name string
		key  string
		body []byte
		ok   bool
	}{
		{name: "valid", key: testHMACKey, body: notificationBody("false", good), ok: true},
		{name: "forged with another key", key: testHMACKey, body: forged},
		{name: "amount changed after signing", key: testHMACKey, body: notificationBody("false", tamper("amount", map[string]any{"value": 1, "currency": "EUR"}))},
		{name: "success flipped", key: testHMACKey, body: notificationBody("false", tamper("success", "false"))},
		{name: "merchantReference changed", key: testHMACKey, body: notificationBody("false", tamper("merchantReference", "pay_other"))},
		{name: "eventCode changed", key: testHMACKey, body: notificationBody("false", tamper("eventCode", "REFUND"))},
		{name: "originalReference added", key: testHMACKey, body: notificationBody("false", tamper("originalReference", "1234"))},
		{name: "no signature", key: testHMACKey, body: notificationBody("false", tamper("additionalData", map[string]any{}))},
		{name: "no additionalData", key: testHMACKey, body: notificationBody("false", tamper("additionalData", nil))},
		{name: "signature not base64", key: testHMACKey, body: notificationBody("false", tamper("additionalData", map[string]any{"hmacSignature": "not base64!"}))},
		{name: "signature truncated", key: testHMACKey, body: notificationBody("false", tamper("additionalData", map[string]any{"hmacSignature": vectorSignature[:20]}))},
		{name: "one bad item spoils the batch", key: testHMACKey, body: notificationBody("false", good, tamper("pspReference", "7914073381342285"))},
		{name: "item without NotificationRequestItem", key: testHMACKey, body: []byte(`{"live":"false","notificationItems":[{}]}`)},
		{name: "connection without hmac_key", key: "", body: notificationBody("false", good)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := webhookConnector(t, tc.key, false)
			events, err := c.ParseWebhook(context.Background(), provider.WebhookRequest{Body: tc.body})
			if tc.ok {
				if err != nil || len(events) != 1 {
					t.Fatalf("ParseWebhook = %v, %v", events, err)
				}
				return
			}
			if !errors.Is(err, provider.ErrBadSignature) || events != nil {
				t.Fatalf("ParseWebhook = %v, %v; want ErrBadSignature", events, err)
			}
			if strings.Contains(err.Error(), testHMACKey) {
				t.Errorf("error echoes the key: %v", err)
			}
		})
	}
}

// signedBody builds a notification from items and signs it with the test key.
func signedBody(t *testing.T, live string, items ...map[string]any) []byte {
	t.Helper()
	b, err := SignNotification(testHMACKey, notificationBody(live, items...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhookModeAndPayloadChecks(t *testing.T) {
	t.Parallel()
	item := func(kv ...any) map[string]any {
		it := map[string]any{"pspReference": "PSP0000000000001", "merchantAccountCode": testMerchant, "merchantReference": "pay_1",
			"eventCode": "AUTHORISATION", "success": "true", "amount": map[string]any{"value": 1000, "currency": "EUR"}}
		for i := 0; i+1 < len(kv); i += 2 {
			it[kv[i].(string)] = kv[i+1]
		}
		return it
	}
	tests := []struct {
		name string
		live bool
		body func(t *testing.T) []byte
	}{
		{"test notification to a live connection", true, func(t *testing.T) []byte { return signedBody(t, "false", item()) }},
		{"live notification to a test connection", false, func(t *testing.T) []byte { return signedBody(t, "true", item()) }},
		{"live flag missing", false, func(t *testing.T) []byte { return signedBody(t, "", item()) }},
		{"not JSON", false, func(*testing.T) []byte { return []byte("not json") }},
		{"no items", false, func(*testing.T) []byte { return []byte(`{"live":"false","notificationItems":[]}`) }},
		{"item without pspReference", false, func(t *testing.T) []byte { return signedBody(t, "false", item("pspReference", "")) }},
		{"success neither true nor false", false, func(t *testing.T) []byte { return signedBody(t, "false", item("success", "maybe")) }},
		{"amount not an integer", false, func(t *testing.T) []byte {
			return signedBody(t, "false", item("amount", map[string]any{"value": "ten", "currency": "EUR"},
				"additionalData", map[string]any{"metadata.paymux_capture": "automatic"}))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := webhookConnector(t, testHMACKey, tc.live)
			events, err := c.ParseWebhook(context.Background(), provider.WebhookRequest{Body: tc.body(t)})
			if err == nil || errors.Is(err, provider.ErrBadSignature) || events != nil {
				t.Fatalf("ParseWebhook = %v, %v; want a payload error", events, err)
			}
		})
	}
	// A live notification to a live connection is fine.
	c := webhookConnector(t, testHMACKey, true)
	if evs, err := c.ParseWebhook(context.Background(), provider.WebhookRequest{Body: signedBody(t, "true", item())}); err != nil || len(evs) != 1 {
		t.Fatalf("live to live = %v, %v", evs, err)
	}
}

func TestWebhookTranslation(t *testing.T) {
	t.Parallel()
	const pay, psp, mod = "pay_9", "PSP0000000000009", "MOD0000000000009"
	base := func(code, success string, kv ...any) map[string]any {
		it := map[string]any{"pspReference": psp, "merchantAccountCode": testMerchant, "merchantReference": pay,
			"eventCode": code, "success": success, "amount": map[string]any{"value": 1000, "currency": "EUR"},
			"eventDate": "2026-11-24T12:00:00+01:00", "paymentMethod": "visa", "reason": ""}
		for i := 0; i+1 < len(kv); i += 2 {
			it[kv[i].(string)] = kv[i+1]
		}
		return it
	}
	modification := func(code, success, ref string, kv ...any) map[string]any {
		return base(code, success, append([]any{"pspReference", mod, "originalReference", psp, "merchantReference", ref}, kv...)...)
	}
	payNews := func(id, paymentID string, o payment.Outcome) []provider.WebhookEvent {
		o.ProviderReference = psp
		return []provider.WebhookEvent{{ID: id, PaymentID: paymentID, ProviderReference: psp, Payment: &o}}
	}
	refundNews := func(id, paymentID, refundID string, state payment.RefundState, code, msg string) []provider.WebhookEvent {
		return []provider.WebhookEvent{{ID: id, PaymentID: paymentID, ProviderReference: psp, RefundID: refundID,
			Refund: &provider.RefundResult{State: state, ProviderReference: mod, FailureCode: code, FailureMessage: msg}}}
	}
	ack := func(id, paymentID string) []provider.WebhookEvent {
		return []provider.WebhookEvent{{ID: id, PaymentID: paymentID, ProviderReference: psp}}
	}
	captureFailure := func(id, paymentID, msg string) []provider.WebhookEvent {
		return []provider.WebhookEvent{{ID: id, PaymentID: paymentID, ProviderReference: psp,
			CaptureFailure: &provider.Failure{Code: "capture_failed", Message: msg}}}
	}
	tests := []struct {
		name  string
		items []map[string]any
		want  []provider.WebhookEvent
	}{
		{"authorised, automatic capture", []map[string]any{base("AUTHORISATION", "true",
			"additionalData", map[string]any{"metadata.paymux_capture": "automatic", "cardSummary": "1111"})},
			payNews(psp+":AUTHORISATION:true", pay, payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1000,
				PaymentMethodType: "card", CardBrand: "visa", CardLast4: "1111"})},
		{"authorised in ISK converts the amount", []map[string]any{base("AUTHORISATION", "true", "amount", map[string]any{"value": 500, "currency": "ISK"},
			"additionalData", map[string]any{"metadata.paymux_capture": "automatic"})},
			payNews(psp+":AUTHORISATION:true", pay, payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 5,
				PaymentMethodType: "card", CardBrand: "visa"})},
		{"authorised, manual capture", []map[string]any{base("AUTHORISATION", "true", "paymentMethod", "mc",
			"additionalData", map[string]any{"metadata.paymux_capture": "manual"})},
			payNews(psp+":AUTHORISATION:true", pay, payment.Outcome{Status: payment.StatusRequiresCapture, PaymentMethodType: "card", CardBrand: "mastercard"})},
		{"authorised without paymux metadata is requires_capture", []map[string]any{base("AUTHORISATION", "true", "paymentMethod", "ideal")},
			payNews(psp+":AUTHORISATION:true", pay, payment.Outcome{Status: payment.StatusRequiresCapture, PaymentMethodType: "ideal"})},
		{"authorised Apple Pay", []map[string]any{base("AUTHORISATION", "true", "paymentMethod", "visa",
			"additionalData", map[string]any{"metadata.paymux_capture": "automatic", "paymentMethodVariant": "visa_applepay", "cardSummary": "4242"})},
			payNews(psp+":AUTHORISATION:true", pay, payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1000,
				PaymentMethodType: "apple_pay", CardBrand: "visa", CardLast4: "4242"})},
		{"refused", []map[string]any{base("AUTHORISATION", "false", "reason", "Not enough balance")},
			payNews(psp+":AUTHORISATION:false", pay, payment.Outcome{Status: payment.StatusFailed, FailureCode: "insufficient_funds",
				FailureMessage: "Adyen refused the payment: Not enough balance.", PaymentMethodType: "card", CardBrand: "visa"})},
		{"refused with the raw issuer code", []map[string]any{base("AUTHORISATION", "false", "reason", "Refused",
			"additionalData", map[string]any{"refusalReasonRaw": "51 : Insufficient funds"})},
			payNews(psp+":AUTHORISATION:false", pay, payment.Outcome{Status: payment.StatusFailed, FailureCode: "insufficient_funds",
				FailureMessage: "Adyen refused the payment: Refused.", PaymentMethodType: "card", CardBrand: "visa"})},
		{"capture", []map[string]any{modification("CAPTURE", "true", pay, "amount", map[string]any{"value": 600, "currency": "EUR"})},
			payNews(mod+":CAPTURE:true", pay, payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 600})},
		{"capture made in the Customer Area", []map[string]any{modification("CAPTURE", "true", "ops-capture-1")},
			payNews(mod+":CAPTURE:true", "", payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1000})},
		{"capture failed", []map[string]any{modification("CAPTURE_FAILED", "true", pay, "reason", "Capture Failed")},
			captureFailure(mod+":CAPTURE_FAILED:true", pay, "Adyen could not capture the payment: Capture Failed.")},
		{"capture with success false", []map[string]any{modification("CAPTURE", "false", pay)},
			captureFailure(mod+":CAPTURE:false", pay, "Adyen could not capture the payment.")},
		{"cancellation", []map[string]any{modification("CANCELLATION", "true", pay)},
			payNews(mod+":CANCELLATION:true", pay, payment.Outcome{Status: payment.StatusCanceled})},
		{"cancellation refused", []map[string]any{modification("CANCELLATION", "false", pay)}, ack(mod+":CANCELLATION:false", pay)},
		{"refund", []map[string]any{modification("REFUND", "true", "re_9", "additionalData", map[string]any{"originalMerchantReference": pay})},
			refundNews(mod+":REFUND:true", pay, "re_9", payment.RefundSucceeded, "", "")},
		{"refund without originalMerchantReference", []map[string]any{modification("REFUND", "true", "re_9")},
			refundNews(mod+":REFUND:true", "", "re_9", payment.RefundSucceeded, "", "")},
		{"refund refused", []map[string]any{modification("REFUND", "false", "re_9", "reason", "Insufficient balance on payment")},
			refundNews(mod+":REFUND:false", "", "re_9", payment.RefundFailed, "refund_refused", "Adyen refused the refund: Insufficient balance on payment.")},
		{"refund failed later", []map[string]any{modification("REFUND_FAILED", "true", "re_9", "reason", "Refund Failed")},
			refundNews(mod+":REFUND_FAILED:true", "", "re_9", payment.RefundFailed, "refund_failed", "The refund failed after Adyen accepted it: Refund Failed.")},
		{"cancel or refund: cancel", []map[string]any{modification("CANCEL_OR_REFUND", "true", pay, "additionalData", map[string]any{"modification.action": "cancel"})},
			payNews(mod+":CANCEL_OR_REFUND:true", pay, payment.Outcome{Status: payment.StatusCanceled})},
		{"cancel or refund: refund", []map[string]any{modification("CANCEL_OR_REFUND", "true", "re_9", "additionalData", map[string]any{"modification.action": "refund"})},
			refundNews(mod+":CANCEL_OR_REFUND:true", "", "re_9", payment.RefundSucceeded, "", "")},
		{"cancel or refund without action", []map[string]any{modification("CANCEL_OR_REFUND", "true", pay)}, ack(mod+":CANCEL_OR_REFUND:true", pay)},
		{"offer closed", []map[string]any{base("OFFER_CLOSED", "true", "paymentMethod", "ideal")},
			payNews(psp+":OFFER_CLOSED:true", pay, payment.Outcome{Status: payment.StatusFailed, FailureCode: "payment_expired",
				FailureMessage: "The shopper did not complete the payment in time."})},
		{"authorisation expired", []map[string]any{base("EXPIRE", "true")},
			payNews(psp+":EXPIRE:true", pay, payment.Outcome{Status: payment.StatusExpired})},
		{"unknown event code is acknowledged", []map[string]any{base("REPORT_AVAILABLE", "true")}, nil},
		{"chargeback is acknowledged", []map[string]any{modification("CHARGEBACK", "true", pay)}, nil},
		{"another merchant account is ignored", []map[string]any{base("AUTHORISATION", "true", "merchantAccountCode", "OtherMerchant")}, nil},
		{"a batch yields one event per item", []map[string]any{
			base("AUTHORISATION", "true", "additionalData", map[string]any{"metadata.paymux_capture": "manual"}),
			modification("CAPTURE", "true", pay)},
			append(payNews(psp+":AUTHORISATION:true", pay, payment.Outcome{Status: payment.StatusRequiresCapture, PaymentMethodType: "card", CardBrand: "visa"}),
				payNews(mod+":CAPTURE:true", pay, payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: 1000})...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := webhookConnector(t, testHMACKey, false).ParseWebhook(context.Background(),
				provider.WebhookRequest{Body: signedBody(t, "false", tc.items...)})
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

// TestWebhookRedelivery: the same notification twice yields the same event ids, so
// the engine records it once.
func TestWebhookRedelivery(t *testing.T) {
	t.Parallel()
	c := webhookConnector(t, testHMACKey, false)
	body := notificationBody("false", vectorItem(vectorSignature))
	c.cfg.merchantAccount = "TestMerchant"
	a, err1 := c.ParseWebhook(context.Background(), provider.WebhookRequest{Body: body})
	b, err2 := c.ParseWebhook(context.Background(), provider.WebhookRequest{Body: body})
	if err1 != nil || err2 != nil || len(a) != 1 || a[0].ID != b[0].ID || a[0].ID != "7914073381342284:AUTHORISATION:true" {
		t.Fatalf("redelivery = %v, %v / %v, %v", a, err1, b, err2)
	}
}

func TestWebhookEventCodes(t *testing.T) {
	t.Parallel()
	want := []string{"AUTHORISATION", "CANCELLATION", "CANCEL_OR_REFUND", "CAPTURE", "CAPTURE_FAILED", "EXPIRE", "OFFER_CLOSED", "REFUND", "REFUND_FAILED"}
	if got := WebhookEventCodes(); !reflect.DeepEqual(got, want) {
		t.Fatalf("WebhookEventCodes = %v, want %v", got, want)
	}
	if NotificationResponse != "[accepted]" {
		t.Fatalf("NotificationResponse = %q", NotificationResponse)
	}
}

// resignAsParsed signs every item of body as ParseWebhook reads it (decoded into
// the same structs, then encoded again), so that the fuzzer can produce correctly
// signed notifications of any shape. ok is false when body is not a notification
// whose every item can be signed.
func resignAsParsed(key, body []byte) (_ []byte, ok bool) {
	var n notification
	if json.Unmarshal(body, &n) != nil || len(n.Items) == 0 {
		return body, false
	}
	for _, w := range n.Items {
		if w.Item == nil {
			return body, false
		}
		if w.Item.AdditionalData == nil {
			w.Item.AdditionalData = map[string]flexString{}
		}
		w.Item.AdditionalData["hmacSignature"] = flexString(base64.StdEncoding.EncodeToString(notificationMAC(key, w.Item)))
	}
	b, err := json.Marshal(n)
	if err != nil {
		return body, false
	}
	return b, true
}

// FuzzParseWebhook: whatever the body, ParseWebhook does not panic; whatever it
// accepts was signed with the connection's key item by item; a body re-signed with
// the key is never refused for its signature; and what it yields is well-formed.
// Seeds are in testdata/fuzz/FuzzParseWebhook.
func FuzzParseWebhook(f *testing.F) {
	f.Add(notificationBody("false", vectorItem(vectorSignature)), false)
	f.Add(notificationBody("false", vectorItem("")), true)
	c := webhookConnector(f, testHMACKey, false)
	c.cfg.merchantAccount = "TestMerchant"
	key, _ := parseHMACKey(testHMACKey)
	f.Fuzz(func(t *testing.T, body []byte, resign bool) {
		if resign {
			body, resign = resignAsParsed(key, body)
		}
		events, err := c.ParseWebhook(context.Background(), provider.WebhookRequest{Body: body})
		if resign && errors.Is(err, provider.ErrBadSignature) {
			t.Fatalf("a re-signed body was refused: %v\n%s", err, body)
		}
		if err != nil {
			if events != nil {
				t.Fatalf("events with an error: %v", events)
			}
			return
		}
		var n notification
		if jerr := json.Unmarshal(body, &n); jerr != nil || len(n.Items) == 0 {
			t.Fatalf("accepted a body that is not a notification: %q", body)
		}
		ids := map[string]bool{}
		for _, w := range n.Items {
			if w.Item == nil || !verifyItem(key, w.Item) {
				t.Fatalf("accepted an item without a valid signature: %q", body)
			}
			ids[w.Item.PSPReference+":"+w.Item.EventCode+":true"] = true
			ids[w.Item.PSPReference+":"+w.Item.EventCode+":false"] = true
		}
		for _, e := range events {
			if !ids[e.ID] {
				t.Fatalf("event id %q not derived from an item", e.ID)
			}
			if e.Payment != nil && (!e.Payment.Status.Valid() || e.ProviderReference == "" || e.Payment.ProviderReference != e.ProviderReference) {
				t.Fatalf("malformed payment news: %+v / %+v", e, e.Payment)
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
