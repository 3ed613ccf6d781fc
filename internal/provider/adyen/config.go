package adyen

import (
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
	"unicode"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// Credential names an Adyen connection stores.
const (
	// CredAPIKey is the API key of an API credential (ws_…@Company.…) with the
	// Checkout webservice role, from Customer Area → Developers → API credentials.
	CredAPIKey = "api_key"
	// CredMerchantAccount is the merchant account the payments are made in.
	CredMerchantAccount = "merchant_account"
	// CredHMACKey is the hex HMAC key of the standard webhook pointing at
	// /hooks/adyen/{connection_id}. Optional when the connection is created (the
	// webhook URL needs the connection id), but without it every notification is
	// refused, and Adyen's outcomes arrive only by notification.
	CredHMACKey = "hmac_key"
	// CredLiveURLPrefix is the [random]-[company name] prefix of the account's live
	// endpoints (Customer Area → Developers → API URLs). Live connections only.
	CredLiveURLPrefix = "live_url_prefix"
	// CredApplePayMerchantID is the Apple Pay merchant identifier sent to
	// /applePay/sessions (the configuration.merchantId of Apple Pay in the
	// /paymentMethods answer). Optional; only ApplePaySession needs it.
	CredApplePayMerchantID = "apple_pay_merchant_id"
)

var knownCredentials = []string{CredAPIKey, CredMerchantAccount, CredHMACKey, CredLiveURLPrefix, CredApplePayMerchantID}

// TestBaseURL is the Checkout API endpoint of Adyen's test environment, the only one
// a test connection talks to unless it overrides the base URL.
const TestBaseURL = "https://checkout-test.adyen.com/" + APIVersion

// LiveBaseURL is the Checkout API endpoint of a live account with the given prefix.
func LiveBaseURL(prefix string) string {
	return "https://" + prefix + "-checkout-live.adyenpayments.com/checkout/" + APIVersion
}

// config is a connection's validated settings.
type config struct {
	connectionID       string
	livemode           bool
	apiKey             string
	merchantAccount    string
	hmacKey            []byte // nil without a key
	applePayMerchantID string
	baseURL            string // no trailing slash
}

// parseConfig validates a connection: known credentials only, the required ones
// present and well formed, and endpoints of the connection's mode. Errors name the
// credential at fault and never echo a secret.
func parseConfig(conn provider.Connection) (config, error) {
	creds := conn.Credentials
	cfg := config{connectionID: conn.ID, livemode: conn.Livemode,
		apiKey:             strings.TrimSpace(creds[CredAPIKey]),
		merchantAccount:    strings.TrimSpace(creds[CredMerchantAccount]),
		applePayMerchantID: strings.TrimSpace(creds[CredApplePayMerchantID])}
	var unknown []string
	for k := range creds {
		if !isKnownCredential(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return config{}, payment.Invalid("credentials", payment.CodeParameterUnknown,
			"unknown Adyen credential %q: an Adyen connection takes %s", unknown[0], strings.Join(knownCredentials, ", "))
	}
	mode := "test"
	if conn.Livemode {
		mode = "live"
	}
	if err := checkAPIKey(cfg.apiKey, mode); err != nil {
		return config{}, err
	}
	if err := checkMerchantAccount(cfg.merchantAccount); err != nil {
		return config{}, err
	}
	key, err := parseHMACKey(creds[CredHMACKey])
	if err != nil {
		return config{}, err
	}
	cfg.hmacKey = key
	if len(cfg.applePayMerchantID) > 255 || strings.ContainsFunc(cfg.applePayMerchantID, unicode.IsSpace) {
		return config{}, payment.Invalid("credentials."+CredApplePayMerchantID, payment.CodeParameterInvalid,
			"%s must be an Apple Pay merchant identifier such as merchant.com.adyen.yourcompany, without spaces", CredApplePayMerchantID)
	}
	base, err := endpoint(conn.Livemode, strings.TrimSpace(creds[CredLiveURLPrefix]), conn.BaseURL)
	if err != nil {
		return config{}, err
	}
	cfg.baseURL = base
	return cfg, nil
}

func isKnownCredential(k string) bool {
	for _, c := range knownCredentials {
		if k == c {
			return true
		}
	}
	return false
}

func checkAPIKey(key, mode string) error {
	param := "credentials." + CredAPIKey
	switch {
	case key == "":
		return payment.Invalid(param, payment.CodeParameterMissing,
			"%s is required: in the Adyen %s Customer Area, open Developers → API credentials, pick (or create) a credential with the Checkout webservice role and generate its API key", CredAPIKey, mode)
	case strings.HasPrefix(key, "test_") || strings.HasPrefix(key, "live_"):
		return payment.Invalid(param, payment.CodeParameterInvalid,
			"%s is a client key (it starts with %s), which works only in the browser: use the API key of the same API credential instead", CredAPIKey, key[:5])
	case len(key) < 16 || len(key) > 1024 || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }):
		return payment.Invalid(param, payment.CodeParameterInvalid,
			"%s is not an Adyen API key: copy the whole key (printable characters, no spaces) from Developers → API credentials", CredAPIKey)
	}
	return nil
}

func checkMerchantAccount(acct string) error {
	param := "credentials." + CredMerchantAccount
	if acct == "" {
		return payment.Invalid(param, payment.CodeParameterMissing,
			"%s is required: the name of the Adyen merchant account to take payments in (Customer Area → Settings → Merchant accounts), e.g. YourCompanyECOM", CredMerchantAccount)
	}
	if len(acct) > 255 || strings.ContainsFunc(acct, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return payment.Invalid(param, payment.CodeParameterInvalid,
			"%s %q is not an Adyen merchant account name: use the account's code as the Customer Area shows it, without spaces", CredMerchantAccount, clip(acct))
	}
	return nil
}

// parseHMACKey decodes the webhook HMAC key, which the Customer Area shows as hex.
func parseHMACKey(raw string) ([]byte, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(raw)
	if err != nil || len(b) < 16 {
		return nil, payment.Invalid("credentials."+CredHMACKey, payment.CodeParameterInvalid,
			"%s must be the webhook's HMAC key as the Customer Area shows it: a hex string of at least 32 digits (Developers → Webhooks → your standard webhook → Security → HMAC key)", CredHMACKey)
	}
	return b, nil
}

// endpoint resolves the Checkout base URL: Adyen's test endpoint for a test
// connection unless it overrides the base URL, the prefixed live endpoint for a live
// one, which never talks to anything else.
func endpoint(livemode bool, prefix, override string) (string, error) {
	override = strings.TrimRight(strings.TrimSpace(override), "/")
	prefixParam := "credentials." + CredLiveURLPrefix
	if !livemode {
		if prefix != "" {
			return "", payment.Invalid(prefixParam, payment.CodeParameterInvalid,
				"%s is for live connections only: a test-mode connection talks to %s. Remove %s, or create the connection in live mode",
				CredLiveURLPrefix, TestBaseURL, CredLiveURLPrefix)
		}
		if override == "" || override == TestBaseURL {
			return TestBaseURL, nil
		}
		u, err := url.Parse(override)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
				"base_url %q is not an http(s) URL such as http://127.0.0.1:4010", clip(override))
		}
		if isLiveHost(u.Hostname()) {
			return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
				"base_url %q is an Adyen live endpoint, but this is a test-mode connection: a test connection never moves real money. Remove base_url, or create the connection in live mode with %s",
				clip(override), CredLiveURLPrefix)
		}
		return override, nil
	}
	if prefix == "" {
		return "", payment.Invalid(prefixParam, payment.CodeParameterMissing,
			"a live Adyen connection needs %s: the [random]-[company name] prefix of your live endpoints, shown in the live Customer Area under Developers → API URLs (e.g. 1797a841fbb37ca7-AdyenDemo); requests then go to %s",
			CredLiveURLPrefix, LiveBaseURL("{prefix}"))
	}
	if !validPrefix(prefix) {
		return "", payment.Invalid(prefixParam, payment.CodeParameterInvalid,
			"%s %q is not an endpoint prefix: give only the part before -checkout-live.adyenpayments.com (letters, digits and hyphens), e.g. 1797a841fbb37ca7-AdyenDemo",
			CredLiveURLPrefix, clip(prefix))
	}
	live := LiveBaseURL(prefix)
	if override == "" || override == live {
		return live, nil
	}
	if u, err := url.Parse(override); err == nil && isTestHost(u.Hostname()) {
		return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
			"base_url %q is Adyen's test endpoint, but this is a live connection: remove base_url; a live connection talks only to %s", clip(override), live)
	}
	return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
		"a live Adyen connection talks only to %s: remove base_url (%q), which is allowed in test mode only", live, clip(override))
}

// validPrefix: letters, digits and inner hyphens, as Adyen's live URL prefixes are.
func validPrefix(p string) bool {
	if p == "" || len(p) > 100 || p[0] == '-' || p[len(p)-1] == '-' {
		return false
	}
	for _, r := range p {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func isLiveHost(h string) bool {
	h = strings.ToLower(h)
	return h == "adyenpayments.com" || strings.HasSuffix(h, ".adyenpayments.com") ||
		(strings.HasSuffix(h, ".adyen.com") && strings.Contains(h, "live"))
}

func isTestHost(h string) bool {
	h = strings.ToLower(h)
	return strings.HasSuffix(h, ".adyen.com") && strings.Contains(h, "test")
}

// ValidateCredentials checks an Adyen connection's credentials and base URL offline,
// before they are stored: an api_key (not a client key), a merchant_account, an
// optional hex hmac_key and apple_pay_merchant_id, no other credential, and
// endpoints of the connection's mode: a live connection needs live_url_prefix and
// takes no base URL (and never Adyen's test endpoint); a test connection refuses
// live_url_prefix and live endpoints. Errors are *payment.Error values naming the
// credential at fault (Param "credentials.live_url_prefix", "base_url", …) and never
// contain a key. Registration's New applies the same checks.
func ValidateCredentials(livemode bool, creds map[string]string, baseURL string) error {
	_, err := parseConfig(provider.Connection{Livemode: livemode, Credentials: creds, BaseURL: baseURL})
	return err
}

// clip shortens s for a message, on a rune boundary.
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
