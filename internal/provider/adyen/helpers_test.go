package adyen

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// testHMACKey is the HMAC key of Adyen's published notification test vector
// (Adyen's API libraries' HMAC validator tests).
const (
	testHMACKey  = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	testMerchant = "TestMerchant"
	testAPIKey   = "AQEyhmfxTest0123456789abcdefKEY"
)

// testOptions retry quickly so fault tests stay fast.
func testOptions() Options {
	return Options{RetryBackoff: 5 * time.Millisecond, MaxRetryWait: 3 * time.Second, Timeout: 10 * time.Second}
}

func testCreds(key string) map[string]string {
	return map[string]string{CredAPIKey: key, CredMerchantAccount: testMerchant, CredHMACKey: testHMACKey,
		CredApplePayMerchantID: "merchant.com.adyen.paymux.test"}
}

// connect builds a test-mode connector for base through Registration, as the
// engine does.
func connect(t testing.TB, base, key string, opts Options) *connector {
	t.Helper()
	c, err := Registration(opts).New(provider.Connection{ID: "conn_test", MerchantID: "mer_test", Provider: Name,
		Credentials: testCreds(key), BaseURL: base})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*connector)
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

// ret is the shopper's return for a payment looked up with sr.
func ret(sr provider.StatusRequest, capture payment.CaptureMethod, params url.Values) provider.ReturnRequest {
	return provider.ReturnRequest{StatusRequest: sr, CaptureMethod: capture, Params: params}
}
