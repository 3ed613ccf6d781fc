package money_test

import (
	"errors"
	"regexp"
	"slices"
	"testing"

	"github.com/paymux/paymux/internal/money"
)

func TestLookupCurrencyExponents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		exp  int
		name string
	}{
		{"EUR", 2, "Euro"},
		{"USD", 2, "US Dollar"},
		{"GBP", 2, "Pound Sterling"},
		{"CHF", 2, "Swiss Franc"},
		{"PLN", 2, "Zloty"},
		{"MGA", 2, "Malagasy Ariary"},
		{"MRU", 2, "Ouguiya"},
		{"XCG", 2, "Caribbean Guilder"},
		{"ZWG", 2, "Zimbabwe Gold"},
		{"SLE", 2, "Leone"},
		{"VED", 2, "Bolívar Soberano"},
		{"BHD", 3, "Bahraini Dinar"},
		{"IQD", 3, "Iraqi Dinar"},
		{"JOD", 3, "Jordanian Dinar"},
		{"KWD", 3, "Kuwaiti Dinar"},
		{"LYD", 3, "Libyan Dinar"},
		{"OMR", 3, "Rial Omani"},
		{"TND", 3, "Tunisian Dinar"},
		{"CLF", 4, "Unidad de Fomento"},
		{"UYW", 4, "Unidad Previsional"},
		{"BIF", 0, "Burundi Franc"},
		{"CLP", 0, "Chilean Peso"},
		{"DJF", 0, "Djibouti Franc"},
		{"GNF", 0, "Guinean Franc"},
		{"ISK", 0, "Iceland Krona"},
		{"JPY", 0, "Yen"},
		{"KMF", 0, "Comorian Franc"},
		{"KRW", 0, "Won"},
		{"PYG", 0, "Guarani"},
		{"RWF", 0, "Rwanda Franc"},
		{"UGX", 0, "Uganda Shilling"},
		{"UYI", 0, "Uruguay Peso en Unidades Indexadas (UI)"},
		{"VND", 0, "Dong"},
		{"VUV", 0, "Vatu"},
		{"XAF", 0, "CFA Franc BEAC"},
		{"XOF", 0, "CFA Franc BCEAO"},
		{"XPF", 0, "CFP Franc"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			c, err := money.LookupCurrency(tt.code)
			if err != nil {
				t.Fatalf("LookupCurrency(%q): %v", tt.code, err)
			}
			want := money.Currency{Code: tt.code, Exponent: tt.exp, Name: tt.name}
			if c != want {
				t.Errorf("LookupCurrency(%q) = %+v, want %+v", tt.code, c, want)
			}
		})
	}
}

func TestLookupCurrencyCaseInsensitive(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"eur", "Eur", "eUR", "EUR"} {
		c, err := money.LookupCurrency(code)
		if err != nil || c.Code != "EUR" {
			t.Errorf("LookupCurrency(%q) = %+v, %v; want EUR", code, c, err)
		}
	}
}

func TestLookupCurrencyUnknown(t *testing.T) {
	t.Parallel()
	unknown := []string{
		"", "XYZ", "EU", "EURO", " EUR", "EUR ", "€",
		// no minor unit: metals, bond units, SDR, testing, no currency
		"XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "XDR", "XSU", "XUA", "XBA", "XBB", "XBC", "XBD",
		// withdrawn (ISO 4217 list three)
		"ANG", "BGN", "CUC", "HRK", "SLL", "ZWL", "VEF", "MRO", "STD", "LTL", "DEM", "ITL",
	}
	for _, code := range unknown {
		_, err := money.LookupCurrency(code)
		if !errors.Is(err, money.ErrUnknownCurrency) {
			t.Errorf("LookupCurrency(%q) error = %v, want ErrUnknownCurrency", code, err)
		}
	}
	_, err := money.LookupCurrency("XYZ")
	want := `unknown currency "XYZ": use an active ISO 4217 code such as EUR or USD`
	if err == nil || err.Error() != want {
		t.Errorf("LookupCurrency(XYZ) error = %q, want %q", err, want)
	}
}

func TestMustCurrency(t *testing.T) {
	t.Parallel()
	if c := money.MustCurrency("kwd"); c.Code != "KWD" || c.Exponent != 3 {
		t.Errorf("MustCurrency(kwd) = %+v", c)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustCurrency(XXX) did not panic")
		}
	}()
	money.MustCurrency("XXX")
}

func TestCurrenciesTable(t *testing.T) {
	t.Parallel()
	all := money.Currencies()
	// ISO 4217 list one of 2026-01-01 has 178 codes; 13 have no minor unit.
	if len(all) != 165 {
		t.Errorf("len(Currencies()) = %d, want 165", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b money.Currency) int { return cmpString(a.Code, b.Code) }) {
		t.Error("Currencies() is not sorted by code")
	}
	alpha3 := regexp.MustCompile(`^[A-Z]{3}$`)
	seen := map[string]bool{}
	for _, c := range all {
		if seen[c.Code] {
			t.Errorf("duplicate code %s", c.Code)
		}
		seen[c.Code] = true
		if !alpha3.MatchString(c.Code) {
			t.Errorf("code %q is not upper-case alpha-3", c.Code)
		}
		if !slices.Contains([]int{0, 2, 3, 4}, c.Exponent) {
			t.Errorf("%s: exponent %d is not one ISO 4217 uses", c.Code, c.Exponent)
		}
		if c.Name == "" {
			t.Errorf("%s: empty name", c.Code)
		}
		if got, err := money.LookupCurrency(c.Code); err != nil || got != c {
			t.Errorf("LookupCurrency(%s) = %+v, %v; want %+v", c.Code, got, err, c)
		}
	}
	// Currencies returns a copy: changing it does not change the table.
	all[0].Exponent = 99
	if money.Currencies()[0].Exponent == 99 {
		t.Error("Currencies() exposes the internal table")
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
