package stripe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/provider"
)

// SignatureHeader carries Stripe's webhook signature:
// "t=<unix>,v1=<hex HMAC-SHA256(whsec, "<t>.<body>")>[,v1=…]".
const SignatureHeader = "Stripe-Signature"

// WebhookTolerance is how far a webhook's timestamp may be from now, either way;
// Stripe's libraries use the same 300 s.
const WebhookTolerance = 300 * time.Second

// SignWebhook returns the Stripe-Signature header for body at t, as Stripe computes
// it. Tests and tools use it to send webhooks paymux will accept.
func SignWebhook(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(webhookMAC(secret, ts, body))
}

func webhookMAC(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// VerifyWebhook checks a Stripe-Signature header against body: the timestamp must be
// within tolerance of now, and any one of the v1 signatures must match, compared in
// constant time (Stripe sends several while an endpoint's secret is being rolled).
// Every failure wraps provider.ErrBadSignature.
func VerifyWebhook(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: the connection has no %s; add the endpoint's whsec_ signing secret", provider.ErrBadSignature, CredWebhookSecret)
	}
	if strings.TrimSpace(header) == "" {
		return fmt.Errorf("%w: no %s header", provider.ErrBadSignature, SignatureHeader)
	}
	var (
		ts   string
		sigs [][]byte
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s header has no valid timestamp", provider.ErrBadSignature, SignatureHeader)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s header has no v1 signature", provider.ErrBadSignature, SignatureHeader)
	}
	if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: timestamp is %s away from now, beyond the %s tolerance", provider.ErrBadSignature, age.Round(time.Second), tolerance)
	}
	want := webhookMAC(secret, ts, body)
	matched := false
	for _, s := range sigs {
		// Every candidate is compared, in constant time, whatever matched before.
		if hmac.Equal(s, want) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: no v1 signature matches the connection's %s", provider.ErrBadSignature, CredWebhookSecret)
	}
	return nil
}

// event is a Stripe Event as delivered to a webhook endpoint.
type event struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Type     string `json:"type"`
	Created  int64  `json:"created"`
	Livemode bool   `json:"livemode"`
	Data     struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// webhookTypes is the table of Stripe events paymux acts on; every other type is
// acknowledged and ignored.
var webhookTypes = map[string]func(*event) ([]provider.WebhookEvent, error){
	"payment_intent.succeeded":                 intentEvent,
	"payment_intent.processing":                intentEvent,
	"payment_intent.requires_action":           intentEvent,
	"payment_intent.payment_failed":            intentEvent,
	"payment_intent.canceled":                  intentEvent,
	"payment_intent.amount_capturable_updated": intentEvent,
	"charge.refunded":                          chargeRefundedEvent,
	"refund.created":                           refundEvent,
	"refund.updated":                           refundEvent,
	"refund.failed":                            refundEvent,
	"charge.refund.updated":                    refundEvent,
	"charge.dispute.created":                   disputeEvent,
	"charge.dispute.updated":                   disputeEvent,
	"charge.dispute.closed":                    disputeEvent,
}

// WebhookEventTypes lists the Stripe event types paymux acts on, for the webhook
// endpoint's "events to send" setting.
func WebhookEventTypes() []string {
	out := make([]string, 0, len(webhookTypes))
	for t := range webhookTypes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ParseWebhook verifies the Stripe-Signature header and translates the event.
// A bad or stale signature is provider.ErrBadSignature; an event of an unhandled
// type yields no events and no error, so Stripe stops resending it.
func (c *connector) ParseWebhook(_ context.Context, r provider.WebhookRequest) ([]provider.WebhookEvent, error) {
	if err := VerifyWebhook(c.cfg.webhookSecret, r.Header.Get(SignatureHeader), r.Body, c.now(), WebhookTolerance); err != nil {
		return nil, err
	}
	var ev event
	if err := json.Unmarshal(r.Body, &ev); err != nil {
		return nil, fmt.Errorf("stripe webhook: %w", err)
	}
	if ev.ID == "" || ev.Type == "" {
		return nil, errors.New("stripe webhook: the event has no id or type")
	}
	if ev.Livemode != c.cfg.livemode {
		return nil, fmt.Errorf("stripe webhook: event %s is livemode=%t but connection %s is livemode=%t: point each mode's endpoint at its own connection",
			ev.ID, ev.Livemode, c.cfg.connectionID, c.cfg.livemode)
	}
	translate, ok := webhookTypes[ev.Type]
	if !ok {
		return nil, nil
	}
	out, err := translate(&ev)
	if err != nil {
		return nil, fmt.Errorf("stripe webhook %s (%s): %w", ev.ID, ev.Type, err)
	}
	return out, nil
}

func decodeObject(ev *event, v any) error {
	if len(ev.Data.Object) == 0 {
		return errors.New("no data.object")
	}
	return json.Unmarshal(ev.Data.Object, v)
}

// intentEvent reports a PaymentIntent's new status.
func intentEvent(ev *event) ([]provider.WebhookEvent, error) {
	var pi paymentIntent
	if err := decodeObject(ev, &pi); err != nil {
		return nil, err
	}
	if pi.ID == "" {
		return nil, errors.New("the PaymentIntent has no id")
	}
	o := outcome(&pi)
	return []provider.WebhookEvent{{ID: ev.ID, PaymentID: pi.Metadata[MetaPaymentID], ProviderReference: pi.ID, Payment: &o}}, nil
}

// refundEvent reports a Refund's new status.
func refundEvent(ev *event) ([]provider.WebhookEvent, error) {
	var re refund
	if err := decodeObject(ev, &re); err != nil {
		return nil, err
	}
	if re.ID == "" {
		return nil, errors.New("the Refund has no id")
	}
	return []provider.WebhookEvent{refundNews(ev.ID, &re)}, nil
}

func refundNews(id string, re *refund) provider.WebhookEvent {
	res := refundResult(re)
	return provider.WebhookEvent{ID: id, PaymentID: re.Metadata[MetaPaymentID], ProviderReference: re.PaymentIntent.ID,
		RefundID: re.Metadata[MetaRefundID], Refund: &res}
}

// chargeRefundedEvent reports the refunds listed on a refunded Charge. Recent API
// versions leave the list out of the event; refund.* events then carry the news.
// With several refunds each gets its own id (event/refund), as the engine records
// each event id once.
func chargeRefundedEvent(ev *event) ([]provider.WebhookEvent, error) {
	var ch charge
	if err := decodeObject(ev, &ch); err != nil {
		return nil, err
	}
	if ch.Refunds == nil || len(ch.Refunds.Data) == 0 {
		return []provider.WebhookEvent{{ID: ev.ID, PaymentID: ch.Metadata[MetaPaymentID], ProviderReference: ch.PaymentIntent.ID}}, nil
	}
	out := make([]provider.WebhookEvent, 0, len(ch.Refunds.Data))
	for i := range ch.Refunds.Data {
		re := &ch.Refunds.Data[i]
		if re.PaymentIntent.ID == "" {
			re.PaymentIntent.ID = ch.PaymentIntent.ID
		}
		id := ev.ID
		if len(ch.Refunds.Data) > 1 {
			id = ev.ID + "/" + re.ID
		}
		out = append(out, refundNews(id, re))
	}
	return out, nil
}

// disputeEvent reports a dispute's news (created, updated, closed) on the disputed
// payment; it does not move the payment's state.
func disputeEvent(ev *event) ([]provider.WebhookEvent, error) {
	var d dispute
	if err := decodeObject(ev, &d); err != nil {
		return nil, err
	}
	cur := strings.ToUpper(d.Currency)
	news := provider.DisputeCreated
	switch ev.Type {
	case "charge.dispute.updated":
		news = provider.DisputeUpdated
	case "charge.dispute.closed":
		news = provider.DisputeClosed
	}
	return []provider.WebhookEvent{{ID: ev.ID, ProviderReference: d.PaymentIntent.ID, Dispute: &provider.Dispute{
		News: news, Reference: d.ID, Amount: fromStripeAmount(d.Amount, cur), Currency: cur, Reason: d.Reason, Status: d.Status}}}, nil
}
