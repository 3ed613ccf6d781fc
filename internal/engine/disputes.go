package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// Dispute is a chargeback as paymux shows it: the data.object of dispute.* events.
type Dispute struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	PaymentID string `json:"payment_id"`
	Provider  string `json:"provider"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Reason    string `json:"reason"`
	Status    string `json:"status"`
}

// recordDispute appends a dispute.* event to the disputed payment's history (and so
// to merchants' webhooks), in the transaction that records the provider's webhook.
// paymux keeps no dispute state of its own yet: the events are the record.
func (e *Engine) recordDispute(ctx context.Context, tx store.Tx, actor payment.Actor, p *payment.Payment, providerName string, d provider.Dispute) error {
	typ := map[string]string{provider.DisputeCreated: payment.EventDisputeCreated,
		provider.DisputeUpdated: payment.EventDisputeUpdated, provider.DisputeClosed: payment.EventDisputeClosed}[d.News]
	if typ == "" {
		return fmt.Errorf("dispute news %q from %s", d.News, providerName)
	}
	cur := d.Currency
	if cur == "" {
		cur = p.Currency
	}
	data, err := json.Marshal(Dispute{ID: d.Reference, Object: "dispute", PaymentID: p.ID, Provider: providerName,
		Amount: d.Amount, Currency: cur, Reason: d.Reason, Status: d.Status})
	if err != nil {
		return fmt.Errorf("encode dispute event: %w", err)
	}
	return e.appendEvent(ctx, tx, &payment.Event{
		ID: payment.NewID(payment.PrefixEvent), MerchantID: p.MerchantID, Livemode: p.Livemode,
		Type: typ, PaymentID: p.ID, Actor: actor, FromStatus: string(p.Status), ToStatus: string(p.Status),
		Data: payment.EventData{Object: data}, CreatedAt: e.now().UTC(),
	}, true)
}
