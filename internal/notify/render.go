package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

//go:embed templates
var templateFS embed.FS

// Brand is how a merchant's emails look.
type Brand struct {
	// Name is shown in the header and as the sender's display name.
	Name string `json:"name"`
	// Color is the header's and the buttons' colour, #rrggbb.
	Color string `json:"color"`
	// LogoURL is an https image shown instead of the name, when set.
	LogoURL string `json:"logo_url,omitempty"`
}

// Data is what a template may show. Amounts and dates come formatted for the
// email's language (FormatAmount, FormatDate); fields a kind does not use stay empty.
// Its JSON form is what a queued notification keeps until it is sent.
type Data struct {
	Brand        Brand  `json:"brand"`
	CustomerName string `json:"customer_name,omitempty"`
	// PaymentID is the payment the email is about, shown as its reference.
	PaymentID   string `json:"payment_id,omitempty"`
	Amount      string `json:"amount,omitempty"`
	OrderID     string `json:"order_id,omitempty"`
	Description string `json:"description,omitempty"`
	// Link is the page the email sends the shopper to: the payment's checkout to try
	// again or finish it, or a payment link.
	Link string `json:"link,omitempty"`
	// RefundAmount is the refund's amount (refund_succeeded).
	RefundAmount string `json:"refund_amount,omitempty"`
	// ExpiresAt is when the link stops working (payment_link, payment_reminder).
	ExpiresAt string `json:"expires_at,omitempty"`
	// Subject and Message are an operator's own (free).
	Subject string `json:"subject,omitempty"`
	Message string `json:"message,omitempty"`
	// EndpointID, EndpointURL, Reason and Livemode describe a disabled webhook
	// endpoint (endpoint_disabled).
	EndpointID  string `json:"endpoint_id,omitempty"`
	EndpointURL string `json:"endpoint_url,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Livemode    bool   `json:"livemode,omitempty"`
	// DocumentNumber is an invoice's or credit note's number, and CreditNote says
	// which it is (invoice_issued).
	DocumentNumber string `json:"document_number,omitempty"`
	CreditNote     bool   `json:"credit_note,omitempty"`
	// ReplyTo says whether replies reach the merchant (a Reply-To is set).
	ReplyTo bool `json:"reply_to,omitempty"`
}

// Email is a rendered email: a one-line subject and both parts.
type Email struct {
	Subject string
	Text    string
	HTML    string
}

// view is what templates execute on: the data and what the renderer adds.
type view struct {
	Data
	Locale     string
	ToOperator bool
}

// Renderer renders every kind of email in every language. It is safe for
// concurrent use: templates are parsed once, when it is built.
type Renderer struct {
	text map[string]*texttemplate.Template // by locale/kind
	html map[string]*htmltemplate.Template
}

// NewRenderer parses the embedded templates. It fails only if a template is broken,
// which the package's tests rule out.
func NewRenderer() (*Renderer, error) {
	r := &Renderer{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, loc := range payment.Locales() {
		for _, k := range Kinds() {
			files := []string{"templates/layout.txt", "templates/" + loc + "/common.tmpl", "templates/" + loc + "/" + string(k) + ".tmpl"}
			t, err := texttemplate.New("text").Funcs(texttemplate.FuncMap(templateFuncs())).Option("missingkey=error").ParseFS(templateFS, files...)
			if err != nil {
				return nil, fmt.Errorf("notify: %s/%s text template: %w", loc, k, err)
			}
			files[0] = "templates/layout.html"
			h, err := htmltemplate.New("html").Funcs(htmltemplate.FuncMap(templateFuncs())).Option("missingkey=error").ParseFS(templateFS, files...)
			if err != nil {
				return nil, fmt.Errorf("notify: %s/%s HTML template: %w", loc, k, err)
			}
			r.text[loc+"/"+string(k)], r.html[loc+"/"+string(k)] = t, h
		}
	}
	return r, nil
}

// Render writes an email of kind k in locale (one of payment.Locales; anything else
// falls back to the first, English).
func (r *Renderer) Render(k Kind, locale string, d Data) (*Email, error) {
	if !payment.ValidLocale(locale) {
		locale = payment.Locales()[0]
	}
	key := locale + "/" + string(k)
	t, h := r.text[key], r.html[key]
	if t == nil || h == nil {
		return nil, fmt.Errorf("notify: no template for kind %q", k)
	}
	v := view{Data: d, Locale: locale, ToOperator: k.ToOperator()}
	var subj, text, html bytes.Buffer
	if err := t.ExecuteTemplate(&subj, "subject", v); err != nil {
		return nil, fmt.Errorf("notify: %s subject: %w", key, err)
	}
	// The subject is one line however the data reads; the HTML title shows it too.
	v.Subject = oneLine(subj.String())
	if err := t.ExecuteTemplate(&text, "text", v); err != nil {
		return nil, fmt.Errorf("notify: %s text: %w", key, err)
	}
	if err := h.ExecuteTemplate(&html, "html", v); err != nil {
		return nil, fmt.Errorf("notify: %s HTML: %w", key, err)
	}
	return &Email{Subject: v.Subject, Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}

// Subject renders only the subject line, as the notification's record shows it.
func (r *Renderer) Subject(k Kind, locale string, d Data) (string, error) {
	if !payment.ValidLocale(locale) {
		locale = payment.Locales()[0]
	}
	t := r.text[locale+"/"+string(k)]
	if t == nil {
		return "", fmt.Errorf("notify: no template for kind %q", k)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "subject", view{Data: d, Locale: locale, ToOperator: k.ToOperator()}); err != nil {
		return "", fmt.Errorf("notify: %s/%s subject: %w", locale, k, err)
	}
	return oneLine(b.String()), nil
}

// oneLine joins the lines of s and collapses runs of ASCII blanks, keeping the
// no-break spaces of formatted amounts ("12,50\u00a0€") as they are.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '\v' || r == '\f'
	}), " ")
}

// row is a line of an email's details table.
type row struct{ Label, Value string }

// actionView is a button's data: where it goes, what it says, in the brand's colour.
type actionView struct {
	Link  string
	Label string
	Brand Brand
}

// templateFuncs are the template functions, the same for the text and the HTML
// templates.
func templateFuncs() map[string]any {
	return map[string]any{
		// rows pairs labels with values, leaving out empty values.
		"rows": func(kv ...string) []row {
			var out []row
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					out = append(out, row{kv[i], kv[i+1]})
				}
			}
			return out
		},
		"action": func(v view, label string) actionView {
			return actionView{Link: v.Link, Label: label, Brand: v.Brand}
		},
		// paragraphs splits a free message into paragraphs of lines.
		"paragraphs": func(s string) [][]string {
			var out [][]string
			for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, strings.Split(p, "\n"))
				}
			}
			return out
		},
		"repeat": strings.Repeat,
		"runes":  utf8.RuneCountInString,
	}
}

// monthNames are the months in locale; Polish dates take the genitive ("24 listopada").
func monthNames(locale string) [12]string {
	switch locale {
	case "it":
		return [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
	case "pl":
		return [12]string{"stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"}
	}
	return [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
}

// FormatDate writes t (in UTC, to the minute) as the locale writes dates:
// "24 November 2026, 21:05 UTC", "24 novembre 2026, 21:05 UTC",
// "24 listopada 2026, 21:05 UTC".
func FormatDate(t time.Time, locale string) string {
	m := monthNames(locale)
	t = t.UTC()
	return fmt.Sprintf("%d %s %d, %02d:%02d UTC", t.Day(), m[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// FormatAmount writes minor units of currency as the locale writes money, with the
// currency's own number of decimals ("€12.50", "12,50 €", "12,50 €"); an unknown
// currency shows as the bare number and code.
func FormatAmount(minor int64, currency, locale string) string {
	a, err := money.New(minor, currency)
	if err != nil {
		return fmt.Sprintf("%d %s", minor, currency)
	}
	return money.FormatLocale(a, locale)
}
