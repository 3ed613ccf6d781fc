package paymuxwebhook_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/paymux/paymux/pkg/paymuxwebhook"
)

// A shop's webhook handler: verify, decode, act once per event id, answer 2xx.
func Example() {
	const secret = "whsec_5TqLm2Xk9TzLw1ZcRn8e9f3aQb7YdVx4"
	handled := map[string]bool{} // in a real shop: a table with a unique key on the event id

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		ev, err := paymuxwebhook.ConstructEvent(body, r.Header.Get(paymuxwebhook.SignatureHeader), secret, 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if handled[ev.ID] {
			w.WriteHeader(http.StatusOK) // a retry of an event already handled
			return
		}
		handled[ev.ID] = true
		var p struct {
			ID     string `json:"id"`
			Amount int64  `json:"amount"`
		}
		if err := ev.DecodeObject(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Printf("%s: %s, %d\n", ev.Type, p.ID, p.Amount)
		w.WriteHeader(http.StatusOK)
	})

	// What paymux sends.
	body := `{"id":"evt_Qm2Xk9TzLw1ZcRn8eYdVb7","object":"event","type":"payment.succeeded",` +
		`"created_at":"2026-11-24T20:18:05.123456Z","livemode":false,` +
		`"data":{"object":{"id":"pay_4Xk2m9QbT7rLw1ZcVn8eYd","object":"payment","amount":2500}}}`
	send := func(signature string) int {
		req := httptest.NewRequest("POST", "/webhooks/paymux", strings.NewReader(body))
		req.Header.Set(paymuxwebhook.SignatureHeader, signature)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec.Code
	}
	fmt.Println(send(paymuxwebhook.Sign([]byte(body), time.Now(), secret)))
	fmt.Println(send(paymuxwebhook.Sign([]byte(body), time.Now(), secret))) // retried: same event id
	fmt.Println(send(paymuxwebhook.Sign([]byte(body), time.Now(), "whsec_forged")))
	// Output:
	// payment.succeeded: pay_4Xk2m9QbT7rLw1ZcVn8eYd, 2500
	// 200
	// 200
	// 400
}

// Verifying a stored request later, with the timestamp check off.
func ExampleVerify() {
	const secret = "whsec_5TqLm2Xk9TzLw1ZcRn8e9f3aQb7YdVx4"
	body := []byte(`{"id":"evt_1","object":"event","type":"refund.succeeded"}`)
	header := paymuxwebhook.Sign(body, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), secret)
	fmt.Println(paymuxwebhook.Verify(body, header, secret, -1))
	err := paymuxwebhook.Verify(body, header, secret, 0)
	fmt.Println(errors.Is(err, paymuxwebhook.ErrTimestampOutsideTolerance))
	// Output:
	// <nil>
	// true
}
