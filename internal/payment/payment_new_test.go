package payment_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

func items(n int) []payment.Item {
	out := make([]payment.Item, n)
	for i := range out {
		out[i] = payment.Item{Name: fmt.Sprintf("item %d", i), Quantity: 1, UnitAmount: 10}
	}
	return out
}

func metadata(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

func TestNewPaymentRejectsBadInput(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("a", n) }
	item := func(f func(*payment.Item)) []payment.Item {
		it := payment.Item{Name: "T-shirt", Quantity: 1, UnitAmount: 1000}
		f(&it)
		return []payment.Item{it}
	}
	tests := []struct {
		name     string
		mutate   func(*payment.CreateParams)
		code     string
		param    string
		contains []string // what was wrong and how to fix it
	}{
		// amount
		{"zero amount", func(p *payment.CreateParams) { p.Amount = 0 },
			payment.CodeAmountInvalid, "amount", []string{"positive integer", "minor units", "got 0"}},
		{"negative amount", func(p *payment.CreateParams) { p.Amount = -1 },
			payment.CodeAmountInvalid, "amount", []string{"positive integer", "got -1"}},
		{"min int64 amount", func(p *payment.CreateParams) { p.Amount = math.MinInt64 },
			payment.CodeAmountInvalid, "amount", []string{"positive integer"}},
		{"amount over max", func(p *payment.CreateParams) { p.Amount = money.MaxMinor + 1 },
			payment.CodeAmountTooLarge, "amount", []string{"at most 999999999999", "got 1000000000000"}},
		{"max int64 amount", func(p *payment.CreateParams) { p.Amount = math.MaxInt64 },
			payment.CodeAmountTooLarge, "amount", []string{"at most 999999999999"}},
		// currency
		{"empty currency", func(p *payment.CreateParams) { p.Currency = "" },
			payment.CodeParameterMissing, "currency", []string{"required", "ISO 4217", "EUR"}},
		{"unknown currency", func(p *payment.CreateParams) { p.Currency = "XYZ" },
			payment.CodeCurrencyInvalid, "currency", []string{`"XYZ"`, "ISO 4217"}},
		{"currency name", func(p *payment.CreateParams) { p.Currency = "euro" },
			payment.CodeCurrencyInvalid, "currency", []string{`"euro"`, "ISO 4217"}},
		{"currency with space", func(p *payment.CreateParams) { p.Currency = " EUR" },
			payment.CodeCurrencyInvalid, "currency", []string{"ISO 4217"}},
		{"bad currency wins over bad amount", func(p *payment.CreateParams) { p.Currency, p.Amount = "XYZ", 0 },
			payment.CodeCurrencyInvalid, "currency", nil},
		// capture_method, channel
		{"bad capture_method", func(p *payment.CreateParams) { p.CaptureMethod = "later" },
			payment.CodeParameterInvalid, "capture_method", []string{`"automatic"`, `"manual"`, `"later"`}},
		{"capture_method is case-sensitive", func(p *payment.CreateParams) { p.CaptureMethod = "Manual" },
			payment.CodeParameterInvalid, "capture_method", []string{`"Manual"`}},
		{"bad channel", func(p *payment.CreateParams) { p.Channel = "phone" },
			payment.CodeParameterInvalid, "channel", []string{"web, app, pos, email", `"phone"`}},
		// free text
		{"order_id too long", func(p *payment.CreateParams) { p.OrderID = long(256) },
			payment.CodeParameterInvalid, "order_id", []string{"at most 255 characters", "got 256"}},
		{"order_id too long in runes", func(p *payment.CreateParams) { p.OrderID = strings.Repeat("é", 256) },
			payment.CodeParameterInvalid, "order_id", []string{"at most 255 characters", "got 256"}},
		{"description too long", func(p *payment.CreateParams) { p.Description = long(1001) },
			payment.CodeParameterInvalid, "description", []string{"at most 1000 characters", "got 1001"}},
		// customer
		{"email without @", func(p *payment.CreateParams) { p.Customer.Email = "shopper.example.com" },
			payment.CodeParameterInvalid, "customer.email", []string{"shopper.example.com", "not an email address"}},
		{"email with space", func(p *payment.CreateParams) { p.Customer.Email = "a b@example.com" },
			payment.CodeParameterInvalid, "customer.email", []string{"not an email address"}},
		{"email with newline", func(p *payment.CreateParams) { p.Customer.Email = "a@example.com\nBcc: x@y" },
			payment.CodeParameterInvalid, "customer.email", []string{"not an email address"}},
		{"email too long", func(p *payment.CreateParams) { p.Customer.Email = long(250) + "@x.com" },
			payment.CodeParameterInvalid, "customer.email", []string{"not an email address"}},
		{"customer name too long", func(p *payment.CreateParams) { p.Customer.Name = long(256) },
			payment.CodeParameterInvalid, "customer.name", []string{"at most 255 characters"}},
		{"customer type upper case", func(p *payment.CreateParams) { p.Customer.Type = "Business" },
			payment.CodeParameterInvalid, "customer.type", []string{"1-32 characters of a-z, 0-9, _ or -", `"Business"`}},
		{"customer type with space", func(p *payment.CreateParams) { p.Customer.Type = "big business" },
			payment.CodeParameterInvalid, "customer.type", []string{"a-z, 0-9, _ or -"}},
		{"customer type too long", func(p *payment.CreateParams) { p.Customer.Type = long(33) },
			payment.CodeParameterInvalid, "customer.type", []string{"1-32 characters"}},
		{"customer locale unknown", func(p *payment.CreateParams) { p.Customer.Locale = "xx" },
			payment.CodeParameterInvalid, "customer.locale", []string{"one of en, it, pl", `"xx"`}},
		{"customer locale upper case", func(p *payment.CreateParams) { p.Customer.Locale = "IT" },
			payment.CodeParameterInvalid, "customer.locale", []string{"one of en, it, pl"}},
		// items
		{"item with empty name", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.Name = "" }) },
			payment.CodeParameterMissing, "items[0].name", []string{"items[0].name is required"}},
		{"item with blank name", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.Name = " \t " }) },
			payment.CodeParameterMissing, "items[0].name", []string{"required"}},
		{"item name too long", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.Name = long(251) }) },
			payment.CodeParameterInvalid, "items[0].name", []string{"at most 250 characters"}},
		{"item with zero quantity", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.Quantity = 0 }) },
			payment.CodeParameterInvalid, "items[0].quantity", []string{"between 1 and 1000000", "got 0"}},
		{"item with negative quantity", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.Quantity = -2 }) },
			payment.CodeParameterInvalid, "items[0].quantity", []string{"between 1 and 1000000", "got -2"}},
		{"item with huge quantity", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.Quantity = 1_000_001 }) },
			payment.CodeParameterInvalid, "items[0].quantity", []string{"between 1 and 1000000"}},
		{"item with negative unit_amount", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.UnitAmount = -1 }) },
			payment.CodeAmountInvalid, "items[0].unit_amount", []string{"between 0 and 999999999999", "got -1"}},
		{"item with unit_amount over max", func(p *payment.CreateParams) {
			p.Items = item(func(i *payment.Item) { i.UnitAmount = money.MaxMinor + 1 })
		}, payment.CodeAmountInvalid, "items[0].unit_amount", []string{"between 0 and 999999999999"}},
		{"item category too long", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.Category = long(65) }) },
			payment.CodeParameterInvalid, "items[0].category", []string{"at most 64 characters"}},
		{"bad second item names its index", func(p *payment.CreateParams) {
			p.Items = append(items(1), payment.Item{Name: "x", Quantity: 0})
		}, payment.CodeParameterInvalid, "items[1].quantity", []string{"items[1].quantity"}},
		{"item tax rate with a percent sign", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.TaxRate = "22%" }) },
			payment.CodeParameterInvalid, "items[0].tax_rate", []string{"items[0].tax_rate", "% sign", `"22"`}},
		{"item tax rate of 100", func(p *payment.CreateParams) { p.Items = item(func(i *payment.Item) { i.TaxRate = "100" }) },
			payment.CodeParameterInvalid, "items[0].tax_rate", []string{"below 100"}},
		{"too many items", func(p *payment.CreateParams) { p.Items = items(payment.MaxItems + 1) },
			payment.CodeParameterInvalid, "items", []string{"at most 100 items", "got 101"}},
		// metadata
		{"too many metadata keys", func(p *payment.CreateParams) { p.Metadata = metadata(payment.MaxMetadataKeys + 1) },
			payment.CodeParameterInvalid, "metadata", []string{"at most 50 keys", "got 51"}},
		{"metadata key too long", func(p *payment.CreateParams) { p.Metadata = map[string]string{long(41): "v"} },
			payment.CodeParameterInvalid, "metadata", []string{"1-40 characters", long(41)}},
		{"empty metadata key", func(p *payment.CreateParams) { p.Metadata = map[string]string{"": "v"} },
			payment.CodeParameterInvalid, "metadata", []string{"1-40 characters"}},
		{"metadata value too long", func(p *payment.CreateParams) { p.Metadata = map[string]string{"note": long(501)} },
			payment.CodeParameterInvalid, "metadata[note]", []string{"at most 500 characters", `"note"`}},
		// return_url
		{"return_url not a URL", func(p *payment.CreateParams) { p.ReturnURL = "not a url" },
			payment.CodeParameterInvalid, "return_url", []string{"absolute http or https URL", `"not a url"`}},
		{"relative return_url", func(p *payment.CreateParams) { p.ReturnURL = "/thanks" },
			payment.CodeParameterInvalid, "return_url", []string{"absolute http or https URL"}},
		{"ftp return_url", func(p *payment.CreateParams) { p.ReturnURL = "ftp://shop.example/thanks" },
			payment.CodeParameterInvalid, "return_url", []string{"absolute http or https URL"}},
		{"javascript return_url", func(p *payment.CreateParams) { p.ReturnURL = "javascript:alert(1)" },
			payment.CodeParameterInvalid, "return_url", []string{"absolute http or https URL"}},
		{"return_url without host", func(p *payment.CreateParams) { p.ReturnURL = "https:///thanks" },
			payment.CodeParameterInvalid, "return_url", []string{"absolute http or https URL"}},
		{"return_url with bad escape", func(p *payment.CreateParams) { p.ReturnURL = "https://shop.example/%zz" },
			payment.CodeParameterInvalid, "return_url", []string{"absolute http or https URL"}},
		{"return_url too long", func(p *payment.CreateParams) { p.ReturnURL = "https://shop.example/" + long(2048) },
			payment.CodeParameterInvalid, "return_url", []string{"at most 2048 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cp := validParams()
			tt.mutate(&cp)
			p, err := payment.NewPayment("pay_x", "mer_x", false, cp, t0, expiry)
			if p != nil {
				t.Errorf("NewPayment returned a payment with an error: %+v", p)
			}
			wantErr(t, err, payment.KindInvalid, tt.code, tt.param, tt.contains...)
		})
	}
}

// The amount hint "e.g. 1000 for 10.00 EUR" must be right for the currency: 1000 minor
// units are 1000 JPY and 1.000 KWD, not "10.00".
func TestNewPaymentAmountHintMatchesCurrencyExponent(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"EUR", "USD", "JPY", "KWD", "CLF"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			cur := money.MustCurrency(code)
			cp := validParams()
			cp.Currency, cp.Amount = code, 0
			_, err := payment.NewPayment("pay_x", "mer_x", false, cp, t0, expiry)
			e := wantErr(t, err, payment.KindInvalid, payment.CodeAmountInvalid, "amount", code)
			if cur.Exponent != 2 && strings.Contains(e.Message, "10.00 "+code) {
				t.Errorf("message %q gives a wrong example: %s has %d decimals, so 1000 minor units are not 10.00 %s",
					e.Message, code, cur.Exponent, code)
			}
		})
	}
}

func TestNewPaymentAcceptsEdgeValues(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		mutate func(*payment.CreateParams)
		check  func(t *testing.T, p *payment.Payment)
	}{
		{"amount 1", func(p *payment.CreateParams) { p.Amount = 1 }, nil},
		{"max amount", func(p *payment.CreateParams) { p.Amount = money.MaxMinor }, nil},
		{"lower-case currency is normalised", func(p *payment.CreateParams) { p.Currency = "eur" },
			func(t *testing.T, p *payment.Payment) {
				if p.Currency != "EUR" {
					t.Errorf("Currency = %q, want EUR", p.Currency)
				}
			}},
		{"zero-decimal currency", func(p *payment.CreateParams) { p.Currency, p.Amount = "JPY", 500 }, nil},
		{"three-decimal currency", func(p *payment.CreateParams) { p.Currency, p.Amount = "KWD", 1500 }, nil},
		{"manual capture kept", func(p *payment.CreateParams) { p.CaptureMethod = payment.CaptureManual },
			func(t *testing.T, p *payment.Payment) {
				if p.CaptureMethod != payment.CaptureManual {
					t.Errorf("CaptureMethod = %q", p.CaptureMethod)
				}
			}},
		{"every channel", func(p *payment.CreateParams) { p.Channel = payment.ChannelPOS },
			func(t *testing.T, p *payment.Payment) {
				if p.Channel != payment.ChannelPOS {
					t.Errorf("Channel = %q", p.Channel)
				}
			}},
		{"app channel", func(p *payment.CreateParams) { p.Channel = payment.ChannelApp }, nil},
		{"email channel", func(p *payment.CreateParams) { p.Channel = payment.ChannelEmail }, nil},
		{"255-rune order_id", func(p *payment.CreateParams) { p.OrderID = strings.Repeat("é", 255) }, nil},
		{"1000-char description", func(p *payment.CreateParams) { p.Description = long(1000) }, nil},
		{"full customer", func(p *payment.CreateParams) {
			p.Customer = payment.Customer{Email: "shopper+1@example.com", Name: long(255), Type: "business_eu-1"}
		}, nil},
		{"32-char customer type", func(p *payment.CreateParams) { p.Customer.Type = long(32) }, nil},
		{"100 items", func(p *payment.CreateParams) { p.Items = items(payment.MaxItems) }, nil},
		{"item tax rates", func(p *payment.CreateParams) {
			p.Items = []payment.Item{{Name: "book", Quantity: 1, UnitAmount: 10, TaxRate: "4"}, {Name: "tea", Quantity: 1, UnitAmount: 10, TaxRate: "5.5"}}
		}, nil},
		{"free item", func(p *payment.CreateParams) {
			p.Items = []payment.Item{{Name: "gift", Quantity: 1_000_000, UnitAmount: 0, Category: long(64)}}
		}, nil},
		{"50 metadata keys", func(p *payment.CreateParams) { p.Metadata = metadata(payment.MaxMetadataKeys) }, nil},
		{"longest metadata key and value", func(p *payment.CreateParams) {
			p.Metadata = map[string]string{long(40): long(500)}
		}, nil},
		{"empty metadata value", func(p *payment.CreateParams) { p.Metadata = map[string]string{"k": ""} }, nil},
		{"http return_url", func(p *payment.CreateParams) { p.ReturnURL = "http://localhost:8080/thanks?order=1" },
			func(t *testing.T, p *payment.Payment) {
				if p.ReturnURL != "http://localhost:8080/thanks?order=1" {
					t.Errorf("ReturnURL = %q", p.ReturnURL)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPayment(t, tt.mutate)
			if err := p.CheckInvariants(); err != nil {
				t.Error(err)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func TestNewPaymentDefaults(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 3, 11, 30, 0, 0, cet) // 10:30 UTC
	const exp = 90 * time.Minute
	cp := payment.CreateParams{Amount: 2599, Currency: "EUR", OrderID: "A-17", Description: "Order A-17"}
	p, err := payment.NewPayment("pay_abc", "mer_1", true, cp, now, exp)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ID", p.ID, "pay_abc"},
		{"Object", p.Object, "payment"},
		{"MerchantID", p.MerchantID, "mer_1"},
		{"Livemode", p.Livemode, true},
		{"Status", p.Status, rpm},
		{"Amount", p.Amount, int64(2599)},
		{"AmountCapturable", p.AmountCapturable, int64(0)},
		{"AmountCaptured", p.AmountCaptured, int64(0)},
		{"AmountRefunded", p.AmountRefunded, int64(0)},
		{"RefundStatus", p.RefundStatus, payment.RefundNone},
		{"Currency", p.Currency, "EUR"},
		{"OrderID", p.OrderID, "A-17"},
		{"Description", p.Description, "Order A-17"},
		{"CaptureMethod", p.CaptureMethod, payment.CaptureAutomatic},
		{"Channel", p.Channel, payment.ChannelWeb},
		{"Items non-nil", p.Items != nil, true},
		{"Items empty", len(p.Items), 0},
		{"Metadata non-nil", p.Metadata != nil, true},
		{"Metadata empty", len(p.Metadata), 0},
		{"NextAction", p.NextAction == nil, true},
		{"FailureCode", p.FailureCode, ""},
		{"Attempts", p.Attempts, 0},
		{"CreatedAt", p.CreatedAt, time.Date(2026, 11, 3, 10, 30, 0, 0, time.UTC)},
		{"UpdatedAt", p.UpdatedAt, time.Date(2026, 11, 3, 10, 30, 0, 0, time.UTC)},
		{"ExpiresAt", p.ExpiresAt, time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)},
		{"CreatedAt location", p.CreatedAt.Location(), time.UTC},
		{"UpdatedAt location", p.UpdatedAt.Location(), time.UTC},
		{"ExpiresAt location", p.ExpiresAt.Location(), time.UTC},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if err := p.CheckInvariants(); err != nil {
		t.Error(err)
	}
}

func TestValidateRefundReason(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"", "duplicate", "fraudulent", "requested_by_customer"} {
		if err := payment.ValidateRefundReason(r); err != nil {
			t.Errorf("ValidateRefundReason(%q) = %v", r, err)
		}
	}
	for _, r := range []string{"other", "Duplicate", " fraudulent"} {
		wantErr(t, payment.ValidateRefundReason(r), payment.KindInvalid, payment.CodeParameterInvalid, "reason",
			"duplicate, fraudulent, requested_by_customer", fmt.Sprintf("%q", r))
	}
}
