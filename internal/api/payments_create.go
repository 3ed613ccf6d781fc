package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
)

type createPaymentRequest struct {
	Amount        amountField       `json:"amount"`
	Currency      string            `json:"currency"`
	OrderID       string            `json:"order_id"`
	Description   string            `json:"description"`
	Customer      *customerRequest  `json:"customer"`
	Items         []itemRequest     `json:"items"`
	CaptureMethod string            `json:"capture_method"`
	Channel       string            `json:"channel"`
	ReturnURL     string            `json:"return_url"`
	Metadata      map[string]string `json:"metadata"`
}

type customerRequest struct {
	Email  string `json:"email"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Locale string `json:"locale"`
}

type itemRequest struct {
	Name       string          `json:"name"`
	Quantity   int64           `json:"quantity"`
	UnitAmount unitAmountField `json:"unit_amount"`
	Category   string          `json:"category"`
	TaxRate    string          `json:"tax_rate"`
}

func (req *createPaymentRequest) params() (payment.CreateParams, error) {
	if !req.Amount.set {
		return payment.CreateParams{}, payment.Invalid("amount", payment.CodeParameterMissing,
			"amount is required: a positive integer in minor units, e.g. 1000 for 10.00 EUR")
	}
	p := payment.CreateParams{
		Amount: req.Amount.v, Currency: req.Currency, OrderID: req.OrderID, Description: req.Description,
		CaptureMethod: payment.CaptureMethod(req.CaptureMethod), Channel: payment.Channel(req.Channel),
		ReturnURL: req.ReturnURL, Metadata: req.Metadata,
	}
	if req.Customer != nil {
		p.Customer = payment.Customer{Email: req.Customer.Email, Name: req.Customer.Name, Type: req.Customer.Type,
			Locale: req.Customer.Locale}
	}
	for _, it := range req.Items {
		p.Items = append(p.Items, payment.Item{Name: it.Name, Quantity: it.Quantity, UnitAmount: it.UnitAmount.v,
			Category: it.Category, TaxRate: it.TaxRate})
	}
	return p, nil
}

func (s *Server) createPayment(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createPaymentRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	params, err := req.params()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.mutate(w, r, p, body, http.StatusCreated, func(ctx context.Context) (any, error) {
		return s.eng.CreatePayment(ctx, p.Actor(), p.Scope, params)
	})
}
