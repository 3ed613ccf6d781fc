package adyen

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// NotificationResponse is the body Adyen expects in the HTTP 200 answer to a
// notification; until it gets it, Adyen queues the notification and resends it.
const NotificationResponse = "[accepted]"

// flexString is a JSON value Adyen sends as a string ("true", "1130") that may come
// as a number or boolean; it keeps the text, which the HMAC signing string uses. An
// object or array is kept as its JSON text.
type flexString string

// UnmarshalJSON takes a string, number, boolean, object or array; null is "".
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*f = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	case bytes.Equal(b, []byte("true")) || bytes.Equal(b, []byte("false")):
		*f = flexString(b)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexString(n)
		return nil
	}
	if b[0] == '{' || b[0] == '[' {
		// additionalData may hold a structured value paymux does not read; keep it
		// as text rather than refuse the notification.
		if !json.Valid(b) {
			return errors.New("malformed JSON value")
		}
		*f = flexString(b)
		return nil
	}
	return fmt.Errorf("want a string, number or boolean, got %.20q", b)
}

// notification is Adyen's standard notification (webhook) body.
type notification struct {
	Live  flexString `json:"live"`
	Items []struct {
		Item *notificationItem `json:"NotificationRequestItem"`
	} `json:"notificationItems"`
}

// notificationItem is one event in a notification.
type notificationItem struct {
	PSPReference        string `json:"pspReference"`
	OriginalReference   string `json:"originalReference"`
	MerchantAccountCode string `json:"merchantAccountCode"`
	MerchantReference   string `json:"merchantReference"`
	Amount              struct {
		Value    flexString `json:"value"`
		Currency string     `json:"currency"`
	} `json:"amount"`
	EventCode      string                `json:"eventCode"`
	EventDate      string                `json:"eventDate"`
	Success        flexString            `json:"success"`
	PaymentMethod  string                `json:"paymentMethod"`
	Reason         string                `json:"reason"`
	AdditionalData map[string]flexString `json:"additionalData"`
}

func (it *notificationItem) data(k string) string { return string(it.AdditionalData[k]) }

// signingString is the string Adyen signs for a notification item:
// pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success,
// with absent fields empty and nothing escaped, as Adyen's own libraries build it.
func (it *notificationItem) signingString() string {
	return strings.Join([]string{it.PSPReference, it.OriginalReference, it.MerchantAccountCode, it.MerchantReference,
		string(it.Amount.Value), it.Amount.Currency, it.EventCode, string(it.Success)}, ":")
}

// notificationMAC is HMAC-SHA256 of the item's signing string under key.
func notificationMAC(key []byte, it *notificationItem) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(it.signingString()))
	return h.Sum(nil)
}

// SignNotification returns a copy of body, a standard notification, with every
// item's additionalData.hmacSignature set as Adyen computes it with hexKey. Tests
// and tools use it to send notifications paymux will accept.
func SignNotification(hexKey string, body []byte) ([]byte, error) {
	key, err := parseHMACKey(hexKey)
	if err != nil || key == nil {
		return nil, fmt.Errorf("adyen: bad HMAC key: %v", err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("adyen: notification is not JSON: %w", err)
	}
	items, _ := doc["notificationItems"].([]any)
	for i, w := range items {
		wrap, _ := w.(map[string]any)
		raw, _ := wrap["NotificationRequestItem"].(map[string]any)
		if raw == nil {
			return nil, fmt.Errorf("adyen: notificationItems[%d] has no NotificationRequestItem", i)
		}
		b, _ := json.Marshal(raw)
		var it notificationItem
		if err := json.Unmarshal(b, &it); err != nil {
			return nil, fmt.Errorf("adyen: notificationItems[%d]: %w", i, err)
		}
		ad, _ := raw["additionalData"].(map[string]any)
		if ad == nil {
			ad = map[string]any{}
			raw["additionalData"] = ad
		}
		ad["hmacSignature"] = base64.StdEncoding.EncodeToString(notificationMAC(key, &it))
	}
	return json.Marshal(doc)
}

// verifyItem checks one item's additionalData.hmacSignature in constant time.
func verifyItem(key []byte, it *notificationItem) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(it.data("hmacSignature")))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, notificationMAC(key, it))
}

// eventCodes is the table of Adyen events paymux acts on; every other event code is
// acknowledged and ignored.
var eventCodes = map[string]func(it *notificationItem, success bool) (*provider.WebhookEvent, error){
	"AUTHORISATION":    authorisationEvent,
	"CAPTURE":          captureEvent,
	"CAPTURE_FAILED":   captureFailedEvent,
	"CANCELLATION":     cancellationEvent,
	"REFUND":           refundEvent,
	"REFUND_FAILED":    refundFailedEvent,
	"CANCEL_OR_REFUND": cancelOrRefundEvent,
	"OFFER_CLOSED":     offerClosedEvent,
	"EXPIRE":           expireEvent,
}

// WebhookEventCodes lists the Adyen event codes paymux acts on, for the standard
// webhook's settings.
func WebhookEventCodes() []string {
	out := make([]string, 0, len(eventCodes))
	for c := range eventCodes {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// maxItems bounds the items of one notification; Adyen sends one, or a few in a
// batch.
const maxItems = 1000

// ParseWebhook verifies and translates a standard notification. Every item's HMAC
// signature must match the connection's hmac_key, or the whole notification is
// refused with provider.ErrBadSignature (as is any notification when the connection
// has no hmac_key); the notification's live flag must match the connection's mode.
// Items for another merchant account (a company-level webhook) and event codes
// outside WebhookEventCodes are acknowledged without events. The endpoint must
// answer HTTP 200 with NotificationResponse ("[accepted]").
func (c *connector) ParseWebhook(_ context.Context, r provider.WebhookRequest) ([]provider.WebhookEvent, error) {
	var n notification
	if err := json.Unmarshal(r.Body, &n); err != nil {
		return nil, fmt.Errorf("adyen notification: %w", err)
	}
	if len(n.Items) == 0 {
		return nil, errors.New("adyen notification: no notificationItems")
	}
	if len(n.Items) > maxItems {
		return nil, fmt.Errorf("adyen notification: %d items, more than the %d accepted", len(n.Items), maxItems)
	}
	if len(c.cfg.hmacKey) == 0 {
		return nil, fmt.Errorf("%w: the connection has no %s; add the standard webhook's HMAC key", provider.ErrBadSignature, CredHMACKey)
	}
	for i, w := range n.Items {
		if w.Item == nil {
			return nil, fmt.Errorf("%w: notificationItems[%d] has no NotificationRequestItem", provider.ErrBadSignature, i)
		}
		if !verifyItem(c.cfg.hmacKey, w.Item) {
			return nil, fmt.Errorf("%w: the HMAC signature of notificationItems[%d] (pspReference %s) does not match the connection's %s",
				provider.ErrBadSignature, i, clip(w.Item.PSPReference), CredHMACKey)
		}
	}
	live, err := strconv.ParseBool(string(n.Live))
	if err != nil {
		return nil, fmt.Errorf("adyen notification: live is %q, not true or false", clip(string(n.Live)))
	}
	if live != c.cfg.livemode {
		return nil, fmt.Errorf("adyen notification: live=%t but connection %s is livemode=%t: point each environment's webhook at its own connection",
			live, c.cfg.connectionID, c.cfg.livemode)
	}
	var out []provider.WebhookEvent
	for i, w := range n.Items {
		it := w.Item
		if it.PSPReference == "" || it.EventCode == "" {
			return nil, fmt.Errorf("adyen notification: notificationItems[%d] has no pspReference or eventCode", i)
		}
		success, err := strconv.ParseBool(string(it.Success))
		if err != nil {
			return nil, fmt.Errorf("adyen notification: notificationItems[%d] success is %q, not true or false", i, clip(string(it.Success)))
		}
		if it.MerchantAccountCode != c.cfg.merchantAccount {
			continue
		}
		translate, ok := eventCodes[it.EventCode]
		if !ok {
			continue
		}
		ev, err := translate(it, success)
		if err != nil {
			return nil, fmt.Errorf("adyen notification %s %s: %w", it.EventCode, clip(it.PSPReference), err)
		}
		ev.ID = it.PSPReference + ":" + it.EventCode + ":" + strconv.FormatBool(success)
		out = append(out, *ev)
	}
	return out, nil
}

// value is the item's amount in paymux's minor units.
func (it *notificationItem) value() (int64, error) {
	if it.Amount.Value == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(it.Amount.Value), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("amount.value %q is not a non-negative integer", clip(string(it.Amount.Value)))
	}
	return fromAdyen(v, it.Amount.Currency), nil
}

// paymentRef is the pspReference of the payment an item is about: originalReference
// for a modification, else the item's own.
func (it *notificationItem) paymentRef() string {
	if it.OriginalReference != "" {
		return it.OriginalReference
	}
	return it.PSPReference
}

// modificationPaymentID is paymux's payment id for a modification's item: Adyen's
// originalMerchantReference when it sends one, else the merchantReference when it is
// a paymux payment id (paymux sends its payment id with captures and cancels). Empty
// otherwise: the engine then finds the payment by its pspReference.
func (it *notificationItem) modificationPaymentID() string {
	if id := it.data("originalMerchantReference"); id != "" {
		return id
	}
	if strings.HasPrefix(it.MerchantReference, payment.PrefixPayment) {
		return it.MerchantReference
	}
	return ""
}

// paymentNews builds an event carrying a payment outcome.
func paymentNews(paymentID, ref string, o payment.Outcome) *provider.WebhookEvent {
	o.ProviderReference = ref
	return &provider.WebhookEvent{PaymentID: paymentID, ProviderReference: ref, Payment: &o}
}

// authorisationEvent: success true is an authorised payment, captured
// (succeeded) when metadata.paymux_capture says automatic, else requires_capture,
// the state in which no money is lost; success false is a refusal.
func authorisationEvent(it *notificationItem, success bool) (*provider.WebhookEvent, error) {
	var o payment.Outcome
	setMethod(&o, "", it.PaymentMethod, it.data("paymentMethodVariant"), it.data("cardSummary"))
	if !success {
		o.Status = payment.StatusFailed
		o.FailureCode = failureCode(it.data("refusalReasonCode"), it.Reason, it.data("refusalReasonRaw"))
		o.FailureMessage = refusalMessage(it.Reason)
		return paymentNews(it.MerchantReference, it.PSPReference, o), nil
	}
	switch payment.CaptureMethod(it.data("metadata." + MetaCapture)) {
	case payment.CaptureAutomatic:
		v, err := it.value()
		if err != nil {
			return nil, err
		}
		o.Status, o.AmountCaptured = payment.StatusSucceeded, v
	default:
		o.Status = payment.StatusRequiresCapture
	}
	return paymentNews(it.MerchantReference, it.PSPReference, o), nil
}

// captureEvent: a successful capture confirms the captured amount; a failed one is
// a capture failure.
func captureEvent(it *notificationItem, success bool) (*provider.WebhookEvent, error) {
	if !success {
		return captureFailedEvent(it, true)
	}
	v, err := it.value()
	if err != nil {
		return nil, err
	}
	return paymentNews(it.modificationPaymentID(), it.paymentRef(),
		payment.Outcome{Status: payment.StatusSucceeded, AmountCaptured: v}), nil
}

// captureFailedEvent reports a capture Adyen accepted but could not complete (the
// card scheme rejected it): nothing was captured, and the engine puts the payment
// back to requires_capture with the failure kept. Adyen may still re-capture it
// itself after a technical failure, which then arrives as a CAPTURE notification.
func captureFailedEvent(it *notificationItem, _ bool) (*provider.WebhookEvent, error) {
	msg := "Adyen could not capture the payment"
	if it.Reason != "" {
		msg += ": " + it.Reason
	}
	return &provider.WebhookEvent{PaymentID: it.modificationPaymentID(), ProviderReference: it.paymentRef(),
		CaptureFailure: &provider.Failure{Code: "capture_failed", Message: msg + "."}}, nil
}

// cancellationEvent: a successful cancel is canceled; a failed one (the payment was
// already captured) changes nothing and is acknowledged.
func cancellationEvent(it *notificationItem, success bool) (*provider.WebhookEvent, error) {
	if !success {
		return &provider.WebhookEvent{PaymentID: it.modificationPaymentID(), ProviderReference: it.paymentRef()}, nil
	}
	return paymentNews(it.modificationPaymentID(), it.paymentRef(), payment.Outcome{Status: payment.StatusCanceled}), nil
}

// refundNews builds an event carrying a refund's outcome. RefundID is the refund's
// merchantReference: the paymux refund id Refund sent as reference.
func refundNews(it *notificationItem, res provider.RefundResult) *provider.WebhookEvent {
	res.ProviderReference = it.PSPReference
	return &provider.WebhookEvent{PaymentID: it.data("originalMerchantReference"), ProviderReference: it.paymentRef(),
		RefundID: it.MerchantReference, Refund: &res}
}

// refundEvent: success true is a completed refund, false a refused one.
func refundEvent(it *notificationItem, success bool) (*provider.WebhookEvent, error) {
	if success {
		return refundNews(it, provider.RefundResult{State: payment.RefundSucceeded}), nil
	}
	msg := "Adyen refused the refund"
	if it.Reason != "" {
		msg += ": " + it.Reason
	}
	return refundNews(it, provider.RefundResult{State: payment.RefundFailed, FailureCode: "refund_refused", FailureMessage: msg + "."}), nil
}

// refundFailedEvent: the scheme or bank returned a refund Adyen had accepted.
func refundFailedEvent(it *notificationItem, _ bool) (*provider.WebhookEvent, error) {
	msg := "The refund failed after Adyen accepted it"
	if it.Reason != "" {
		msg += ": " + it.Reason
	}
	return refundNews(it, provider.RefundResult{State: payment.RefundFailed, FailureCode: "refund_failed", FailureMessage: msg + "."}), nil
}

// cancelOrRefundEvent: Adyen cancelled the payment or refunded it in full, as
// additionalData's modification.action says. paymux never sends cancelOrRefund, so
// a refund is matched to a paymux refund only when its reference is one.
func cancelOrRefundEvent(it *notificationItem, success bool) (*provider.WebhookEvent, error) {
	if success {
		switch it.data("modification.action") {
		case "cancel":
			return cancellationEvent(it, true)
		case "refund":
			return refundNews(it, provider.RefundResult{State: payment.RefundSucceeded}), nil
		}
	}
	return &provider.WebhookEvent{PaymentID: it.modificationPaymentID(), ProviderReference: it.paymentRef()}, nil
}

// offerClosedEvent: the shopper did not complete a redirect or asynchronous payment
// in time; the payment failed.
func offerClosedEvent(it *notificationItem, success bool) (*provider.WebhookEvent, error) {
	if !success {
		return &provider.WebhookEvent{PaymentID: it.MerchantReference, ProviderReference: it.paymentRef()}, nil
	}
	return paymentNews(it.MerchantReference, it.paymentRef(), payment.Outcome{Status: payment.StatusFailed,
		FailureCode: "payment_expired", FailureMessage: "The shopper did not complete the payment in time."}), nil
}

// expireEvent: the authorisation of an uncaptured payment expired and its funds
// were released.
func expireEvent(it *notificationItem, success bool) (*provider.WebhookEvent, error) {
	if !success {
		return &provider.WebhookEvent{PaymentID: it.MerchantReference, ProviderReference: it.paymentRef()}, nil
	}
	return paymentNews(it.MerchantReference, it.paymentRef(), payment.Outcome{Status: payment.StatusExpired}), nil
}
