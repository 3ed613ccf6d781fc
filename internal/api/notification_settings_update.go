package api

import (
	"context"
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/notify"
)

// updateNotificationSettingsRequest changes email settings; absent fields are left
// as they are.
type updateNotificationSettingsRequest struct {
	Kinds         *notificationKindsRequest `json:"kinds"`
	ReminderDelay *int64                    `json:"reminder_delay"`
	DefaultLocale *string                   `json:"default_locale"`
	Brand         *notificationBrandRequest `json:"brand"`
	ReplyTo       *string                   `json:"reply_to"`
	OperatorEmail *string                   `json:"operator_email"`
}

// notificationKindsRequest switches kinds of email on or off.
type notificationKindsRequest struct {
	PaymentSucceeded *bool `json:"payment_succeeded"`
	PaymentFailed    *bool `json:"payment_failed"`
	RefundSucceeded  *bool `json:"refund_succeeded"`
	PaymentLink      *bool `json:"payment_link"`
	PaymentReminder  *bool `json:"payment_reminder"`
	EndpointDisabled *bool `json:"endpoint_disabled"`
	InvoiceIssued    *bool `json:"invoice_issued"`
}

// notificationBrandRequest changes how emails look.
type notificationBrandRequest struct {
	Name    *string `json:"name"`
	Color   *string `json:"color"`
	LogoURL *string `json:"logo_url"`
}

func (req *updateNotificationSettingsRequest) params() engine.UpdateNotificationSettingsParams {
	p := engine.UpdateNotificationSettingsParams{ReminderDelay: req.ReminderDelay, DefaultLocale: req.DefaultLocale,
		ReplyTo: req.ReplyTo, OperatorEmail: req.OperatorEmail, Kinds: map[notify.Kind]bool{}}
	if k := req.Kinds; k != nil {
		for kind, on := range map[notify.Kind]*bool{
			notify.PaymentSucceeded: k.PaymentSucceeded, notify.PaymentFailed: k.PaymentFailed,
			notify.RefundSucceeded: k.RefundSucceeded, notify.PaymentLink: k.PaymentLink,
			notify.PaymentReminder: k.PaymentReminder, notify.EndpointDisabled: k.EndpointDisabled,
			notify.InvoiceIssued: k.InvoiceIssued,
		} {
			if on != nil {
				p.Kinds[kind] = *on
			}
		}
	}
	if b := req.Brand; b != nil {
		p.BrandName, p.BrandColor, p.LogoURL = b.Name, b.Color, b.LogoURL
	}
	return p
}

func (s *Server) updateNotificationSettings(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req updateNotificationSettingsRequest
	if err := decodeStrict(body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	params := req.params()
	s.mutate(w, r, p, body, http.StatusOK, func(ctx context.Context) (any, error) {
		return s.eng.UpdateNotificationSettings(ctx, p.Scope, params)
	})
}
