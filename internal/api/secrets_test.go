package api_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/testutil/apptest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretInTheDatabaseOrTheLogs runs a full session at debug log level, then
// reads every file of the data directory (database, WAL, shared memory) and the log,
// byte for byte, for API keys and provider credentials in clear.
func TestNoSecretInTheDatabaseOrTheLogs(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	env := apptest.Start(t, "sqlite", apptest.WithLog(&logs))
	stripeKey := "sk_test_" + payment.RandomString(30)
	webhookSecret := "whsec_" + payment.RandomString(30)
	env.Secret("POST", "/v1/provider_connections", map[string]any{
		"provider":    "stripe",
		"credentials": map[string]string{"secret_key": stripeKey, "webhook_secret": webhookSecret},
		"base_url":    "http://127.0.0.1:9",
	}, "Idempotency-Key", "conn-1").MustStatus(t, http.StatusCreated)
	id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR","customer":{"email":"ada@example.com"}}`), "id")
	env.Secret("POST", "/v1/payments/"+id+"/confirm", `{"payment_method":"pm_card_visa"}`, "Idempotency-Key", "c-1").MustStatus(t, 200)
	env.Secret("POST", "/v1/refunds", `{"payment_id":"`+id+`","amount":100}`).MustStatus(t, 201)
	env.Do("GET", "/v1/payments", env.Keys.LiveSecretKey, nil).MustStatus(t, 200)
	env.Do("GET", "/v1/payments", env.Keys.TestPublishableKey, nil).MustStatus(t, 403)
	env.Do("GET", "/v1/payments", "sk_test_wrongwrongwrongwrongwrong0000", nil).MustStatus(t, 401)

	secrets := map[string]string{
		"test secret key": env.Keys.TestSecretKey, "live secret key": env.Keys.LiveSecretKey,
		"test publishable key": env.Keys.TestPublishableKey, "live publishable key": env.Keys.LivePublishableKey,
		"Stripe secret key": stripeKey, "Stripe webhook secret": webhookSecret,
	}
	var files []string
	err := filepath.Walk(env.DataDir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no data files to scan")
	}
	sawPayment := false // a positive control: the scan does see what was stored
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sawPayment = sawPayment || bytes.Contains(b, []byte(id))
		for name, secret := range secrets {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s is in clear in %s", name, filepath.Base(f))
			}
		}
	}
	if !sawPayment {
		t.Fatalf("payment %s is in none of %v: the scan reads nothing useful", id, files)
	}
	log := logs.String()
	if !strings.Contains(log, "level=DEBUG") && !strings.Contains(log, "level=INFO") {
		t.Fatalf("the log captured nothing, so the scan would prove nothing:\n%s", log)
	}
	for name, secret := range secrets {
		if strings.Contains(log, secret) {
			t.Errorf("%s appears in the log", name)
		}
	}
}
