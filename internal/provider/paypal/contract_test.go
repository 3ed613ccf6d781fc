package paypal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
	"github.com/paymux/paymux/internal/testutil/prismtest"
)

// Contract tests: every request the connector can send goes to Prism serving
// PayPal's own OpenAPI specs (../shared/specs/paypal), which answers 422 with an
// sl-violations header when a request breaks the spec. The OAuth token endpoint is
// in none of the specs, so a small proxy in front of the three Prism instances
// answers it and forwards the rest by path, recording each answer. Prism is
// stateless and answers with objects generated from the schemas, so these tests
// assert that requests are accepted; fakePayPal covers state.
//
// Prism is installed by `npm ci --prefix tools/prism` (.ci/run does it); the tests
// fail, not skip, without it.

// prismSpecs are the specs the connector talks to, by path prefix.
var prismSpecs = []struct{ prefix, spec string }{
	{"/v2/checkout/", "paypal/checkout_orders_v2.fixed.json"},
	{"/v2/payments/", "paypal/payments_payment_v2.fixed.json"},
	{"/v1/notifications/", "paypal/notifications_webhooks_v1.json"},
}

// prismUpstreams starts one Prism per spec, for the whole test.
func prismUpstreams(t *testing.T) map[string]*url.URL {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		up   = map[string]*url.URL{}
		errs []string
	)
	for _, s := range prismSpecs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// prismtest fails the test it is given; a helper test per spec keeps
			// failures in this goroutine reportable.
			base, err := startPrism(t, s.spec)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err.Error())
				return
			}
			u, _ := url.Parse(base)
			up[s.prefix] = u
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(strings.Join(errs, "\n"))
	}
	return up
}

// startPrism runs prismtest.Start on a spec from a goroutine: a failure there is
// reported as an error instead of calling t.Fatal off the test goroutine.
func startPrism(t *testing.T, spec string) (base string, err error) {
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil && r != errFatal {
				panic(r)
			}
		}()
		base = prismtest.Start(rec, prismtest.Spec(rec, spec))
	}()
	<-done
	if rec.msg != "" {
		return "", fmt.Errorf("%s: %s", spec, rec.msg)
	}
	return base, nil
}

var errFatal = errors.New("fatal")

// fatalRecorder turns Fatal calls into a recorded message and a panic that
// startPrism recovers; everything else (Cleanup, Helper) goes to the real test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Fatal(args ...any) { r.msg = fmt.Sprint(args...); panic(errFatal) }
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(errFatal)
}

// seenRequest is one request the proxy forwarded and Prism's answer to it.
type seenRequest struct {
	Method, Path string
	Status       int
	Violations   string // sl-violations, request entries only
}

// prismProxy answers the token endpoint and forwards the rest to Prism.
type prismProxy struct {
	url  string
	mu   sync.Mutex
	seen []seenRequest
}

func newPrismProxy(t *testing.T, up map[string]*url.URL) *prismProxy {
	t.Helper()
	p := &prismProxy{}
	transport := &http.Transport{ResponseHeaderTimeout: 20 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id == "" || secret == "" || r.FormValue("grant_type") != "client_credentials" {
			fakepsp.WriteJSON(w, 401, map[string]any{"error": "invalid_client", "error_description": "Client Authentication failed"})
			return
		}
		fakepsp.WriteJSON(w, 200, map[string]any{"access_token": "A21AAPrismContractToken", "token_type": "Bearer", "expires_in": 32400})
	})
	for prefix, target := range up {
		rp := &httputil.ReverseProxy{Transport: transport,
			Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
			ModifyResponse: func(resp *http.Response) error {
				p.record(resp)
				return nil
			}}
		mux.Handle(prefix, rp)
	}
	p.url = newServer(t, mux)
	return p
}

// violationRE finds the request-located entries of an sl-violations header, which
// may be cut short ("Too many violations! [...").
var violationRE = regexp.MustCompile(`\{"location":\["request"[^}]*\}`)

func (p *prismProxy) record(resp *http.Response) {
	v := strings.Join(violationRE.FindAllString(resp.Header.Get("sl-violations"), -1), " ")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, seenRequest{Method: resp.Request.Method, Path: resp.Request.URL.Path, Status: resp.StatusCode, Violations: v})
}

func (p *prismProxy) requests() []seenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]seenRequest(nil), p.seen...)
}

// check requires every forwarded request to be accepted (2xx, no request
// violation) and the calls named in want (method and path pattern) to be among them.
func (p *prismProxy) check(t *testing.T, want ...string) {
	t.Helper()
	seen := p.requests()
	for _, s := range seen {
		if s.Status < 200 || s.Status > 299 || s.Violations != "" {
			t.Errorf("Prism refused %s %s: HTTP %d\nsl-violations: %s", s.Method, s.Path, s.Status, s.Violations)
		}
	}
	for _, w := range want {
		method, pattern, _ := strings.Cut(w, " ")
		re := regexp.MustCompile("^" + pattern + "$")
		found := false
		for _, s := range seen {
			found = found || (s.Method == method && re.MatchString(s.Path))
		}
		if !found {
			t.Errorf("no %s request reached Prism; seen: %+v", w, seen)
		}
	}
}

func TestContractPrism(t *testing.T) {
	t.Parallel()
	up := prismUpstreams(t)
	ctx := context.Background()
	newConn := func(t *testing.T) (*connector, *prismProxy) {
		p := newPrismProxy(t, up)
		return connectWith(t, Registration(testOptions()), p.url, "AcLientPrism", "ESecretPrism", "1JE4291016473214C"), p
	}

	// The canaries: one request per spec that breaks it on purpose must be refused,
	// or every pass below would mean nothing (Prism skips what it cannot compile).
	t.Run("canaries", func(t *testing.T) {
		c, _ := newConn(t)
		for _, tc := range []struct {
			name, path string
			body       any
		}{
			{"orders: unknown intent", "/v2/checkout/orders", map[string]any{"intent": "NOT_AN_INTENT",
				"purchase_units": []any{map[string]any{"amount": map[string]any{"currency_code": "EUR", "value": "10.00"}}}}},
			{"orders: amount with a decimal comma", "/v2/checkout/orders", map[string]any{"intent": "CAPTURE",
				"purchase_units": []any{map[string]any{"amount": map[string]any{"currency_code": "EUR", "value": "10,00"}}}}},
			{"payments: final_capture not a boolean", "/v2/payments/authorizations/0VF52814937998046/capture",
				map[string]any{"final_capture": "yes"}},
			{"payments: empty custom_id", "/v2/payments/captures/2GG279541U471931P/refund", map[string]any{"custom_id": ""}},
			{"notifications: no webhook_id", "/v1/notifications/verify-webhook-signature", map[string]any{"auth_algo": "SHA256withRSA",
				"cert_url": "https://api.paypal.com/c", "transmission_id": "69cd13f0", "transmission_sig": "abc",
				"transmission_time": "2026-11-24T12:00:00Z", "webhook_event": map[string]any{}}},
		} {
			var out json.RawMessage
			err := c.api.post(ctx, tc.path, tc.body, "paymux-canary", &out)
			var ce *callError
			if !errors.As(err, &ce) || ce.status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: Prism accepted a request that breaks the spec: %v", tc.name, err)
			}
		}
		var out json.RawMessage
		if err := c.api.post(ctx, "/v2/checkout/orders", map[string]any{"intent": "CAPTURE",
			"purchase_units": []any{map[string]any{"amount": map[string]any{"currency_code": "EUR", "value": "10.00"}}}}, "paypal-canary-ok", &out); err != nil {
			t.Fatalf("Prism refused a minimal valid order: %v", err)
		}
	})

	full := authReq("cm", 1050, payment.CaptureAutomatic)
	minimal := provider.AuthorizeRequest{PaymentID: "pay_min", IdempotencyKey: "pay_min-authorize-1", Amount: 500,
		Currency: "USD", CaptureMethod: payment.CaptureManual, ReturnURL: "http://127.0.0.1:8080/pay/pay_min/return"}
	inCurrency := func(cur string, amount int64) provider.AuthorizeRequest {
		r := full
		r.Currency, r.Amount, r.IdempotencyKey = cur, amount, "pay_cm-"+cur
		return r
	}
	const orderID = "5O190127TN364715T"
	body := []byte(orderApprovedEvent)
	webhookHeaders := func() http.Header {
		h := http.Header{}
		h.Set(HeaderTransmissionID, "b2384410-f8d2-11ee-8f6f-ab1ef5d0a2b9")
		h.Set(HeaderTransmissionTime, "2026-11-24T12:00:00Z")
		h.Set(HeaderCertURL, "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77")
		h.Set(HeaderAuthAlgo, "SHA256withRSA")
		h.Set(HeaderTransmissionSig, "lmI95Jx3Y9nhR5SJWlHVIWpg4AgFk7n9bCHSRxbrd8A9zrhdu2rMyFrmz+Zjh3s3boXB07VXCXUZy/UFzUlnGJn0wDugt7FlSvdKeIJenLRemUxYCPVoEZzg9VFNqOa48gMkvF+XTpxBeUx==")
		return h
	}
	tests := []struct {
		name string
		want []string // calls that must have reached Prism
		call func(t *testing.T, c *connector) error
	}{
		{"create order, automatic capture, every optional field", []string{"POST /v2/checkout/orders"}, func(t *testing.T, c *connector) error {
			_, err := c.Authorize(ctx, full)
			return err
		}},
		{"create order, manual capture, no optional field", []string{"POST /v2/checkout/orders"}, func(t *testing.T, c *connector) error {
			_, err := c.Authorize(ctx, minimal)
			return err
		}},
		{"create order in JPY, HUF and TWD", []string{"POST /v2/checkout/orders"}, func(t *testing.T, c *connector) error {
			for _, r := range []provider.AuthorizeRequest{inCurrency("JPY", 500), inCurrency("HUF", 150000), inCurrency("TWD", 9900)} {
				if _, err := c.Authorize(ctx, r); err != nil {
					return err
				}
			}
			return nil
		}},
		{"show order", []string{"GET /v2/checkout/orders/" + orderID}, func(t *testing.T, c *connector) error {
			_, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_cm", ProviderReference: orderID})
			return err
		}},
		{"capture an approved order", []string{"POST /v2/checkout/orders/" + orderID + "/capture"}, func(t *testing.T, c *connector) error {
			_, err := c.complete(ctx, "pay_cm", &order{ID: orderID, Intent: intentCapture, Status: orderApproved})
			return err
		}},
		{"authorize an approved order", []string{"POST /v2/checkout/orders/" + orderID + "/authorize"}, func(t *testing.T, c *connector) error {
			_, err := c.complete(ctx, "pay_cm", &order{ID: orderID, Intent: intentAuthorize, Status: orderApproved})
			return err
		}},
		{"partial capture of the authorisation", []string{"GET /v2/checkout/orders/" + orderID, "POST /v2/payments/authorizations/[^/]+/capture"},
			func(t *testing.T, c *connector) error {
				_, err := c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_cm", IdempotencyKey: "pay_cm-capture",
					ProviderReference: orderID, Amount: 600, Currency: "EUR"})
				return err
			}},
		{"full capture of the authorisation", []string{"POST /v2/payments/authorizations/[^/]+/capture"}, func(t *testing.T, c *connector) error {
			_, err := c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_cm", IdempotencyKey: "pay_cm-capture-all",
				ProviderReference: orderID, Currency: "EUR"})
			return err
		}},
		{"void the authorisation", []string{"POST /v2/payments/authorizations/[^/]+/void"}, func(t *testing.T, c *connector) error {
			_, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_cm", IdempotencyKey: "pay_cm-void", ProviderReference: orderID})
			return err
		}},
		{"partial refund", []string{"POST /v2/payments/captures/[^/]+/refund"}, func(t *testing.T, c *connector) error {
			_, err := c.Refund(ctx, provider.RefundRequest{PaymentID: "pay_cm", RefundID: "re_cm1", IdempotencyKey: "re_cm1",
				ProviderReference: orderID, Amount: 300, Currency: "EUR", Reason: "requested_by_customer"})
			return err
		}},
		{"full refund", []string{"POST /v2/payments/captures/[^/]+/refund"}, func(t *testing.T, c *connector) error {
			_, err := c.Refund(ctx, provider.RefundRequest{PaymentID: "pay_cm", RefundID: "re_cm2", IdempotencyKey: "re_cm2",
				ProviderReference: orderID, Currency: "EUR"})
			return err
		}},
		{"verify a webhook", []string{"POST /v1/notifications/verify-webhook-signature"}, func(t *testing.T, c *connector) error {
			events, err := c.ParseWebhook(ctx, provider.WebhookRequest{Header: webhookHeaders(), Body: body})
			if err == nil && (len(events) != 1 || events[0].ProviderReference != orderID) {
				t.Errorf("events = %s", dump(events))
			}
			return err
		}},
		{"refund webhook reads the capture", []string{"POST /v1/notifications/verify-webhook-signature", "GET /v2/payments/captures/2GG279541U471931P"},
			func(t *testing.T, c *connector) error {
				b := paypalEvent("WH-1", "PAYMENT.CAPTURE.REFUNDED", "refund", map[string]any{"id": "1JU08902781691411", "status": "COMPLETED",
					"custom_id": "re_cm1", "links": []any{map[string]any{"href": "https://api.paypal.com/v2/payments/captures/2GG279541U471931P", "rel": "up", "method": "GET"}}})
				_, err := c.ParseWebhook(ctx, provider.WebhookRequest{Header: webhookHeaders(), Body: b})
				return err
			}},
		{"verify credentials", nil, func(t *testing.T, c *connector) error { return c.Verify(ctx) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, p := newConn(t)
			err := tc.call(t, c)
			// Prism's answers are generated from the schemas ("id":"string", amounts
			// "string"), which the connector may rightly refuse to read; what matters
			// here is that every request was accepted.
			var pe *provider.Error
			if err != nil && !(errors.As(err, &pe) && (pe.Code == "invalid_response" || pe.Code == "authorization_missing")) &&
				!errors.Is(err, provider.ErrUnknownPayment) {
				t.Logf("connector error (not a contract failure unless Prism refused a request): %v", err)
			}
			p.check(t, tc.want...)
		})
	}
}
