package adyen

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
	if reg.Name != "adyen" || reg.DisplayName != "Adyen" || reg.New == nil || reg.ValidateCredentials == nil {
		t.Fatalf("registration = %+v", reg)
	}
	want := provider.Capabilities{
		Methods:       []provider.Method{provider.MethodCard, provider.MethodApplePay, provider.MethodGooglePay},
		ManualCapture: true, PartialCapture: true, Void: true, Refund: true, PartialRefund: true,
		Webhooks: true, StatusLookup: false, TestOnly: false,
	}
	if !reflect.DeepEqual(reg.Capabilities, want) {
		t.Fatalf("capabilities = %+v, want %+v", reg.Capabilities, want)
	}
	if _, err := provider.NewRegistry(reg); err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
}

// TestModeChecks: a connection's endpoints and keys must fit its mode, and the
// refusal names the credential at fault without echoing a key.
func TestModeChecks(t *testing.T) {
	t.Parallel()
	const (
		prefix   = "1797a841fbb37ca7-AdyenDemo"
		localURL = "http://127.0.0.1:4010"
	)
	creds := func(kv ...string) map[string]string {
		m := map[string]string{CredAPIKey: testAPIKey, CredMerchantAccount: testMerchant}
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
		wantBase string   // for accepted connections
	}{
		{name: "test connection, Adyen's test endpoint", creds: creds(), wantBase: "https://checkout-test.adyen.com/v71"},
		{name: "test connection naming the test endpoint", creds: creds(), baseURL: "https://checkout-test.adyen.com/v71/", wantBase: TestBaseURL},
		{name: "test connection pointed at Prism", creds: creds(CredHMACKey, testHMACKey), baseURL: localURL, wantBase: localURL},
		{name: "test connection with live_url_prefix", creds: creds(CredLiveURLPrefix, prefix),
			param: "credentials.live_url_prefix", mentions: []string{"live_url_prefix", "live connections only", "test-mode connection", "checkout-test.adyen.com"}},
		{name: "test connection pointed at a live endpoint", creds: creds(), baseURL: "https://" + prefix + "-checkout-live.adyenpayments.com/checkout/v71",
			param: "base_url", mentions: []string{"base_url", "live endpoint", "test-mode connection"}},
		{name: "test connection pointed at the live CA host", creds: creds(), baseURL: "https://checkout-live.adyen.com/v71",
			param: "base_url", mentions: []string{"live endpoint"}},
		{name: "test connection with a non-http base URL", creds: creds(), baseURL: "ftp://127.0.0.1", param: "base_url"},
		{name: "live connection with its prefix", live: true, creds: creds(CredLiveURLPrefix, prefix, CredHMACKey, testHMACKey),
			wantBase: "https://1797a841fbb37ca7-AdyenDemo-checkout-live.adyenpayments.com/checkout/v71"},
		{name: "live connection naming its own live endpoint", live: true, creds: creds(CredLiveURLPrefix, prefix),
			baseURL: "https://" + prefix + "-checkout-live.adyenpayments.com/checkout/v71", wantBase: LiveBaseURL(prefix)},
		{name: "live connection without live_url_prefix", live: true, creds: creds(),
			param: "credentials.live_url_prefix", mentions: []string{"live_url_prefix", "live Adyen connection needs", "API URLs"}},
		{name: "live connection with a full URL as prefix", live: true, creds: creds(CredLiveURLPrefix, "https://"+prefix+"-checkout-live.adyenpayments.com"),
			param: "credentials.live_url_prefix", mentions: []string{"not an endpoint prefix"}},
		{name: "live connection pointed at the test endpoint", live: true, creds: creds(CredLiveURLPrefix, prefix), baseURL: TestBaseURL,
			param: "base_url", mentions: []string{"base_url", "test endpoint", "live connection"}},
		{name: "live connection pointed at a local server", live: true, creds: creds(CredLiveURLPrefix, prefix), baseURL: localURL,
			param: "base_url", mentions: []string{"base_url", "test mode only", localURL}},
		{name: "live connection with a look-alike host", live: true, creds: creds(CredLiveURLPrefix, prefix),
			baseURL: "https://" + prefix + "-checkout-live.adyenpayments.com.evil.test/checkout/v71", param: "base_url"},
		{name: "missing api_key", creds: creds(CredAPIKey, "<delete>"),
			param: "credentials.api_key", mentions: []string{"api_key is required", "test Customer Area"}},
		{name: "client key as api_key", creds: creds(CredAPIKey, "test_ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"),
			param: "credentials.api_key", mentions: []string{"client key", "test_"}},
		{name: "live client key as api_key", live: true, creds: creds(CredAPIKey, "live_ABCDEFGHIJKLMNOPQRSTUVWXYZ123456", CredLiveURLPrefix, prefix),
			param: "credentials.api_key", mentions: []string{"client key"}},
		{name: "api_key with a space", creds: creds(CredAPIKey, "AQE abcdefghijklmnopqrstu"), param: "credentials.api_key"},
		{name: "missing merchant_account", creds: creds(CredMerchantAccount, ""),
			param: "credentials.merchant_account", mentions: []string{"merchant_account is required"}},
		{name: "merchant_account with spaces", creds: creds(CredMerchantAccount, "Test Merchant"), param: "credentials.merchant_account"},
		{name: "hmac_key not hex", creds: creds(CredHMACKey, "not-a-hex-key-not-a-hex-key-not-a-hex"),
			param: "credentials.hmac_key", mentions: []string{"hmac_key", "hex"}},
		{name: "hmac_key too short", creds: creds(CredHMACKey, "ABCD"), param: "credentials.hmac_key"},
		{name: "unknown credential", creds: creds("secret_key", "sk_test_x"),
			param: "credentials", mentions: []string{"secret_key", "api_key"}},
		{name: "apple pay merchant id with spaces", creds: creds(CredApplePayMerchantID, "merchant com"), param: "credentials.apple_pay_merchant_id"},
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
				if got := c.(*connector).cfg.baseURL; got != tc.wantBase {
					t.Fatalf("base URL = %q, want %q", got, tc.wantBase)
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
			for k, v := range tc.creds {
				if (k == CredAPIKey || k == CredHMACKey) && len(v) > 10 && strings.Contains(err.Error(), v) {
					t.Errorf("message echoes %s: %q", k, err)
				}
			}
		})
	}
}

func TestAmounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		currency string
		in       int64
		sent     int64
		err      bool
	}{
		{"EUR", 1050, 1050, false}, {"JPY", 500, 500, false}, {"KWD", 1235, 1235, false},
		{"ISK", 5, 500, false}, {"CLP", 990, 99000, false}, {"IDR", 1500000, 15000, false}, {"CVE", 1200, 12, false},
		{"IDR", 150, 0, true}, {"CVE", 1, 0, true}, {"XYZ", 1, 0, true}, {"ISK", 1 << 62, 0, true},
	}
	for _, tc := range tests {
		got, err := toAdyen("amount", tc.in, tc.currency)
		if (err != nil) != tc.err {
			t.Errorf("toAdyen(%d %s) error = %v", tc.in, tc.currency, err)
			continue
		}
		if tc.err {
			asPaymentError(t, err)
			continue
		}
		if got.Value != tc.sent || got.Currency != strings.ToUpper(tc.currency) {
			t.Errorf("toAdyen(%d %s) = %+v, want %d", tc.in, tc.currency, got, tc.sent)
		}
		if back := fromAdyen(got.Value, got.Currency); back != tc.in {
			t.Errorf("fromAdyen(%d %s) = %d, want %d", got.Value, got.Currency, back, tc.in)
		}
	}
}

func TestFailureCodes(t *testing.T) {
	t.Parallel()
	tests := []struct{ code, reason, raw, want string }{
		{"12", "Not enough balance", "", "insufficient_funds"},
		{"2", "Refused", "51 : Insufficient funds", "insufficient_funds"},
		{"2", "Refused", "05 : Do not honor", "do_not_honor"},
		{"2", "Refused", "DECLINED", "card_declined"},
		{"6", "Expired Card", "", "expired_card"},
		{"24", "CVC Declined", "", "incorrect_cvc"},
		{"11", "3D Not Authenticated", "", "authentication_failed"},
		{"27", "Declined Non Generic", "54", "expired_card"},
		{"", "Not enough balance", "", "insufficient_funds"},
		{"", "expired card", "", "expired_card"},
		{"", "", "", "card_declined"},
		{"999", "Something new", "", "card_declined"},
		{"20", "FRAUD", "51", "fraudulent"},
	}
	for _, tc := range tests {
		if got := failureCode(tc.code, tc.reason, tc.raw); got != tc.want {
			t.Errorf("failureCode(%q, %q, %q) = %q, want %q", tc.code, tc.reason, tc.raw, got, tc.want)
		}
	}
}
