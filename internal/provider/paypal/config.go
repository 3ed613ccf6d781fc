package paypal

import (
	"net/url"
	"sort"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// Credential names a PayPal connection stores.
const (
	// CredClientID is the REST app's client ID (developer.paypal.com → Apps &
	// Credentials).
	CredClientID = "client_id"
	// CredClientSecret is the REST app's secret.
	CredClientSecret = "client_secret"
	// CredWebhookID is the id PayPal gave the webhook that points at
	// /hooks/paypal/{connection_id}. Optional: without it every webhook is refused
	// and outcomes arrive only through status lookups.
	CredWebhookID = "webhook_id"
	// CredEnvironment says which PayPal environment the app belongs to: "sandbox"
	// or "live". PayPal's client ids do not tell, so the merchant says it; it
	// defaults to the connection's mode (sandbox for test, live for live), and a
	// connection whose environment is not its mode's is refused.
	CredEnvironment = "environment"
)

// PayPal environments.
const (
	EnvSandbox = "sandbox"
	EnvLive    = "live"
)

// config is a connection's validated settings.
type config struct {
	connectionID string
	livemode     bool
	environment  string
	clientID     string
	clientSecret string
	webhookID    string
	baseURL      string // no trailing slash
}

// parseConfig validates a connection: known credentials only, an environment that
// fits the connection's mode, a client id and secret, an optional webhook id, and a
// base URL other than PayPal's only in test mode. Errors name the credential at
// fault and never echo a secret.
func parseConfig(conn provider.Connection) (config, error) {
	cfg := config{connectionID: conn.ID, livemode: conn.Livemode,
		clientID:     strings.TrimSpace(conn.Credentials[CredClientID]),
		clientSecret: strings.TrimSpace(conn.Credentials[CredClientSecret]),
		webhookID:    strings.TrimSpace(conn.Credentials[CredWebhookID]),
		environment:  strings.ToLower(strings.TrimSpace(conn.Credentials[CredEnvironment]))}
	var unknown []string
	for k := range conn.Credentials {
		switch k {
		case CredClientID, CredClientSecret, CredWebhookID, CredEnvironment:
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return config{}, payment.Invalid("credentials", payment.CodeParameterUnknown,
			"unknown PayPal credential %q: a PayPal connection takes %s, %s, %s and %s",
			clip(unknown[0]), CredClientID, CredClientSecret, CredWebhookID, CredEnvironment)
	}
	mode, want := "test", EnvSandbox
	if conn.Livemode {
		mode, want = "live", EnvLive
	}
	envParam := "credentials." + CredEnvironment
	switch cfg.environment {
	case "":
		cfg.environment = want
	case want:
	case EnvSandbox: // in a live connection
		return config{}, payment.Invalid(envParam, payment.CodeParameterInvalid,
			"%s is %q but this is a live-mode connection: a live connection cannot use PayPal sandbox credentials; use the live app's client_id and client_secret (developer.paypal.com → Apps & Credentials → Live) and set %s to %q, or create the connection in test mode",
			CredEnvironment, EnvSandbox, CredEnvironment, EnvLive)
	case EnvLive: // in a test connection
		return config{}, payment.Invalid(envParam, payment.CodeParameterInvalid,
			"%s is %q but this is a test-mode connection: test payments must never reach PayPal's live environment; use the sandbox app's credentials and set %s to %q, or create the connection in live mode",
			CredEnvironment, EnvLive, CredEnvironment, EnvSandbox)
	default:
		return config{}, payment.Invalid(envParam, payment.CodeParameterInvalid,
			"%s must be %q or %q (default for a %s-mode connection: %q)", CredEnvironment, EnvSandbox, EnvLive, mode, want)
	}
	where := "Sandbox"
	if cfg.environment == EnvLive {
		where = "Live"
	}
	for _, c := range []struct{ name, val string }{{CredClientID, cfg.clientID}, {CredClientSecret, cfg.clientSecret}} {
		param := "credentials." + c.name
		switch {
		case c.val == "":
			return config{}, payment.Invalid(param, payment.CodeParameterMissing,
				"%s is required: copy the REST app's %s from developer.paypal.com → Apps & Credentials → %s", c.name, strings.ReplaceAll(c.name, "_", " "), where)
		case !credentialChars(c.val, 512):
			return config{}, payment.Invalid(param, payment.CodeParameterInvalid,
				"%s is not a PayPal REST %s: it has characters other than letters, digits, '-' and '_', or is longer than 512; copy it again from developer.paypal.com → Apps & Credentials → %s",
				c.name, strings.ReplaceAll(c.name, "_", " "), where)
		}
	}
	if cfg.webhookID != "" && !webhookIDChars(cfg.webhookID) {
		return config{}, payment.Invalid("credentials."+CredWebhookID, payment.CodeParameterInvalid,
			"%s must be the webhook's ID as PayPal shows it (letters and digits, at most 50, e.g. 1JE4291016473214C): developer.paypal.com → Apps & Credentials → the app → Webhooks",
			CredWebhookID)
	}
	base, err := baseURL(conn.BaseURL, conn.Livemode)
	if err != nil {
		return config{}, err
	}
	cfg.baseURL = base
	return cfg, nil
}

// credentialChars reports whether s is 1..max characters of what PayPal client ids
// and secrets are made of.
func credentialChars(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// webhookIDChars matches the verify-webhook-signature API's webhook_id: ^[a-zA-Z0-9]+$,
// at most 50 characters.
func webhookIDChars(s string) bool {
	if len(s) > 50 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

// baseURL resolves the API host: PayPal's live host for a live connection, the
// sandbox host for a test connection unless it overrides it with a local server.
// A test connection may not point at the live host.
func baseURL(override string, livemode bool) (string, error) {
	override = strings.TrimRight(strings.TrimSpace(override), "/")
	if livemode {
		if override == "" || override == LiveBaseURL {
			return LiveBaseURL, nil
		}
		return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
			"a live PayPal connection talks only to %s: remove base_url (%q), which is allowed in test mode only", LiveBaseURL, clip(override))
	}
	if override == "" {
		return SandboxBaseURL, nil
	}
	u, err := url.Parse(override)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
			"base_url %q is not an http(s) URL such as http://127.0.0.1:4010", clip(override))
	}
	if h := strings.ToLower(u.Hostname()); h == "api-m.paypal.com" || h == "api.paypal.com" {
		return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
			"base_url %q is PayPal's live host, but this is a test-mode connection: remove base_url to use %s", clip(override), SandboxBaseURL)
	}
	return override, nil
}

// ValidateCredentials checks a PayPal connection's credentials and base URL offline,
// before they are stored: client_id and client_secret present and well formed, an
// optional webhook_id, an environment ("sandbox"/"live", defaulting to the
// connection's mode) that fits the mode (a live connection whose environment is
// sandbox is refused, and the reverse), no other credential, and a base URL other
// than PayPal's in test mode only. Errors are *payment.Error values naming the
// credential at fault (Param "credentials.environment", …) and never contain a
// credential's value. Registration's New applies the same checks.
func ValidateCredentials(livemode bool, creds map[string]string, baseURL string) error {
	_, err := parseConfig(provider.Connection{Livemode: livemode, Credentials: creds, BaseURL: baseURL})
	return err
}

// clip shortens s for an error message, on a rune boundary.
func clip(s string) string {
	n := 0
	for i := range s {
		if n == 40 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
