package paymuxwebhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	secret = "whsec_0123456789abcdefghijABCDEFGHIJ"
	other  = "whsec_ZYXWVUTSRQPONMLKJIHGFEDCBA987654"
)

var body = []byte(`{"id":"evt_1","object":"event","type":"payment.succeeded","created_at":"2026-11-24T20:18:05Z","livemode":false,"data":{"object":{"id":"pay_1","object":"payment","amount":1000}}}`)

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		secret string
		tol    time.Duration
		want   error
	}{
		{"valid", Sign(body, now, secret), body, secret, 0, nil},
		{"second of two signatures", Sign(body, now, other, secret), body, secret, 0, nil},
		{"spaces after commas", strings.ReplaceAll(Sign(body, now, secret), ",", ", "), body, secret, 0, nil},
		{"four minutes old", Sign(body, now.Add(-4*time.Minute), secret), body, secret, 0, nil},
		{"six minutes old", Sign(body, now.Add(-6*time.Minute), secret), body, secret, 0, ErrTimestampOutsideTolerance},
		{"six minutes ahead", Sign(body, now.Add(6*time.Minute), secret), body, secret, 0, ErrTimestampOutsideTolerance},
		{"old, wider tolerance", Sign(body, now.Add(-time.Hour), secret), body, secret, 2 * time.Hour, nil},
		{"old, no time check", Sign(body, now.Add(-1000*time.Hour), secret), body, secret, -1, nil},
		{"wrong secret", Sign(body, now, other), body, secret, 0, ErrNoValidSignature},
		{"body changed", Sign(body, now, secret), append([]byte(" "), body...), secret, 0, ErrNoValidSignature},
		{"timestamp changed", "t=" + "1800000001" + Sign(body, now, secret)[len("t=1800000000"):], body, secret, 0, ErrNoValidSignature},
		{"empty", "", body, secret, 0, ErrInvalidHeader},
		{"no signature", "t=1800000000", body, secret, 0, ErrInvalidHeader},
		{"no timestamp", "v1=" + strings.Repeat("ab", 32), body, secret, 0, ErrInvalidHeader},
		{"v0 only", strings.Replace(Sign(body, now, secret), "v1=", "v0=", 1), body, secret, 0, ErrInvalidHeader},
		{"not hex", "t=1800000000,v1=zz", body, secret, 0, ErrInvalidHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := verify(tc.body, tc.header, tc.secret, tc.tol, now)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("verify: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestConstructEvent(t *testing.T) {
	t.Parallel()
	ev, err := ConstructEvent(body, Sign(body, time.Now(), secret), secret, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_1" || ev.Type != "payment.succeeded" || ev.Livemode || ev.CreatedAt.IsZero() {
		t.Fatalf("event %+v", ev)
	}
	var p struct {
		ID     string `json:"id"`
		Amount int64  `json:"amount"`
	}
	if err := ev.DecodeObject(&p); err != nil || p.ID != "pay_1" || p.Amount != 1000 {
		t.Fatalf("object %+v: %v", p, err)
	}
	if _, err := ConstructEvent(body, Sign(body, time.Now(), other), secret, 0); !errors.Is(err, ErrNoValidSignature) {
		t.Fatalf("forged: %v", err)
	}
	notEvent := []byte(`{"hello":"world"}`)
	if _, err := ConstructEvent(notEvent, Sign(notEvent, time.Now(), secret), secret, 0); err == nil {
		t.Fatal("a signed payload that is not an event was accepted")
	}
}

// Whatever arrives, verification answers without panicking; a header that the right
// secret made always verifies, and the same header never verifies another body.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1764020000, 0)
	f.Add([]byte(`{"id":"evt_1","type":"payment.succeeded"}`), Sign([]byte(`{"id":"evt_1"}`), now, "whsec_a"), "whsec_a")
	f.Add([]byte(``), "t=1764020000,v1=zz,v1=", "whsec_a")
	f.Add([]byte(`x`), ",,=,t=,v1=00", "")
	f.Add([]byte(`x`), "t=-9223372036854775808,v1=00", "whsec_b")
	f.Fuzz(func(t *testing.T, body []byte, header, secret string) {
		_ = verify(body, header, secret, 0, now)
		signed := Sign(body, now, secret)
		if err := verify(body, signed, secret, 0, now); err != nil {
			t.Fatalf("a header made with the secret does not verify: %v", err)
		}
		if err := verify(append(body, 'x'), signed, secret, 0, now); err == nil {
			t.Fatal("a changed body verifies")
		}
	})
}
