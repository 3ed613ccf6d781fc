package paypal

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/paypal/paypalfake"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

// Faults: how failures on the way to and from PayPal are retried and classified.

type faultFunc = func(n int, w http.ResponseWriter, r *http.Request, body []byte) bool

// onRequests answers requests numbered in ns (0: all) with h; others reach the fake.
func onRequests(h func(w http.ResponseWriter, r *http.Request), ns ...int) faultFunc {
	return func(n int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
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
	body500 = `{"name":"INTERNAL_SERVER_ERROR","message":"An internal server error has occurred.","debug_id":"90957fca61718"}`
	body429 = `{"name":"RATE_LIMIT_REACHED","message":"Too many requests. Blocked due to rate limiting.","debug_id":"90957fca61719"}`
	body409 = `{"name":"RESOURCE_CONFLICT","message":"The server has detected a conflict while processing this request.","details":[{"issue":"PREVIOUS_REQUEST_IN_PROGRESS","description":"A previous request on this resource is currently in progress."}]}`
)

func TestFaults(t *testing.T) {
	t.Parallel()
	authorize := func(ctx context.Context, c *connector) error {
		_, err := c.Authorize(ctx, authReq("flt", 1000, payment.CaptureAutomatic))
		return err
	}
	lookup := func(ctx context.Context, c *connector) error {
		_, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_flt", ProviderReference: "5O0000000000001"})
		return err
	}
	all := 0 // onRequests(…, all) faults every request
	tests := []struct {
		name          string
		fault         faultFunc
		resetAfterRun bool // execute the first POST, store its answer, then reset the connection
		call          func(context.Context, *connector) error
		timeout       time.Duration
		wantErr       bool
		uncertain     bool
		temporary     bool
		code          string
		requests      int
		atLeast       bool          // net/http itself retries a GET whose reused connection was reset
		minGap        time.Duration // between the first two requests
	}{
		{name: "500 then success", fault: onRequests(status(500, nil, body500), 1), call: authorize, requests: 2},
		{name: "503 then success", fault: onRequests(status(503, nil, ``), 1), call: authorize, requests: 2},
		{name: "429 with Retry-After then success", fault: onRequests(status(429, map[string]string{"Retry-After": "1"}, body429), 1),
			call: authorize, requests: 2, minGap: 900 * time.Millisecond},
		{name: "409 in progress then success", fault: onRequests(status(409, nil, body409), 1), call: authorize, requests: 2},
		{name: "Retry-After beyond the wait cap ends the call", fault: onRequests(status(429, map[string]string{"Retry-After": "60"}, body429), all),
			call: authorize, wantErr: true, temporary: true, code: "rate_limit_reached", requests: 1},
		{name: "persistent 500 on a POST is uncertain", fault: onRequests(status(500, nil, body500), all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "internal_server_error", requests: 3},
		{name: "persistent 503 on a GET is only temporary", fault: onRequests(status(503, nil, body500), all),
			call: lookup, wantErr: true, temporary: true, requests: 3},
		{name: "malformed JSON success on a POST is uncertain", fault: onRequests(status(201, nil, `{"id":"5O1","status":`), all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "invalid_response", requests: 1},
		{name: "malformed JSON success on a GET is temporary", fault: onRequests(status(200, nil, `<html>`), all),
			call: lookup, wantErr: true, temporary: true, code: "invalid_response", requests: 1},
		{name: "malformed error body is permanent", fault: onRequests(status(400, nil, `oops`), all),
			call: authorize, wantErr: true, code: "api_error", requests: 1},
		{name: "connection reset after the request was read", fault: onRequests(func(w http.ResponseWriter, r *http.Request) { fakepsp.ResetConn(w) }, all),
			call: authorize, wantErr: true, uncertain: true, temporary: true, code: "network_error", requests: 3},
		{name: "reset, then 409 while PayPal still works on it, is uncertain", fault: func(n int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if n == 1 {
				fakepsp.ResetConn(w)
			} else {
				status(409, nil, body409)(w, r)
			}
			return true
		}, call: authorize, wantErr: true, uncertain: true, temporary: true, code: "previous_request_in_progress", requests: 3},
		{name: "reset, then a conclusive 422, is not uncertain", fault: func(n int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if n == 1 {
				fakepsp.ResetConn(w)
			} else {
				status(422, nil, `{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"PAYEE_ACCOUNT_RESTRICTED","description":"The merchant account is restricted."}]}`)(w, r)
			}
			return true
		}, call: authorize, wantErr: true, code: "payee_account_restricted", requests: 2},
		{name: "reset after PayPal acted, then the retry replays its answer", resetAfterRun: true, call: authorize, requests: 2},
		{name: "connection reset on a GET is not uncertain", fault: onRequests(func(w http.ResponseWriter, r *http.Request) { fakepsp.ResetConn(w) }, all),
			call: lookup, wantErr: true, temporary: true, code: "network_error", requests: 3, atLeast: true},
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
			f := paypalfake.New(t)
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
			c := connect(t, f, testOptions())
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			err := tc.call(ctx, c)
			reqs := f.Requests("", "")
			if len(reqs) != tc.requests && !(tc.atLeast && len(reqs) > tc.requests) {
				t.Errorf("%d requests, want %d", len(reqs), tc.requests)
			}
			for _, r := range reqs[1:] {
				if r.Header.Get("PayPal-Request-Id") != reqs[0].Header.Get("PayPal-Request-Id") {
					t.Errorf("retry changed the PayPal-Request-Id: %q → %q", reqs[0].Header.Get("PayPal-Request-Id"), r.Header.Get("PayPal-Request-Id"))
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
				if n := f.OrderCount(); reqs[0].Method == http.MethodPost && n != 1 {
					t.Errorf("PayPal holds %d orders, want 1", n)
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
	c := connectWith(t, Registration(testOptions()), "http://"+addr, "AcLient", "ESecret", "")
	_, err = c.Authorize(context.Background(), authReq("ref", 1000, payment.CaptureAutomatic))
	pe := asProviderError(t, err)
	if pe.Uncertain || !pe.Temporary || pe.Code != "network_error" {
		t.Fatalf("error = %+v", pe)
	}
}

// TestAccessTokens: tokens are fetched once and shared, refreshed before they
// expire, fetched once for many concurrent calls, and replaced when PayPal refuses
// one.
func TestAccessTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lookup := func(c *connector) error {
		_, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_t", ProviderReference: "5O0000000000001"})
		if err != nil && strings.Contains(err.Error(), "no order") {
			return nil // the fake has no such order: the call itself worked
		}
		return err
	}
	t.Run("one token for many calls and connectors", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		reg := Registration(testOptions())
		for range 3 {
			c := connectWith(t, reg, f.URL, f.ClientID, f.ClientSecret(), "")
			for range 3 {
				if err := lookup(c); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := f.TokenFetches(); n != 1 {
			t.Fatalf("%d token fetches, want 1", n)
		}
		// Another secret (rotated) is another app: its own token.
		other := connectWith(t, reg, f.URL, f.ClientID, f.ClientSecret()+"x", "")
		if err := lookup(other); err == nil {
			t.Fatal("a wrong secret was accepted")
		}
	})
	t.Run("concurrent calls fetch once", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		f.SetTokenLife(32400, 150*time.Millisecond)
		c := connect(t, f, testOptions())
		var wg sync.WaitGroup
		var failed atomic.Int32
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := lookup(c); err != nil {
					failed.Add(1)
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := f.TokenFetches(); n != 1 || failed.Load() != 0 {
			t.Fatalf("%d token fetches (want 1), %d failures", n, failed.Load())
		}
	})
	t.Run("a caller giving up does not fail the others", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		f.SetTokenLife(32400, 200*time.Millisecond)
		c := connect(t, f, testOptions())
		quick, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		errc := make(chan error, 1)
		go func() {
			_, err := c.Status(quick, provider.StatusRequest{ProviderReference: "5O0000000000001"})
			errc <- err
		}()
		time.Sleep(5 * time.Millisecond)
		if err := lookup(c); err != nil {
			t.Fatalf("patient caller: %v", err)
		}
		if pe := asProviderError(t, <-errc); pe.Code != "timeout" || !pe.Temporary || pe.Uncertain {
			t.Fatalf("impatient caller: %+v", pe)
		}
		if n := f.TokenFetches(); n != 1 {
			t.Fatalf("%d token fetches, want 1", n)
		}
	})
	t.Run("refreshed before expiry", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		f.SetTokenLife(3600, 0)
		var mu sync.Mutex
		now := time.Now()
		opts := testOptions()
		opts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		c := connect(t, f, opts)
		if err := lookup(c); err != nil {
			t.Fatal(err)
		}
		advance(3000 * time.Second) // well before the 6-minute margin
		if err := lookup(c); err != nil || f.TokenFetches() != 1 {
			t.Fatalf("%d fetches after 50 min, err %v", f.TokenFetches(), err)
		}
		advance(300 * time.Second) // 55 min: within the margin of a 60-minute token
		if err := lookup(c); err != nil || f.TokenFetches() != 2 {
			t.Fatalf("%d fetches after 55 min, err %v", f.TokenFetches(), err)
		}
	})
	t.Run("a refused token is replaced and the call retried once", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		c := connect(t, f, testOptions())
		if _, err := c.Authorize(ctx, authReq("tok1", 1000, payment.CaptureAutomatic)); err != nil {
			t.Fatal(err)
		}
		f.RevokeTokens() // expired early, as PayPal may say
		o, err := c.Authorize(ctx, authReq("tok2", 1000, payment.CaptureAutomatic))
		if err != nil || o.Status != payment.StatusRequiresAction {
			t.Fatalf("Authorize after expiry = %+v, %v", o, err)
		}
		if n := f.TokenFetches(); n != 2 {
			t.Errorf("%d token fetches, want 2", n)
		}
		reqs := f.Requests("POST", "/v2/checkout/orders")
		if len(reqs) != 3 || reqs[1].Header.Get("PayPal-Request-Id") != reqs[2].Header.Get("PayPal-Request-Id") ||
			reqs[1].Header.Get("Authorization") == reqs[2].Header.Get("Authorization") {
			t.Fatalf("requests: %d; want the refused one sent again with a new token and the same request id", len(reqs))
		}
		if f.OrderCount() != 2 {
			t.Errorf("PayPal holds %d orders, want 2", f.OrderCount())
		}
	})
	t.Run("a token refused twice is a permanent error", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		f.SetFault(onRequests(status(401, nil, `{"error":"invalid_token","error_description":"Token signature verification failed"}`), 0))
		c := connect(t, f, testOptions())
		_, err := c.Authorize(ctx, authReq("tok", 1000, payment.CaptureAutomatic))
		pe := asProviderError(t, err)
		if pe.Code != "authentication_failed" || pe.Temporary || pe.Uncertain {
			t.Fatalf("error = %+v", pe)
		}
		if n := len(f.Requests("", "")); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("refused credentials", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		c := connectWith(t, Registration(testOptions()), f.URL, f.ClientID, "EWrongSecret", "")
		_, err := c.Authorize(ctx, authReq("cred", 1000, payment.CaptureAutomatic))
		pe := asProviderError(t, err)
		if pe.Code != "authentication_failed" || pe.Temporary || pe.Uncertain || !strings.Contains(pe.Message, "client_secret") {
			t.Fatalf("error = %+v", pe)
		}
		if n := len(f.Requests("", "")); n != 0 {
			t.Errorf("%d API requests without a token", n)
		}
	})
	t.Run("a failed refresh falls back to the token still valid", func(t *testing.T) {
		t.Parallel()
		f := paypalfake.New(t)
		f.SetTokenLife(3600, 0)
		var mu sync.Mutex
		now := time.Now()
		opts := testOptions()
		opts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		c := connect(t, f, opts)
		if err := lookup(c); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = now.Add(3500 * time.Second)
		mu.Unlock()
		f.SetClientSecret("rotated") // the token endpoint now refuses
		if err := lookup(c); err != nil {
			t.Fatalf("lookup with a failed refresh: %v", err)
		}
	})
}

func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	t.Parallel()
	f := paypalfake.New(t)
	var logs logBuffer
	opts := testOptions()
	opts.Logger = debugLogger(&logs)
	c := connect(t, f, opts)
	ctx := context.Background()
	if _, err := c.Authorize(ctx, authReq("log", 1000, payment.CaptureAutomatic)); err != nil {
		t.Fatal(err)
	}
	f.RevokeTokens()
	f.SetFault(onRequests(status(500, nil, body500), 0))
	_, err := c.Authorize(ctx, authReq("log2", 1000, payment.CaptureAutomatic))
	if err == nil {
		t.Fatal("want an error")
	}
	bad := connectWith(t, Registration(opts), f.URL, f.ClientID, "EWrongSecretValue", "")
	_, err401 := bad.Status(ctx, provider.StatusRequest{PaymentID: "pay_x", ProviderReference: "5O1"})
	if pe := asProviderError(t, err401); pe.Temporary || pe.Uncertain {
		t.Errorf("401 error = %+v", pe)
	}
	out := logs.String()
	if !strings.Contains(out, "paypal request") || !strings.Contains(out, "paypal token") {
		t.Fatalf("no request log lines: %s", out)
	}
	secrets := f.Tokens()
	secrets = append(secrets, f.ClientSecret(), "EWrongSecretValue", "Bearer", "Basic", "A21AA", "shopper@example.com")
	for _, secret := range secrets {
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

func TestRequestIDDerivation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 300)
	tests := []struct {
		op, key string
		check   func(string) bool
	}{
		{"order", "pay_1-authorize-1", func(k string) bool { return k == "paymux-order-pay_1-authorize-1" }},
		{"refund", "re_1", func(k string) bool { return k == "paymux-refund-re_1" }},
		{"capture", long, func(k string) bool {
			return len(k) <= maxRequestID && strings.HasPrefix(k, "paymux-capture-") && k == requestID("capture", long)
		}},
		{"complete", "pay_" + strings.Repeat("x", 22) + "-" + strings.Repeat("9", 36), func(k string) bool { return len(k) <= maxRequestID }},
		{"void", "", func(k string) bool { return strings.HasPrefix(k, "paymux-void-") && len(k) > len("paymux-void-") }},
	}
	for _, tc := range tests {
		if got := requestID(tc.op, tc.key); !tc.check(got) {
			t.Errorf("requestID(%q, %q) = %q", tc.op, tc.key, got)
		}
	}
	if requestID("order", "x") == requestID("capture", "x") {
		t.Error("operations share a request id")
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		secret    string // "" means the fake's
		tokenDown bool
		code      string // "" means accepted
		temporary bool
	}{
		{name: "credentials accepted"},
		{name: "wrong secret", secret: "EWrongSecret", code: "authentication_failed"},
		{name: "PayPal unavailable", tokenDown: true, code: "service_unavailable", temporary: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := paypalfake.New(t)
			base := f.URL
			if tc.tokenDown {
				down := http.NewServeMux()
				down.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
					status(503, nil, `{"name":"SERVICE_UNAVAILABLE","message":"Service Unavailable."}`)(w, r)
				})
				srv := newServer(t, down)
				base = srv
			}
			secret := f.ClientSecret()
			if tc.secret != "" {
				secret = tc.secret
			}
			c := connectWith(t, Registration(testOptions()), base, f.ClientID, secret, "")
			err := c.Verify(context.Background())
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				// The token is kept: the next call fetches none.
				if err := c.Verify(context.Background()); err != nil || f.TokenFetches() != 2 {
					t.Fatalf("second Verify: %v (%d fetches)", err, f.TokenFetches())
				}
				if _, err := c.Status(context.Background(), provider.StatusRequest{ProviderReference: "5O1"}); err == nil || f.TokenFetches() != 2 {
					t.Fatalf("Status after Verify fetched a token (%d)", f.TokenFetches())
				}
				return
			}
			pe := asProviderError(t, err)
			if pe.Code != tc.code || pe.Temporary != tc.temporary || pe.Uncertain || strings.Contains(pe.Message, secret) {
				t.Fatalf("Verify error = %+v", pe)
			}
		})
	}
}
