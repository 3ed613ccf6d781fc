package invoice

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones work on hosts without a zoneinfo database
	"unicode/utf8"

	"github.com/paymux/paymux/internal/payment"
)

// Settings are a merchant's invoice settings in one mode: the legal details every
// document carries, the tax rates, and whether invoices are issued automatically.
type Settings struct {
	Object   string `json:"object"`
	Livemode bool   `json:"livemode"`
	// Enabled issues an invoice for every payment that succeeds.
	Enabled      bool     `json:"enabled"`
	LegalName    string   `json:"legal_name"`
	AddressLines []string `json:"address_lines"`
	// Country is an ISO 3166-1 alpha-2 code.
	Country string `json:"country"`
	// TaxID is the VAT number (partita IVA, NIP) or other tax id.
	TaxID string `json:"tax_id"`
	Email string `json:"email"`
	// Locale is the language of documents whose payment names none.
	Locale string `json:"locale"`
	// DefaultTaxRate applies to lines with no rate of their own or of their
	// category; nil until set.
	DefaultTaxRate   *Rate           `json:"default_tax_rate"`
	CategoryTaxRates map[string]Rate `json:"category_tax_rates"`
	NumberPrefix     string          `json:"number_prefix"`
	Footer           string          `json:"footer"`
	// Timezone decides a document's date and year; empty means the country's.
	Timezone string `json:"timezone"`
	// MissingFields lists what must be set before documents can be issued.
	MissingFields []string   `json:"missing_fields"`
	UpdatedAt     *time.Time `json:"updated_at"`

	MerchantID string    `json:"-"`
	CreatedAt  time.Time `json:"-"`
}

// DefaultSettings are the settings of a merchant who saved none: invoices off.
func DefaultSettings(merchantID string, livemode bool) *Settings {
	s := &Settings{MerchantID: merchantID, Livemode: livemode, Locale: "en"}
	s.normalize()
	return s
}

// normalize fills the computed and never-nil fields.
func (s *Settings) normalize() {
	s.Object = "invoice_settings"
	if s.AddressLines == nil {
		s.AddressLines = []string{}
	}
	if s.CategoryTaxRates == nil {
		s.CategoryTaxRates = map[string]Rate{}
	}
	if s.Locale == "" {
		s.Locale = "en"
	}
	s.MissingFields = s.Missing()
}

// Normalized returns s with its computed fields filled, for stores that read it back.
func (s *Settings) Normalized() *Settings {
	s.normalize()
	return s
}

// Missing lists the fields a document needs that are not set, in the API's names.
func (s *Settings) Missing() []string {
	out := []string{}
	if s.LegalName == "" {
		out = append(out, "legal_name")
	}
	if len(s.AddressLines) == 0 {
		out = append(out, "address_lines")
	}
	if s.Country == "" {
		out = append(out, "country")
	}
	if s.TaxID == "" {
		out = append(out, "tax_id")
	}
	if s.DefaultTaxRate == nil {
		out = append(out, "default_tax_rate")
	}
	return out
}

// CheckComplete returns a coded error naming what is missing before a document
// can be issued.
func (s *Settings) CheckComplete() error {
	if m := s.Missing(); len(m) > 0 {
		return payment.Errorf(payment.KindConflict, CodeSettingsIncomplete,
			"invoices need the merchant's legal details: set %s with POST /v1/invoice_settings first", strings.Join(m, ", "))
	}
	return nil
}

// Seller is the legal block the settings print on a document.
func (s *Settings) Seller() Seller {
	return Seller{LegalName: s.LegalName, AddressLines: slices.Clone(s.AddressLines), Country: s.Country,
		TaxID: s.TaxID, Email: s.Email}
}

// RateFor is the tax rate of a line in category, when the line gives none.
func (s *Settings) RateFor(category string) Rate {
	if r, ok := s.CategoryTaxRates[category]; ok && category != "" {
		return r
	}
	if s.DefaultTaxRate != nil {
		return *s.DefaultTaxRate
	}
	return 0
}

// Location is the time zone documents are dated in: Timezone, else the country's
// (where it has one), else UTC.
func (s *Settings) Location() *time.Location {
	name := s.Timezone
	if name == "" {
		name = countryZones[s.Country]
	}
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // validated when saved; tzdata is embedded
	}
	return loc
}

// countryZones are the time zones of countries that have one.
var countryZones = map[string]string{
	"AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "CH": "Europe/Zurich",
	"CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen",
	"EE": "Europe/Tallinn", "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris",
	"GB": "Europe/London", "GR": "Europe/Athens", "HR": "Europe/Zagreb", "HU": "Europe/Budapest",
	"IE": "Europe/Dublin", "IS": "Atlantic/Reykjavik", "IT": "Europe/Rome", "LI": "Europe/Vaduz",
	"LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MC": "Europe/Monaco",
	"MT": "Europe/Malta", "NL": "Europe/Amsterdam", "NO": "Europe/Oslo", "PL": "Europe/Warsaw",
	"RO": "Europe/Bucharest", "SE": "Europe/Stockholm", "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava",
	"SM": "Europe/San_Marino", "VA": "Europe/Vatican",
}

// SettingsUpdate changes settings; nil fields (and a nil slice or map) are left
// as they are, and an empty string clears an optional field.
type SettingsUpdate struct {
	Enabled          *bool
	LegalName        *string
	AddressLines     []string
	Country          *string
	TaxID            *string
	Email            *string
	Locale           *string
	DefaultTaxRate   *string
	CategoryTaxRates map[string]string
	NumberPrefix     *string
	Footer           *string
	Timezone         *string
}

// Limits on settings.
const (
	MaxLegalNameLen   = 200
	MaxAddressLines   = 4
	MaxAddressLineLen = 100
	MaxTaxIDLen       = 32
	MaxCategoryRates  = 50
	MaxCategoryLen    = 64
	MaxPrefixLen      = 12
	MaxFooterLen      = 500
)

var (
	taxIDRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ./-]*$`)
	prefixRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9/_-]*$`)
)

// Apply validates u and changes s by it; on error s is unchanged. Invoices can be
// enabled only with every field Missing names set, and those fields cannot be
// cleared while they are enabled.
func (s *Settings) Apply(u SettingsUpdate) error {
	n := *s
	n.AddressLines = slices.Clone(s.AddressLines)
	n.CategoryTaxRates = maps.Clone(s.CategoryTaxRates)
	if u.Enabled != nil {
		n.Enabled = *u.Enabled
	}
	if u.LegalName != nil {
		v := strings.TrimSpace(*u.LegalName)
		if err := maxLen("legal_name", v, MaxLegalNameLen); err != nil {
			return err
		}
		n.LegalName = v
	}
	if u.AddressLines != nil {
		if len(u.AddressLines) > MaxAddressLines {
			return payment.Invalid("address_lines", payment.CodeParameterInvalid,
				"address_lines may have at most %d lines, got %d", MaxAddressLines, len(u.AddressLines))
		}
		lines := make([]string, 0, len(u.AddressLines))
		for i, l := range u.AddressLines {
			l = strings.TrimSpace(l)
			if l == "" {
				return payment.Invalid("address_lines", payment.CodeParameterInvalid,
					"address_lines[%d] is empty: leave the line out instead", i)
			}
			if err := maxLen("address_lines", l, MaxAddressLineLen); err != nil {
				return err
			}
			lines = append(lines, l)
		}
		n.AddressLines = lines
	}
	if u.Country != nil {
		v := strings.ToUpper(strings.TrimSpace(*u.Country))
		if v != "" && !validCountry(v) {
			return payment.Invalid("country", payment.CodeParameterInvalid,
				"country must be an ISO 3166-1 alpha-2 code such as \"IT\" or \"PL\", got %q", *u.Country)
		}
		n.Country = v
	}
	if u.TaxID != nil {
		v := strings.TrimSpace(*u.TaxID)
		if v != "" && (len(v) > MaxTaxIDLen || !taxIDRE.MatchString(v)) {
			return payment.Invalid("tax_id", payment.CodeParameterInvalid,
				"tax_id must be up to %d letters, digits, spaces, '.', '/' or '-', such as \"IT01234567890\", got %q", MaxTaxIDLen, v)
		}
		n.TaxID = v
	}
	if u.Email != nil {
		v := strings.TrimSpace(*u.Email)
		if v != "" && (!strings.Contains(v, "@") || len(v) > 254 || strings.ContainsAny(v, " \t\r\n")) {
			return payment.Invalid("email", payment.CodeParameterInvalid, "email %q is not an email address", v)
		}
		n.Email = v
	}
	if u.Locale != nil {
		if !payment.ValidLocale(*u.Locale) {
			return payment.Invalid("locale", payment.CodeParameterInvalid,
				"locale must be one of %s, got %q", strings.Join(payment.Locales(), ", "), *u.Locale)
		}
		n.Locale = *u.Locale
	}
	if u.DefaultTaxRate != nil {
		n.DefaultTaxRate = nil
		if *u.DefaultTaxRate != "" {
			r, err := ParseRate(*u.DefaultTaxRate)
			if err != nil {
				return payment.Invalid("default_tax_rate", payment.CodeParameterInvalid, "default_tax_rate: %v", err)
			}
			n.DefaultTaxRate = &r
		}
	}
	if u.CategoryTaxRates != nil {
		if len(u.CategoryTaxRates) > MaxCategoryRates {
			return payment.Invalid("category_tax_rates", payment.CodeParameterInvalid,
				"category_tax_rates may have at most %d categories, got %d", MaxCategoryRates, len(u.CategoryTaxRates))
		}
		rates := make(map[string]Rate, len(u.CategoryTaxRates))
		for _, c := range slices.Sorted(maps.Keys(u.CategoryTaxRates)) {
			if c == "" || utf8.RuneCountInString(c) > MaxCategoryLen {
				return payment.Invalid("category_tax_rates", payment.CodeParameterInvalid,
					"category_tax_rates keys are item categories of 1-%d characters, got %q", MaxCategoryLen, c)
			}
			r, err := ParseRate(u.CategoryTaxRates[c])
			if err != nil {
				return payment.Invalid("category_tax_rates["+c+"]", payment.CodeParameterInvalid, "category_tax_rates[%s]: %v", c, err)
			}
			rates[c] = r
		}
		n.CategoryTaxRates = rates
	}
	if u.NumberPrefix != nil {
		v := strings.ToUpper(strings.TrimSpace(*u.NumberPrefix))
		switch {
		case v == "":
		case len(v) > MaxPrefixLen || !prefixRE.MatchString(v):
			return payment.Invalid("number_prefix", payment.CodeParameterInvalid,
				"number_prefix must be up to %d of A-Z, 0-9, '-', '_' or '/', starting with a letter or digit, such as \"SHOP-\", got %q", MaxPrefixLen, *u.NumberPrefix)
		case strings.HasPrefix(v, "TEST") || strings.Contains(v, "NC-"):
			return payment.Invalid("number_prefix", payment.CodeParameterInvalid,
				"number_prefix must not start with TEST or hold NC-: paymux writes those for test-mode documents and credit notes, got %q", *u.NumberPrefix)
		}
		n.NumberPrefix = v
	}
	if u.Footer != nil {
		v := strings.TrimSpace(*u.Footer)
		if err := maxLen("footer", v, MaxFooterLen); err != nil {
			return err
		}
		n.Footer = v
	}
	if u.Timezone != nil {
		v := strings.TrimSpace(*u.Timezone)
		if v != "" {
			if _, err := time.LoadLocation(v); err != nil || v == "Local" || len(v) > 64 {
				return payment.Invalid("timezone", payment.CodeParameterInvalid,
					"timezone must be an IANA time zone such as \"Europe/Rome\", got %q", v)
			}
		}
		n.Timezone = v
	}
	if n.Enabled {
		if m := n.Missing(); len(m) > 0 {
			what := "enabled"
			if u.Enabled == nil || !*u.Enabled {
				what = "already enabled"
			}
			return payment.Invalid(m[0], payment.CodeParameterMissing,
				"automatic invoices (%s) need %s: set them in this request or an earlier one, or send \"enabled\": false",
				what, strings.Join(m, ", "))
		}
	}
	n.normalize()
	*s = n
	return nil
}

func maxLen(param, v string, max int) error {
	if n := utf8.RuneCountInString(v); n > max {
		return payment.Invalid(param, payment.CodeParameterInvalid, "%s must be at most %d characters, got %d", param, max, n)
	}
	return nil
}

// iso3166 lists the ISO 3166-1 alpha-2 codes in use.
const iso3166 = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ " +
	"BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE " +
	"EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR " +
	"HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS " +
	"LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL " +
	"NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI " +
	"SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY " +
	"UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"

func validCountry(c string) bool {
	return len(c) == 2 && strings.Contains(" "+iso3166+" ", " "+c+" ")
}
