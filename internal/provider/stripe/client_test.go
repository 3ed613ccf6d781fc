package stripe

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/stripe/stripefake"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

// Faults: how failures on the way to and from Stripe are retried and classified.

type faultFunc = func(n int, w http.ResponseWriter, r *http.Request, form url.Values) bool

// onRequests answers requests numbered in ns with h; others reach the fake.
func onRequests(h func(w http.ResponseWriter, r *http.Request), ns ...int) faultFunc {
	return func(n int, w http.ResponseWriter, r *http.Request, _ url.Values) bool {
		for _, x := range ns {
			if x == n || x == 0 {
				h(w, r)
				return true
			}
		}
		return false
	}
}

func status(code int, header map[string]string, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

const (
	body500 = `{"error":{"type":"api_error","message":"An unknown error occurred"}}`
	body429 = `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests hit the API too quickly."}}`
	body409 = `{"error":{"type":"idempotency_error","message":"There is currently another in-progress request using this Idempotent Key."}}`
)

func TestFaults(t *testing.T) {
	t.Parallel()
	authorize := func(ctx context.Context, c provider.Connector) error {
		_, err := c.Authorize(ctx, authReq("flt", "pm_card_visa", 1000, payment.CaptureAutomatic))
		return err
	}
	lookup := func(ctx context.Context, c provider.Connector) error {
		_, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_flt", ProviderReference: "pi_any"})
		return err
	}
	all := 0 // onRequests(…, all) faults every request
	tests := []struct {
		name          string
		fault         faultFunc
		resetAfterRun bool // execute the first POST, store its answer, then reset the connection
		call          func(context.Context, provider.Connector) error
		timeout       time.Duration
		wantErr       bool
		uncertain     bool
		temporary     bool
		code          string
		requests      int
		minGap        time.Duration // between the first two requests
	}{
		{name: "500 then success", fault: onRequests(status(500, nil, body500), 1), call: authorize, requests: 2},
		{name: "429 with Retry-After then success", fault: onRequests(status(429, map[string]string{"Retry-After": "1"}, body429), 1),
			call: authorize, requests: 2, minGap: 900 * time.Millisecond},
		{name: "409 then success", fault: onRequests(status(409, nil, body409), 1), call: authorize, requests: 2},
		{name: "Retry-After beyond the wait cap ends the call", fault: onRequests(status(429, map[string]string{"Retry-After": "60"}, body429), all),
			call: authorize, wantErr: true, temporary: true, code: "rate_limit", requests: 1},
		{name: "persistent 500 on a POST is uncertain", fault: onRequests(status(500, nil, body500), all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "api_error", requests: 3},
		{name: "Stripe-Should-Retry false is not retried", fault: onRequests(status(500, map[string]string{"Stripe-Should-Retry": "false"}, body500), all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, requests: 1},
		{name: "persistent 503 on a GET is only temporary", fault: onRequests(status(503, nil, body500), all),
			call: lookup, wantErr: true, temporary: true, requests: 3},
		{name: "malformed JSON success on a POST is uncertain", fault: onRequests(status(200, nil, `{"id":"pi_1","status":`), all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "invalid_response", requests: 1},
		{name: "malformed JSON success on a GET is temporary", fault: onRequests(status(200, nil, `<html>`), all),
			call: lookup, wantErr: true, temporary: true, code: "invalid_response", requests: 1},
		{name: "malformed error body is permanent", fault: onRequests(status(400, nil, `oops`), all),
			call: authorize, wantErr: true, code: "api_error", requests: 1},
		{name: "connection reset after the request was read", fault: onRequests(func(w http.ResponseWriter, r *http.Request) { fakepsp.ResetConn(w) }, all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "network_error", requests: 3},
		{name: "reset, then 409 while Stripe still works on it, is uncertain", fault: func(n int, w http.ResponseWriter, r *http.Request, _ url.Values) bool {
			if n == 1 {
				fakepsp.ResetConn(w)
			} else {
				status(409, nil, body409)(w, r)
			}
			return true
		}, call: authorize, wantErr: true, uncertain: true, temporary: true, code: "idempotency_error", requests: 3},
		{name: "reset, then a conclusive 400, is not uncertain", fault: func(n int, w http.ResponseWriter, r *http.Request, _ url.Values) bool {
			if n == 1 {
				fakepsp.ResetConn(w)
			} else {
				status(400, nil, `{"error":{"type":"invalid_request_error","code":"parameter_invalid_integer","message":"Invalid integer"}}`)(w, r)
			}
			return true
		}, call: authorize, wantErr: true, code: "parameter_invalid_integer", requests: 2},
		{name: "reset after Stripe acted, then the retry replays its answer", resetAfterRun: true, call: authorize, requests: 2},
		{name: "connection reset on a GET is not uncertain", fault: onRequests(func(w http.ResponseWriter, r *http.Request) { fakepsp.ResetConn(w) }, all),
			call: lookup, wantErr: true, temporary: true, code: "network_error", requests: 3},
		{name: "timeout after sending is uncertain", fault: onRequests(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, all), call: authorize, timeout: 300 * time.Millisecond, wantErr: true, uncertain: true, temporary: true, code: "timeout", requests: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := stripefake.New(t, APIVersion)
			f.SetFault(tc.fault)
			if tc.resetAfterRun {
				f.SetAfterExecute(func(n int, w http.ResponseWriter) bool {
					if n == 1 {
						fakepsp.ResetConn(w)
						return true
					}
					return false
				})
			}
			c := connect(t, f.URL, f.Key, testOptions())
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			err := tc.call(ctx, c)
			reqs := f.Requests("", "")
			if len(reqs) != tc.requests {
				t.Errorf("%d requests, want %d", len(reqs), tc.requests)
			}
			for _, r := range reqs[1:] {
				if r.Header.Get("Idempotency-Key") != reqs[0].Header.Get("Idempotency-Key") {
					t.Errorf("retry changed the Idempotency-Key: %q → %q", reqs[0].Header.Get("Idempotency-Key"), r.Header.Get("Idempotency-Key"))
				}
			}
			if tc.minGap > 0 && len(reqs) >= 2 {
				if gap := reqs[1].At.Sub(reqs[0].At); gap < tc.minGap {
					t.Errorf("retried after %s, want at least %s (Retry-After)", gap, tc.minGap)
				}
			}
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if n := f.IntentCount(); tc.call != nil && n != 1 && len(reqs) > 0 && reqs[0].Method == http.MethodPost {
					t.Errorf("Stripe holds %d intents, want 1", n)
				}
				return
			}
			pe := asProviderError(t, err)
			if pe.Uncertain != tc.uncertain || pe.Temporary != tc.temporary || (tc.code != "" && pe.Code != tc.code) {
				t.Fatalf("error = %+v (%v); want uncertain=%t temporary=%t code=%q", pe, pe, tc.uncertain, tc.temporary, tc.code)
			}
			if pe.Provider != Name || pe.Message == "" {
				t.Errorf("error lacks provider or message: %+v", pe)
			}
		})
	}
}

func TestConnectionRefusedIsNotUncertain(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := connect(t, "http://"+addr, "sk_test_refused", testOptions())
	_, err = c.Authorize(context.Background(), authReq("ref", "pm_card_visa", 1000, payment.CaptureAutomatic))
	pe := asProviderError(t, err)
	if pe.Uncertain || !pe.Temporary || pe.Code != "network_error" {
		t.Fatalf("error = %+v", pe)
	}
}

func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	t.Parallel()
	f := stripefake.New(t, APIVersion)
	var logs logBuffer
	opts := testOptions()
	opts.Logger = debugLogger(&logs)
	c := connect(t, f.URL, f.Key, opts)
	ctx := context.Background()
	if _, err := c.Authorize(ctx, authReq("log", "pm_card_visa", 1000, payment.CaptureAutomatic)); err != nil {
		t.Fatal(err)
	}
	f.SetFault(onRequests(status(500, nil, body500), 0))
	_, err := c.Authorize(ctx, authReq("log2", "pm_card_visa", 1000, payment.CaptureAutomatic))
	if err == nil {
		t.Fatal("want an error")
	}
	// A wrong key: Stripe's 401 must not echo it either.
	bad := connect(t, f.URL, "sk_test_wrong_secret_value", opts)
	_, err401 := bad.Status(ctx, provider.StatusRequest{PaymentID: "pay_x", ProviderReference: "pi_x"})
	if pe := asProviderError(t, err401); pe.Temporary || pe.Uncertain {
		t.Errorf("401 error = %+v", pe)
	}
	out := logs.String()
	if !strings.Contains(out, "stripe request") {
		t.Fatalf("no request log lines: %s", out)
	}
	for _, secret := range []string{f.Key, "sk_test_wrong_secret_value", testWebhookSecret, "pm_card_visa", "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
		for _, e := range []error{err, err401} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("error %q contains %q", e, secret)
			}
		}
	}
}

func TestIdempotencyKeyDerivation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 300)
	tests := []struct {
		op, key string
		check   func(string) bool
	}{
		{"authorize", "pay_1-authorize-1", func(k string) bool { return k == "paymux-authorize-pay_1-authorize-1" }},
		{"refund", "re_1", func(k string) bool { return k == "paymux-refund-re_1" }},
		{"capture", long, func(k string) bool {
			return len(k) <= 255 && strings.HasPrefix(k, "paymux-capture-") && k == idempotencyKey("capture", long)
		}},
		{"void", "", func(k string) bool { return strings.HasPrefix(k, "paymux-void-") && len(k) > len("paymux-void-") }},
	}
	for _, tc := range tests {
		if got := idempotencyKey(tc.op, tc.key); !tc.check(got) {
			t.Errorf("idempotencyKey(%q, %q) = %q", tc.op, tc.key, got)
		}
	}
	if idempotencyKey("authorize", "x") == idempotencyKey("capture", "x") {
		t.Error("operations share a key")
	}
}

func TestFormEncoding(t *testing.T) {
	t.Parallel()
	f := (&form{}).add("metadata[paymux_payment_id]", "pay_1").add("expand[]", "latest_charge").add("expand[]", "payment_method").
		addIf("description", "").add("return_url", "https://x.test/a?b=c&d=é")
	want := "metadata%5Bpaymux_payment_id%5D=pay_1&expand%5B%5D=latest_charge&expand%5B%5D=payment_method&return_url=https%3A%2F%2Fx.test%2Fa%3Fb%3Dc%26d%3D%C3%A9"
	if got := f.encode(); got != want {
		t.Fatalf("encode =\n %s\nwant\n %s", got, want)
	}
	v, err := url.ParseQuery(f.encode())
	if err != nil || v.Get("return_url") != "https://x.test/a?b=c&d=é" || len(v["expand[]"]) != 2 {
		t.Fatalf("round trip = %v, %v", v, err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		badKey    bool
		fault     faultFunc
		code      string // "" means accepted
		temporary bool
	}{
		{name: "key accepted"},
		{name: "wrong key", badKey: true, code: "authentication_failed"},
		{name: "restricted key without access", code: "permission_denied",
			fault: onRequests(status(403, nil, `{"error":{"type":"invalid_request_error","message":"The provided key 'rk_test_****1234' does not have the required permissions"}}`), 0)},
		{name: "Stripe unavailable", code: "api_error", temporary: true, fault: onRequests(status(503, nil, body500), 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := stripefake.New(t, APIVersion)
			f.SetFault(tc.fault)
			key := f.Key
			if tc.badKey {
				key = "sk_test_revoked_key_123456"
			}
			err := connect(t, f.URL, key, testOptions()).(*connector).Verify(context.Background())
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			pe := asProviderError(t, err)
			if pe.Code != tc.code || pe.Temporary != tc.temporary || pe.Uncertain || strings.Contains(pe.Message, key) || strings.Contains(pe.Message, "_****") {
				t.Fatalf("Verify error = %+v", pe)
			}
		})
	}
}
