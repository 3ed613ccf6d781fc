package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/notify"
	"github.com/paymux/paymux/internal/payment"
)

func renderer(t *testing.T) *notify.Renderer {
	t.Helper()
	r, err := notify.NewRenderer()
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	return r
}

// data fills every field a template may show, with text that must be escaped in
// HTML and amounts in the locale's own format.
func data(locale string) notify.Data {
	return notify.Data{
		Brand:        notify.Brand{Name: "Caffè <Roma>", Color: "#aa3300", LogoURL: "https://cdn.example/logo.png?a=1&b=2"},
		CustomerName: "Ada & Co", PaymentID: "pay_4Xk2m9QbT7rLw1ZcVn8eYd",
		Amount: notify.FormatAmount(123450, "EUR", locale), OrderID: "ORD-77", Description: "Two <mugs>",
		Link:         "https://pay.example/pay/pay_4Xk2m9QbT7rLw1ZcVn8eYd?x=1&y=2",
		RefundAmount: notify.FormatAmount(500, "EUR", locale),
		ExpiresAt:    notify.FormatDate(time.Date(2026, 11, 24, 21, 5, 0, 0, time.UTC), locale),
		Subject:      "About your order\nno. 77", Message: "First line\nsecond <line>\n\nSecond paragraph",
		EndpointID: "we_1", EndpointURL: "https://erp.example/hooks", Reason: "3 deliveries in a row failed",
		ReplyTo: true,
	}
}

// Every kind renders in every language with a subject, a text part and an HTML
// part, in that language, with the data escaped in HTML and as it is in text.
func TestEveryKindRendersInEveryLocale(t *testing.T) {
	t.Parallel()
	r := renderer(t)
	// A phrase of each language's footer or greeting, and its amount.
	marks := map[string]struct{ words, amount string }{
		"en": {"Hello Ada & Co,", "€1,234.50"},
		"it": {"Gentile Ada & Co,", "1.234,50\u00a0€"},
		"pl": {"Dzień dobry Ada & Co,", "1234,50\u00a0€"},
	}
	for _, loc := range payment.Locales() {
		for _, k := range notify.Kinds() {
			t.Run(loc+"/"+string(k), func(t *testing.T) {
				t.Parallel()
				e, err := r.Render(k, loc, data(loc))
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				m := marks[loc]
				if e.Subject == "" || strings.ContainsAny(e.Subject, "\r\n") {
					t.Errorf("subject %q: want one non-empty line", e.Subject)
				}
				for part, body := range map[string]string{"text": e.Text, "html": e.HTML} {
					if strings.Contains(body, "<no value>") {
						t.Errorf("%s part shows a missing value:\n%s", part, body)
					}
				}
				if !strings.Contains(e.HTML, `<html lang="`+loc+`">`) || !strings.Contains(e.HTML, "background:#aa3300") {
					t.Errorf("HTML is not branded in %s:\n%s", loc, e.HTML)
				}
				if !strings.Contains(e.HTML, `src="https://cdn.example/logo.png?a=1&amp;b=2"`) {
					t.Errorf("HTML has no logo:\n%s", e.HTML)
				}
				if strings.Contains(e.HTML, "<Roma>") || strings.Contains(e.HTML, "<mugs>") || strings.Contains(e.HTML, "<line>") {
					t.Errorf("HTML does not escape the data:\n%s", e.HTML)
				}
				if !strings.HasPrefix(e.Text, "Caffè <Roma>\n") {
					t.Errorf("text does not start with the brand:\n%s", e.Text)
				}
				switch k {
				case notify.EndpointDisabled:
					for _, want := range []string{"we_1", "https://erp.example/hooks", "3 deliveries in a row failed", "/v1/webhook_endpoints/we_1/replay"} {
						if !strings.Contains(e.Text, want) || !strings.Contains(e.HTML, want) {
							t.Errorf("%s missing in:\n%s\n%s", want, e.Text, e.HTML)
						}
					}
				case notify.Free:
					if e.Subject != "About your order no. 77" {
						t.Errorf("free subject %q, want the operator's, on one line", e.Subject)
					}
					if !strings.Contains(e.Text, "First line\nsecond <line>\n\nSecond paragraph") ||
						!strings.Contains(e.HTML, "<p>First line<br>second &lt;line&gt;</p>") {
						t.Errorf("free message not carried:\n%s\n%s", e.Text, e.HTML)
					}
					fallthrough
				default:
					if !strings.Contains(e.Text, m.words) {
						t.Errorf("text not in %s (%q):\n%s", loc, m.words, e.Text)
					}
					if !strings.Contains(e.Text, m.amount) || !strings.Contains(e.HTML, m.amount) {
						t.Errorf("amount %q not in both parts:\n%s", m.amount, e.Text)
					}
				}
				switch k {
				case notify.PaymentFailed, notify.PaymentLink, notify.PaymentReminder:
					link := "https://pay.example/pay/pay_4Xk2m9QbT7rLw1ZcVn8eYd?x=1&y=2"
					if !strings.Contains(e.Text, link) || !strings.Contains(e.HTML, `href="https://pay.example/pay/pay_4Xk2m9QbT7rLw1ZcVn8eYd?x=1&amp;y=2"`) {
						t.Errorf("link missing:\n%s\n%s", e.Text, e.HTML)
					}
				}
				if k == notify.PaymentLink || k == notify.PaymentReminder {
					if !strings.Contains(e.Text, data(loc).ExpiresAt) {
						t.Errorf("expiry %q missing:\n%s", data(loc).ExpiresAt, e.Text)
					}
				}
				if k == notify.RefundSucceeded && !strings.Contains(e.Text, data(loc).RefundAmount) {
					t.Errorf("refund amount missing:\n%s", e.Text)
				}
				subj, err := r.Subject(k, loc, data(loc))
				if err != nil || subj != e.Subject {
					t.Errorf("Subject = %q, %v; Render's is %q", subj, err, e.Subject)
				}
			})
		}
	}
}

// The subjects speak the shopper's language.
func TestSubjectsAreLocalised(t *testing.T) {
	t.Parallel()
	r := renderer(t)
	d := notify.Data{Brand: notify.Brand{Name: "Shop", Color: "#000000"}, Amount: "X"}
	want := map[string]string{
		"en": "Payment confirmed: X to Shop",
		"it": "Pagamento confermato: X a Shop",
		"pl": "Płatność potwierdzona: X dla Shop",
	}
	// Amounts keep their no-break space in a subject; line breaks go.
	it := d
	it.Amount = notify.FormatAmount(1250, "EUR", "it")
	it.Brand.Name = "Caffè\nRoma"
	if got, _ := r.Subject(notify.PaymentSucceeded, "it", it); got != "Pagamento confermato: 12,50\u00a0€ a Caffè Roma" {
		t.Errorf("subject %q", got)
	}
	for loc, w := range want {
		if got, err := r.Subject(notify.PaymentSucceeded, loc, d); err != nil || got != w {
			t.Errorf("%s: %q, %v; want %q", loc, got, err, w)
		}
	}
	// An unknown locale falls back to English rather than failing.
	if got, _ := r.Subject(notify.PaymentSucceeded, "de", d); got != want["en"] {
		t.Errorf("de: %q", got)
	}
	if _, err := r.Render(notify.Kind("nope"), "en", d); err == nil {
		t.Errorf("an unknown kind rendered")
	}
}

func TestFormatAmountAndDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		minor    int64
		currency string
		locale   string
		want     string
	}{
		{1050, "EUR", "en", "€10.50"},
		{1050, "EUR", "it", "10,50\u00a0€"},
		{123456, "PLN", "pl", "1234,56\u00a0zł"},
		{1500, "JPY", "en", "¥1,500"},
		{1500, "KWD", "it", "1,500\u00a0KWD"},
		{5, "ZZZ", "en", "5 ZZZ"},
	} {
		if got := notify.FormatAmount(tc.minor, tc.currency, tc.locale); got != tc.want {
			t.Errorf("FormatAmount(%d, %s, %s) = %q, want %q", tc.minor, tc.currency, tc.locale, got, tc.want)
		}
	}
	at := time.Date(2026, 3, 4, 9, 7, 0, 0, time.FixedZone("CET", 3600))
	for loc, want := range map[string]string{"en": "4 March 2026, 08:07 UTC", "it": "4 marzo 2026, 08:07 UTC", "pl": "4 marca 2026, 08:07 UTC"} {
		if got := notify.FormatDate(at, loc); got != want {
			t.Errorf("FormatDate(%s) = %q, want %q", loc, got, want)
		}
	}
}
