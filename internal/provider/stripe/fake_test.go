package stripe

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStripe is an in-process, stateful Stripe that follows Stripe's documented
// behaviour for the flows the connector uses: PaymentIntents created and confirmed
// with Stripe's test payment methods, 402 card errors carrying the intent, 3-D
// Secure redirects, manual and partial capture, cancel, refunds, search by
// metadata, resource_missing, and idempotency keys that replay the first answer
// (including errors) and refuse reuse with other parameters. Faults the real
// thing produces only rarely are injected with fault.
type fakeStripe struct {
	t   *testing.T
	srv *httptest.Server
	key string

	mu       sync.Mutex
	seq      int
	intents  map[string]*fakeIntent
	refunds  map[string]*fakeRefund
	idem     map[string]idemEntry
	requests []fakeRequest
	// fault, when set, sees every request first (n counts from 1) and may answer
	// it itself by returning true. It runs without mu held.
	fault func(n int, w http.ResponseWriter, r *http.Request, form url.Values) bool
	// afterExecute, when set, runs after a POST was executed and its answer stored
	// under the idempotency key, and may take over the connection (e.g. reset it).
	afterExecute func(n int, w http.ResponseWriter) bool
}

type fakeRequest struct {
	Method, Path string
	Form         url.Values
	Header       http.Header
	At           time.Time
}

type idemEntry struct {
	fingerprint string
	status      int
	body        []byte
}

type fakeIntent struct {
	ID, Status, Currency, CaptureMethod, PaymentMethod, ReturnURL string
	Amount, AmountCapturable, AmountReceived, AmountRefunded      int64
	Metadata                                                      map[string]string
	LastError                                                     map[string]any
	NextAction                                                    map[string]any
	ChargeID                                                      string
	Brand, Last4                                                  string
	Created                                                       int64
}

type fakeRefund struct {
	ID, Intent, Status, Reason string
	Amount                     int64
	Metadata                   map[string]string
}

// fakeCard is what a Stripe test payment method does.
type fakeCard struct {
	brand, last4         string
	decline, declineCode string // card error code and decline code
	message              string
	threeDS              bool
}

var fakeCards = map[string]fakeCard{
	"pm_card_visa":                                 {brand: "visa", last4: "4242"},
	"pm_card_mastercard":                           {brand: "mastercard", last4: "4444"},
	"pm_card_chargeDeclined":                       {brand: "visa", last4: "0002", decline: "card_declined", declineCode: "generic_decline", message: "Your card was declined."},
	"pm_card_visa_chargeDeclinedInsufficientFunds": {brand: "visa", last4: "9995", decline: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds."},
	"pm_card_threeDSecure2Required":                {brand: "visa", last4: "3155", threeDS: true},
}

func newFakeStripe(t *testing.T) *fakeStripe {
	t.Helper()
	f := &fakeStripe{t: t, key: "sk_test_fake_" + strconv.FormatInt(time.Now().UnixNano(), 36),
		intents: map[string]*fakeIntent{}, refunds: map[string]*fakeRefund{}, idem: map[string]idemEntry{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeStripe) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s_fake%06d", prefix, f.seq)
}

// requestsTo lists the recorded requests to path (all paths when empty).
func (f *fakeStripe) requestsTo(method, path string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if (method == "" || r.Method == method) && (path == "" || r.Path == path) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeStripe) intent(id string) fakeIntent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.intents[id]
}

// setFault replaces the fault hook.
func (f *fakeStripe) setFault(h func(n int, w http.ResponseWriter, r *http.Request, form url.Values) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = h
}

// setAfterExecute replaces the after-execute hook.
func (f *fakeStripe) setAfterExecute(h func(n int, w http.ResponseWriter) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.afterExecute = h
}

func (f *fakeStripe) intentCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.intents)
}

// completeChallenge plays the shopper passing 3-D Secure on intent id.
func (f *fakeStripe) completeChallenge(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pi := f.intents[id]
	pi.NextAction = nil
	f.authorize(pi)
}

func (f *fakeStripe) authorize(pi *fakeIntent) {
	if pi.CaptureMethod == "manual" {
		pi.Status, pi.AmountCapturable = "requires_capture", pi.Amount
		return
	}
	pi.Status, pi.AmountReceived = "succeeded", pi.Amount
}

func (f *fakeStripe) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		writeErr(w, 400, map[string]any{"type": "invalid_request_error", "message": "malformed form body"})
		return
	}
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{Method: r.Method, Path: r.URL.Path, Form: form, Header: r.Header.Clone(), At: time.Now()})
	n := len(f.requests)
	fault := f.fault
	f.mu.Unlock()

	if r.Header.Get("Authorization") != "Bearer "+f.key {
		writeErr(w, 401, map[string]any{"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****"})
		return
	}
	if v := r.Header.Get("Stripe-Version"); v != APIVersion {
		writeErr(w, 400, map[string]any{"type": "invalid_request_error", "message": "Invalid Stripe API version: " + v})
		return
	}
	if fault != nil && fault(n, w, r, form) {
		return
	}
	if r.Method != http.MethodPost {
		status, body := f.route(r.Method, r.URL.Path, form)
		writeJSON(w, status, body)
		return
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		writeErr(w, 400, map[string]any{"type": "invalid_request_error", "message": "Content-Type must be form-encoded"})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		// Real Stripe accepts this; paymux must never send it.
		writeErr(w, 400, map[string]any{"type": "invalid_request_error", "message": "fake: POST without Idempotency-Key"})
		return
	}
	fp := r.URL.Path + "?" + string(raw)
	f.mu.Lock()
	if prev, ok := f.idem[key]; ok {
		f.mu.Unlock()
		if prev.status == 0 {
			writeErr(w, 409, map[string]any{"type": "idempotency_error",
				"message": "There is currently another in-progress request using this Idempotent Key."})
			return
		}
		if prev.fingerprint != fp {
			writeErr(w, 400, map[string]any{"type": "idempotency_error",
				"message": "Keys for idempotent requests can only be used with the same parameters they were first used with."})
			return
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(prev.status)
		w.Write(prev.body)
		return
	}
	f.idem[key] = idemEntry{fingerprint: fp} // in progress
	f.mu.Unlock()
	status, body := f.route(r.Method, r.URL.Path, form)
	b, _ := json.Marshal(body)
	f.mu.Lock()
	f.idem[key] = idemEntry{fingerprint: fp, status: status, body: b}
	after := f.afterExecute
	f.mu.Unlock()
	if after != nil && after(n, w) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake"+strconv.Itoa(n))
	w.WriteHeader(status)
	w.Write(b)
}

var (
	reIntent = regexp.MustCompile(`^/v1/payment_intents/([A-Za-z0-9_]+)(/capture|/cancel)?$`)
	reSearch = regexp.MustCompile(`^metadata\['([a-z_]+)'\]:'((?:[^'\\]|\\.)*)'$`)
)

func (f *fakeStripe) route(method, path string, form url.Values) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case method == http.MethodPost && path == "/v1/payment_intents":
		return f.create(form)
	case method == http.MethodGet && path == "/v1/payment_intents":
		data := []any{}
		for _, pi := range f.intents {
			data = append(data, f.render(pi, nil, ""))
			break
		}
		return 200, map[string]any{"object": "list", "data": data, "has_more": len(f.intents) > 1, "url": "/v1/payment_intents"}
	case method == http.MethodGet && path == "/v1/payment_intents/search":
		return f.search(form)
	case method == http.MethodPost && path == "/v1/refunds":
		return f.refund(form)
	}
	m := reIntent.FindStringSubmatch(path)
	if m == nil {
		return 404, errBody(map[string]any{"type": "invalid_request_error", "message": "Unrecognized request URL (" + method + ": " + path + ")"})
	}
	pi, ok := f.intents[m[1]]
	if !ok {
		return 404, errBody(map[string]any{"type": "invalid_request_error", "code": "resource_missing",
			"message": "No such payment_intent: '" + m[1] + "'", "param": "intent"})
	}
	switch {
	case method == http.MethodGet && m[2] == "":
		return 200, f.render(pi, form["expand[]"], "")
	case method == http.MethodPost && m[2] == "/capture":
		return f.capture(pi, form)
	case method == http.MethodPost && m[2] == "/cancel":
		return f.cancel(pi, form)
	}
	return 404, errBody(map[string]any{"type": "invalid_request_error", "message": "Unrecognized request URL"})
}

func (f *fakeStripe) create(form url.Values) (int, any) {
	amount, err := strconv.ParseInt(form.Get("amount"), 10, 64)
	if err != nil || amount < 1 {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "parameter_invalid_integer", "param": "amount", "message": "Invalid integer"})
	}
	card, ok := fakeCards[form.Get("payment_method")]
	if !ok {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "resource_missing", "param": "payment_method",
			"message": "No such PaymentMethod: '" + form.Get("payment_method") + "'"})
	}
	pi := &fakeIntent{ID: f.nextID("pi"), Amount: amount, Currency: form.Get("currency"), CaptureMethod: form.Get("capture_method"),
		PaymentMethod: form.Get("payment_method"), ReturnURL: form.Get("return_url"), Metadata: map[string]string{},
		Brand: card.brand, Last4: card.last4, Created: time.Now().UnixNano()}
	for k, v := range form {
		if strings.HasPrefix(k, "metadata[") {
			pi.Metadata[strings.TrimSuffix(strings.TrimPrefix(k, "metadata["), "]")] = v[0]
		}
	}
	f.intents[pi.ID] = pi
	if form.Get("confirm") != "true" {
		pi.Status = "requires_confirmation"
		return 200, f.render(pi, form["expand[]"], "")
	}
	switch {
	case card.decline != "":
		pi.ChargeID = f.nextID("ch")
		pi.Status = "requires_payment_method"
		pi.LastError = map[string]any{"type": "card_error", "code": card.decline, "decline_code": card.declineCode,
			"message": card.message, "charge": pi.ChargeID, "payment_method": f.pmObject(pi)}
		e := map[string]any{}
		for k, v := range pi.LastError {
			e[k] = v
		}
		e["payment_intent"] = f.render(pi, nil, "")
		return 402, errBody(e)
	case card.threeDS:
		pi.Status = "requires_action"
		if pi.ReturnURL != "" {
			pi.NextAction = map[string]any{"type": "redirect_to_url", "redirect_to_url": map[string]any{
				"url": f.srv.URL + "/3ds/" + pi.ID, "return_url": pi.ReturnURL}}
		} else {
			pi.NextAction = map[string]any{"type": "use_stripe_sdk", "use_stripe_sdk": map[string]any{"type": "stripe_3ds2_fingerprint"}}
		}
	default:
		pi.ChargeID = f.nextID("ch")
		f.authorize(pi)
	}
	return 200, f.render(pi, form["expand[]"], "")
}

func (f *fakeStripe) capture(pi *fakeIntent, form url.Values) (int, any) {
	if pi.Status != "requires_capture" {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
			"message":        "This PaymentIntent could not be captured because it has a status of " + pi.Status + ".",
			"payment_intent": f.render(pi, nil, "")})
	}
	amount := pi.AmountCapturable
	if v := form.Get("amount_to_capture"); v != "" {
		a, err := strconv.ParseInt(v, 10, 64)
		if err != nil || a < 1 || a > pi.AmountCapturable {
			return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "amount_too_large", "param": "amount_to_capture",
				"message": "The amount to capture must be at most the amount capturable."})
		}
		amount = a
	}
	pi.Status, pi.AmountReceived, pi.AmountCapturable = "succeeded", amount, 0
	return 200, f.render(pi, form["expand[]"], "")
}

func (f *fakeStripe) cancel(pi *fakeIntent, form url.Values) (int, any) {
	switch pi.Status {
	case "requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing":
		pi.Status, pi.AmountCapturable, pi.NextAction = "canceled", 0, nil
		return 200, f.render(pi, form["expand[]"], "")
	}
	return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
		"message":        "You cannot cancel this PaymentIntent because it has a status of " + pi.Status + ".",
		"payment_intent": f.render(pi, nil, "")})
}

func (f *fakeStripe) refund(form url.Values) (int, any) {
	pi, ok := f.intents[form.Get("payment_intent")]
	if !ok {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "resource_missing", "param": "payment_intent",
			"message": "No such payment_intent: '" + form.Get("payment_intent") + "'"})
	}
	if pi.Status != "succeeded" {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "charge_not_refundable",
			"message": "This PaymentIntent has no successful charge to refund."})
	}
	left := pi.AmountReceived - pi.AmountRefunded
	amount := left
	if v := form.Get("amount"); v != "" {
		amount, _ = strconv.ParseInt(v, 10, 64)
	}
	if amount < 1 || amount > left {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "amount_too_large", "param": "amount",
			"message": fmt.Sprintf("Refund amount (%d) is greater than unrefunded amount on charge (%d)", amount, left)})
	}
	if reason := form.Get("reason"); reason != "" && !stripeRefundReasons[reason] {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "parameter_invalid_enum", "param": "reason", "message": "Invalid reason"})
	}
	re := &fakeRefund{ID: f.nextID("re"), Intent: pi.ID, Status: "succeeded", Reason: form.Get("reason"), Amount: amount, Metadata: map[string]string{}}
	for k, v := range form {
		if strings.HasPrefix(k, "metadata[") {
			re.Metadata[strings.TrimSuffix(strings.TrimPrefix(k, "metadata["), "]")] = v[0]
		}
	}
	pi.AmountRefunded += amount
	f.refunds[re.ID] = re
	return 200, map[string]any{"id": re.ID, "object": "refund", "amount": re.Amount, "currency": pi.Currency, "status": re.Status,
		"payment_intent": pi.ID, "charge": pi.ChargeID, "reason": nullable(re.Reason), "metadata": re.Metadata, "failure_reason": nil}
}

func (f *fakeStripe) search(form url.Values) (int, any) {
	m := reSearch.FindStringSubmatch(form.Get("query"))
	if m == nil {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "message": "fake: unsupported search query " + form.Get("query")})
	}
	want := strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(m[2])
	data := []any{}
	var found []*fakeIntent
	for _, pi := range f.intents {
		if pi.Metadata[m[1]] == want {
			found = append(found, pi)
		}
	}
	slices.SortFunc(found, func(a, b *fakeIntent) int { return strings.Compare(a.ID, b.ID) })
	for _, pi := range found {
		data = append(data, f.render(pi, form["expand[]"], "data."))
	}
	return 200, map[string]any{"object": "search_result", "data": data, "has_more": false, "url": "/v1/payment_intents/search"}
}

func (f *fakeStripe) pmObject(pi *fakeIntent) map[string]any {
	return map[string]any{"id": "pm_fake_" + pi.Last4, "object": "payment_method", "type": "card",
		"card": map[string]any{"brand": pi.Brand, "last4": pi.Last4, "wallet": nil}}
}

// render is the intent as Stripe shows it, expanding what the request asked for.
func (f *fakeStripe) render(pi *fakeIntent, expand []string, prefix string) map[string]any {
	var latest any
	if pi.ChargeID != "" {
		latest = pi.ChargeID
		if slices.Contains(expand, prefix+"latest_charge") {
			latest = map[string]any{"id": pi.ChargeID, "object": "charge", "payment_intent": pi.ID,
				"payment_method_details": map[string]any{"type": "card", "card": map[string]any{"brand": pi.Brand, "last4": pi.Last4, "wallet": nil}}}
		}
	}
	var pm any = "pm_fake_" + pi.Last4
	if slices.Contains(expand, prefix+"payment_method") {
		pm = f.pmObject(pi)
	}
	var lastErr any
	if pi.LastError != nil {
		lastErr = pi.LastError
	}
	var next any
	if pi.NextAction != nil {
		next = pi.NextAction
	}
	return map[string]any{"id": pi.ID, "object": "payment_intent", "amount": pi.Amount, "currency": pi.Currency,
		"status": pi.Status, "capture_method": pi.CaptureMethod, "amount_capturable": pi.AmountCapturable,
		"amount_received": pi.AmountReceived, "metadata": pi.Metadata, "latest_charge": latest, "payment_method": pm,
		"last_payment_error": lastErr, "next_action": next, "livemode": false, "created": pi.Created}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func errBody(e map[string]any) map[string]any { return map[string]any{"error": e} }

func writeErr(w http.ResponseWriter, status int, e map[string]any) { writeJSON(w, status, errBody(e)) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// resetConn takes over the connection and closes it without an answer, as a
// network failure after the request arrived would.
func resetConn(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("fake: response writer cannot be hijacked")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("fake: hijack: %v", err)
		return
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0) // RST rather than FIN
	}
	conn.Close()
}
