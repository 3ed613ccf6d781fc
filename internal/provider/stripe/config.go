package stripe

import (
	"net/url"
	"sort"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// Credential names a Stripe connection stores.
const (
	// CredSecretKey is a secret (sk_test_…, sk_live_…) or restricted (rk_test_…,
	// rk_live_…) API key. A restricted key needs write access to PaymentIntents and
	// Refunds.
	CredSecretKey = "secret_key"
	// CredWebhookSecret is the signing secret (whsec_…) of the webhook endpoint that
	// points at /hooks/stripe/{connection_id}. Optional: without it every webhook is
	// refused and outcomes arrive only through status lookups.
	CredWebhookSecret = "webhook_secret"
)

// config is a connection's validated settings.
type config struct {
	connectionID  string
	livemode      bool
	secretKey     string
	webhookSecret string
	baseURL       string // no trailing slash
}

// parseConfig validates a connection: known credentials only, a key of the
// connection's mode, and a base URL other than Stripe's only in test mode. Errors
// name the credential at fault and never echo a secret.
func parseConfig(conn provider.Connection) (config, error) {
	cfg := config{connectionID: conn.ID, livemode: conn.Livemode,
		secretKey:     strings.TrimSpace(conn.Credentials[CredSecretKey]),
		webhookSecret: strings.TrimSpace(conn.Credentials[CredWebhookSecret])}
	var unknown []string
	for k := range conn.Credentials {
		if k != CredSecretKey && k != CredWebhookSecret {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return config{}, payment.Invalid("credentials", payment.CodeParameterUnknown,
			"unknown Stripe credential %q: a Stripe connection takes %s and %s", unknown[0], CredSecretKey, CredWebhookSecret)
	}
	mode, other := "test", "live"
	if conn.Livemode {
		mode, other = "live", "test"
	}
	param := "credentials." + CredSecretKey
	switch keyMode(cfg.secretKey) {
	case "":
		if cfg.secretKey == "" {
			return config{}, payment.Invalid(param, payment.CodeParameterMissing,
				"%s is required: copy the %s-mode secret key (sk_%s_…) from the Stripe Dashboard, Developers → API keys", CredSecretKey, mode, mode)
		}
		return config{}, payment.Invalid(param, payment.CodeParameterInvalid,
			"%s is not a Stripe secret key: it must start with sk_%s_ (or rk_%s_ for a restricted key); publishable keys (pk_…) do not work here",
			CredSecretKey, mode, mode)
	case other:
		return config{}, payment.Invalid(param, payment.CodeParameterInvalid,
			"%s is a %s-mode key (%s…) but this is a %s-mode connection: use the sk_%s_ key, or create the connection in %s mode",
			CredSecretKey, other, keyPrefix(cfg.secretKey), mode, mode, other)
	}
	if cfg.webhookSecret != "" && !strings.HasPrefix(cfg.webhookSecret, "whsec_") {
		return config{}, payment.Invalid("credentials."+CredWebhookSecret, payment.CodeParameterInvalid,
			"%s must be the endpoint's signing secret, which starts with whsec_ (Stripe Dashboard, Developers → Webhooks → the endpoint → Signing secret)",
			CredWebhookSecret)
	}
	base, err := baseURL(conn.BaseURL, conn.Livemode)
	if err != nil {
		return config{}, err
	}
	cfg.baseURL = base
	return cfg, nil
}

// keyMode is "test" or "live" for a well-formed secret or restricted key, else "".
func keyMode(key string) string {
	for _, p := range []string{"sk_", "rk_"} {
		switch {
		case strings.HasPrefix(key, p+"test_") && len(key) > len(p+"test_"):
			return "test"
		case strings.HasPrefix(key, p+"live_") && len(key) > len(p+"live_"):
			return "live"
		}
	}
	return ""
}

// keyPrefix is the key's public prefix (e.g. "sk_test_"), safe to show.
func keyPrefix(key string) string {
	if i := strings.LastIndexByte(key[:min(len(key), 8)], '_'); i > 0 {
		return key[:i+1]
	}
	return ""
}

// baseURL resolves the API host: Stripe's unless a test connection overrides it.
func baseURL(override string, livemode bool) (string, error) {
	override = strings.TrimRight(strings.TrimSpace(override), "/")
	if override == "" || override == DefaultBaseURL {
		return DefaultBaseURL, nil
	}
	if livemode {
		return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
			"a live Stripe connection talks only to %s: remove base_url (%q), which is allowed in test mode only", DefaultBaseURL, override)
	}
	u, err := url.Parse(override)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
			"base_url %q is not an http(s) URL such as http://127.0.0.1:12111", override)
	}
	return override, nil
}

// ValidateCredentials checks a Stripe connection's credentials and base URL offline,
// before they are stored: a secret_key of the connection's mode, an optional
// whsec_ webhook_secret, no other credential, and a base URL other than Stripe's
// in test mode only. Errors are *payment.Error values naming the credential at
// fault (Param "credentials.secret_key", …) and never contain a credential's value.
// Registration's New applies the same checks.
func ValidateCredentials(livemode bool, creds map[string]string, baseURL string) error {
	_, err := parseConfig(provider.Connection{Livemode: livemode, Credentials: creds, BaseURL: baseURL})
	return err
}
