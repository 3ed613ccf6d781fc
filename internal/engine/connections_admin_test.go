package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

func TestMaskCredential(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"sk_test_51HqLm2Xk9TzLw1ZcRn8e4242", "sk_test_…4242"},
		{"sk_live_51HqLm2Xk9TzLw1ZcRn8e4242", "sk_live_…4242"},
		{"whsec_5TqLm2Xk9TzLw1ZcRn8e9f3a", "whsec_…9f3a"},
		{"AbCdEfGhIjKlMnOpQrSt", "…QrSt"},
		// Short values show nothing: their last 4 would be a good part of them.
		{"sk_test_4242", "…"},
		{"hunter2", "…"},
		{"sk_test_abcdefghijk", "…"},
		{"x", "…"},
		// The prefix is looked for in the first 8 characters only.
		{"acct_and_more_stuff_1234", "acct_…1234"},
		{"abcdefghij_klmnopqrstuvwxyz", "…wxyz"},
	} {
		if got := maskCredential(c.in); got != c.want {
			t.Errorf("maskCredential(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCredentialsHintNeverHoldsMoreThanPrefixAndLast4(t *testing.T) {
	t.Parallel()
	creds := map[string]string{"webhook_secret": "whsec_5TqLm2Xk9TzLw1ZcRn8e9f3a", "secret_key": "sk_test_51HqLm2Xk9TzLw1ZcRn8e4242", "pin": "1234"}
	got := credentialsHint(creds)
	if want := "pin: …, secret_key: sk_test_…4242, webhook_secret: whsec_…9f3a"; got != want {
		t.Fatalf("credentialsHint = %q, want %q (sorted by name)", got, want)
	}
	for _, v := range creds {
		// Past an 8-character prefix, no 5 characters of a value may show.
		for i := 8; i+5 <= len(v); i++ {
			if chunk := v[i : i+5]; strings.Contains(got, chunk) {
				t.Errorf("the hint shows %q of a credential beyond its prefix and last 4", chunk)
			}
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		live     bool
		in, want string
		ok       bool
	}{
		{false, "", "", true},
		{true, "", "", true},
		{false, "http://127.0.0.1:12111/", "http://127.0.0.1:12111", true},
		{false, "https://mock.example/v1", "https://mock.example/v1", true},
		{true, "https://api.stripe.com", "", false},
		{false, "ftp://mock.example", "", false},
		{false, "mock.example", "", false},
		{false, "http://", "", false},
		{false, "http://user:pass@mock.example", "", false},
		{false, "http://mock.example/?x=1", "", false},
		{false, "http://mock.example/#f", "", false},
		{false, "http://mock.example/" + strings.Repeat("a", 3000), "", false},
	} {
		got, err := checkBaseURL(c.live, c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("checkBaseURL(live=%v, %q) = %q, %v; want %q, ok=%v", c.live, c.in, got, err, c.want, c.ok)
		}
		var pe *payment.Error
		if err != nil && (!errors.As(err, &pe) || pe.Param != "base_url" || pe.Kind != payment.KindInvalid) {
			t.Errorf("checkBaseURL(%q) error %v: want a KindInvalid *payment.Error on base_url", c.in, err)
		}
	}
}

func TestCheckMethods(t *testing.T) {
	t.Parallel()
	reg := provider.Registration{Name: "psp", Capabilities: provider.Capabilities{
		Methods: []provider.Method{provider.MethodCard, provider.MethodApplePay, provider.MethodPayPal}}}
	for _, c := range []struct {
		in, want []string
		ok       bool
	}{
		{nil, []string{"card", "apple_pay", "paypal"}, true},
		{[]string{"paypal", "card", "paypal"}, []string{"card", "paypal"}, true},
		{[]string{}, nil, false},
		{[]string{"card", "bnpl"}, nil, false},
		{[]string{"CARD"}, nil, false},
	} {
		got, err := checkMethods(reg, c.in)
		if c.ok != (err == nil) || !slices.Equal(got, c.want) {
			t.Errorf("checkMethods(%v) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxCredentialValue+1)
	many := map[string]string{}
	for i := range maxCredentials + 1 {
		many[string(rune('a'+i))] = "v"
	}
	for _, c := range []struct {
		name  string
		creds map[string]string
		code  string
	}{
		{"Nil", nil, payment.CodeParameterMissing},
		{"Empty", map[string]string{}, payment.CodeParameterMissing},
		{"EmptyValue", map[string]string{"secret_key": ""}, payment.CodeParameterInvalid},
		{"LongValue", map[string]string{"secret_key": long}, payment.CodeParameterInvalid},
		{"BadName", map[string]string{"Secret-Key": "x"}, payment.CodeParameterInvalid},
		{"TooMany", many, payment.CodeParameterInvalid},
		{"Good", map[string]string{"secret_key": "sk_test_x", "account_id": "acct_1"}, ""},
	} {
		err := checkCredentials(c.creds)
		if code := payment.ErrorCode(err); (err == nil) != (c.code == "") || err != nil && code != c.code {
			t.Errorf("%s: checkCredentials = %v, want code %q", c.name, err, c.code)
		}
		if err != nil && strings.Contains(err.Error(), long) {
			t.Errorf("%s: the error repeats the credential", c.name)
		}
	}
}
