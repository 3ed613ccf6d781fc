// Package stripefake is an in-process, stateful Stripe for tests: a real HTTP
// server on loopback that follows Stripe's documented behaviour for the flows
// paymux's connector uses (see Server). It is test-support code, written from
// Stripe's documentation rather than from the connector, and imports nothing of the
// connector, so that a misreading of Stripe on one side is not mirrored on the
// other.
package stripefake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

// Server is a stateful Stripe: PaymentIntents created and confirmed with Stripe's
// test payment methods, 402 card errors carrying the intent, 3-D Secure through a
// redirect to a challenge page that sends the shopper back to the intent's
// return_url (with payment_intent, payment_intent_client_secret and
// redirect_status, as Stripe does), manual and partial capture, cancel, refunds,
// search by metadata, resource_missing, idempotency keys that replay the first
// answer (including errors) and refuse reuse with other parameters, and signed
// webhook events (payment_intent.*, charge.refunded, refund.created) queued for the
// test to deliver. Faults the real thing produces only rarely are injected with
// Inject (into the request that moves money: confirming an intent, capturing it)
// or, for connector tests, with SetFault and SetAfterExecute.
type Server struct {
	// URL is the API base URL to point a connection at.
	URL string
	// Key is the secret key the fake accepts.
	Key string
	// WebhookSecret signs the webhook events.
	WebhookSecret string

	t          testing.TB
	srv        *httptest.Server
	apiVersion string
	inject     fakepsp.Injector
	outbox     fakepsp.Outbox

	mu       sync.Mutex
	seq      int
	intents  map[string]*Intent
	refunds  map[string]*fakeRefund
	idem     map[string]idemEntry
	requests []Request
	fault    func(n int, w http.ResponseWriter, r *http.Request, form url.Values) bool
	after    func(n int, w http.ResponseWriter) bool
}

// Request is a request the fake received.
type Request struct {
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

// Intent is the fake's PaymentIntent.
type Intent struct {
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

// card is what a Stripe test payment method does.
type card struct {
	brand, last4         string
	decline, declineCode string // card error code and decline code
	message              string
	threeDS              bool
}

// cards are Stripe's test PaymentMethods the fake knows.
var cards = map[string]card{
	"pm_card_visa":                                 {brand: "visa", last4: "4242"},
	"pm_card_mastercard":                           {brand: "mastercard", last4: "4444"},
	"pm_card_chargeDeclined":                       {brand: "visa", last4: "0002", decline: "card_declined", declineCode: "generic_decline", message: "Your card was declined."},
	"pm_card_visa_chargeDeclinedInsufficientFunds": {brand: "visa", last4: "9995", decline: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds."},
	"pm_card_threeDSecure2Required":                {brand: "visa", last4: "3155", threeDS: true},
}

// refundReasons are the refund reasons Stripe accepts.
var refundReasons = map[string]bool{"duplicate": true, "fraudulent": true, "requested_by_customer": true}

// New starts a fake Stripe that requires Stripe-Version apiVersion on every request
// ("" accepts any). It stops when the test ends.
func New(t testing.TB, apiVersion string) *Server {
	t.Helper()
	f := &Server{t: t, apiVersion: apiVersion, Key: "sk_test_fake" + strconv.FormatInt(time.Now().UnixNano(), 36),
		WebhookSecret: "whsec_fake" + strconv.FormatInt(time.Now().UnixNano(), 36),
		intents:       map[string]*Intent{}, refunds: map[string]*fakeRefund{}, idem: map[string]idemEntry{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Credentials are those of a paymux test connection to this fake.
func (f *Server) Credentials() map[string]string {
	return map[string]string{"secret_key": f.Key, "webhook_secret": f.WebhookSecret}
}

func (f *Server) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s_fake%06d", prefix, f.seq)
}

// Requests lists the recorded requests with that method and path (any when empty).
func (f *Server) Requests(method, path string) []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.requests {
		if (method == "" || r.Method == method) && (path == "" || r.Path == path) {
			out = append(out, r)
		}
	}
	return out
}

// Intent returns a copy of intent id.
func (f *Server) Intent(id string) Intent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.intents[id]
}

// IntentCount counts the intents created.
func (f *Server) IntentCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.intents)
}

// Charges counts the intents made for paymux payment paymentID (metadata
// paymux_payment_id) that hold or took the shopper's money.
func (f *Server) Charges(paymentID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, pi := range f.intents {
		if pi.Metadata["paymux_payment_id"] == paymentID && (pi.Status == "succeeded" || pi.Status == "requires_capture") {
			n++
		}
	}
	return n
}

// SetFault installs a hook that sees every request first (n counts from 1) and
// may answer it itself by returning true. It runs without the fake's lock.
func (f *Server) SetFault(h func(n int, w http.ResponseWriter, r *http.Request, form url.Values) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = h
}

// SetAfterExecute installs a hook that runs after a POST was executed and its
// answer stored under the idempotency key, and may take over the connection (e.g.
// reset it) by returning true.
func (f *Server) SetAfterExecute(h func(n int, w http.ResponseWriter) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.after = h
}

// Inject arms a fault for the next requests that move money: creating a confirmed
// PaymentIntent and capturing one.
func (f *Server) Inject(ft fakepsp.Fault) { f.inject.Set(ft) }

// ClearFaults disarms Inject's fault.
func (f *Server) ClearFaults() { f.inject.Clear() }

// TakeWebhooks returns the signed webhook events queued since the last call.
func (f *Server) TakeWebhooks() []fakepsp.Webhook { return f.outbox.Take() }

// CompleteChallenge plays the shopper passing 3-D Secure on intent id.
func (f *Server) CompleteChallenge(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pi := f.intents[id]
	pi.NextAction = nil
	f.authorize(pi)
}

// authorize authorises pi, capturing it unless capture is manual, and queues the
// events Stripe sends. Called with mu held.
func (f *Server) authorize(pi *Intent) {
	if pi.ChargeID == "" {
		pi.ChargeID = f.nextID("ch")
	}
	if pi.CaptureMethod == "manual" {
		pi.Status, pi.AmountCapturable = "requires_capture", pi.Amount
		f.event("payment_intent.amount_capturable_updated", f.render(pi, nil, ""))
		return
	}
	pi.Status, pi.AmountReceived = "succeeded", pi.Amount
	f.event("payment_intent.succeeded", f.render(pi, nil, ""))
}

// event queues a webhook event of type typ about obj, signed as Stripe signs it.
// Called with mu held.
func (f *Server) event(typ string, obj map[string]any) {
	body, _ := json.Marshal(map[string]any{"id": f.nextID("evt"), "object": "event", "type": typ,
		"api_version": f.apiVersion, "created": time.Now().Unix(), "livemode": false,
		"data": map[string]any{"object": obj}})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(f.WebhookSecret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(m.Sum(nil)))
	f.outbox.Add(fakepsp.Webhook{Header: h, Body: body})
}

var (
	reIntent    = regexp.MustCompile(`^/v1/payment_intents/([A-Za-z0-9_]+)(/capture|/cancel)?$`)
	reChallenge = regexp.MustCompile(`^/3ds/([A-Za-z0-9_]+)$`)
	reSearch    = regexp.MustCompile(`^metadata\['([a-z_]+)'\]:'((?:[^'\\]|\\.)*)'$`)
)

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if m := reChallenge.FindStringSubmatch(r.URL.Path); m != nil {
		f.challenge(w, r, m[1])
		return
	}
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
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Form: form, Header: r.Header.Clone(), At: time.Now()})
	n := len(f.requests)
	fault := f.fault
	f.mu.Unlock()

	if r.Header.Get("Authorization") != "Bearer "+f.Key {
		writeErr(w, 401, map[string]any{"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****"})
		return
	}
	if v := r.Header.Get("Stripe-Version"); f.apiVersion != "" && v != f.apiVersion {
		writeErr(w, 400, map[string]any{"type": "invalid_request_error", "message": "Invalid Stripe API version: " + v})
		return
	}
	if fault != nil && fault(n, w, r, form) {
		return
	}
	if r.Method != http.MethodPost {
		if ft, ok := f.inject.Take(false); ok && fakepsp.Refuse(w, ft,
			errBody(map[string]any{"type": "api_error", "message": "An unknown error occurred"}),
			errBody(map[string]any{"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests hit the API too quickly."})) {
			return
		}
		status, body := f.route(r.Method, r.URL.Path, form)
		fakepsp.WriteJSON(w, status, body)
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
	ft, faulted := f.inject.Take(movesMoney(r.URL.Path, form))
	if faulted && fakepsp.Refuse(w, ft,
		errBody(map[string]any{"type": "api_error", "message": "An unknown error occurred"}),
		errBody(map[string]any{"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests hit the API too quickly."})) {
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
		write := func() {
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(prev.status)
			w.Write(prev.body)
		}
		if faulted && fakepsp.Deliver(w, r, ft, write) {
			return
		}
		write()
		return
	}
	f.idem[key] = idemEntry{fingerprint: fp} // in progress
	f.mu.Unlock()
	status, body := f.route(r.Method, r.URL.Path, form)
	b, _ := json.Marshal(body)
	f.mu.Lock()
	f.idem[key] = idemEntry{fingerprint: fp, status: status, body: b}
	after := f.after
	f.mu.Unlock()
	if after != nil && after(n, w) {
		return
	}
	write := func() {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fake"+strconv.Itoa(n))
		w.WriteHeader(status)
		w.Write(b)
	}
	if faulted && fakepsp.Deliver(w, r, ft, write) {
		return
	}
	write()
}

// movesMoney reports whether a POST charges or captures: a PaymentIntent created
// with confirm=true, or a capture.
func movesMoney(path string, form url.Values) bool {
	return (path == "/v1/payment_intents" && form.Get("confirm") == "true") || strings.HasSuffix(path, "/capture")
}

// challenge is Stripe's 3-D Secure test page: GET shows it, POST with
// action=complete or fail answers the challenge and sends the shopper to the
// intent's return_url, as Stripe does, with payment_intent,
// payment_intent_client_secret and redirect_status.
func (f *Server) challenge(w http.ResponseWriter, r *http.Request, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pi, ok := f.intents[id]
	if !ok {
		http.Error(w, "no such payment intent", http.StatusNotFound)
		return
	}
	if r.Method == http.MethodGet {
		fakepsp.ServePage(w, fakepsp.Page{Title: "3D Secure 2 Test Page",
			Text:     fmt.Sprintf("%d %s to pay", pi.Amount, strings.ToUpper(pi.Currency)),
			Complete: "Complete authentication", Fail: "Fail authentication", Done: pi.Status != "requires_action"})
		return
	}
	if pi.Status == "requires_action" {
		switch r.PostFormValue("action") {
		case "complete":
			pi.NextAction = nil
			f.authorize(pi)
		case "fail":
			pi.NextAction = nil
			pi.Status = "requires_payment_method"
			pi.LastError = map[string]any{"type": "card_error", "code": "payment_intent_authentication_failure",
				"message": "We are unable to authenticate your payment method. Please choose a different payment method and try again."}
			f.event("payment_intent.payment_failed", f.render(pi, nil, ""))
		default:
			http.Error(w, "action must be complete or fail", http.StatusBadRequest)
			return
		}
	}
	redirect := map[bool]string{true: "succeeded", false: "failed"}[pi.Status == "succeeded" || pi.Status == "requires_capture"]
	http.Redirect(w, r, fakepsp.WithQuery(pi.ReturnURL, url.Values{"payment_intent": {pi.ID},
		"payment_intent_client_secret": {pi.ID + "_secret_fake"}, "redirect_status": {redirect}}), http.StatusFound)
}

func (f *Server) route(method, path string, form url.Values) (int, any) {
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

func (f *Server) create(form url.Values) (int, any) {
	amount, err := strconv.ParseInt(form.Get("amount"), 10, 64)
	if err != nil || amount < 1 {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "parameter_invalid_integer", "param": "amount", "message": "Invalid integer"})
	}
	c, ok := cards[form.Get("payment_method")]
	if !ok {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "resource_missing", "param": "payment_method",
			"message": "No such PaymentMethod: '" + form.Get("payment_method") + "'"})
	}
	pi := &Intent{ID: f.nextID("pi"), Amount: amount, Currency: form.Get("currency"), CaptureMethod: form.Get("capture_method"),
		PaymentMethod: form.Get("payment_method"), ReturnURL: form.Get("return_url"), Metadata: map[string]string{},
		Brand: c.brand, Last4: c.last4, Created: time.Now().UnixNano()}
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
	case c.decline != "":
		pi.ChargeID = f.nextID("ch")
		pi.Status = "requires_payment_method"
		pi.LastError = map[string]any{"type": "card_error", "code": c.decline, "decline_code": c.declineCode,
			"message": c.message, "charge": pi.ChargeID, "payment_method": f.pmObject(pi)}
		e := map[string]any{}
		for k, v := range pi.LastError {
			e[k] = v
		}
		e["payment_intent"] = f.render(pi, nil, "")
		f.event("payment_intent.payment_failed", f.render(pi, nil, ""))
		return 402, errBody(e)
	case c.threeDS:
		pi.Status = "requires_action"
		if pi.ReturnURL != "" {
			pi.NextAction = map[string]any{"type": "redirect_to_url", "redirect_to_url": map[string]any{
				"url": f.srv.URL + "/3ds/" + pi.ID, "return_url": pi.ReturnURL}}
		} else {
			pi.NextAction = map[string]any{"type": "use_stripe_sdk", "use_stripe_sdk": map[string]any{"type": "stripe_3ds2_fingerprint"}}
		}
		f.event("payment_intent.requires_action", f.render(pi, nil, ""))
	default:
		f.authorize(pi)
	}
	return 200, f.render(pi, form["expand[]"], "")
}

func (f *Server) capture(pi *Intent, form url.Values) (int, any) {
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
	f.event("payment_intent.succeeded", f.render(pi, nil, ""))
	return 200, f.render(pi, form["expand[]"], "")
}

func (f *Server) cancel(pi *Intent, form url.Values) (int, any) {
	switch pi.Status {
	case "requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing":
		pi.Status, pi.AmountCapturable, pi.NextAction = "canceled", 0, nil
		f.event("payment_intent.canceled", f.render(pi, nil, ""))
		return 200, f.render(pi, form["expand[]"], "")
	}
	return 400, errBody(map[string]any{"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
		"message":        "You cannot cancel this PaymentIntent because it has a status of " + pi.Status + ".",
		"payment_intent": f.render(pi, nil, "")})
}

func (f *Server) refund(form url.Values) (int, any) {
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
	if reason := form.Get("reason"); reason != "" && !refundReasons[reason] {
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
	obj := map[string]any{"id": re.ID, "object": "refund", "amount": re.Amount, "currency": pi.Currency, "status": re.Status,
		"payment_intent": pi.ID, "charge": pi.ChargeID, "reason": nullable(re.Reason), "metadata": re.Metadata, "failure_reason": nil}
	// Since API version 2022-11-15 charge.refunded no longer lists the refunds;
	// refund.created carries the refund.
	f.event("charge.refunded", map[string]any{"id": pi.ChargeID, "object": "charge", "payment_intent": pi.ID,
		"amount_refunded": pi.AmountRefunded, "refunded": pi.AmountRefunded == pi.AmountReceived, "metadata": pi.Metadata})
	f.event("refund.created", obj)
	return 200, obj
}

func (f *Server) search(form url.Values) (int, any) {
	m := reSearch.FindStringSubmatch(form.Get("query"))
	if m == nil {
		return 400, errBody(map[string]any{"type": "invalid_request_error", "message": "fake: unsupported search query " + form.Get("query")})
	}
	want := strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(m[2])
	data := []any{}
	var found []*Intent
	for _, pi := range f.intents {
		if pi.Metadata[m[1]] == want {
			found = append(found, pi)
		}
	}
	slices.SortFunc(found, func(a, b *Intent) int { return strings.Compare(a.ID, b.ID) })
	for _, pi := range found {
		data = append(data, f.render(pi, form["expand[]"], "data."))
	}
	return 200, map[string]any{"object": "search_result", "data": data, "has_more": false, "url": "/v1/payment_intents/search"}
}

func (f *Server) pmObject(pi *Intent) map[string]any {
	return map[string]any{"id": "pm_fake_" + pi.Last4, "object": "payment_method", "type": "card",
		"card": map[string]any{"brand": pi.Brand, "last4": pi.Last4, "wallet": nil}}
}

// render is the intent as Stripe shows it, expanding what the request asked for.
func (f *Server) render(pi *Intent, expand []string, prefix string) map[string]any {
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

func writeErr(w http.ResponseWriter, status int, e map[string]any) {
	fakepsp.WriteJSON(w, status, errBody(e))
}
