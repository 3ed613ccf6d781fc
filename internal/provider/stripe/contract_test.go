package stripe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// Contract tests: every request the connector can send goes to stripe-mock, which
// validates it against Stripe's own OpenAPI spec (unknown or malformed parameters
// are a 400) and answers with fixture objects. stripe-mock is stateless, so these
// tests assert that requests are accepted and how fixture answers are mapped;
// fakeStripe covers state.
//
// Install (CI does the same):   go install github.com/stripe/stripe-mock@v0.203.0
// The tests start it themselves:  stripe-mock -http-addr 127.0.0.1:0 -https-addr 127.0.0.1:0 -strict-version-check
// and read the chosen port from its output. They fail, not skip, without it.

const stripeMockInstall = "go install github.com/stripe/stripe-mock@v0.203.0"

var stripeMock struct {
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
	done chan struct{}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if c := stripeMock.cmd; c != nil && c.Process != nil {
		c.Process.Kill()
		<-stripeMock.done
	}
	os.Exit(code)
}

// stripeMockURL starts stripe-mock once per test binary and returns its base URL.
func stripeMockURL(t *testing.T) string {
	t.Helper()
	stripeMock.once.Do(startStripeMock)
	if stripeMock.err != nil {
		t.Fatal(stripeMock.err)
	}
	return stripeMock.url
}

// stripeMockBinary finds stripe-mock on PATH, in GOBIN or in GOPATH/bin.
func stripeMockBinary() (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	for _, p := range filepath.SplitList(gopath) {
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "stripe-mock")
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("stripe-mock not found on PATH nor in %s: install it with `%s`", strings.Join(dirs, ", "), stripeMockInstall)
}

func startStripeMock() {
	bin, err := stripeMockBinary()
	if err != nil {
		stripeMock.err = fmt.Errorf("the Stripe contract tests need stripe-mock: %w", err)
		return
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0", "-strict-version-check")
	out, err := cmd.StdoutPipe()
	if err != nil {
		stripeMock.err = err
		return
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		stripeMock.err = fmt.Errorf("start %s: %w", bin, err)
		return
	}
	stripeMock.cmd, stripeMock.done = cmd, make(chan struct{})
	addr := make(chan string, 1)
	var seen strings.Builder
	var seenMu sync.Mutex
	go func() {
		defer close(stripeMock.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			seenMu.Lock()
			seen.WriteString(line + "\n")
			seenMu.Unlock()
			if a, ok := strings.CutPrefix(line, "Listening for HTTP at address: "); ok {
				addr <- strings.TrimSpace(a)
			}
		}
		io.Copy(io.Discard, out)
		cmd.Wait()
	}()
	select {
	case a := <-addr:
		stripeMock.url = "http://" + a
	case <-stripeMock.done:
		seenMu.Lock()
		defer seenMu.Unlock()
		stripeMock.err = fmt.Errorf("stripe-mock (%s) exited before listening:\n%s", bin, seen.String())
	case <-time.After(30 * time.Second):
		seenMu.Lock()
		defer seenMu.Unlock()
		stripeMock.err = fmt.Errorf("stripe-mock (%s) did not report its HTTP address within 30 s:\n%s", bin, seen.String())
	}
}

func mockConnector(t *testing.T) *connector {
	t.Helper()
	return connect(t, stripeMockURL(t), "sk_test_123", testOptions()).(*connector)
}

// TestStripeMockValidates is the canary: if stripe-mock stopped validating
// parameters or versions, every other contract test would pass for nothing.
func TestStripeMockValidates(t *testing.T) {
	t.Parallel()
	c := mockConnector(t)
	ctx := context.Background()
	var pi paymentIntent
	err := c.api.post(ctx, "/v1/payment_intents", (&form{}).add("amount", "1000").add("currency", "eur").add("not_a_stripe_param", "x"),
		"paymux-canary-1", &pi)
	var ce *callError
	if !errors.As(err, &ce) || ce.status != http.StatusBadRequest {
		t.Fatalf("stripe-mock accepted an unknown parameter: %v", err)
	}
	if err := c.api.post(ctx, "/v1/payment_intents", (&form{}).add("amount", "1000").add("currency", "eur"), "paymux-canary-2", &pi); err != nil {
		t.Fatalf("stripe-mock refused a minimal valid request: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, stripeMockURL(t)+"/v1/payment_intents/pi_1", nil)
	req.Header.Set("Authorization", "Bearer sk_test_123")
	req.Header.Set("Stripe-Version", "2020-08-27")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), APIVersion) {
		t.Fatalf("stripe-mock did not check Stripe-Version against %s (is it v0.203.0? `%s`): %d %s",
			APIVersion, stripeMockInstall, resp.StatusCode, body)
	}
}

// fixtureIntent is how stripe-mock's PaymentIntent fixture maps: it is
// requires_payment_method with a last_payment_error of type idempotency_error, and
// its expanded latest charge is a Visa ending 4242.
func checkFixtureIntent(t *testing.T, o payment.Outcome) {
	t.Helper()
	if !strings.HasPrefix(o.ProviderReference, "pi_") || o.Status != payment.StatusFailed || o.FailureCode != "idempotency_error" ||
		o.CardBrand != "visa" || o.CardLast4 != "4242" || o.PaymentMethodType != "card" {
		t.Fatalf("fixture intent mapped to %+v", o)
	}
}

func TestContractStripeMock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	full := authReq("cm", "pm_card_visa", 1000, payment.CaptureAutomatic)
	minimal := provider.AuthorizeRequest{PaymentID: "pay_min", IdempotencyKey: "pay_min-authorize-1", Amount: 500,
		Currency: "EUR", CaptureMethod: payment.CaptureManual, PaymentMethod: "pm_card_visa"}
	inCurrency := func(cur string, amount int64) provider.AuthorizeRequest {
		r := full
		r.Currency, r.Amount, r.IdempotencyKey = cur, amount, "pay_cm-"+cur
		return r
	}
	refund := func(amount int64, reason string) provider.RefundRequest {
		return provider.RefundRequest{PaymentID: "pay_cm", RefundID: "re_cm", IdempotencyKey: "re_cm-" + reason,
			ProviderReference: "pi_123", Amount: amount, Currency: "EUR", Reason: reason}
	}
	tests := []struct {
		name string
		call func(t *testing.T, c *connector) error
	}{
		{"authorize, automatic capture, every optional field", func(t *testing.T, c *connector) error {
			o, err := c.Authorize(ctx, full)
			if err == nil {
				checkFixtureIntent(t, o)
			}
			return err
		}},
		{"authorize, manual capture, no optional field", func(t *testing.T, c *connector) error {
			o, err := c.Authorize(ctx, minimal)
			if err == nil {
				checkFixtureIntent(t, o)
			}
			return err
		}},
		{"authorize in JPY", func(t *testing.T, c *connector) error { _, err := c.Authorize(ctx, inCurrency("JPY", 500)); return err }},
		{"authorize in ISK", func(t *testing.T, c *connector) error { _, err := c.Authorize(ctx, inCurrency("ISK", 5)); return err }},
		{"authorize in KWD", func(t *testing.T, c *connector) error {
			_, err := c.Authorize(ctx, inCurrency("KWD", 1230))
			return err
		}},
		{"partial capture", func(t *testing.T, c *connector) error {
			o, err := c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_cm", IdempotencyKey: "pay_cm-capture", ProviderReference: "pi_123", Amount: 600, Currency: "EUR"})
			if err == nil {
				checkFixtureIntent(t, o)
			}
			return err
		}},
		{"full capture", func(t *testing.T, c *connector) error {
			_, err := c.Capture(ctx, provider.CaptureRequest{PaymentID: "pay_cm", IdempotencyKey: "pay_cm-capture-all", ProviderReference: "pi_123", Currency: "EUR"})
			return err
		}},
		{"void", func(t *testing.T, c *connector) error {
			o, err := c.Void(ctx, provider.VoidRequest{PaymentID: "pay_cm", IdempotencyKey: "pay_cm-void", ProviderReference: "pi_123"})
			if err == nil && (o.ProviderReference == "" || o.Status != payment.StatusFailed) {
				t.Errorf("void mapped the fixture to %+v", o)
			}
			return err
		}},
		{"partial refund with a reason", func(t *testing.T, c *connector) error {
			res, err := c.Refund(ctx, refund(300, "requested_by_customer"))
			if err == nil && (res.State != payment.RefundSucceeded || !strings.HasPrefix(res.ProviderReference, "re_")) {
				t.Errorf("refund fixture mapped to %+v", res)
			}
			return err
		}},
		{"refund reasons duplicate and fraudulent", func(t *testing.T, c *connector) error {
			if _, err := c.Refund(ctx, refund(100, "duplicate")); err != nil {
				return err
			}
			_, err := c.Refund(ctx, refund(100, "fraudulent"))
			return err
		}},
		{"full refund without a reason", func(t *testing.T, c *connector) error { _, err := c.Refund(ctx, refund(0, "")); return err }},
		{"refund with a reason Stripe does not know", func(t *testing.T, c *connector) error { _, err := c.Refund(ctx, refund(100, "other")); return err }},
		{"verify credentials", func(t *testing.T, c *connector) error { return c.Verify(ctx) }},
		{"register a wallet domain", func(t *testing.T, c *connector) error {
			d, err := c.RegisterWalletDomain(ctx, "Pay.Shop.Example")
			if err == nil && (!strings.HasPrefix(d.Reference, "pmd_") || d.Domain == "") {
				t.Errorf("payment method domain fixture mapped to %+v", d)
			}
			return err
		}},
		{"status by reference", func(t *testing.T, c *connector) error {
			o, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_cm", ProviderReference: "pi_123"})
			if err == nil {
				checkFixtureIntent(t, o)
			}
			return err
		}},
		{"status by search", func(t *testing.T, c *connector) error {
			// The fixture's metadata names no paymux payment, so the (accepted) search
			// finds nothing: a temporary error, not a refused request.
			_, err := c.Status(ctx, provider.StatusRequest{PaymentID: "pay_cm", IdempotencyKey: "pay_cm-authorize-1"})
			var pe *provider.Error
			if errors.As(err, &pe) && pe.Code == "payment_not_found_yet" {
				return nil
			}
			return fmt.Errorf("search: %v", err)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.call(t, mockConnector(t)); err != nil {
				t.Fatalf("stripe-mock refused the request: %v", err)
			}
		})
	}
}
