package adyen

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/adyen/adyenfake"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

// Faults: how failures on the way to and from Adyen are retried and classified.

type faultFunc = func(n int, w http.ResponseWriter, r *http.Request) bool

// onRequests answers requests numbered in ns with h (0: every request); others
// reach the fake.
func onRequests(h func(w http.ResponseWriter, r *http.Request), ns ...int) faultFunc {
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
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
	body500 = `{"status":500,"errorCode":"905","message":"Payment details are not supported","errorType":"configuration","pspReference":"8516091485743033"}`
	body429 = `{"status":429,"errorCode":"000","message":"Too Many Requests","errorType":"validation"}`
	body704 = `{"status":422,"errorCode":"704","message":"request already processed or in progress","errorType":"validation"}`
	body422 = `{"status":422,"errorCode":"14_030","message":"Return URL is missing.","errorType":"validation","pspReference":"8816118280275544"}`
)

func TestFaults(t *testing.T) {
	t.Parallel()
	authorize := func(ctx context.Context, c provider.Connector) error {
		_, err := c.Authorize(ctx, authReq("flt", visa, 1000, payment.CaptureAutomatic))
		return err
	}
	refund := func(ctx context.Context, c provider.Connector) error {
		_, err := c.Refund(ctx, provider.RefundRequest{PaymentID: "pay_x", RefundID: "re_x", IdempotencyKey: "re_x",
			ProviderReference: "UNKNOWN0000000001", Amount: 100, Currency: "EUR"})
		return err
	}
	all := 0 // onRequests(…, all) faults every request
	transient := map[string]string{"Transient-Error": "true"}
	tests := []struct {
		name          string
		fault         faultFunc
		resetAfterRun bool // execute the first request, store its answer, then reset the connection
		call          func(context.Context, provider.Connector) error
		timeout       time.Duration
		wantErr       bool
		uncertain     bool
		temporary     bool
		code          string
		message       string
		requests      int
		minGap        time.Duration // between the first two requests
	}{
		{name: "500 then success", fault: onRequests(status(500, nil, body500), 1), call: authorize, requests: 2},
		{name: "429 with Retry-After then success", fault: onRequests(status(429, map[string]string{"Retry-After": "1"}, body429), 1),
			call: authorize, requests: 2, minGap: 900 * time.Millisecond},
		{name: "transient 704 then success", fault: onRequests(status(422, transient, body704), 1), call: authorize, requests: 2},
		{name: "Retry-After beyond the wait cap ends the call", fault: onRequests(status(429, map[string]string{"Retry-After": "60"}, body429), all),
			call: authorize, wantErr: true, temporary: true, code: "000", requests: 1},
		{name: "persistent 429 is temporary, not uncertain", fault: onRequests(status(429, nil, body429), all),
			call: authorize, wantErr: true, temporary: true, code: "000", requests: 3},
		{name: "persistent 500 is uncertain", fault: onRequests(status(500, nil, body500), all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "905", message: "Payment details are not supported (Adyen pspReference 8516091485743033)", requests: 3},
		{name: "502 without a body is uncertain", fault: onRequests(status(502, nil, "<html>bad gateway</html>"), all),
			call: refund, wantErr: true, uncertain: true, temporary: true, code: "api_error", message: "Adyen had an internal error (HTTP 502)", requests: 3},
		{name: "malformed JSON success is uncertain", fault: onRequests(status(200, nil, `{"resultCode":"Authorised","pspReference":`), all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "invalid_response", requests: 1},
		{name: "malformed error body is permanent", fault: onRequests(status(400, nil, `oops`), all),
			call: authorize, wantErr: true, code: "api_error", requests: 1},
		{name: "validation error is permanent and says why", fault: onRequests(status(422, nil, body422), all),
			call: authorize, wantErr: true, code: "14_030", message: "Return URL is missing. (Adyen pspReference 8816118280275544)", requests: 1},
		{name: "connection reset after the request was read", fault: onRequests(func(w http.ResponseWriter, r *http.Request) { fakepsp.ResetConn(w) }, all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "network_error", requests: 3},
		{name: "connection reset on a refund is uncertain too", fault: onRequests(func(w http.ResponseWriter, r *http.Request) { fakepsp.ResetConn(w) }, all),
			call: refund, wantErr: true, uncertain: true, temporary: true, code: "network_error", requests: 3},
		{name: "reset, then 704 while Adyen still works on it, is uncertain", fault: func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n == 1 {
				fakepsp.ResetConn(w)
			} else {
				status(422, transient, body704)(w, r)
			}
			return true
		}, call: authorize, wantErr: true, uncertain: true, temporary: true, code: "704", requests: 3},
		{name: "reset, then a conclusive 422, is not uncertain", fault: func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n == 1 {
				fakepsp.ResetConn(w)
			} else {
				status(422, nil, body422)(w, r)
			}
			return true
		}, call: authorize, wantErr: true, code: "14_030", requests: 2},
		{name: "reset after Adyen acted, then the retry replays its answer", resetAfterRun: true, call: authorize, requests: 2},
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
			f := adyenfake.New(t, testMerchant, testHMACKey)
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
			reqs := f.Requests("")
			if len(reqs) != tc.requests {
				t.Errorf("%d requests, want %d", len(reqs), tc.requests)
			}
			for _, r := range reqs[1:] {
				if r.Header.Get("Idempotency-Key") != reqs[0].Header.Get("Idempotency-Key") || string(r.Raw) != string(reqs[0].Raw) {
					t.Errorf("a retry changed the key or body: %q → %q", reqs[0].Header.Get("Idempotency-Key"), r.Header.Get("Idempotency-Key"))
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
				if n := f.PaymentCount(); n != 1 {
					t.Errorf("Adyen holds %d payments, want 1", n)
				}
				return
			}
			pe := asProviderError(t, err)
			if pe.Uncertain != tc.uncertain || pe.Temporary != tc.temporary || (tc.code != "" && pe.Code != tc.code) {
				t.Fatalf("error = %+v (%v); want uncertain=%t temporary=%t code=%q", pe, pe, tc.uncertain, tc.temporary, tc.code)
			}
			if pe.Provider != Name || pe.Message == "" || (tc.message != "" && pe.Message != tc.message) {
				t.Errorf("error provider/message = %q / %q, want message %q", pe.Provider, pe.Message, tc.message)
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
	c := connect(t, "http://"+addr, testAPIKey, testOptions())
	_, err = c.Authorize(context.Background(), authReq("refused", visa, 1000, payment.CaptureAutomatic))
	pe := asProviderError(t, err)
	if pe.Uncertain || !pe.Temporary || pe.Code != "network_error" {
		t.Fatalf("error = %+v", pe)
	}
}

func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	t.Parallel()
	f := adyenfake.New(t, testMerchant, testHMACKey)
	var logs logBuffer
	opts := testOptions()
	opts.Logger = debugLogger(&logs)
	c := connect(t, f.URL, f.Key, opts)
	ctx := context.Background()
	if _, err := c.Authorize(ctx, authReq("log", dropInPM, 1000, payment.CaptureAutomatic)); err != nil {
		t.Fatal(err)
	}
	f.SetFault(onRequests(status(500, nil, body500), 0))
	_, err := c.Authorize(ctx, authReq("log2", visa, 1000, payment.CaptureAutomatic))
	if err == nil {
		t.Fatal("want an error")
	}
	f.SetFault(nil)
	bad := connect(t, f.URL, "AQEwrongSecretValue0123456789", opts)
	_, err401 := bad.Refund(ctx, provider.RefundRequest{RefundID: "re_x", ProviderReference: "ABC", Amount: 1, Currency: "EUR"})
	if pe := asProviderError(t, err401); pe.Temporary || pe.Uncertain || pe.Code != "000" {
		t.Errorf("401 error = %+v", pe)
	}
	out := logs.String()
	if !strings.Contains(out, "adyen request") {
		t.Fatalf("no request log lines: %s", out)
	}
	for _, secret := range []string{f.Key, "AQEwrongSecretValue0123456789", testHMACKey, "test_4111111111111111", "encryptedCardNumber", "shopper@example.test"} {
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
	long := strings.Repeat("k", 100)
	tests := []struct {
		op, key string
		check   func(string) bool
	}{
		{"authorize", "pay_0123456789abcdefghijkl-authorize-1", func(k string) bool {
			return k == "paymux-authorize-pay_0123456789abcdefghijkl-authorize-1" && len(k) <= 64
		}},
		{"refund", "re_1", func(k string) bool { return k == "paymux-refund-re_1" }},
		{"capture", long, func(k string) bool {
			return len(k) == 64 && strings.HasPrefix(k, "paymux-capture-") && k == idempotencyKey("capture", long) && k != idempotencyKey("capture", long+"x")
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
	if a, b := idempotencyKey("verify", ""), idempotencyKey("verify", ""); a == b {
		t.Errorf("keys without paymux's key repeat: %q", a)
	}
}
