package api

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Payment {{.ID}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem;color:#222}
.card{border:1px solid #ddd;border-radius:8px;padding:1.5rem}</style></head>
<body><div class="card"><h1>{{.Amount}}</h1>
<p>{{if .Description}}{{.Description}}{{else}}Order {{.OrderID}}{{end}}</p>
<p>Status: <strong id="status">{{.Status}}</strong></p>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
</div></body></html>`))

// checkoutPage shows a payment's summary and status. The full hosted checkout, with
// the merchant's methods and branding, replaces it when it lands.
func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	s.renderPay(w, r, r.PathValue("id"), "")
}

// maxReturnForm bounds the form a provider posts to the return URL (3-D Secure 1's
// PaRes is the largest, a few kilobytes).
const maxReturnForm = 64 << 10

// providerReturn is where providers send the shopper back after a redirect or 3-D
// Secure, by GET (parameters in the query) or POST (a form, as Adyen may send).
// It completes the payment with what the shopper brought back (a webhook may have
// brought the outcome already; both converge) and sends the shopper on to the
// merchant's return_url with the payment's id and status.
func (s *Server) providerReturn(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	scope, err := s.eng.LocatePayment(r.Context(), id)
	if err != nil {
		s.renderPayError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxReturnForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The return from the payment provider could not be read.", http.StatusBadRequest)
		return
	}
	p, err := s.eng.ReturnPayment(r.Context(), payment.Actor{Type: payment.ActorShopper, ID: "return"}, scope, id, r.Form)
	if err != nil {
		s.log.Warn("completing the payment on the shopper's return failed", "payment", id, "err", err)
		if p, err = s.eng.GetPayment(r.Context(), scope, id); err != nil {
			s.renderPayError(w, r, err)
			return
		}
	}
	if p.ReturnURL != "" {
		u, err := url.Parse(p.ReturnURL)
		if err == nil {
			q := u.Query()
			q.Set("payment_id", p.ID)
			q.Set("status", string(p.Status))
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
	}
	s.renderPay(w, r, id, "You can close this page.")
}

func (s *Server) renderPay(w http.ResponseWriter, r *http.Request, id, message string) {
	scope, err := s.eng.LocatePayment(r.Context(), id)
	if err != nil {
		s.renderPayError(w, r, err)
		return
	}
	p, err := s.eng.GetPayment(r.Context(), scope, id)
	if err != nil {
		s.renderPayError(w, r, err)
		return
	}
	amount := p.Currency
	if a, err := money.New(p.Amount, p.Currency); err == nil {
		amount = money.FormatLocale(a, "en")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = payPage.Execute(w, map[string]any{"ID": p.ID, "Amount": amount, "Description": p.Description,
		"OrderID": p.OrderID, "Status": p.Status, "Message": message})
}

func (s *Server) renderPayError(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := s.renderError(r, err)
	msg := "This payment could not be found."
	if status != http.StatusNotFound {
		msg = "This payment cannot be shown right now; please try again shortly."
	}
	http.Error(w, msg, status)
}

// applePayDomainFile serves the file Apple fetches to verify that the checkout's
// domain may show Apple Pay (registered through the provider).
func (s *Server) applePayDomainFile(w http.ResponseWriter, r *http.Request) {
	if s.applePayFile == nil {
		http.Error(w, "no Apple Pay domain-association file: set PAYMUX_APPLE_PAY_DOMAIN_FILE to the file your provider gives you", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(s.applePayFile)
}
