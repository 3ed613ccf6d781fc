package paypal

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/provider/paypal/paypalfake"
)

// testOptions retry quickly so fault tests stay fast.
func testOptions() Options {
	return Options{RetryBackoff: 5 * time.Millisecond, MaxRetryWait: 3 * time.Second, Timeout: 10 * time.Second}
}

// connectWith builds a test-mode connector for f through reg, as the engine does.
func connectWith(t testing.TB, reg provider.Registration, base, clientID, secret, webhookID string) *connector {
	t.Helper()
	creds := map[string]string{CredClientID: clientID, CredClientSecret: secret}
	if webhookID != "" {
		creds[CredWebhookID] = webhookID
	}
	c, err := reg.New(provider.Connection{ID: "conn_test", MerchantID: "mer_test", Provider: Name,
		Credentials: creds, BaseURL: base})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*connector)
}

// connect builds a connector for the fake with its own Registration (and so its own
// token cache).
func connect(t testing.TB, f *paypalfake.Server, opts Options) *connector {
	t.Helper()
	return connectWith(t, Registration(opts), f.URL, f.ClientID, f.ClientSecret(), f.WebhookID)
}

// authReq is an authorisation request as the engine sends it.
func authReq(key string, amount int64, capture payment.CaptureMethod) provider.AuthorizeRequest {
	return provider.AuthorizeRequest{PaymentID: "pay_" + key, IdempotencyKey: "pay_" + key + "-authorize-1", Amount: amount,
		Currency: "EUR", CaptureMethod: capture, PaymentMethod: MethodPayPal, ReturnURL: "https://paymux.test/pay/pay_" + key + "/return",
		OrderID: "order-" + key, Description: "Order " + key, Customer: payment.Customer{Email: "shopper@example.com"}}
}

// asProviderError requires err to be a *provider.Error and returns it.
func asProviderError(t *testing.T, err error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	return pe
}

// asPaymentError requires err to be a *payment.Error and returns it.
func asPaymentError(t *testing.T, err error) *payment.Error {
	t.Helper()
	var pe *payment.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *payment.Error", err, err)
	}
	return pe
}

// jsonPath digs a value out of a decoded JSON document: jsonPath(v, "purchase_units", 0, "amount").
func jsonPath(t *testing.T, raw []byte, path ...any) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, raw)
	}
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// logBuffer is a concurrency-safe sink for a test's log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func debugLogger(w *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newServer serves h on loopback for the test and returns its URL.
func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
