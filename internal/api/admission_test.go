package api_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

func TestOverloadIsToldToRetryNotQueuedForever(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite", apptest.WithSandboxLatency(time.Second), apptest.WithAdmission(1, 300*time.Millisecond))
	ids := make([]string, 3)
	for i := range ids {
		ids[i] = str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
	}
	var wg sync.WaitGroup
	resps := make([]*apptest.Response, 3)
	for i, id := range ids {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			resps[i] = env.Secret("POST", "/v1/payments/"+id+"/confirm", `{"payment_method":"pm_card_visa"}`)
		}(i, id)
	}
	wg.Wait()
	ok, busy := 0, 0
	for i, r := range resps {
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			busy++
			if r.Header.Get("Retry-After") == "" || str(errorOf(t, r), "code") != "server_busy" {
				t.Fatalf("429 without Retry-After or code: %v %s", r.Header, r.Body)
			}
			// Nothing happened to the refused payment: it can be confirmed later.
			if p := env.Secret("GET", "/v1/payments/"+ids[i], nil).JSON(t); str(p, "status") != "requires_payment_method" {
				t.Fatalf("a refused confirm changed the payment: %v", p)
			}
		default:
			t.Fatalf("unexpected %d: %s", r.Status, r.Body)
		}
	}
	if ok != 1 || busy != 2 {
		t.Fatalf("%d confirmed and %d told to retry, want 1 and 2", ok, busy)
	}
}
