package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

// forEngine runs a test on every database engine.
func forEngine(t *testing.T, fn func(t *testing.T, env *apptest.Env), opts ...apptest.Option) {
	t.Helper()
	for _, name := range apptest.Engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, apptest.Start(t, name, opts...))
		})
	}
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }
func num(m map[string]any, k string) int64  { f, _ := m[k].(float64); return int64(f) }

func createPayment(t *testing.T, env *apptest.Env, body string) map[string]any {
	t.Helper()
	return env.Secret("POST", "/v1/payments", body).MustStatus(t, http.StatusCreated).JSON(t)
}

func confirm(t *testing.T, env *apptest.Env, id, method string) map[string]any {
	t.Helper()
	return env.Secret("POST", "/v1/payments/"+id+"/confirm", `{"payment_method":"`+method+`"}`).MustStatus(t, http.StatusOK).JSON(t)
}

func errorOf(t *testing.T, r *apptest.Response) map[string]any {
	t.Helper()
	e, ok := r.JSON(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.Body)
	}
	return e
}

func TestPaymentThenPartialRefunds(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		p := createPayment(t, env, `{"amount":1000,"currency":"EUR","order_id":"o-1"}`)
		if str(p, "status") != "requires_payment_method" || !strings.HasSuffix(str(p, "checkout_url"), "/pay/"+str(p, "id")) {
			t.Fatalf("created payment: %v", p)
		}
		id := str(p, "id")
		p = confirm(t, env, id, "pm_card_visa")
		if str(p, "status") != "succeeded" || num(p, "amount_captured") != 1000 || str(p, "provider") != "sandbox" || str(p, "provider_reference") == "" {
			t.Fatalf("confirmed payment: %v", p)
		}
		r := env.Secret("POST", "/v1/refunds", `{"payment_id":"`+id+`","amount":300}`).MustStatus(t, http.StatusCreated).JSON(t)
		if str(r, "status") != "succeeded" || num(r, "amount") != 300 {
			t.Fatalf("refund: %v", r)
		}
		p = env.Secret("GET", "/v1/payments/"+id, nil).MustStatus(t, http.StatusOK).JSON(t)
		if num(p, "amount_refunded") != 300 || str(p, "refund_status") != "partial" {
			t.Fatalf("after refund: %v", p)
		}
		resp := env.Secret("POST", "/v1/refunds", `{"payment_id":"`+id+`","amount":800}`).MustStatus(t, http.StatusUnprocessableEntity)
		if e := errorOf(t, resp); !strings.Contains(str(e, "message"), "700") || str(e, "type") != "invalid_request_error" {
			t.Fatalf("over-refund error does not name the refundable 700: %v", e)
		}
		env.Secret("POST", "/v1/refunds", `{"payment_id":"`+id+`"}`).MustStatus(t, http.StatusCreated)
		p = env.Secret("GET", "/v1/payments/"+id, nil).JSON(t)
		if num(p, "amount_refunded") != 1000 || str(p, "refund_status") != "full" {
			t.Fatalf("after full refund: %v", p)
		}
		list := env.Secret("GET", "/v1/refunds?payment_id="+id, nil).MustStatus(t, http.StatusOK).JSON(t)
		if data, _ := list["data"].([]any); len(data) != 2 {
			t.Fatalf("refund list: %s", list)
		}
	})
}

func TestManualCapture(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR","capture_method":"manual"}`), "id")
		p := confirm(t, env, id, "pm_card_visa")
		if str(p, "status") != "requires_capture" || num(p, "amount_capturable") != 1000 {
			t.Fatalf("confirmed manual payment: %v", p)
		}
		resp := env.Secret("POST", "/v1/payments/"+id+"/capture", `{"amount":1200}`).MustStatus(t, http.StatusUnprocessableEntity)
		if !strings.Contains(str(errorOf(t, resp), "message"), "1000") {
			t.Fatalf("over-capture message: %s", resp.Body)
		}
		p = env.Secret("POST", "/v1/payments/"+id+"/capture", `{"amount":600}`).MustStatus(t, http.StatusOK).JSON(t)
		if str(p, "status") != "succeeded" || num(p, "amount_captured") != 600 || num(p, "amount_capturable") != 0 {
			t.Fatalf("captured: %v", p)
		}
		resp = env.Secret("POST", "/v1/payments/"+id+"/capture", nil).MustStatus(t, http.StatusConflict)
		if e := errorOf(t, resp); str(e, "code") != "payment_invalid_state" {
			t.Fatalf("second capture: %v", e)
		}
		// A refund can take back only what was captured.
		resp = env.Secret("POST", "/v1/refunds", `{"payment_id":"`+id+`","amount":700}`).MustStatus(t, http.StatusUnprocessableEntity)
		if !strings.Contains(str(errorOf(t, resp), "message"), "600") {
			t.Fatalf("refund beyond capture: %s", resp.Body)
		}
	})
}

func TestCancelAndDeclineRetry(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		id := str(createPayment(t, env, `{"amount":500,"currency":"USD","capture_method":"manual"}`), "id")
		confirm(t, env, id, "pm_card_visa")
		p := env.Secret("POST", "/v1/payments/"+id+"/cancel", nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(p, "status") != "canceled" || num(p, "amount_capturable") != 0 {
			t.Fatalf("canceled: %v", p)
		}
		env.Secret("POST", "/v1/payments/"+id+"/cancel", nil).MustStatus(t, http.StatusConflict)
		env.Secret("POST", "/v1/payments/"+id+"/confirm", `{"payment_method":"pm_card_visa"}`).MustStatus(t, http.StatusConflict)

		id = str(createPayment(t, env, `{"amount":500,"currency":"USD"}`), "id")
		p = confirm(t, env, id, "pm_card_chargeDeclined")
		if str(p, "status") != "failed" || str(p, "failure_code") != "card_declined" || str(p, "failure_message") == "" {
			t.Fatalf("declined: %v", p)
		}
		p = confirm(t, env, id, "pm_card_insufficientFunds")
		if str(p, "failure_code") != "insufficient_funds" {
			t.Fatalf("second decline: %v", p)
		}
		p = confirm(t, env, id, "pm_card_visa")
		if str(p, "status") != "succeeded" || str(p, "failure_code") != "" {
			t.Fatalf("retry after decline: %v", p)
		}
		resp := env.Secret("POST", "/v1/payments/"+id+"/confirm", `{"payment_method":"pm_card_nope"}`)
		if resp.Status != http.StatusConflict {
			t.Fatalf("confirm of a succeeded payment: %d %s", resp.Status, resp.Body)
		}
		id = str(createPayment(t, env, `{"amount":500,"currency":"USD"}`), "id")
		resp = env.Secret("POST", "/v1/payments/"+id+"/confirm", `{"payment_method":"pm_card_nope"}`).MustStatus(t, http.StatusBadRequest)
		if e := errorOf(t, resp); str(e, "param") != "payment_method" || !strings.Contains(str(e, "message"), "pm_card_visa") {
			t.Fatalf("unknown test method: %v", e)
		}
	})
}

func TestConcurrentRefundsNeverExceedCaptured(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
		confirm(t, env, id, "pm_card_visa")
		var wg sync.WaitGroup
		statuses := make([]int, 50)
		for i := range statuses {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				statuses[i] = env.Secret("POST", "/v1/refunds", `{"payment_id":"`+id+`","amount":100}`).Status
			}(i)
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				ok++
			case http.StatusUnprocessableEntity:
				refused++
			default:
				t.Errorf("unexpected status %d", s)
			}
		}
		if ok != 10 || refused != 40 {
			t.Fatalf("%d refunds succeeded and %d were refused, want 10 and 40", ok, refused)
		}
		p := env.Secret("GET", "/v1/payments/"+id, nil).JSON(t)
		if num(p, "amount_refunded") != 1000 || str(p, "refund_status") != "full" {
			t.Fatalf("payment after the race: %v", p)
		}
	})
}

func TestConcurrentCreatesWithOneIdempotencyKey(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		var wg sync.WaitGroup
		resps := make([]*apptest.Response, 20)
		for i := range resps {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				resps[i] = env.Secret("POST", "/v1/payments", `{"amount":1000,"currency":"EUR","order_id":"same"}`, "Idempotency-Key", "key-1")
			}(i)
		}
		wg.Wait()
		ids := map[string]bool{}
		for _, r := range resps {
			switch r.Status {
			case http.StatusCreated:
				ids[str(r.JSON(t), "id")] = true
			case http.StatusConflict:
				if e := errorOf(t, r); str(e, "type") != "idempotency_error" {
					t.Fatalf("409 of the wrong type: %v", e)
				}
			default:
				t.Fatalf("unexpected answer %d: %s", r.Status, r.Body)
			}
		}
		if len(ids) != 1 {
			t.Fatalf("answers name %d payments, want 1: %v", len(ids), ids)
		}
		list := env.Secret("GET", "/v1/payments?order_id=same", nil).JSON(t)
		if data, _ := list["data"].([]any); len(data) != 1 {
			t.Fatalf("%d payments stored, want 1", len(data))
		}
		// The same key again replays the stored answer, byte for byte.
		again := env.Secret("POST", "/v1/payments", `{"amount":1000,"currency":"EUR","order_id":"same"}`, "Idempotency-Key", "key-1").MustStatus(t, http.StatusCreated)
		if again.Header.Get("Idempotent-Replayed") != "true" || !ids[str(again.JSON(t), "id")] {
			t.Fatalf("replay: %v %s", again.Header, again.Body)
		}
		resp := env.Secret("POST", "/v1/payments", `{"amount":2000,"currency":"EUR","order_id":"same"}`, "Idempotency-Key", "key-1").MustStatus(t, http.StatusUnprocessableEntity)
		if e := errorOf(t, resp); str(e, "type") != "idempotency_error" {
			t.Fatalf("reuse with another body: %v", e)
		}
		// Keys are per merchant and mode: the live key may use the same key freely.
		env.Do("POST", "/v1/refunds", env.Keys.LiveSecretKey, `{"payment_id":"pay_x"}`, "Idempotency-Key", "key-1").MustStatus(t, http.StatusNotFound)
	})
}

func TestTenantAndModeIsolation(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
		other, err := env.App.Engine.CreateMerchant(t.Context(), "Other Shop")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, key, method, path string
			want                    int
		}{
			{"other merchant reads", other.TestSecretKey, "GET", "/v1/payments/" + id, 404},
			{"other merchant confirms", other.TestSecretKey, "POST", "/v1/payments/" + id + "/confirm", 404},
			{"other merchant's events", other.TestSecretKey, "GET", "/v1/payments/" + id + "/events", 404},
			{"live key reads test object", env.Keys.LiveSecretKey, "GET", "/v1/payments/" + id, 404},
			{"no key", "", "GET", "/v1/payments/" + id, 401},
			{"unknown key", "sk_test_doesnotexist000000000000000", "GET", "/v1/payments/" + id, 401},
			{"malformed key", "hello", "GET", "/v1/payments/" + id, 401},
			{"publishable key", env.Keys.TestPublishableKey, "GET", "/v1/payments/" + id, 403},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := any(nil)
				if tc.method == "POST" {
					body = `{"payment_method":"pm_card_visa"}`
				}
				resp := env.Do(tc.method, tc.path, tc.key, body)
				if resp.Status != tc.want {
					t.Fatalf("status %d, want %d: %s", resp.Status, tc.want, resp.Body)
				}
				if resp.Header.Get("Request-Id") == "" {
					t.Fatal("no Request-Id header")
				}
				e := errorOf(t, resp)
				switch tc.want {
				case 404:
					if strings.Contains(string(resp.Body), "another") || str(e, "code") != "resource_missing" {
						t.Fatalf("404 must not hint at another owner: %v", e)
					}
				case 403:
					if str(e, "type") != "permission_error" || !strings.Contains(str(e, "message"), "publishable") {
						t.Fatalf("publishable key refusal must say why: %v", e)
					}
				case 401:
					if str(e, "type") != "authentication_error" {
						t.Fatalf("401 type: %v", e)
					}
				}
			})
		}
		if p := env.Secret("GET", "/v1/payments/"+id, nil).MustStatus(t, 200).JSON(t); str(p, "status") != "requires_payment_method" {
			t.Fatalf("the other merchant's confirm changed the payment: %v", p)
		}
		list := env.Do("GET", "/v1/payments", other.TestSecretKey, nil).MustStatus(t, 200).JSON(t)
		if data, _ := list["data"].([]any); len(data) != 0 {
			t.Fatalf("other merchant lists %d payments", len(data))
		}
	})
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		big := `{"amount":1000,"currency":"EUR","description":"` + strings.Repeat("x", 300<<10) + `"}`
		for _, tc := range []struct {
			name, body string
			status     int
			code, in   string
		}{
			{"negative amount", `{"amount":-1,"currency":"EUR"}`, 400, "amount_invalid", "positive"},
			{"zero amount", `{"amount":0,"currency":"EUR"}`, 400, "amount_invalid", "positive"},
			{"fractional amount", `{"amount":10.5,"currency":"EUR"}`, 400, "amount_invalid", "whole number"},
			{"exponent amount", `{"amount":1e3,"currency":"EUR"}`, 400, "amount_invalid", "whole number"},
			{"string amount", `{"amount":"1000","currency":"EUR"}`, 400, "amount_invalid", "not a string"},
			{"non-numeric amount", `{"amount":true,"currency":"EUR"}`, 400, "amount_invalid", "integer"},
			{"overflowing amount", `{"amount":92233720368547758080,"currency":"EUR"}`, 400, "amount_too_large", "at most"},
			{"above maximum", `{"amount":1000000000000,"currency":"EUR"}`, 400, "amount_too_large", "at most"},
			{"missing amount", `{"currency":"EUR"}`, 400, "parameter_missing", "amount is required"},
			{"unknown currency", `{"amount":100,"currency":"XYZ"}`, 400, "currency_invalid", "XYZ"},
			{"missing currency", `{"amount":100}`, 400, "parameter_missing", "currency"},
			{"malformed JSON", `{"amount":100,`, 400, "invalid_json", "malformed JSON"},
			{"not an object", `[1,2]`, 400, "invalid_json", "JSON object"},
			{"trailing data", `{"amount":100,"currency":"EUR"} {}`, 400, "invalid_json", "after the object"},
			{"empty body", ``, 400, "invalid_json", "empty"},
			{"unknown field", `{"amount":100,"currency":"EUR","amout":5}`, 400, "parameter_unknown", `"amout"`},
			{"unknown nested field", `{"amount":100,"currency":"EUR","customer":{"mail":"a@b.c"}}`, 400, "parameter_unknown", `"mail"`},
			{"wrong type", `{"amount":100,"currency":"EUR","order_id":5}`, 400, "parameter_invalid", "order_id"},
			{"bad capture method", `{"amount":100,"currency":"EUR","capture_method":"later"}`, 400, "parameter_invalid", "capture_method"},
			{"bad email", `{"amount":100,"currency":"EUR","customer":{"email":"nope"}}`, 400, "parameter_invalid", "customer.email"},
			{"unknown locale", `{"amount":100,"currency":"EUR","customer":{"locale":"fr"}}`, 400, "parameter_invalid", "one of en, it, pl"},
			{"bad item", `{"amount":100,"currency":"EUR","items":[{"name":"x","quantity":0,"unit_amount":1}]}`, 400, "parameter_invalid", "quantity"},
			{"fractional unit amount", `{"amount":100,"currency":"EUR","items":[{"name":"x","quantity":1,"unit_amount":1.5}]}`, 400, "amount_invalid", "unit_amount"},
			{"bad return url", `{"amount":100,"currency":"EUR","return_url":"javascript:alert(1)"}`, 400, "parameter_invalid", "return_url"},
			{"oversized body", big, 413, "body_too_large", "larger than"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := env.Secret("POST", "/v1/payments", tc.body)
				if resp.Status != tc.status {
					t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, resp.Body)
				}
				e := errorOf(t, resp)
				if str(e, "code") != tc.code || !strings.Contains(str(e, "message"), tc.in) {
					t.Fatalf("error %v: want code %s and a message containing %q", e, tc.code, tc.in)
				}
			})
		}
		list := env.Secret("GET", "/v1/payments?limit=100", nil).JSON(t)
		if data, _ := list["data"].([]any); len(data) != 0 {
			t.Fatalf("refused requests wrote %d payments", len(data))
		}
		events := env.Secret("GET", "/v1/events", nil).JSON(t)
		if data, _ := events["data"].([]any); len(data) != 0 {
			t.Fatalf("refused requests wrote %d events", len(data))
		}
		for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?statuss=failed", "?status=paid", "?created[gte]=yesterday", "?starting_after=pay_unknown"} {
			if resp := env.Secret("GET", "/v1/payments"+q, nil); resp.Status != 400 {
				t.Errorf("GET /v1/payments%s: %d %s", q, resp.Status, resp.Body)
			}
		}
		long := strings.Repeat("k", 256)
		resp := env.Secret("POST", "/v1/payments", `{"amount":100,"currency":"EUR"}`, "Idempotency-Key", long).MustStatus(t, 400)
		if !strings.Contains(str(errorOf(t, resp), "message"), "255") {
			t.Fatalf("long key: %s", resp.Body)
		}
	})
}

func TestThreeDSecureRedirectFlow(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		for _, tc := range []struct {
			action, want string
		}{{"complete", "succeeded"}, {"fail", "failed"}} {
			p := createPayment(t, env, `{"amount":2500,"currency":"EUR","return_url":"https://shop.example/done?order=7"}`)
			id := str(p, "id")
			p = confirm(t, env, id, "pm_card_threeDSecureRequired")
			next, _ := p["next_action"].(map[string]any)
			if str(p, "status") != "requires_action" || str(next, "type") != "redirect_to_url" {
				t.Fatalf("3DS confirm: %v", p)
			}
			challenge := str(next, "redirect_url")
			page := env.Do("GET", strings.TrimPrefix(challenge, env.URL), "", nil).MustStatus(t, 200)
			if !strings.Contains(string(page.Body), "€25.00") {
				t.Fatalf("challenge page does not show the amount: %s", page.Body)
			}
			// The shopper's browser: follow redirects until it leaves paymux.
			var final string
			client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if !strings.HasPrefix(req.URL.String(), env.URL) {
					final = req.URL.String()
					return http.ErrUseLastResponse
				}
				return nil
			}}
			resp, err := client.PostForm(challenge, map[string][]string{"action": {tc.action}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if !strings.HasPrefix(final, "https://shop.example/done?") || !strings.Contains(final, "order=7") ||
				!strings.Contains(final, "payment_id="+id) || !strings.Contains(final, "status="+tc.want) {
				t.Fatalf("shopper sent to %q", final)
			}
			p = env.Secret("GET", "/v1/payments/"+id, nil).JSON(t)
			if str(p, "status") != tc.want || p["next_action"] != nil {
				t.Fatalf("after challenge %s: %v", tc.action, p)
			}
		}
	})
}

// waitStatus polls a payment until it has status, or fails after timeout.
func waitStatus(t *testing.T, env *apptest.Env, id, status string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p := env.Secret("GET", "/v1/payments/"+id, nil).MustStatus(t, 200).JSON(t)
		if str(p, "status") == status {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment still %s after %s, want %s", str(p, "status"), timeout, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func eventTypes(t *testing.T, env *apptest.Env, id string) []string {
	t.Helper()
	list := env.Secret("GET", "/v1/payments/"+id+"/events", nil).MustStatus(t, 200).JSON(t)
	var out []string
	for _, e := range list["data"].([]any) {
		ev := e.(map[string]any)
		actor := ev["actor"].(map[string]any)
		out = append(out, fmt.Sprintf("%s by %s", str(ev, "type"), str(actor, "type")))
	}
	return out
}

func TestProcessingSettlesByWebhook(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
		if p := confirm(t, env, id, "pm_card_processing"); str(p, "status") != "processing" {
			t.Fatalf("confirm: %v", p)
		}
		p := waitStatus(t, env, id, "succeeded", 10*time.Second)
		if num(p, "amount_captured") != 1000 {
			t.Fatalf("settled payment: %v", p)
		}
		got := strings.Join(eventTypes(t, env, id), ", ")
		want := "payment.created by api_key, payment.processing by api_key, payment.succeeded by provider"
		if got != want {
			t.Fatalf("history: %s\nwant:    %s", got, want)
		}
	}, apptest.WithSettleAfter(300*time.Millisecond))
}

func TestAbandonedPaymentsExpire(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		open := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
		paid := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
		confirm(t, env, paid, "pm_card_visa")
		waitStatus(t, env, open, "expired", 15*time.Second)
		if got := eventTypes(t, env, open); len(got) != 2 || got[1] != "payment.expired by system" {
			t.Fatalf("history: %v", got)
		}
		if p := env.Secret("GET", "/v1/payments/"+paid, nil).JSON(t); str(p, "status") != "succeeded" {
			t.Fatalf("a paid payment expired: %v", p)
		}
		env.Secret("POST", "/v1/payments/"+open+"/confirm", `{"payment_method":"pm_card_visa"}`).MustStatus(t, http.StatusConflict)
	}, apptest.WithExpiry(time.Second))
}

func TestPaginationWalksEveryPaymentOnce(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		for i := 0; i < 25; i++ {
			createPayment(t, env, fmt.Sprintf(`{"amount":%d,"currency":"EUR"}`, 100+i))
		}
		seen := map[string]bool{}
		after, pages := "", 0
		for {
			q := "/v1/payments?limit=10"
			if after != "" {
				q += "&starting_after=" + after
			}
			l := env.Secret("GET", q, nil).MustStatus(t, 200).JSON(t)
			pages++
			data := l["data"].([]any)
			for _, d := range data {
				id := str(d.(map[string]any), "id")
				if seen[id] {
					t.Fatalf("payment %s on two pages", id)
				}
				seen[id] = true
				after = id
			}
			if l["has_more"] != true {
				break
			}
		}
		if len(seen) != 25 || pages != 3 {
			t.Fatalf("walked %d payments in %d pages, want 25 in 3", len(seen), pages)
		}
		l := env.Secret("GET", "/v1/payments?status=requires_payment_method&created[gte]=0&limit=100", nil).JSON(t)
		if len(l["data"].([]any)) != 25 {
			t.Fatalf("filtered list: %d", len(l["data"].([]any)))
		}
	})
}

func TestForgedProviderWebhookChangesNothing(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
		confirm(t, env, id, "pm_card_threeDSecureRequired")
		conns, err := env.App.Store.ListConnections(t.Context(), scopeOf(env))
		if err != nil || len(conns) != 1 {
			t.Fatalf("connections: %v %v", conns, err)
		}
		body := `{"id":"sbxevt_forged","type":"transaction.captured","data":{"id":"sbx_x","payment_id":"` + id + `","method":"pm_card_visa","status":"captured","amount":1000,"amount_captured":1000}}`
		for _, sig := range []string{"", "t=1,v1=00", fmt.Sprintf("t=%d,v1=%064d", time.Now().Unix(), 0)} {
			resp := env.Do("POST", "/hooks/sandbox/"+conns[0].ID, "", body, "Sandbox-Signature", sig)
			if resp.Status != 400 {
				t.Fatalf("forged webhook (sig %q) answered %d: %s", sig, resp.Status, resp.Body)
			}
		}
		env.Do("POST", "/hooks/sandbox/conn_unknown", "", body).MustStatus(t, 404)
		if p := env.Secret("GET", "/v1/payments/"+id, nil).JSON(t); str(p, "status") != "requires_action" {
			t.Fatalf("forged webhook moved the payment: %v", p)
		}
	})
}
