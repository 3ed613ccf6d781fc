package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/invoice"
)

// updateInvoiceSettingsRequest is a partial update: fields left out keep their value.
type updateInvoiceSettingsRequest struct {
	Enabled          *bool             `json:"enabled"`
	LegalName        *string           `json:"legal_name"`
	AddressLines     []string          `json:"address_lines"`
	Country          *string           `json:"country"`
	TaxID            *string           `json:"tax_id"`
	Email            *string           `json:"email"`
	Locale           *string           `json:"locale"`
	DefaultTaxRate   *string           `json:"default_tax_rate"`
	CategoryTaxRates map[string]string `json:"category_tax_rates"`
	NumberPrefix     *string           `json:"number_prefix"`
	Footer           *string           `json:"footer"`
	Timezone         *string           `json:"timezone"`
}

func (s *Server) updateInvoiceSettings(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req updateInvoiceSettingsRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	u := invoice.SettingsUpdate{Enabled: req.Enabled, LegalName: req.LegalName, AddressLines: req.AddressLines,
		Country: req.Country, TaxID: req.TaxID, Email: req.Email, Locale: req.Locale, DefaultTaxRate: req.DefaultTaxRate,
		CategoryTaxRates: req.CategoryTaxRates, NumberPrefix: req.NumberPrefix, Footer: req.Footer, Timezone: req.Timezone}
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.UpdateInvoiceSettings(ctx, p.Scope, u)
	})
}
