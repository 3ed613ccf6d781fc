package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 200 webhook deliveries are pending (their endpoint answers 503, slowly, so some are
// in flight) when paymux is killed with SIGKILL. After a restart, with the endpoint
// up, every event is delivered: none is lost, and any duplicate carries the same
// event id and body as the first.
func TestKill9WithWebhooksPending(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, env []string) {
		var up atomic.Bool
		var mu sync.Mutex
		got := map[string][][]byte{} // event id → bodies answered 2xx
		attempts := 0
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var ev struct{ ID string }
			_ = json.Unmarshal(body, &ev)
			mu.Lock()
			attempts++
			mu.Unlock()
			if !up.Load() {
				time.Sleep(100 * time.Millisecond) // keep some attempts in flight at the kill
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			if r.Header.Get("Paymux-Event-Id") != ev.ID {
				t.Errorf("Paymux-Event-Id %q for event %q", r.Header.Get("Paymux-Event-Id"), ev.ID)
			}
			mu.Lock()
			got[ev.ID] = append(got[ev.ID], body)
			mu.Unlock()
		}))
		t.Cleanup(rcv.Close)
		// Long enough that nothing is given up while the endpoint is down.
		env = append(env, "PAYMUX_WEBHOOK_RETRY_SCHEDULE=1s,2s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s")
		s := startServer(t, env...)
		key := s.testKey()
		code, ep := call(t, "POST", s.base+"/v1/webhook_endpoints", key,
			fmt.Sprintf(`{"url":%q,"enabled_events":["payment.created","payment.succeeded"]}`, rcv.URL+"/hooks"))
		if code != 201 {
			t.Fatalf("create endpoint: %d %v", code, ep)
		}
		var pays []string
		for i := range 100 {
			code, p := call(t, "POST", s.base+"/v1/payments", key, `{"amount":1000,"currency":"EUR"}`)
			if code != 201 {
				t.Fatalf("create payment %d: %d %v", i, code, p)
			}
			id := p["id"].(string)
			if code, p = call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`); code != 200 {
				t.Fatalf("confirm %d: %d %v", i, code, p)
			}
			pays = append(pays, id)
		}
		// Wait until attempts are under way, then crash.
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			n := attempts
			mu.Unlock()
			if n >= 20 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d attempts 30s after the events\n%s", n, s.output())
			}
			time.Sleep(20 * time.Millisecond)
		}
		s.kill()
		up.Store(true)
		s = startServer(t, env...)

		want := map[string]bool{}
		for _, pay := range pays {
			_, list := call(t, "GET", s.base+"/v1/payments/"+pay+"/events", key, "")
			for _, e := range list["data"].([]any) {
				want[e.(map[string]any)["id"].(string)] = true
			}
		}
		if len(want) != 200 {
			t.Fatalf("%d events, want 200", len(want))
		}
		deadline = time.Now().Add(120 * time.Second)
		for {
			mu.Lock()
			missing := 0
			for id := range want {
				if len(got[id]) == 0 {
					missing++
				}
			}
			mu.Unlock()
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of 200 events not delivered 120s after the restart\n%s", missing, s.output())
			}
			time.Sleep(100 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		dups := 0
		for id, bodies := range got {
			if !want[id] {
				t.Errorf("delivered event %s, which is not one of the payments' events", id)
			}
			for _, b := range bodies[1:] {
				dups++
				if !bytes.Equal(b, bodies[0]) {
					t.Errorf("event %s delivered again with another body:\n%s\n%s", id, bodies[0], b)
				}
			}
		}
		t.Logf("200 events delivered after the crash; %d duplicates (same id and body), %d attempts in all", dups, attempts)
	})
}
