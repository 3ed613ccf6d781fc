package api_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider/adyen"
	"github.com/paymux/paymux/internal/provider/adyen/adyenfake"
	"github.com/paymux/paymux/internal/provider/paypal"
	"github.com/paymux/paymux/internal/provider/paypal/paypalfake"
	"github.com/paymux/paymux/internal/provider/providertest"
	"github.com/paymux/paymux/internal/provider/stripe"
	"github.com/paymux/paymux/internal/provider/stripe/stripefake"
	"github.com/paymux/paymux/internal/testutil/apptest"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
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

// TestNoProviderSecretInTheDatabaseOrTheLogs runs the connector kit's full flows
// (confirm, the shopper's step and return, webhooks, capture, refund, an uncertain
// outcome reconciled) against Stripe, PayPal and Adyen at debug log level, then
// scans every data file and the log for their credentials, PayPal's access tokens,
// the merchant's API keys and the shopper's email and return secrets in clear.
func TestNoProviderSecretInTheDatabaseOrTheLogs(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	var (
		sf *stripefake.Server
		pf *paypalfake.Server
		af *adyenfake.Server
	)
	subjects := []providertest.Subject{
		{Provider: stripe.Name, Direct: "pm_card_visa", Redirect: "pm_card_threeDSecure2Required", MethodType: "card",
			NewFake: func(t testing.TB, _ *apptest.Env) (providertest.Fake, string) {
				sf = stripefake.New(t, stripe.APIVersion)
				return sf, sf.URL
			}},
		{Provider: paypal.Name, Redirect: paypal.MethodPayPal, MethodType: "paypal",
			NewFake: func(t testing.TB, _ *apptest.Env) (providertest.Fake, string) {
				pf = paypalfake.New(t)
				return pf, pf.URL
			}},
		{Provider: adyen.Name, Direct: "scheme:4111111111111111", Redirect: "scheme:4917610000000000", MethodType: "card",
			NewFake: func(t testing.TB, _ *apptest.Env) (providertest.Fake, string) {
				af = adyenfake.New(t, "PaymuxSecretsECOM", strings.ToUpper(hex.EncodeToString([]byte(payment.RandomString(32)))))
				return af, af.URL
			}},
	}
	var kits []*providertest.Kit
	for _, s := range subjects {
		k := providertest.Start(t, s, "sqlite", apptest.WithLog(&logs))
		kits = append(kits, k)
		t.Run(s.Provider, func(t *testing.T) {
			k.AutomaticCapture(t)
			k.ManualCapture(t)
			k.Fault(t, fakepsp.Fault{Kind: fakepsp.Malformed})
		})
	}
	secrets := map[string]string{
		"Stripe secret key": sf.Key, "Stripe webhook secret": sf.WebhookSecret,
		"PayPal client secret": pf.ClientSecret(), "Adyen API key": af.Key, "Adyen HMAC key": af.HMACKey,
	}
	for i, tok := range pf.Tokens() {
		secrets[fmt.Sprintf("PayPal access token %d", i)] = tok
	}
	inLogs := map[string]string{"the shopper's email": "shopper@example.com", "Stripe's client secret": "_secret_fake"}
	for _, k := range kits {
		for name, key := range map[string]string{"test secret key": k.Env.Keys.TestSecretKey, "live secret key": k.Env.Keys.LiveSecretKey} {
			secrets[k.S.Provider+" merchant's "+name] = key
		}
	}
	for _, k := range kits {
		var files []string
		err := filepath.Walk(k.Env.DataDir, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				files = append(files, path)
			}
			return err
		})
		if err != nil || len(files) == 0 {
			t.Fatalf("no data files to scan in %s: %v", k.Env.DataDir, err)
		}
		saw := false
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			saw = saw || bytes.Contains(b, []byte(k.Conn))
			for name, secret := range secrets {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s is in clear in %s's %s", name, k.S.Provider, filepath.Base(f))
				}
			}
		}
		if !saw {
			t.Fatalf("connection %s is in none of %v: the scan reads nothing useful", k.Conn, files)
		}
	}
	log := logs.String()
	for _, want := range []string{"stripe request", "paypal request", "paypal token", "adyen request", "level=DEBUG"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the log has no %q line, so the scan would prove little", want)
		}
	}
	for name, secret := range secrets {
		if strings.Contains(log, secret) {
			t.Errorf("%s appears in the log", name)
		}
	}
	for name, v := range inLogs {
		if strings.Contains(log, v) {
			t.Errorf("%s appears in the log", name)
		}
	}
}
