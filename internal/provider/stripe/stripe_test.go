package stripe

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

func TestRegistration(t *testing.T) {
	t.Parallel()
	reg := Registration(Options{})
	if reg.Name != "stripe" || reg.DisplayName != "Stripe" || reg.New == nil {
		t.Fatalf("registration = %+v", reg)
	}
	want := provider.Capabilities{
		Methods:       []provider.Method{provider.MethodCard, provider.MethodApplePay, provider.MethodGooglePay},
		ManualCapture: true, PartialCapture: true, Void: true, Refund: true, PartialRefund: true,
		Webhooks: true, StatusLookup: true, TestOnly: false,
	}
	if !reflect.DeepEqual(reg.Capabilities, want) {
		t.Fatalf("capabilities = %+v, want %+v", reg.Capabilities, want)
	}
	if _, err := provider.NewRegistry(reg); err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
}

// TestModeChecks: a connection's key, webhook secret and base URL must fit its
// mode, and the refusal says which credential is wrong without echoing it.
func TestModeChecks(t *testing.T) {
	t.Parallel()
	const (
		testKey  = "sk_test_51Abcdefghijklmnop"
		liveKey  = "sk_live_51Abcdefghijklmnop"
		rkTest   = "rk_test_51Abcdefghijklmnop"
		rkLive   = "rk_live_51Abcdefghijklmnop"
		localURL = "http://127.0.0.1:12111"
	)
	tests := []struct {
		name     string
		live     bool
		creds    map[string]string
		baseURL  string
		param    string   // "" means accepted
		mentions []string // the message names these
	}{
		{name: "live connection with sk_test_ key", live: true, creds: map[string]string{"secret_key": testKey},
			param: "credentials.secret_key", mentions: []string{"secret_key", "test-mode key", "sk_test_", "live-mode connection"}},
		{name: "live connection with rk_test_ key", live: true, creds: map[string]string{"secret_key": rkTest},
			param: "credentials.secret_key", mentions: []string{"secret_key", "test-mode key", "rk_test_"}},
		{name: "test connection with sk_live_ key", creds: map[string]string{"secret_key": liveKey},
			param: "credentials.secret_key", mentions: []string{"secret_key", "live-mode key", "sk_live_", "test-mode connection"}},
		{name: "test connection with rk_live_ key", creds: map[string]string{"secret_key": rkLive},
			param: "credentials.secret_key", mentions: []string{"secret_key", "live-mode key"}},
		{name: "live connection with a non-Stripe base URL", live: true, creds: map[string]string{"secret_key": liveKey}, baseURL: localURL,
			param: "base_url", mentions: []string{"live", "https://api.stripe.com", localURL}},
		{name: "live connection with an https look-alike host", live: true, creds: map[string]string{"secret_key": liveKey}, baseURL: "https://api.stripe.com.evil.test",
			param: "base_url"},
		{name: "live connection naming Stripe's own host", live: true, creds: map[string]string{"secret_key": liveKey}, baseURL: "https://api.stripe.com/"},
		{name: "live connection with a restricted key", live: true, creds: map[string]string{"secret_key": rkLive, "webhook_secret": "whsec_abc"}},
		{name: "test connection pointed at stripe-mock", creds: map[string]string{"secret_key": testKey}, baseURL: localURL},
		{name: "test connection with a non-http base URL", creds: map[string]string{"secret_key": testKey}, baseURL: "ftp://127.0.0.1",
			param: "base_url"},
		{name: "missing secret key", creds: map[string]string{"webhook_secret": "whsec_abc"},
			param: "credentials.secret_key", mentions: []string{"secret_key is required", "sk_test_"}},
		{name: "publishable key", creds: map[string]string{"secret_key": "pk_test_51Abcdefghijklmnop"},
			param: "credentials.secret_key", mentions: []string{"not a Stripe secret key", "publishable"}},
		{name: "bare prefix", creds: map[string]string{"secret_key": "sk_test_"}, param: "credentials.secret_key"},
		{name: "webhook secret without whsec_", creds: map[string]string{"secret_key": testKey, "webhook_secret": "abc123"},
			param: "credentials.webhook_secret", mentions: []string{"whsec_"}},
		{name: "unknown credential", creds: map[string]string{"secret_key": testKey, "publishable_key": "pk_test_x"},
			param: "credentials", mentions: []string{"publishable_key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Registration(Options{}).New(provider.Connection{ID: "conn_1", Livemode: tc.live, Provider: Name,
				Credentials: tc.creds, BaseURL: tc.baseURL})
			verr := ValidateCredentials(tc.live, tc.creds, tc.baseURL)
			if (err == nil) != (verr == nil) || (err != nil && err.Error() != verr.Error()) {
				t.Fatalf("New says %v but ValidateCredentials says %v", err, verr)
			}
			if tc.param == "" {
				if err != nil || c == nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			pe := asPaymentError(t, err)
			if pe.Kind != payment.KindInvalid || pe.Param != tc.param {
				t.Fatalf("error = %+v, want KindInvalid on %s", pe, tc.param)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(pe.Message, m) {
					t.Errorf("message %q does not mention %q", pe.Message, m)
				}
			}
			for _, v := range tc.creds {
				if len(v) > 10 && strings.Contains(err.Error(), v) {
					t.Errorf("message echoes a credential: %q", err)
				}
			}
		})
	}
}
