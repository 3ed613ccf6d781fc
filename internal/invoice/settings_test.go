package invoice_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/payment"
)

func TestSettingsValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		u        invoice.SettingsUpdate
		param    string
		contains string
	}{
		{"enable without details", invoice.SettingsUpdate{Enabled: ptr(true)}, "legal_name",
			"need legal_name, address_lines, country, tax_id, default_tax_rate"},
		{"bad country", invoice.SettingsUpdate{Country: ptr("Italy")}, "country", `ISO 3166-1 alpha-2 code such as "IT"`},
		{"unknown country", invoice.SettingsUpdate{Country: ptr("ZZ")}, "country", "ISO 3166-1"},
		{"bad tax id", invoice.SettingsUpdate{TaxID: ptr("IT<script>")}, "tax_id", "letters, digits"},
		{"bad email", invoice.SettingsUpdate{Email: ptr("billing")}, "email", "not an email address"},
		{"bad locale", invoice.SettingsUpdate{Locale: ptr("de")}, "locale", "en, it, pl"},
		{"rate with percent", invoice.SettingsUpdate{DefaultTaxRate: ptr("22%")}, "default_tax_rate", "% sign"},
		{"category rate", invoice.SettingsUpdate{CategoryTaxRates: map[string]string{"books": "4,5"}}, "category_tax_rates[books]", "comma"},
		{"empty category", invoice.SettingsUpdate{CategoryTaxRates: map[string]string{"": "4"}}, "category_tax_rates", "1-64 characters"},
		{"prefix", invoice.SettingsUpdate{NumberPrefix: ptr("a b")}, "number_prefix", "A-Z"},
		{"prefix TEST", invoice.SettingsUpdate{NumberPrefix: ptr("test-")}, "number_prefix", "TEST"},
		{"prefix NC", invoice.SettingsUpdate{NumberPrefix: ptr("X-NC-")}, "number_prefix", "NC-"},
		{"empty address line", invoice.SettingsUpdate{AddressLines: []string{"Via Roma 1", " "}}, "address_lines", "address_lines[1] is empty"},
		{"too many address lines", invoice.SettingsUpdate{AddressLines: []string{"a", "b", "c", "d", "e"}}, "address_lines", "at most 4"},
		{"long name", invoice.SettingsUpdate{LegalName: ptr(strings.Repeat("x", 201))}, "legal_name", "at most 200"},
		{"timezone", invoice.SettingsUpdate{Timezone: ptr("Mars/Olympus")}, "timezone", "IANA"},
		{"local timezone", invoice.SettingsUpdate{Timezone: ptr("Local")}, "timezone", "IANA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := invoice.DefaultSettings("mer_1", true)
			before := *st
			err := st.Apply(tt.u)
			var pe *payment.Error
			if !errors.As(err, &pe) || pe.Kind != payment.KindInvalid || pe.Param != tt.param || !strings.Contains(pe.Message, tt.contains) {
				t.Fatalf("Apply = %v; want a 400 on %s saying %q", err, tt.param, tt.contains)
			}
			if st.LegalName != before.LegalName || st.Enabled != before.Enabled {
				t.Errorf("a refused update changed the settings")
			}
		})
	}
}

func TestSettingsLifecycle(t *testing.T) {
	t.Parallel()
	st := invoice.DefaultSettings("mer_1", false)
	if st.Enabled || !slices.Equal(st.MissingFields, []string{"legal_name", "address_lines", "country", "tax_id", "default_tax_rate"}) {
		t.Fatalf("defaults: %+v", st)
	}
	err := st.Apply(invoice.SettingsUpdate{Enabled: ptr(true), LegalName: ptr(" Rossi S.r.l. "),
		AddressLines: []string{"Via Roma 1", "00100 Roma RM"}, Country: ptr("it"), TaxID: ptr("IT01234567890"),
		DefaultTaxRate: ptr("22"), CategoryTaxRates: map[string]string{"books": "4"}, NumberPrefix: ptr("shop-"), Locale: ptr("it")})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Enabled || st.LegalName != "Rossi S.r.l." || st.Country != "IT" || st.NumberPrefix != "SHOP-" ||
		len(st.MissingFields) != 0 || st.RateFor("books") != 400 || st.RateFor("toys") != 2200 || st.Location().String() != "Europe/Rome" {
		t.Fatalf("after enabling: %+v", st)
	}
	// Required details cannot be cleared while enabled…
	err = st.Apply(invoice.SettingsUpdate{TaxID: ptr("")})
	if err == nil || !strings.Contains(err.Error(), "already enabled") || st.TaxID != "IT01234567890" {
		t.Fatalf("cleared tax_id while enabled: %v", err)
	}
	// …but can once disabled, and optional fields clear with "".
	if err := st.Apply(invoice.SettingsUpdate{Enabled: ptr(false), TaxID: ptr(""), NumberPrefix: ptr(""),
		CategoryTaxRates: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	if st.TaxID != "" || st.NumberPrefix != "" || len(st.CategoryTaxRates) != 0 || !slices.Equal(st.MissingFields, []string{"tax_id"}) {
		t.Fatalf("after clearing: %+v", st)
	}
}
