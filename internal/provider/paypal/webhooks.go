package paypal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// The headers PayPal signs a webhook delivery with.
const (
	HeaderTransmissionID   = "Paypal-Transmission-Id"
	HeaderTransmissionTime = "Paypal-Transmission-Time"
	HeaderTransmissionSig  = "Paypal-Transmission-Sig"
	HeaderCertURL          = "Paypal-Cert-Url"
	HeaderAuthAlgo         = "Paypal-Auth-Algo"
)

// certHosts are the hosts PayPal serves its webhook signing certificates from. A
// delivery naming any other host in PAYPAL-CERT-URL is forged and is refused before
// anything else is done with it.
var certHosts = map[string]bool{
	"api.paypal.com": true, "api-m.paypal.com": true,
	"api.sandbox.paypal.com": true, "api-m.sandbox.paypal.com": true,
}

// maxWebhookBody bounds the event paymux asks PayPal to verify.
const maxWebhookBody = 1 << 20

// checkCertURL refuses a certificate URL that is not https on one of PayPal's hosts.
func checkCertURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Opaque != "" {
		return fmt.Errorf("%w: %s is not an https URL", provider.ErrBadSignature, HeaderCertURL)
	}
	if p := u.Port(); p != "" && p != "443" {
		return fmt.Errorf("%w: %s names port %s", provider.ErrBadSignature, HeaderCertURL, clip(p))
	}
	if h := strings.ToLower(u.Hostname()); !certHosts[h] {
		return fmt.Errorf("%w: %s host %q is not PayPal's", provider.ErrBadSignature, HeaderCertURL, clip(h))
	}
	return nil
}

// verifyRequest is the body of POST /v1/notifications/verify-webhook-signature,
// without webhook_event, which is spliced in as the bytes received: PayPal checks a
// CRC32 of the event as it sent it, so it must not be re-encoded.
type verifyRequest struct {
	AuthAlgo         string `json:"auth_algo"`
	CertURL          string `json:"cert_url"`
	TransmissionID   string `json:"transmission_id"`
	TransmissionSig  string `json:"transmission_sig"`
	TransmissionTime string `json:"transmission_time"`
	WebhookID        string `json:"webhook_id"`
}

// verifyWebhook asks PayPal whether the delivery is genuine, after the checks that
// need no call. Every refusal wraps provider.ErrBadSignature; a failure to ask
// PayPal is a *provider.Error, so the delivery is answered with an error and
// PayPal sends it again.
func (c *connector) verifyWebhook(ctx context.Context, r provider.WebhookRequest) error {
	vr := verifyRequest{AuthAlgo: r.Header.Get(HeaderAuthAlgo), CertURL: r.Header.Get(HeaderCertURL),
		TransmissionID: r.Header.Get(HeaderTransmissionID), TransmissionSig: r.Header.Get(HeaderTransmissionSig),
		TransmissionTime: r.Header.Get(HeaderTransmissionTime), WebhookID: c.cfg.webhookID}
	for _, h := range []struct{ name, val string }{{HeaderTransmissionID, vr.TransmissionID},
		{HeaderTransmissionTime, vr.TransmissionTime}, {HeaderTransmissionSig, vr.TransmissionSig},
		{HeaderCertURL, vr.CertURL}, {HeaderAuthAlgo, vr.AuthAlgo}} {
		if strings.TrimSpace(h.val) == "" {
			return fmt.Errorf("%w: no %s header", provider.ErrBadSignature, h.name)
		}
	}
	if err := checkCertURL(vr.CertURL); err != nil {
		return err
	}
	if c.cfg.webhookID == "" {
		return fmt.Errorf("%w: the connection has no %s; add the id PayPal shows for the webhook pointing at /hooks/paypal/%s",
			provider.ErrBadSignature, CredWebhookID, c.cfg.connectionID)
	}
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 || body[0] != '{' || len(body) > maxWebhookBody || !json.Valid(body) {
		return fmt.Errorf("%w: the body is not a JSON event, so it cannot be verified", provider.ErrBadSignature)
	}
	head, err := json.Marshal(vr)
	if err != nil {
		return err
	}
	req := make([]byte, 0, len(head)+len(body)+20)
	req = append(req, head[:len(head)-1]...)
	req = append(req, `,"webhook_event":`...)
	req = append(req, body...)
	req = append(req, '}')
	// The request id binds every input, so a replay of PayPal's stored answer can
	// only ever answer the very same question.
	sum := sha256.Sum256(req)
	var res struct {
		VerificationStatus string `json:"verification_status"`
	}
	err = c.api.do(ctx, http.MethodPost, "/v1/notifications/verify-webhook-signature", req,
		"paymux-verify-"+hex.EncodeToString(sum[:]), &res)
	var ce *callError
	if errors.As(err, &ce) && !ce.tokenCall && (ce.status == http.StatusBadRequest || ce.status == http.StatusUnprocessableEntity) {
		// PayPal refuses the question itself: the headers are not a signature.
		return fmt.Errorf("%w: PayPal refused to verify the delivery (%s)", provider.ErrBadSignature, ce.code())
	}
	if err != nil {
		var pe *provider.Error
		if errors.As(providerError(err), &pe) {
			pe.Uncertain = false // verification changes nothing at PayPal
			return pe
		}
		return err
	}
	if res.VerificationStatus != "SUCCESS" {
		return fmt.Errorf("%w: PayPal answered verification_status %q", provider.ErrBadSignature, clip(res.VerificationStatus))
	}
	return nil
}

// event is a PayPal webhook event.
type event struct {
	ID           string          `json:"id"`
	EventType    string          `json:"event_type"`
	ResourceType string          `json:"resource_type"`
	Resource     json.RawMessage `json:"resource"`
}

// translator turns a verified event into paymux news. It may read from PayPal.
type translator func(c *connector, ctx context.Context, ev *event) ([]provider.WebhookEvent, error)

// webhookTypes is the table of PayPal events paymux acts on; every other type is
// acknowledged and ignored.
var webhookTypes = map[string]translator{
	"CHECKOUT.ORDER.APPROVED":       orderEvent,
	"PAYMENT.CAPTURE.COMPLETED":     captureEvent,
	"PAYMENT.CAPTURE.DENIED":        captureEvent,
	"PAYMENT.CAPTURE.PENDING":       captureEvent,
	"PAYMENT.CAPTURE.DECLINED":      captureEvent,
	"PAYMENT.CAPTURE.REFUNDED":      refundEvent,
	"PAYMENT.AUTHORIZATION.CREATED": authorizationEvent,
	"PAYMENT.AUTHORIZATION.VOIDED":  authorizationEvent,
}

// WebhookEventTypes lists the PayPal event types paymux acts on, for the webhook's
// event subscription.
func WebhookEventTypes() []string {
	out := make([]string, 0, len(webhookTypes))
	for t := range webhookTypes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ParseWebhook checks the delivery's certificate URL, asks PayPal to verify its
// signature (verify-webhook-signature, with the connection's webhook_id), and
// translates the event. A forged or unverifiable delivery is
// provider.ErrBadSignature; an event of an unhandled type yields no events and no
// error, so PayPal stops resending it. Redeliveries are translated again; the
// engine records each event id once.
func (c *connector) ParseWebhook(ctx context.Context, r provider.WebhookRequest) ([]provider.WebhookEvent, error) {
	if err := c.verifyWebhook(ctx, r); err != nil {
		return nil, err
	}
	var ev event
	if err := json.Unmarshal(r.Body, &ev); err != nil {
		return nil, fmt.Errorf("paypal webhook: %w", err)
	}
	if ev.ID == "" || ev.EventType == "" {
		return nil, errors.New("paypal webhook: the event has no id or event_type")
	}
	translate, ok := webhookTypes[ev.EventType]
	if !ok {
		return nil, nil
	}
	if len(ev.Resource) == 0 || bytes.Equal(ev.Resource, []byte("null")) {
		return nil, fmt.Errorf("paypal webhook %s (%s): no resource", ev.ID, ev.EventType)
	}
	out, err := translate(c, ctx, &ev)
	if err != nil {
		return nil, fmt.Errorf("paypal webhook %s (%s): %w", ev.ID, ev.EventType, err)
	}
	return out, nil
}

// orderEvent reports an approved order as processing: the shopper approved it,
// and the next status lookup (the shopper's return, or reconciliation) completes
// it. The webhook does not complete it itself, because it cannot tell whether the
// order is the payment's current attempt.
func orderEvent(_ *connector, _ context.Context, ev *event) ([]provider.WebhookEvent, error) {
	var o order
	if err := json.Unmarshal(ev.Resource, &o); err != nil {
		return nil, err
	}
	if !validOrderID(o.ID) {
		return nil, fmt.Errorf("the order id %q is not a PayPal order id", clip(o.ID))
	}
	out := orderOutcome(&o)
	return []provider.WebhookEvent{{ID: ev.ID, PaymentID: o.unit().CustomID, ProviderReference: o.ID, Payment: &out}}, nil
}

// captureEvent reports a capture's new status.
func captureEvent(_ *connector, _ context.Context, ev *event) ([]provider.WebhookEvent, error) {
	var cp capture
	if err := json.Unmarshal(ev.Resource, &cp); err != nil {
		return nil, err
	}
	if cp.ID == "" {
		return nil, errors.New("the capture has no id")
	}
	orderID := orderIDOf(cp.SupplementaryData)
	out := captureOutcome(payment.Outcome{ProviderReference: orderID, PaymentMethodType: MethodPayPal}, &cp)
	if cp.Status == "" {
		// Older payloads may leave the status out: the event type says it.
		switch ev.EventType {
		case "PAYMENT.CAPTURE.COMPLETED":
			out = captureOutcome(out, &capture{Status: "COMPLETED", Amount: cp.Amount})
		case "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED":
			out = failedCapture(out, &capture{Status: "DECLINED"})
		}
	}
	return []provider.WebhookEvent{{ID: ev.ID, PaymentID: cp.CustomID, ProviderReference: orderID, Payment: &out}}, nil
}

// authorizationEvent reports an authorisation's new status.
func authorizationEvent(_ *connector, _ context.Context, ev *event) ([]provider.WebhookEvent, error) {
	var a authorization
	if err := json.Unmarshal(ev.Resource, &a); err != nil {
		return nil, err
	}
	if a.ID == "" {
		return nil, errors.New("the authorization has no id")
	}
	if a.Status == "" {
		a.Status = "CREATED"
		if ev.EventType == "PAYMENT.AUTHORIZATION.VOIDED" {
			a.Status = "VOIDED"
		}
	}
	orderID := orderIDOf(a.SupplementaryData)
	out := payment.Outcome{ProviderReference: orderID, PaymentMethodType: MethodPayPal}
	authOutcome(&out, &a)
	return []provider.WebhookEvent{{ID: ev.ID, PaymentID: a.CustomID, ProviderReference: orderID, Payment: &out}}, nil
}

// refundEvent reports a refund's new status. The refund names paymux's refund id
// (custom_id) but not the payment: that is read from the refunded capture, which
// the refund links to ("up") and which carries the payment id and order id.
func refundEvent(c *connector, ctx context.Context, ev *event) ([]provider.WebhookEvent, error) {
	var re refund
	if err := json.Unmarshal(ev.Resource, &re); err != nil {
		return nil, err
	}
	if re.ID == "" {
		return nil, errors.New("the refund has no id")
	}
	res := refundResult(&re)
	news := provider.WebhookEvent{ID: ev.ID, RefundID: re.CustomID, Refund: &res}
	if id := captureIDFromLink(findLink(re.Links, "up")); id != "" {
		var cp capture
		if err := c.api.get(ctx, "/v2/payments/captures/"+id, &cp); err != nil {
			return nil, fmt.Errorf("read the refunded capture %s: %w", id, providerError(err))
		}
		news.PaymentID, news.ProviderReference = cp.CustomID, orderIDOf(cp.SupplementaryData)
	}
	return []provider.WebhookEvent{news}, nil
}

// captureIDFromLink is the capture id at the end of a /v2/payments/captures/{id}
// link, or "".
func captureIDFromLink(href string) string {
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	id, ok := strings.CutPrefix(u.Path, "/v2/payments/captures/")
	if !ok || !validPaymentID(id) {
		return ""
	}
	return id
}
