package paypal

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
	if reg.Name != "paypal" || reg.DisplayName != "PayPal" || reg.New == nil || reg.ValidateCredentials == nil {
		t.Fatalf("registration = %+v", reg)
	}
	want := provider.Capabilities{
		Methods:       []provider.Method{provider.MethodPayPal},
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

// TestModeChecks: a connection's environment, credentials and base URL must fit its
// mode, and the refusal says which credential is wrong without echoing it.
func TestModeChecks(t *testing.T) {
	t.Parallel()
	const (
		id       = "AYSq3RDGsmBLJE-otTkBtM-jBRd1TCQwFf9RGfwddNXWz0uFU9ztymylOhRS"
		secret   = "EGnHDxD_qRPdaLdZz8iCr8N7_MzF-YHPTkjs6NKYQvQSBngp4PTTVWkPZRbL"
		localURL = "http://127.0.0.1:4010"
	)
	creds := func(kv ...string) map[string]string {
		m := map[string]string{CredClientID: id, CredClientSecret: secret}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "<delete>" {
				delete(m, kv[i])
				continue
			}
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		live     bool
		creds    map[string]string
		baseURL  string
		param    string   // "" means accepted
		mentions []string // the message names these
		env      string   // the environment an accepted connection uses
		base     string   // and its API host
	}{
		{name: "test connection defaults to the sandbox", creds: creds(), env: EnvSandbox, base: SandboxBaseURL},
		{name: "live connection defaults to live", live: true, creds: creds(CredWebhookID, "1JE4291016473214C"), env: EnvLive, base: LiveBaseURL},
		{name: "explicit sandbox in test mode", creds: creds(CredEnvironment, " Sandbox "), env: EnvSandbox, base: SandboxBaseURL},
		{name: "explicit live in live mode", live: true, creds: creds(CredEnvironment, "live"), env: EnvLive, base: LiveBaseURL},
		{name: "live connection with sandbox credentials", live: true, creds: creds(CredEnvironment, "sandbox"),
			param: "credentials.environment", mentions: []string{"environment", "sandbox", "live-mode connection", "cannot use PayPal sandbox credentials"}},
		{name: "test connection with live credentials", creds: creds(CredEnvironment, "live"),
			param: "credentials.environment", mentions: []string{"environment", "live", "test-mode connection"}},
		{name: "unknown environment", creds: creds(CredEnvironment, "production"),
			param: "credentials.environment", mentions: []string{"sandbox", "live"}},
		{name: "live connection with a non-PayPal base URL", live: true, creds: creds(), baseURL: localURL,
			param: "base_url", mentions: []string{"live", LiveBaseURL, localURL}},
		{name: "live connection with the sandbox host", live: true, creds: creds(), baseURL: SandboxBaseURL, param: "base_url"},
		{name: "live connection with a look-alike host", live: true, creds: creds(), baseURL: "https://api-m.paypal.com.evil.test", param: "base_url"},
		{name: "live connection naming PayPal's own host", live: true, creds: creds(), baseURL: LiveBaseURL + "/", env: EnvLive, base: LiveBaseURL},
		{name: "test connection pointed at a local server", creds: creds(), baseURL: localURL + "/", env: EnvSandbox, base: localURL},
		{name: "test connection pointed at the live host", creds: creds(), baseURL: LiveBaseURL, param: "base_url", mentions: []string{"live host"}},
		{name: "test connection with a non-http base URL", creds: creds(), baseURL: "ftp://127.0.0.1", param: "base_url"},
		{name: "missing client id", creds: creds(CredClientID, "<delete>"),
			param: "credentials.client_id", mentions: []string{"client_id is required", "Sandbox"}},
		{name: "missing client secret in live mode", live: true, creds: creds(CredClientSecret, "  "),
			param: "credentials.client_secret", mentions: []string{"client_secret is required", "Live"}},
		{name: "client id with spaces inside", creds: creds(CredClientID, "AYSq3 RDGs"), param: "credentials.client_id"},
		{name: "secret with a quote", creds: creds(CredClientSecret, `EGnH"x`), param: "credentials.client_secret"},
		{name: "webhook id with a dash", creds: creds(CredWebhookID, "1JE4-2910"), param: "credentials.webhook_id", mentions: []string{"webhook"}},
		{name: "webhook id too long", creds: creds(CredWebhookID, strings.Repeat("A", 51)), param: "credentials.webhook_id"},
		{name: "unknown credential", creds: creds("secret_key", "sk_test_x"), param: "credentials", mentions: []string{"secret_key", "client_id"}},
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
				cfg := c.(*connector).cfg
				if cfg.environment != tc.env || cfg.baseURL != tc.base {
					t.Fatalf("environment %q at %s, want %q at %s", cfg.environment, cfg.baseURL, tc.env, tc.base)
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
			for _, v := range []string{id, secret} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("message echoes a credential: %q", err)
				}
			}
		})
	}
}
