package adyen

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/testutil/prismtest"
)

// Contract tests: every request the connector can send goes to Prism serving
// Adyen's own OpenAPI document for Checkout v71 (../shared/specs/adyen), which
// answers 422 with an sl-violations header when a request breaks the spec (unknown
// or malformed fields, missing required ones, no X-API-Key) and otherwise one of the
// spec's examples. Prism is stateless, so these tests assert that requests are
// accepted and how example answers map; fakeAdyen covers state.
//
// The spec's server is https://checkout-test.adyen.com/v71, but Prism serves its
// paths without the /v71 prefix, so the connection's base URL is Prism's root.
// Prism is installed by .ci/run (npm ci --prefix tools/prism); the tests fail, not
// skip, without it.

const checkoutSpec = "adyen/CheckoutService-v71.json"

// prismRecorder sends requests to Prism, optionally asking for one of the spec's
// examples (Prefer: example=…), and keeps the sl-violations of refused requests.
type prismRecorder struct {
	rt     http.RoundTripper
	prefer string

	mu         sync.Mutex
	violations []string
}

func (p *prismRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.prefer != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Prefer", "example="+p.prefer)
	}
	resp, err := p.rt.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnprocessableEntity {
		p.mu.Lock()
		p.violations = append(p.violations, r.URL.Path+": "+resp.Header.Get("sl-violations"))
		p.mu.Unlock()
	}
	return resp, err
}

func (p *prismRecorder) refused() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.violations...)
}

// prismConnector is a test-mode connector talking to Prism at base.
func prismConnector(t *testing.T, base, prefer string) (*connector, *prismRecorder) {
	t.Helper()
	rec := &prismRecorder{rt: http.DefaultTransport.(*http.Transport).Clone(), prefer: prefer}
	opts := Options{HTTPClient: &http.Client{Transport: rec}, Timeout: 20 * time.Second, MaxRetries: -1}
	return connect(t, base, testAPIKey, opts), rec
}

func TestContractPrism(t *testing.T) {
	t.Parallel()
	base := prismtest.Start(t, prismtest.Spec(t, checkoutSpec))
	ctx := context.Background()

	// The canary: if Prism stopped validating, every other case would pass for
	// nothing. A request that breaks the spec must get 422 with violations, through
	// the connector's own client and through a bare one.
	t.Run("canary", func(t *testing.T) {
		c, rec := prismConnector(t, base, "")
		var res paymentResponse
		err := c.api.post(ctx, "/payments", map[string]any{"amount": map[string]any{"currency": "EUR", "value": "ten"},
			"merchantAccount": testMerchant, "notAField": 1}, "paymux-canary-1", &res)
		var ce *callError
		if !errors.As(err, &ce) || ce.status != http.StatusUnprocessableEntity || len(rec.refused()) != 1 ||
			!strings.Contains(rec.refused()[0], "notAField") {
			t.Fatalf("Prism accepted a request that breaks the spec: %v %v", err, rec.refused())
		}
		// Without X-API-Key the spec's security refuses the request.
		req, _ := http.NewRequest(http.MethodPost, base+"/payments/details", strings.NewReader(`{"details":{"redirectResult":"x"}}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("Prism did not check X-API-Key: %d", resp.StatusCode)
		}
	})
	if t.Failed() {
		return
	}

	full := authReq("ct", dropInPM, 1000, payment.CaptureAutomatic)
	minimal := provider.AuthorizeRequest{PaymentID: "pay_min", IdempotencyKey: "pay_min-authorize-1", Amount: 500,
		Currency: "EUR", CaptureMethod: payment.CaptureManual, PaymentMethod: visa, ReturnURL: "https://paymux.test/pay/pay_min/return"}
	with := func(pm, cur string, amount int64) provider.AuthorizeRequest {
		r := full
		r.PaymentMethod, r.Currency, r.Amount, r.IdempotencyKey = pm, cur, amount, "pay_ct-"+cur+"-"+pm[:4]
		return r
	}
	refund := func(amount int64, reason string) provider.RefundRequest {
		return provider.RefundRequest{PaymentID: "pay_ct", RefundID: "re_ct", IdempotencyKey: "re_ct-" + reason,
			ProviderReference: "993617894903480A", Amount: amount, Currency: "EUR", Reason: reason}
	}
	sr := provider.StatusRequest{PaymentID: "pay_ct", ProviderReference: "V4HZ4RBFJGXXGN82"}
	tests := []struct {
		name   string
		prefer string // a spec example to answer with
		call   func(t *testing.T, c *connector) error
	}{
		{"authorize, automatic capture, Drop-in card, every optional field", "card-direct", func(t *testing.T, c *connector) error {
			o, err := c.Authorize(ctx, full)
			if err == nil && (o.Status != payment.StatusSucceeded || o.ProviderReference != "993617895204576J") {
				t.Errorf("card-direct example mapped to %+v", o)
			}
			return err
		}},
		{"authorize, manual capture, test card, no optional field", "card-direct", func(t *testing.T, c *connector) error {
			o, err := c.Authorize(ctx, minimal)
			if err == nil && o.Status != payment.StatusRequiresCapture {
				t.Errorf("card-direct example with manual capture mapped to %+v", o)
			}
			return err
		}},
		{"authorize, test card with a holder name", "", func(t *testing.T, c *connector) error {
			_, err := c.Authorize(ctx, with(visa+":NOT_ENOUGH_BALANCE", "EUR", 100))
			return err
		}},
		{"authorize, 3-D Secure redirect", "card-3d-secure-redirect", func(t *testing.T, c *connector) error {
			o, err := c.Authorize(ctx, with(threeDS, "EUR", 100))
			if err == nil && (o.Status != payment.StatusRequiresAction || !strings.HasPrefix(o.RedirectURL, "https://checkoutshopper-test.adyen.com/")) {
				t.Errorf("3-D Secure redirect example mapped to %+v", o)
			}
			return err
		}},
		{"authorize, native 3-D Secure answer", "card-3d-secure-2-web", func(t *testing.T, c *connector) error {
			o, err := c.Authorize(ctx, with(threeDS, "EUR", 100))
			if err == nil && (o.Status != payment.StatusRequiresAction || o.RedirectURL != "") {
				t.Errorf("threeDS2 example mapped to %+v", o)
			}
			return err
		}},
		{"authorize, Drop-in state.data with browserInfo", "", func(t *testing.T, c *connector) error {
			_, err := c.Authorize(ctx, with(dropIn, "EUR", 100))
			return err
		}},
		{"authorize, Apple Pay token", "", func(t *testing.T, c *connector) error {
			_, err := c.Authorize(ctx, with(applePay, "EUR", 100))
			return err
		}},
		{"authorize, Google Pay token", "", func(t *testing.T, c *connector) error {
			_, err := c.Authorize(ctx, with(googlePay, "EUR", 100))
			return err
		}},
		{"authorize, redirect method by type", "ideal", func(t *testing.T, c *connector) error {
			o, err := c.Authorize(ctx, with("ideal", "EUR", 100))
			if err == nil && (o.Status != payment.StatusRequiresAction || !strings.HasPrefix(o.RedirectURL, "https://test.adyen.com/hpp/")) {
				t.Errorf("ideal example mapped to %+v", o)
			}
			return err
		}},
		{"authorize in JPY, ISK, KWD and IDR", "", func(t *testing.T, c *connector) error {
			for _, tc := range []struct {
				cur string
				amt int64
			}{{"JPY", 500}, {"ISK", 5}, {"KWD", 1230}, {"IDR", 1500000}} {
				if _, err := c.Authorize(ctx, with(visa, tc.cur, tc.amt)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"redirect return with redirectResult", "", func(t *testing.T, c *connector) error {
			o, err := c.CompleteRedirect(ctx, ret(sr, payment.CaptureAutomatic, url.Values{"redirectResult": {"X6XtfGC3!Y..."}}))
			if err == nil && (o.Status != payment.StatusSucceeded || o.ProviderReference != sr.ProviderReference) {
				t.Errorf("details example mapped to %+v", o)
			}
			return err
		}},
		{"redirect return with payload", "", func(t *testing.T, c *connector) error {
			_, err := c.CompleteRedirect(ctx, ret(sr, payment.CaptureManual, url.Values{"payload": {"Ab02b4c0!BQAB"}}))
			return err
		}},
		{"3-D Secure 1 return with MD and PaRes", "", func(t *testing.T, c *connector) error {
			_, err := c.CompleteRedirect(ctx, ret(sr, payment.CaptureManual, url.Values{"MD": {"Ab02b4c0"}, "PaRes": {"eNrNV0mT"}}))
			return err
		}},
		{"partial capture", "", func(t *testing.T, c *connector) error {
			o, err := c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_ct", IdempotencyKey: "pay_ct-capture", ProviderReference: "993617894903480A", Amount: 600, Currency: "EUR"})
			if err == nil && o != (payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: "993617894903480A", AmountCaptured: 600}) {
				t.Errorf("capture mapped to %+v", o)
			}
			return err
		}},
		{"void", "", func(t *testing.T, c *connector) error {
			o, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_ct", IdempotencyKey: "pay_ct-void", ProviderReference: "993617894903480A"})
			if err == nil && o.Status != payment.StatusCanceled {
				t.Errorf("void mapped to %+v", o)
			}
			return err
		}},
		{"refunds with every reason and without", "", func(t *testing.T, c *connector) error {
			for _, reason := range []string{"requested_by_customer", "duplicate", "fraudulent", ""} {
				res, err := c.Refund(ctx, refund(300, reason))
				if err != nil {
					return err
				}
				if res.State != payment.RefundPending || res.ProviderReference != "993617894906488A" {
					t.Errorf("refund example mapped to %+v", res)
				}
			}
			return nil
		}},
		{"verify credentials", "", func(t *testing.T, c *connector) error { return c.Verify(ctx) }},
		{"Apple Pay session", "", func(t *testing.T, c *connector) error {
			// The spec's example data ("eyJ2Z...") is cut short, so the answer cannot
			// be decoded: accepted request, unreadable answer.
			_, err := c.ApplePaySession(ctx, "Paymux Shop", "shop.example.test")
			var pe *provider.Error
			if errors.As(err, &pe) && pe.Code == "invalid_response" {
				return nil
			}
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, rec := prismConnector(t, base, tc.prefer)
			err := tc.call(t, c)
			if v := rec.refused(); len(v) > 0 {
				t.Fatalf("Prism refused a request the connector sends:\n%s", strings.Join(v, "\n"))
			}
			if err != nil {
				t.Fatalf("call failed: %v", err)
			}
		})
	}
}
