package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/testutil/apptest"
	"github.com/paymux/paymux/internal/webhook"
	"github.com/paymux/paymux/pkg/paymuxwebhook"
)

// hookRequest is one webhook a test endpoint received, and what it answered.
type hookRequest struct {
	Path      string
	EventID   string
	Type      string
	PaymentID string
	Body      []byte
	Header    http.Header
	At        time.Time
	Status    int
}

// hookReceiver is a merchant's webhook endpoint in a test. It records every request
// and answers with answer's status (200 when answer is nil or says 0). It notices
// two requests for the same event and path in flight at once.
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(r hookRequest, earlier []hookRequest) int
	delay  time.Duration

	mu       sync.Mutex
	reqs     []hookRequest
	inFlight map[string]bool
	overlaps []string
}

func newHookReceiver(t *testing.T, answer func(r hookRequest, earlier []hookRequest) int) *hookReceiver {
	h := &hookReceiver{t: t, answer: answer, inFlight: map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev struct {
		ID, Type  string
		PaymentID string `json:"payment_id"`
	}
	_ = json.Unmarshal(body, &ev)
	req := hookRequest{Path: r.URL.Path, EventID: ev.ID, Type: ev.Type, PaymentID: ev.PaymentID, Body: body,
		Header: r.Header.Clone(), At: time.Now()}
	key := r.URL.Path + " " + ev.ID
	h.mu.Lock()
	if h.inFlight[key] {
		h.overlaps = append(h.overlaps, key)
	}
	h.inFlight[key] = true
	var earlier []hookRequest
	for _, x := range h.reqs {
		if x.Path == req.Path && x.EventID == req.EventID {
			earlier = append(earlier, x)
		}
	}
	status := 0
	if h.answer != nil {
		status = h.answer(req, earlier)
	}
	h.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	time.Sleep(h.delay)
	h.mu.Lock()
	req.Status = status
	h.reqs = append(h.reqs, req)
	delete(h.inFlight, key)
	h.mu.Unlock()
	w.WriteHeader(status)
	if status >= 300 {
		fmt.Fprint(w, "down for maintenance")
	}
}

func (h *hookReceiver) url(path string) string { return h.srv.URL + path }

func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs)
}

// waitFor polls until ok says the requests so far are enough.
func (h *hookReceiver) waitFor(what string, timeout time.Duration, ok func([]hookRequest) bool) []hookRequest {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		reqs := h.requests()
		if ok(reqs) {
			return reqs
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after %s still waiting for %s; received %d requests: %s", timeout, what, len(reqs), summary(reqs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func summary(reqs []hookRequest) string {
	var parts []string
	for _, r := range reqs {
		parts = append(parts, fmt.Sprintf("%s %s %s→%d", r.Path, r.Type, r.PaymentID, r.Status))
	}
	return strings.Join(parts, "; ")
}

func succeeded(reqs []hookRequest, path, typ string) []hookRequest {
	var out []hookRequest
	for _, r := range reqs {
		if r.Path == path && (typ == "" || r.Type == typ) && r.Status/100 == 2 {
			out = append(out, r)
		}
	}
	return out
}

// newEndpoint creates an endpoint with key and returns it (with its secret).
func newEndpoint(t *testing.T, env *apptest.Env, key string, body map[string]any, headers ...string) map[string]any {
	t.Helper()
	return env.Do("POST", "/v1/webhook_endpoints", key, body, headers...).MustStatus(t, http.StatusCreated).JSON(t)
}

// paid creates a payment and confirms it with a card that succeeds.
func paid(t *testing.T, env *apptest.Env) string {
	t.Helper()
	id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
	if p := confirm(t, env, id, "pm_card_visa"); str(p, "status") != "succeeded" {
		t.Fatalf("confirm: %v", p)
	}
	return id
}

func deliveriesOf(t *testing.T, env *apptest.Env, endpointID, query string) []map[string]any {
	t.Helper()
	r := env.Secret("GET", "/v1/webhook_endpoints/"+endpointID+"/deliveries?limit=100"+query, nil).MustStatus(t, http.StatusOK).JSON(t)
	var out []map[string]any
	for _, d := range r["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

func eventually(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s still waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An endpoint that fails three times and then answers 200 receives the event once
// successfully, after attempts spaced as the retry schedule says; every attempt
// carries the same event id and body, signed so that pkg/paymuxwebhook verifies it.
func TestWebhookRetriedUntilDelivered(t *testing.T) {
	t.Parallel()
	schedule := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		rcv := newHookReceiver(t, func(r hookRequest, earlier []hookRequest) int {
			if len(earlier) < 3 {
				return http.StatusServiceUnavailable
			}
			return 0
		})
		ep := newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/hooks"),
			"enabled_events": []string{"payment.succeeded"}, "description": "orders service"})
		secret := str(ep, "secret")
		pay := paid(t, env)
		rcv.waitFor("a delivered event", 20*time.Second, func(r []hookRequest) bool { return len(succeeded(r, "/hooks", "")) > 0 })
		time.Sleep(300 * time.Millisecond) // nothing more may come
		reqs := rcv.requests()
		if len(reqs) != 4 {
			t.Fatalf("%d requests, want 3 failures and 1 success: %s", len(reqs), summary(reqs))
		}
		for i, r := range reqs {
			want := http.StatusServiceUnavailable
			if i == 3 {
				want = http.StatusOK
			}
			if r.Status != want || r.Type != "payment.succeeded" || r.PaymentID != pay || r.EventID != reqs[0].EventID ||
				!bytes.Equal(r.Body, reqs[0].Body) || r.Header.Get(paymuxwebhook.EventIDHeader) != r.EventID ||
				r.Header.Get("Paymux-Attempt") != fmt.Sprint(i+1) || r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("request %d: %+v", i+1, r)
			}
			ev, err := paymuxwebhook.ConstructEvent(r.Body, r.Header.Get(paymuxwebhook.SignatureHeader), secret, 0)
			if err != nil || ev.ID != r.EventID || ev.Object != "event" || ev.Livemode || ev.PaymentID != pay {
				t.Fatalf("request %d does not verify: %v %+v", i+1, err, ev)
			}
			var obj map[string]any
			if err := ev.DecodeObject(&obj); err != nil || obj["id"] != pay || obj["status"] != "succeeded" {
				t.Fatalf("data.object %v %v", obj, err)
			}
			if i > 0 {
				if gap := r.At.Sub(reqs[i-1].At); gap < schedule[i-1] || gap > schedule[i-1]+2*time.Second {
					t.Errorf("attempt %d came %s after the one before, want the schedule's %s (plus jitter and polling)", i+1, gap, schedule[i-1])
				}
			}
		}
		// A forged or tampered request does not verify.
		last := reqs[3]
		sig := last.Header.Get(paymuxwebhook.SignatureHeader)
		if err := paymuxwebhook.Verify(last.Body, sig, "whsec_forged0000000000000000000000000", 0); !errors.Is(err, paymuxwebhook.ErrNoValidSignature) {
			t.Errorf("another secret: %v", err)
		}
		if err := paymuxwebhook.Verify(bytes.Replace(last.Body, []byte("1000"), []byte("9000"), 1), sig, secret, 0); !errors.Is(err, paymuxwebhook.ErrNoValidSignature) {
			t.Errorf("a changed body: %v", err)
		}
		// Every attempt is recorded.
		ds := deliveriesOf(t, env, str(ep, "id"), "")
		if len(ds) != 1 {
			t.Fatalf("deliveries %v", ds)
		}
		d := env.Secret("GET", "/v1/webhook_deliveries/"+str(ds[0], "id"), nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(d, "status") != "succeeded" || num(d, "attempt_count") != 4 || str(d, "event_id") != reqs[0].EventID ||
			str(d, "event_type") != "payment.succeeded" || str(d, "payment_id") != pay || d["delivered_at"] == nil ||
			d["next_attempt_at"] != nil || num(d, "last_http_status") != 200 || str(d, "last_error") != "" {
			t.Fatalf("delivery %v", d)
		}
		attempts := d["attempts"].([]any)
		if len(attempts) != 4 {
			t.Fatalf("attempts %v", attempts)
		}
		for i, it := range attempts {
			a := it.(map[string]any)
			ok := num(a, "attempt") == int64(i+1) && str(a, "attempted_at") != "" && a["latency_ms"] != nil
			if i < 3 {
				ok = ok && num(a, "http_status") == 503 && str(a, "response_excerpt") == "down for maintenance" &&
					strings.Contains(str(a, "error"), "HTTP 503")
			} else {
				ok = ok && num(a, "http_status") == 200 && str(a, "error") == ""
			}
			if !ok {
				t.Errorf("attempt %d: %v", i+1, a)
			}
		}
		if _, listed := ds[0]["attempts"]; listed {
			t.Errorf("a list shows attempts: %v", ds[0])
		}
	}, apptest.WithWebhookRetrySchedule(schedule...))
}

// The events of one payment reach an ordered endpoint one at a time, in order: the
// payment's succeeded event waits while its created event is being retried. An
// unordered endpoint gets each event as soon as it can.
func TestWebhookOrderPerPayment(t *testing.T) {
	t.Parallel()
	schedule := slices.Repeat([]time.Duration{50 * time.Millisecond}, 40)
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		var mu sync.Mutex
		hold := true
		rcv := newHookReceiver(t, func(r hookRequest, _ []hookRequest) int {
			mu.Lock()
			defer mu.Unlock()
			if hold && r.Type == "payment.created" {
				return http.StatusServiceUnavailable
			}
			return 0
		})
		events := []string{"payment.created", "payment.succeeded"}
		ordered := newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/ordered"), "enabled_events": events})
		unordered := newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/unordered"), "enabled_events": events, "ordered": false})
		if ordered["ordered"] != true || unordered["ordered"] != false {
			t.Fatalf("ordered %v, unordered %v", ordered["ordered"], unordered["ordered"])
		}
		var pays []string
		for range 3 {
			pays = append(pays, paid(t, env))
		}
		rcv.waitFor("the unordered endpoint to get every succeeded event", 20*time.Second, func(r []hookRequest) bool {
			return len(succeeded(r, "/unordered", "payment.succeeded")) == 3
		})
		rcv.waitFor("the ordered endpoint's created events to be retried", 20*time.Second, func(r []hookRequest) bool {
			n := 0
			for _, x := range r {
				if x.Path == "/ordered" && x.Type == "payment.created" {
					n++
				}
			}
			return n >= 6
		})
		if s := succeeded(rcv.requests(), "/ordered", "payment.succeeded"); len(s) != 0 {
			t.Fatalf("the ordered endpoint got a succeeded event before its created one: %s", summary(s))
		}
		var waiting string
		for _, d := range deliveriesOf(t, env, str(ordered, "id"), "&status=waiting") {
			if str(d, "event_type") != "payment.succeeded" || d["next_attempt_at"] != nil {
				t.Errorf("waiting delivery %v", d)
			}
			waiting = str(d, "id")
		}
		if n := len(deliveriesOf(t, env, str(ordered, "id"), "&status=waiting")); n != 3 {
			t.Fatalf("%d waiting deliveries, want 3", n)
		}
		r := env.Secret("POST", "/v1/webhook_deliveries/"+waiting+"/retry", nil)
		wantError(t, r, http.StatusConflict, "webhook_delivery_waiting", "", "waits until whd_")
		mu.Lock()
		hold = false
		mu.Unlock()
		reqs := rcv.waitFor("every event at the ordered endpoint", 20*time.Second, func(r []hookRequest) bool {
			return len(succeeded(r, "/ordered", "")) == 6
		})
		for _, pay := range pays {
			var createdOK, firstSucceeded time.Time
			for _, x := range reqs {
				if x.Path != "/ordered" || x.PaymentID != pay {
					continue
				}
				if x.Type == "payment.created" && x.Status == 200 && createdOK.IsZero() {
					createdOK = x.At
				}
				if x.Type == "payment.succeeded" && firstSucceeded.IsZero() {
					firstSucceeded = x.At
				}
			}
			if createdOK.IsZero() || !firstSucceeded.After(createdOK) {
				t.Errorf("payment %s: succeeded sent at %s, created delivered at %s", pay, firstSucceeded, createdOK)
			}
		}
		// The receiver answers before paymux records the attempt: wait for the record.
		eventually(t, "every ordered delivery recorded as succeeded", 10*time.Second, func() bool {
			ds := deliveriesOf(t, env, str(ordered, "id"), "")
			for _, d := range ds {
				if str(d, "status") != "succeeded" {
					return false
				}
			}
			return len(ds) == 6
		})
	}, apptest.WithWebhookRetrySchedule(schedule...))
}

// In live mode an endpoint may only point at the public internet: loopback,
// link-local (cloud metadata) and private addresses, and names for them, are
// refused with a message saying why and what to do. Test mode takes them, for a
// receiver on the developer's machine.
func TestWebhookEndpointURLRefusedInLiveMode(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		for url, why := range map[string]string{
			"http://127.0.0.1:9/hook":                  "127.0.0.1, a loopback address",
			"https://127.0.0.1/hook":                   "127.0.0.1, a loopback address",
			"http://169.254.169.254/latest/meta-data/": "169.254.169.254, a link-local address",
			"https://10.1.2.3/hook":                    "10.1.2.3, a private network address",
			"https://192.168.1.10:8443/hook":           "192.168.1.10, a private network address",
			"https://[::1]/hook":                       "::1, a loopback address",
			"https://[fd00::1]/hook":                   "fd00::1, a private network address",
			"https://localhost:8443/hook":              "localhost, a name for this machine",
		} {
			body := map[string]any{"url": url, "enabled_events": []string{"*"}}
			r := env.Do("POST", "/v1/webhook_endpoints", env.Keys.LiveSecretKey, body)
			wantError(t, r, http.StatusBadRequest, "parameter_invalid", "url", why, "public internet", "test key (sk_test_…)")
			ep := newEndpoint(t, env, env.Keys.TestSecretKey, body)
			if str(ep, "url") != url || ep["livemode"] != false {
				t.Errorf("test mode endpoint %v", ep)
			}
		}
		wantError(t, env.Do("POST", "/v1/webhook_endpoints", env.Keys.LiveSecretKey, map[string]any{"url": "http://93.184.215.14/hook", "enabled_events": []string{"*"}}),
			http.StatusBadRequest, "parameter_invalid", "url", "https:// in live mode")
		live := newEndpoint(t, env, env.Keys.LiveSecretKey, map[string]any{"url": "https://93.184.215.14/hook", "enabled_events": []string{"refund.succeeded"}})
		if live["livemode"] != true {
			t.Fatalf("live endpoint %v", live)
		}
		// Nor can a live endpoint be pointed there afterwards.
		r := env.Do("PATCH", "/v1/webhook_endpoints/"+str(live, "id"), env.Keys.LiveSecretKey, `{"url":"https://169.254.169.254/x"}`)
		wantError(t, r, http.StatusBadRequest, "parameter_invalid", "url", "link-local")
		// Other checks.
		for body, want := range map[string][2]string{
			`{"enabled_events":["*"]}`:                                                      {"parameter_missing", "url"},
			`{"url":"https://shop.example/h"}`:                                              {"parameter_missing", "enabled_events"},
			`{"url":"https://shop.example/h","enabled_events":[]}`:                          {"parameter_missing", "enabled_events"},
			`{"url":"https://shop.example/h","enabled_events":["payment.won"]}`:             {"parameter_invalid", "enabled_events"},
			`{"url":"ftp://shop.example/h","enabled_events":["*"]}`:                         {"parameter_invalid", "url"},
			`{"url":"https://u:p@shop.example/h","enabled_events":["*"]}`:                   {"parameter_invalid", "url"},
			`{"url":"https://shop.example/h","enabled_events":["*"],"secret":"whsec_mine"}`: {"parameter_unknown", "secret"},
		} {
			wantError(t, env.Secret("POST", "/v1/webhook_endpoints", body), http.StatusBadRequest, want[0], want[1])
		}
		// A live key sees no test endpoint and the other way round.
		if ids := listIDs(t, env.Do("GET", "/v1/webhook_endpoints", env.Keys.LiveSecretKey, nil)); len(ids) != 1 || ids[0] != str(live, "id") {
			t.Errorf("live endpoints %v", ids)
		}
		env.Secret("GET", "/v1/webhook_endpoints/"+str(live, "id"), nil).MustStatus(t, http.StatusNotFound)
	})
}

// The signing secret is in the answer that made it and nowhere else: not in reads,
// not in an idempotent replay, not in the database. A rotated-out secret keeps
// signing, as a second v1 signature, for the grace period.
func TestWebhookSecretShownOnceAndRotated(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		rcv := newHookReceiver(t, nil)
		body := map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"payment.created"}}
		first := env.Secret("POST", "/v1/webhook_endpoints", body, "Idempotency-Key", "we-1").MustStatus(t, http.StatusCreated)
		ep := first.JSON(t)
		id, secret1 := str(ep, "id"), str(ep, "secret")
		if !strings.HasPrefix(id, "we_") || !strings.HasPrefix(secret1, "whsec_") || len(secret1) < 30 ||
			str(ep, "secret_hint") != "whsec_…"+secret1[len(secret1)-4:] || str(ep, "status") != "enabled" ||
			ep["previous_secret_expires_at"] != nil || ep["failing_since"] != nil || !slices.Equal(strs(ep["enabled_events"]), []string{"payment.created"}) {
			t.Fatalf("created %s", first.Body)
		}
		w := &secretWatch{t: t, env: env, secrets: []string{secret1}}
		replay := w.test("POST", "/v1/webhook_endpoints", body, "Idempotency-Key", "we-1").MustStatus(t, http.StatusCreated)
		if replay.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("not replayed: %v", replay.Header)
		}
		got := replay.JSON(t)
		delete(ep, "secret")
		if fmt.Sprint(got) != fmt.Sprint(ep) {
			t.Errorf("replay %v, want the creation's answer without its secret %v", got, ep)
		}
		w.test("GET", "/v1/webhook_endpoints/"+id, nil).MustStatus(t, http.StatusOK)
		w.test("GET", "/v1/webhook_endpoints", nil).MustStatus(t, http.StatusOK)
		w.test("PATCH", "/v1/webhook_endpoints/"+id, `{"description":"ERP"}`).MustStatus(t, http.StatusOK)

		signatures := func() string {
			t.Helper()
			n := len(rcv.requests())
			createPayment(t, env, `{"amount":500,"currency":"EUR"}`)
			reqs := rcv.waitFor("a webhook", 20*time.Second, func(r []hookRequest) bool { return len(r) > n })
			return reqs[len(reqs)-1].Header.Get(paymuxwebhook.SignatureHeader)
		}
		verifies := func(sig, secret string) bool {
			r := rcv.requests()
			return paymuxwebhook.Verify(r[len(r)-1].Body, sig, secret, 0) == nil
		}
		if sig := signatures(); strings.Count(sig, "v1=") != 1 || !verifies(sig, secret1) {
			t.Fatalf("signature %q", sig)
		}

		before := time.Now()
		rot := env.Secret("POST", "/v1/webhook_endpoints/"+id+"/rotate_secret", nil, "Idempotency-Key", "rot-1").MustStatus(t, http.StatusOK).JSON(t)
		secret2 := str(rot, "secret")
		expires, _ := time.Parse(time.RFC3339Nano, str(rot, "previous_secret_expires_at"))
		if !strings.HasPrefix(secret2, "whsec_") || secret2 == secret1 || expires.Before(before.Add(24*time.Hour-time.Minute)) ||
			expires.After(time.Now().Add(24*time.Hour)) {
			t.Fatalf("rotated %v", rot)
		}
		w.secrets = append(w.secrets, secret2)
		if r := w.test("POST", "/v1/webhook_endpoints/"+id+"/rotate_secret", nil, "Idempotency-Key", "rot-1"); r.Status != 200 || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replayed rotation: %d %s", r.Status, r.Body)
		}
		if sig := signatures(); strings.Count(sig, "v1=") != 2 || !verifies(sig, secret1) || !verifies(sig, secret2) {
			t.Fatalf("during the grace period: %q", sig)
		}
		rot = env.Secret("POST", "/v1/webhook_endpoints/"+id+"/rotate_secret", `{"grace_period":0}`).MustStatus(t, http.StatusOK).JSON(t)
		secret3 := str(rot, "secret")
		if rot["previous_secret_expires_at"] != nil {
			t.Fatalf("rotated without grace: %v", rot)
		}
		if sig := signatures(); strings.Count(sig, "v1=") != 1 || verifies(sig, secret1) || verifies(sig, secret2) || !verifies(sig, secret3) {
			t.Fatalf("after a rotation without grace: %q", sig)
		}
		wantError(t, env.Secret("POST", "/v1/webhook_endpoints/"+id+"/rotate_secret", `{"grace_period":604801}`),
			http.StatusBadRequest, "parameter_invalid", "grace_period")
		env.Secret("POST", "/v1/webhook_endpoints/we_nope/rotate_secret", nil).MustStatus(t, http.StatusNotFound)

		// Nothing at rest holds a secret in clear (the SQLite data directory; the same
		// rows are written to PostgreSQL).
		if env.DatabaseURL == "" {
			files, _ := filepath.Glob(filepath.Join(env.DataDir, "*"))
			saw := false
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					continue
				}
				saw = saw || bytes.Contains(b, []byte(id))
				for _, s := range []string{secret1, secret2, secret3} {
					if bytes.Contains(b, []byte(s)) {
						t.Errorf("a signing secret is in clear in %s", filepath.Base(f))
					}
				}
			}
			if !saw {
				t.Fatalf("endpoint %s is in none of %v: the scan proves nothing", id, files)
			}
		}
	})
}

// Deliveries that fail every attempt are given up and flag their endpoint; after
// three in a row the endpoint is disabled and gets nothing more until it is enabled
// again. Its failed deliveries can then be replayed in bulk, and any delivery
// retried by itself.
func TestWebhookEndpointDisabledThenReplayed(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		var mu sync.Mutex
		fixed := false
		rcv := newHookReceiver(t, func(hookRequest, []hookRequest) int {
			mu.Lock()
			defer mu.Unlock()
			if fixed {
				return 0
			}
			return http.StatusInternalServerError
		})
		ep := newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"payment.created"}})
		id := str(ep, "id")
		get := func() map[string]any {
			return env.Secret("GET", "/v1/webhook_endpoints/"+id, nil).MustStatus(t, http.StatusOK).JSON(t)
		}
		failedN := func(n int) func() bool {
			return func() bool { return len(deliveriesOf(t, env, id, "&status=failed")) == n }
		}
		var pays []string
		pays = append(pays, str(createPayment(t, env, `{"amount":100,"currency":"EUR"}`), "id"))
		eventually(t, "the first delivery to be given up", 20*time.Second, failedN(1))
		if e := get(); str(e, "status") != "enabled" || e["failing_since"] == nil || num(e, "consecutive_failures") != 1 {
			t.Fatalf("after one delivery given up: %v", e)
		}
		d := deliveriesOf(t, env, id, "")[0]
		if num(d, "attempt_count") != 3 || num(d, "last_http_status") != 500 || !strings.Contains(str(d, "last_error"), "HTTP 500") {
			t.Fatalf("given up: %v", d)
		}
		for range 2 {
			pays = append(pays, str(createPayment(t, env, `{"amount":100,"currency":"EUR"}`), "id"))
		}
		eventually(t, "three deliveries given up", 20*time.Second, failedN(3))
		e := get()
		if str(e, "status") != "disabled" || !strings.Contains(str(e, "disabled_reason"), "3 deliveries in a row failed") ||
			num(e, "consecutive_failures") != 3 {
			t.Fatalf("after three deliveries given up: %v", e)
		}
		sent := len(rcv.requests())
		createPayment(t, env, `{"amount":100,"currency":"EUR"}`)
		time.Sleep(300 * time.Millisecond)
		if n := len(deliveriesOf(t, env, id, "")); n != 3 || len(rcv.requests()) != sent {
			t.Fatalf("a disabled endpoint got a delivery: %d deliveries, %d requests (was %d)", n, len(rcv.requests()), sent)
		}
		wantError(t, env.Secret("POST", "/v1/webhook_deliveries/"+str(d, "id")+"/retry", nil), http.StatusConflict, "webhook_endpoint_disabled", "", "enable it first")
		wantError(t, env.Secret("POST", "/v1/webhook_endpoints/"+id+"/replay", nil), http.StatusConflict, "webhook_endpoint_disabled", "")

		mu.Lock()
		fixed = true
		mu.Unlock()
		e = env.Secret("PATCH", "/v1/webhook_endpoints/"+id, `{"enabled":true}`).MustStatus(t, http.StatusOK).JSON(t)
		if str(e, "status") != "enabled" || str(e, "disabled_reason") != "" || e["failing_since"] != nil || num(e, "consecutive_failures") != 0 {
			t.Fatalf("enabled again: %v", e)
		}
		wantError(t, env.Secret("POST", "/v1/webhook_endpoints/"+id+"/replay", `{"status":"pending"}`), http.StatusBadRequest, "parameter_invalid", "status")
		wantError(t, env.Secret("POST", "/v1/webhook_endpoints/"+id+"/replay", `{"since":"yesterday"}`), http.StatusBadRequest, "parameter_invalid", "since")
		rep := env.Secret("POST", "/v1/webhook_endpoints/"+id+"/replay", `{}`).MustStatus(t, http.StatusOK).JSON(t)
		if str(rep, "object") != "webhook_replay" || num(rep, "replayed") != 3 || rep["has_more"] != false {
			t.Fatalf("replay %v", rep)
		}
		reqs := rcv.waitFor("the three replayed events", 20*time.Second, func(r []hookRequest) bool { return len(succeeded(r, "/h", "")) == 3 })
		var got []string
		for _, r := range succeeded(reqs, "/h", "") {
			got = append(got, r.PaymentID)
		}
		slices.Sort(got)
		slices.Sort(pays)
		if !slices.Equal(got, pays) {
			t.Fatalf("replayed %v, want %v", got, pays)
		}
		eventually(t, "the replayed deliveries to succeed", 20*time.Second, func() bool {
			return len(deliveriesOf(t, env, id, "&status=succeeded")) == 3
		})
		for _, d := range deliveriesOf(t, env, id, "") {
			if num(d, "attempt_count") != 4 {
				t.Errorf("replayed delivery %v", d)
			}
		}
		if rep := env.Secret("POST", "/v1/webhook_endpoints/"+id+"/replay", nil).MustStatus(t, http.StatusOK).JSON(t); num(rep, "replayed") != 0 {
			t.Fatalf("nothing left to replay: %v", rep)
		}
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if rep := env.Secret("POST", "/v1/webhook_endpoints/"+id+"/replay", `{"status":"all","since":"`+future+`"}`).MustStatus(t, http.StatusOK).JSON(t); num(rep, "replayed") != 0 {
			t.Fatalf("replay since later: %v", rep)
		}
		if rep := env.Secret("POST", "/v1/webhook_endpoints/"+id+"/replay", `{"status":"all"}`).MustStatus(t, http.StatusOK).JSON(t); num(rep, "replayed") != 3 {
			t.Fatalf("replay all: %v", rep)
		}
		rcv.waitFor("the events delivered twice, with the same ids", 20*time.Second, func(r []hookRequest) bool { return len(succeeded(r, "/h", "")) == 6 })
		ids := map[string]int{}
		for _, r := range succeeded(rcv.requests(), "/h", "") {
			ids[r.EventID]++
		}
		if len(ids) != 3 {
			t.Fatalf("event ids %v", ids)
		}
		// One delivery retried by itself.
		eventually(t, "the second replay to settle", 20*time.Second, func() bool {
			return len(deliveriesOf(t, env, id, "&status=succeeded")) == 3
		})
		did := str(d, "id")
		r := env.Secret("POST", "/v1/webhook_deliveries/"+did+"/retry", nil, "Idempotency-Key", "retry-1").MustStatus(t, http.StatusOK).JSON(t)
		if str(r, "status") != "pending" {
			t.Fatalf("retried %v", r)
		}
		eventually(t, "the retry", 20*time.Second, func() bool {
			d := env.Secret("GET", "/v1/webhook_deliveries/"+did, nil).MustStatus(t, http.StatusOK).JSON(t)
			return str(d, "status") == "succeeded" && num(d, "attempt_count") == 6
		})
		env.Secret("POST", "/v1/webhook_deliveries/whd_nope/retry", nil).MustStatus(t, http.StatusNotFound)
		env.Do("GET", "/v1/webhook_deliveries/"+did, env.Keys.LiveSecretKey, nil).MustStatus(t, http.StatusNotFound)

		// Deleted: gone from reads, its deliveries still readable.
		env.Secret("DELETE", "/v1/webhook_endpoints/"+id, nil).MustStatus(t, http.StatusOK)
		for _, path := range []string{"/v1/webhook_endpoints/" + id, "/v1/webhook_endpoints/" + id + "/deliveries"} {
			env.Secret("GET", path, nil).MustStatus(t, http.StatusNotFound)
		}
		env.Secret("DELETE", "/v1/webhook_endpoints/"+id, nil).MustStatus(t, http.StatusNotFound)
		env.Secret("GET", "/v1/webhook_deliveries/"+did, nil).MustStatus(t, http.StatusOK)
		wantError(t, env.Secret("POST", "/v1/webhook_deliveries/"+did+"/retry", nil), http.StatusConflict, "webhook_endpoint_disabled", "", "was deleted")
	}, apptest.WithWebhookRetrySchedule(20*time.Millisecond, 20*time.Millisecond))
}

// A pending delivery of an endpoint deleted meanwhile ends failed, unsent.
func TestWebhookDeletedEndpointStopsDeliveries(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		rcv := newHookReceiver(t, func(hookRequest, []hookRequest) int { return http.StatusBadGateway })
		ep := newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"*"}})
		createPayment(t, env, `{"amount":100,"currency":"EUR"}`)
		rcv.waitFor("a first attempt", 20*time.Second, func(r []hookRequest) bool { return len(r) == 1 })
		d := deliveriesOf(t, env, str(ep, "id"), "")[0]
		if str(d, "status") != "pending" || d["next_attempt_at"] == nil {
			t.Fatalf("delivery %v", d)
		}
		env.Secret("DELETE", "/v1/webhook_endpoints/"+str(ep, "id"), nil).MustStatus(t, http.StatusOK)
		eventually(t, "the delivery to end", 20*time.Second, func() bool {
			d = env.Secret("GET", "/v1/webhook_deliveries/"+str(d, "id"), nil).MustStatus(t, http.StatusOK).JSON(t)
			return str(d, "status") == "failed"
		})
		if str(d, "last_error") != "not sent: the endpoint was deleted" || num(d, "attempt_count") != 1 || len(rcv.requests()) != 1 {
			t.Fatalf("after the delete: %v, %d requests", d, len(rcv.requests()))
		}
	}, apptest.WithWebhookRetrySchedule(300*time.Millisecond, time.Hour))
}

// The event types the document lists are those an endpoint can subscribe to.
func TestWebhookEventTypesDocumented(t *testing.T) {
	t.Parallel()
	d := oaLoad(t)
	enum := func(name string) []string {
		s, _, err := d.resolve(oaPtr("components", "schemas", name))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range s["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	if got := enum("EventType"); !slices.Equal(got, webhook.EventTypes) {
		t.Errorf("EventType lists %v, the engine appends %v", got, webhook.EventTypes)
	}
	if got := enum("WebhookEventFilter"); !slices.Equal(got, append([]string{"*"}, webhook.EventTypes...)) {
		t.Errorf("WebhookEventFilter lists %v", got)
	}
}

// Every event of a payment — its refunds' too — reaches an ordered endpoint in the
// order of the payment's history, though some first attempts fail.
func TestWebhookEveryEventOfAPaymentInOrder(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		n := 0
		rcv := newHookReceiver(t, func(r hookRequest, earlier []hookRequest) int {
			n++
			if n%2 == 0 && len(earlier) == 0 {
				return http.StatusServiceUnavailable
			}
			return 0
		})
		newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"*"}})
		auto := paid(t, env)
		env.Secret("POST", "/v1/refunds", `{"payment_id":"`+auto+`","amount":300}`).MustStatus(t, http.StatusCreated)
		env.Secret("POST", "/v1/refunds", `{"payment_id":"`+auto+`","amount":200}`).MustStatus(t, http.StatusCreated)
		manual := str(createPayment(t, env, `{"amount":900,"currency":"EUR","capture_method":"manual"}`), "id")
		confirm(t, env, manual, "pm_card_visa")
		env.Secret("POST", "/v1/payments/"+manual+"/capture", `{"amount":500}`).MustStatus(t, http.StatusOK)
		declined := str(createPayment(t, env, `{"amount":700,"currency":"EUR"}`), "id")
		confirm(t, env, declined, "pm_card_chargeDeclined")
		env.Secret("POST", "/v1/payments/"+declined+"/cancel", nil).MustStatus(t, http.StatusOK)
		history := map[string][]string{}
		total := 0
		for _, pay := range []string{auto, manual, declined} {
			for _, e := range env.Secret("GET", "/v1/payments/"+pay+"/events?limit=100", nil).MustStatus(t, http.StatusOK).JSON(t)["data"].([]any) {
				history[pay] = append(history[pay], str(e.(map[string]any), "id"))
				total++
			}
		}
		reqs := rcv.waitFor("every event", 30*time.Second, func(r []hookRequest) bool { return len(succeeded(r, "/h", "")) == total })
		got := map[string][]string{}
		for _, r := range succeeded(reqs, "/h", "") {
			got[r.PaymentID] = append(got[r.PaymentID], r.EventID)
		}
		for pay, want := range history {
			if !slices.Equal(got[pay], want) {
				t.Errorf("payment %s: events delivered as %v, its history is %v", pay, got[pay], want)
			}
		}
		if len(history[auto]) != 6 || len(history[manual]) != 3 || len(history[declined]) != 3 {
			t.Errorf("histories %v", history)
		}
	}, apptest.WithWebhookRetrySchedule(30*time.Millisecond, 30*time.Millisecond, 30*time.Millisecond))
}
