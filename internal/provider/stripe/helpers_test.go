package stripe

import (
	"bytes"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

const testWebhookSecret = "whsec_test_0123456789abcdef"

// testOptions retry quickly so fault tests stay fast.
func testOptions() Options {
	return Options{RetryBackoff: 5 * time.Millisecond, MaxRetryWait: 3 * time.Second, Timeout: 10 * time.Second}
}

// connect builds a test-mode connector for base through Registration, as the
// engine does.
func connect(t *testing.T, base, key string, opts Options) provider.Connector {
	t.Helper()
	c, err := Registration(opts).New(provider.Connection{ID: "conn_test", MerchantID: "mer_test", Provider: Name,
		Credentials: map[string]string{CredSecretKey: key, CredWebhookSecret: testWebhookSecret}, BaseURL: base})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
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
