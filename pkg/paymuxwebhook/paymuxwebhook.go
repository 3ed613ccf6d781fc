// Package paymuxwebhook verifies the webhooks a paymux server sends to a merchant's
// endpoint, and decodes their events. It uses the standard library only, so a shop's
// backend can import it without pulling in the rest of paymux:
//
//	import "github.com/paymux/paymux/pkg/paymuxwebhook"
//
//	func handle(w http.ResponseWriter, r *http.Request) {
//		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//		ev, err := paymuxwebhook.ConstructEvent(body, r.Header.Get(paymuxwebhook.SignatureHeader), secret, 0)
//		if err != nil {
//			http.Error(w, "bad signature", http.StatusBadRequest)
//			return
//		}
//		// ev.ID is the same on every retry of this event: use it to skip duplicates.
//		w.WriteHeader(http.StatusNoContent)
//	}
//
// Every webhook carries the header
//
//	Paymux-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// where secret is the endpoint's signing secret exactly as paymux showed it (with its
// "whsec_" prefix). While a rotated secret is in its grace period the header holds one
// v1 value per valid secret; any one of them matching is enough.
package paymuxwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers paymux sets on every webhook request.
const (
	// SignatureHeader carries the timestamp and the signatures.
	SignatureHeader = "Paymux-Signature"
	// EventIDHeader carries the event's id, the same on every retry.
	EventIDHeader = "Paymux-Event-Id"
)

// DefaultTolerance is how far a webhook's timestamp may be from the receiver's clock
// when Verify is given a zero tolerance. It bounds how long a captured request can be
// replayed.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns; test them with errors.Is.
var (
	// ErrInvalidHeader: the header is missing, or has no timestamp or no v1 signature.
	ErrInvalidHeader = errors.New("paymuxwebhook: malformed " + SignatureHeader + " header")
	// ErrTimestampOutsideTolerance: the webhook was signed too long ago (or ahead).
	ErrTimestampOutsideTolerance = errors.New("paymuxwebhook: timestamp outside the tolerance")
	// ErrNoValidSignature: no v1 signature matches the secret and the body.
	ErrNoValidSignature = errors.New("paymuxwebhook: no signature matches the secret")
)

// Sign returns the Paymux-Signature header value for payload signed at t with each of
// secrets, in order. paymux signs with it; tests of a webhook handler can too.
func Sign(payload []byte, t time.Time, secrets ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac(s, ts, payload)))
	}
	return b.String()
}

func mac(secret, ts string, payload []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(payload)
	return h.Sum(nil)
}

// Verify checks that header signs payload with secret, and that its timestamp is
// within tolerance of now: zero means DefaultTolerance, a negative tolerance skips the
// time check (for payloads stored and checked later). Signatures are compared in
// constant time; any v1 value may match.
func Verify(payload []byte, header, secret string, tolerance time.Duration) error {
	return verify(payload, header, secret, tolerance, time.Now())
}

func verify(payload []byte, header, secret string, tolerance time.Duration, now time.Time) error {
	if tolerance == 0 {
		tolerance = DefaultTolerance
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
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no t=<unix seconds> timestamp", ErrInvalidHeader)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no v1=<hex> signature", ErrInvalidHeader)
	}
	if tolerance > 0 {
		if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
			return fmt.Errorf("%w: signed %s ago, tolerance %s", ErrTimestampOutsideTolerance, age.Truncate(time.Second), tolerance)
		}
	}
	want := mac(secret, ts, payload)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return ErrNoValidSignature
}

// Event is a paymux event as webhooks deliver it: the same object GET /v1/events/{id}
// returns.
type Event struct {
	// ID is the event's id (evt_…): the same on every delivery attempt, so a receiver
	// that stores the ids it handled can skip duplicates.
	ID     string `json:"id"`
	Object string `json:"object"`
	// Type is e.g. "payment.succeeded" or "refund.created".
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Livemode  bool      `json:"livemode"`
	// PaymentID is the payment concerned (for refund events, the refunded payment).
	PaymentID string `json:"payment_id,omitempty"`
	// Actor is who or what caused the change.
	Actor struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"actor"`
	FromStatus string `json:"from_status,omitempty"`
	ToStatus   string `json:"to_status,omitempty"`
	// Data.Object is the payment, refund, invoice or credit note as it was right
	// after the change.
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// DecodeObject unmarshals the event's object (a payment for payment.* events, a refund
// for refund.* events, an invoice or credit note for invoice.created and
// credit_note.created) into v.
func (e *Event) DecodeObject(v any) error {
	if len(e.Data.Object) == 0 {
		return errors.New("paymuxwebhook: the event has no data.object")
	}
	return json.Unmarshal(e.Data.Object, v)
}

// ConstructEvent verifies payload as Verify does and decodes it into an Event.
func ConstructEvent(payload []byte, header, secret string, tolerance time.Duration) (Event, error) {
	var ev Event
	if err := Verify(payload, header, secret, tolerance); err != nil {
		return ev, err
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return ev, fmt.Errorf("paymuxwebhook: the payload is not an event: %w", err)
	}
	if ev.Object != "event" || ev.ID == "" || ev.Type == "" {
		return ev, errors.New("paymuxwebhook: the payload is not an event: no id, type or object \"event\"")
	}
	return ev, nil
}
