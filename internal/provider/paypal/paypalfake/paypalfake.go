// Package paypalfake is an in-process, stateful PayPal for tests: a real HTTP
// server on loopback that follows PayPal's documented behaviour for the flows
// paymux's connector uses (see Server). It is test-support code, written from
// PayPal's documentation rather than from the connector, and imports nothing of the
// connector, so that a misreading of PayPal on one side is not mirrored on the
// other.
package paypalfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

// The headers PayPal signs a webhook delivery with.
const (
	HeaderTransmissionID   = "Paypal-Transmission-Id"
	HeaderTransmissionTime = "Paypal-Transmission-Time"
	HeaderTransmissionSig  = "Paypal-Transmission-Sig"
	HeaderCertURL          = "Paypal-Cert-Url"
	HeaderAuthAlgo         = "Paypal-Auth-Algo"
)

// Server is a stateful PayPal: OAuth client-credentials tokens that expire and can
// be revoked (401 invalid_token), orders created with intent CAPTURE or AUTHORIZE
// that wait for the shopper's approval on PayPal's page (the payer-action link:
// "Pay Now" approves the order and sends the shopper to the return_url with token
// and PayerID, "Cancel" to the cancel_url with token), order capture and
// authorisation with declines, authorisation capture (partial, final), void,
// capture refunds (partial and full), PayPal-Request-Id replaying the first answer,
// verify-webhook-signature, and signed webhook events (CHECKOUT.ORDER.APPROVED,
// PAYMENT.CAPTURE.*, PAYMENT.AUTHORIZATION.*) queued for the test to deliver.
// Faults the real thing produces only rarely are injected with Inject (into the
// requests that move money: completing an order, capturing an authorisation) or,
// for connector tests, with SetFault and SetAfterExecute.
type Server struct {
	// URL is the API base URL to point a connection at.
	URL string
	// ClientID and WebhookID are the REST app's client id and webhook id.
	ClientID, WebhookID string

	t       testing.TB
	srv     *httptest.Server
	signKey []byte // the fake's stand-in for PayPal's signing key
	inject  fakepsp.Injector
	outbox  fakepsp.Outbox

	mu           sync.Mutex
	clientSecret string
	seq          int
	tokenLife    int64 // seconds
	tokenDelay   time.Duration
	tokens       map[string]time.Time // token → expiry
	tokenFetch   int
	orders       map[string]*Order
	auths        map[string]*Authorization
	captures     map[string]*capture
	refunds      map[string]*refund
	idem         map[string]idemEntry
	requests     []Request
	verifyCalls  int
	fault        func(n int, w http.ResponseWriter, r *http.Request, body []byte) bool
	after        func(n int, w http.ResponseWriter) bool
}

// Request is an API request the fake received (token fetches are not recorded).
type Request struct {
	Method, Path string
	Body         []byte
	Header       http.Header
	At           time.Time
}

type idemEntry struct {
	status int
	body   []byte
}

// Order is the fake's order.
type Order struct {
	ID, Intent, Status, Currency, CustomID, InvoiceID, Description string
	ReturnURL, CancelURL, Email                                    string
	Amount                                                         int64
	Decline                                                        string // issue the capture/authorize fails with
	AuthIDs, CaptureIDs                                            []string
}

// Authorization is the fake's authorisation of an order.
type Authorization struct {
	ID, OrderID, Status string
	Amount, Captured    int64
}

type capture struct {
	ID, OrderID, Status, CustomID string
	Amount, Refunded              int64
	Final                         bool
}

type refund struct {
	ID, CaptureID, Status, CustomID, InvoiceID string
	Amount                                     int64
}

// The request bodies the fake reads, as PayPal documents them.
type (
	amount struct {
		CurrencyCode string `json:"currency_code"`
		Value        string `json:"value"`
	}
	orderRequest struct {
		Intent        string `json:"intent"`
		PurchaseUnits []struct {
			Amount      *amount `json:"amount"`
			CustomID    string  `json:"custom_id"`
			InvoiceID   string  `json:"invoice_id"`
			Description string  `json:"description"`
		} `json:"purchase_units"`
		PaymentSource *struct {
			PayPal *struct {
				EmailAddress      string `json:"email_address"`
				ExperienceContext *struct {
					ReturnURL string `json:"return_url"`
					CancelURL string `json:"cancel_url"`
				} `json:"experience_context"`
			} `json:"paypal"`
		} `json:"payment_source"`
	}
	refundRequest struct {
		Amount    *amount `json:"amount"`
		CustomID  string  `json:"custom_id"`
		InvoiceID string  `json:"invoice_id"`
	}
	verifyRequest struct {
		AuthAlgo         string          `json:"auth_algo"`
		CertURL          string          `json:"cert_url"`
		TransmissionID   string          `json:"transmission_id"`
		TransmissionSig  string          `json:"transmission_sig"`
		TransmissionTime string          `json:"transmission_time"`
		WebhookID        string          `json:"webhook_id"`
		WebhookEvent     json.RawMessage `json:"webhook_event"`
	}
)

// New starts a fake PayPal; it stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	f := &Server{t: t, ClientID: "AcLientIdFake" + strconv.FormatInt(time.Now().UnixNano(), 36),
		clientSecret: "ESecretFake" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36), WebhookID: "1JE4291016473214C",
		signKey: []byte("fake-paypal-signing-key"), tokenLife: 32400,
		tokens: map[string]time.Time{}, orders: map[string]*Order{}, auths: map[string]*Authorization{},
		captures: map[string]*capture{}, refunds: map[string]*refund{}, idem: map[string]idemEntry{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// ClientSecret is the REST app's secret the token endpoint accepts.
func (f *Server) ClientSecret() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clientSecret
}

// SetClientSecret rotates the app's secret: the token endpoint refuses the old one.
func (f *Server) SetClientSecret(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clientSecret = s
}

// Credentials are those of a paymux test connection to this fake.
func (f *Server) Credentials() map[string]string {
	return map[string]string{"client_id": f.ClientID, "client_secret": f.ClientSecret(), "webhook_id": f.WebhookID}
}

func (f *Server) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s%013d", prefix, f.seq)
}

// SetFault installs a hook that sees every API request (not token fetches) first
// (n counts from 1) and may answer it itself by returning true. It runs without
// the fake's lock.
func (f *Server) SetFault(h func(n int, w http.ResponseWriter, r *http.Request, body []byte) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = h
}

// SetAfterExecute installs a hook that runs after a POST was executed and its
// answer stored under its PayPal-Request-Id, and may take over the connection.
func (f *Server) SetAfterExecute(h func(n int, w http.ResponseWriter) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.after = h
}

// Inject arms a fault for the next requests that move money: capturing or
// authorising an approved order, and capturing an authorisation.
func (f *Server) Inject(ft fakepsp.Fault) { f.inject.Set(ft) }

// ClearFaults disarms Inject's fault.
func (f *Server) ClearFaults() { f.inject.Clear() }

// TakeWebhooks returns the signed webhook events queued since the last call.
func (f *Server) TakeWebhooks() []fakepsp.Webhook { return f.outbox.Take() }

// SetTokenLife makes new tokens live seconds, and token fetches take delay.
func (f *Server) SetTokenLife(seconds int64, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenLife, f.tokenDelay = seconds, delay
}

// RevokeTokens makes PayPal refuse every token issued so far (401 invalid_token),
// as it does for an expired or revoked token.
func (f *Server) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.tokens {
		f.tokens[k] = time.Time{}
	}
}

// Tokens lists the access tokens issued.
func (f *Server) Tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.tokens))
	for t := range f.tokens {
		out = append(out, t)
	}
	return out
}

// TokenFetches counts the tokens issued.
func (f *Server) TokenFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenFetch
}

// VerifyCalls counts the verify-webhook-signature calls.
func (f *Server) VerifyCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.verifyCalls
}

// Requests lists the recorded API requests with that method and path (any when
// empty).
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

// Order returns a copy of order id.
func (f *Server) Order(id string) Order {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := *f.orders[id]
	o.AuthIDs, o.CaptureIDs = append([]string(nil), o.AuthIDs...), append([]string(nil), o.CaptureIDs...)
	return o
}

// OrderCount counts the orders created.
func (f *Server) OrderCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.orders)
}

// Charges counts the orders made for paymux payment paymentID (custom_id) that were
// completed: captured, or authorised and not voided.
func (f *Server) Charges(paymentID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, o := range f.orders {
		if o.CustomID != paymentID || o.Status != "COMPLETED" {
			continue
		}
		held := len(o.CaptureIDs) > 0
		for _, id := range o.AuthIDs {
			held = held || f.auths[id].Status != "VOIDED"
		}
		if held {
			n++
		}
	}
	return n
}

// Approve plays the shopper approving order id on PayPal's pages; with decline
// set, completing the order then fails with that issue (e.g. INSTRUMENT_DECLINED).
func (f *Server) Approve(id, decline string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.approve(f.orders[id], decline)
}

func (f *Server) approve(o *Order, decline string) {
	o.Status, o.Decline = "APPROVED", decline
	f.event("CHECKOUT.ORDER.APPROVED", "checkout-order", f.renderOrder(o))
}

// CompleteOrder captures or authorises (action "capture" or "authorize") order id
// as a request to PayPal would, for tests of races with another client.
func (f *Server) CompleteOrder(id, action string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completeOrder(f.orders[id], action)
}

// CaptureAuthorization captures authorisation id with the JSON request body, as
// a request to PayPal would.
func (f *Server) CaptureAuthorization(id string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.captureAuth(f.auths[id], body)
}

// SetAuthorizationStatus changes authorisation id's status behind paymux's back.
func (f *Server) SetAuthorizationStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auths[id].Status = status
}

// SetCaptureStatus changes capture id's status behind paymux's back.
func (f *Server) SetCaptureStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.captures[id].Status = status
}

// Sign is the fake's transmission signature over what PayPal signs: transmission
// id, time, webhook id and the CRC32 of the body, joined by "|".
func (f *Server) Sign(transmissionID, when, webhookID string, body []byte) string {
	m := hmac.New(sha256.New, f.signKey)
	fmt.Fprintf(m, "%s|%s|%s|%d", transmissionID, when, webhookID, crc32.ChecksumIEEE(body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// WebhookHeaders are the headers PayPal sends with a delivery of body.
func (f *Server) WebhookHeaders(body []byte) http.Header {
	f.mu.Lock()
	f.seq++
	id := fmt.Sprintf("b2384410-f8d2-11ee-8f6f-%012d", f.seq)
	f.mu.Unlock()
	return f.webhookHeaders(id, body)
}

func (f *Server) webhookHeaders(transmissionID string, body []byte) http.Header {
	h := http.Header{}
	when := time.Now().UTC().Format(time.RFC3339)
	h.Set("Content-Type", "application/json")
	h.Set(HeaderTransmissionID, transmissionID)
	h.Set(HeaderTransmissionTime, when)
	h.Set(HeaderCertURL, "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77")
	h.Set(HeaderAuthAlgo, "SHA256withRSA")
	// PayPal signs the event document; it sends none with surrounding whitespace.
	h.Set(HeaderTransmissionSig, f.Sign(transmissionID, when, f.WebhookID, bytes.TrimSpace(body)))
	return h
}

// event queues a webhook event about resource. Called with mu held.
func (f *Server) event(typ, resourceType string, resource map[string]any) {
	id := f.nextID("WH-")
	body, _ := json.Marshal(map[string]any{"id": id, "event_version": "1.0", "create_time": time.Now().UTC().Format(time.RFC3339),
		"resource_type": resourceType, "event_type": typ, "summary": typ, "resource": resource})
	f.outbox.Add(fakepsp.Webhook{Header: f.webhookHeaders("tx-"+id, body), Body: body})
}

var (
	reOrder    = regexp.MustCompile(`^/v2/checkout/orders/([A-Z0-9]+)(/capture|/authorize)?$`)
	reAuth     = regexp.MustCompile(`^/v2/payments/authorizations/([A-Za-z0-9]+)(/capture|/void)$`)
	reCapture  = regexp.MustCompile(`^/v2/payments/captures/([A-Za-z0-9]+)(/refund)?$`)
	reAmountV  = regexp.MustCompile(`^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$`)
	notFound   = apiErr("RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID does not exist. Please check the resource ID and try again.")
	notAllowed = apiErr("METHOD_NOT_SUPPORTED", "", "The server does not implement the requested HTTP method.")
)

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/checkoutnow" {
		f.approvalPage(w, r)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/v1/oauth2/token" {
		f.token(w, r, raw)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Body: raw, Header: r.Header.Clone(), At: time.Now()})
	n := len(f.requests)
	fault := f.fault
	exp, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	f.mu.Unlock()
	if !ok || !time.Now().Before(exp) {
		fakepsp.WriteJSON(w, 401, map[string]any{"error": "invalid_token", "error_description": "Token signature verification failed"})
		return
	}
	if fault != nil && fault(n, w, r, raw) {
		return
	}
	if r.Method != http.MethodPost {
		if ft, ok := f.inject.Take(false); ok && f.refuse(w, ft) {
			return
		}
		status, body := f.route(r, raw)
		fakepsp.WriteJSON(w, status, body)
		return
	}
	key := r.Header.Get("PayPal-Request-Id")
	if key == "" {
		// Real PayPal accepts this; paymux must never send it.
		fakepsp.WriteJSON(w, 400, apiErr("INVALID_REQUEST", "fake: POST without PayPal-Request-Id", ""))
		return
	}
	ft, faulted := f.inject.Take(movesMoney(r.URL.Path))
	if faulted && f.refuse(w, ft) {
		return
	}
	f.mu.Lock()
	if prev, ok := f.idem[key]; ok {
		f.mu.Unlock()
		if prev.status == 0 {
			fakepsp.WriteJSON(w, 409, apiErr("RESOURCE_CONFLICT", "PREVIOUS_REQUEST_IN_PROGRESS", "A previous request with this PayPal-Request-Id is in progress."))
			return
		}
		// PayPal replays the first answer to a request id, whatever the body.
		write := func() {
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
	f.idem[key] = idemEntry{} // in progress
	f.mu.Unlock()
	status, body := f.route(r, raw)
	b, _ := json.Marshal(body)
	f.mu.Lock()
	f.idem[key] = idemEntry{status: status, body: b}
	after := f.after
	f.mu.Unlock()
	if after != nil && after(n, w) {
		return
	}
	write := func() {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Paypal-Debug-Id", "fakedebug"+strconv.Itoa(n))
		w.WriteHeader(status)
		w.Write(b)
	}
	if faulted && fakepsp.Deliver(w, r, ft, write) {
		return
	}
	write()
}

// refuse answers a 500 or 429 fault with PayPal's error bodies.
func (f *Server) refuse(w http.ResponseWriter, ft fakepsp.Fault) bool {
	return fakepsp.Refuse(w, ft,
		map[string]any{"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.", "debug_id": "fakedebug"},
		map[string]any{"name": "RATE_LIMIT_REACHED", "message": "Too many requests. Blocked due to rate limiting.", "debug_id": "fakedebug"})
}

// movesMoney reports whether a POST to path captures or authorises money.
func movesMoney(path string) bool {
	return strings.HasPrefix(path, "/v2/checkout/orders/") || (strings.HasPrefix(path, "/v2/payments/authorizations/") && strings.HasSuffix(path, "/capture"))
}

// approvalPage is PayPal's checkout page (the payer-action link): GET shows it,
// POST with action=complete approves the order and sends the shopper to its
// return_url with token and PayerID; action=fail is the shopper cancelling, sent
// to the cancel_url with token.
func (f *Server) approvalPage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[r.URL.Query().Get("token")]
	if !ok {
		http.Error(w, "no such order", http.StatusNotFound)
		return
	}
	if r.Method == http.MethodGet {
		fakepsp.ServePage(w, fakepsp.Page{Title: "PayPal Checkout",
			Text:     fmt.Sprintf("Pay %d %s to the merchant", o.Amount, o.Currency),
			Complete: "Pay Now", Fail: "Cancel and return to the merchant", Done: o.Status != "PAYER_ACTION_REQUIRED"})
		return
	}
	switch r.PostFormValue("action") {
	case "complete":
		if o.Status == "PAYER_ACTION_REQUIRED" {
			f.approve(o, "")
		}
		http.Redirect(w, r, fakepsp.WithQuery(o.ReturnURL, url.Values{"token": {o.ID}, "PayerID": {"FAKEPAYER" + o.ID[len(o.ID)-4:]}}), http.StatusFound)
	case "fail":
		http.Redirect(w, r, fakepsp.WithQuery(o.CancelURL, url.Values{"token": {o.ID}}), http.StatusFound)
	default:
		http.Error(w, "action must be complete or fail", http.StatusBadRequest)
	}
}

func (f *Server) token(w http.ResponseWriter, r *http.Request, raw []byte) {
	f.mu.Lock()
	delay, secret := f.tokenDelay, f.clientSecret
	f.mu.Unlock()
	time.Sleep(delay)
	id, sec, ok := r.BasicAuth()
	if !ok || id != f.ClientID || sec != secret || string(raw) != "grant_type=client_credentials" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		fakepsp.WriteJSON(w, 401, map[string]any{"error": "invalid_client", "error_description": "Client Authentication failed"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenFetch++
	tok := "A21AAFakeToken" + strconv.Itoa(f.tokenFetch) + "x" + strconv.FormatInt(time.Now().UnixNano(), 36)
	f.tokens[tok] = time.Now().Add(time.Duration(f.tokenLife) * time.Second)
	fakepsp.WriteJSON(w, 200, map[string]any{"scope": "https://uri.paypal.com/services/payments/payment/authcapture",
		"access_token": tok, "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": f.tokenLife, "nonce": "fake"})
}

func (f *Server) route(r *http.Request, raw []byte) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, post := r.URL.Path, r.Method == http.MethodPost
	if post && r.Header.Get("Prefer") != "return=representation" {
		return 400, apiErr("INVALID_REQUEST", "fake: POST without Prefer: return=representation", "")
	}
	switch {
	case post && p == "/v2/checkout/orders":
		return f.createOrder(raw)
	case post && p == "/v1/notifications/verify-webhook-signature":
		return f.verify(raw)
	}
	if m := reOrder.FindStringSubmatch(p); m != nil {
		o, ok := f.orders[m[1]]
		switch {
		case !ok:
			return 404, notFound
		case !post && m[2] == "":
			return 200, f.renderOrder(o)
		case post && m[2] != "":
			return f.completeOrder(o, m[2][1:])
		}
		return 405, notAllowed
	}
	if m := reAuth.FindStringSubmatch(p); m != nil && post {
		a, ok := f.auths[m[1]]
		if !ok {
			return 404, notFound
		}
		if m[2] == "/void" {
			if len(raw) != 0 {
				return 415, apiErr("UNSUPPORTED_MEDIA_TYPE", "", "fake: void takes no body")
			}
			return f.void(a)
		}
		return f.captureAuth(a, raw)
	}
	if m := reCapture.FindStringSubmatch(p); m != nil {
		c, ok := f.captures[m[1]]
		switch {
		case !ok:
			return 404, notFound
		case !post && m[2] == "":
			return 200, f.renderCapture(c)
		case post && m[2] == "/refund":
			return f.refund(c, raw)
		}
	}
	return 404, apiErr("NOT_FOUND", "", "fake: no route for "+r.Method+" "+p)
}

func (f *Server) parseAmount(a *amount) (int64, string, bool) {
	if a == nil || !reAmountV.MatchString(a.Value) {
		return 0, "", false
	}
	m, err := money.ParseDecimal(a.Value, a.CurrencyCode)
	if err != nil || m.Minor <= 0 {
		return 0, "", false
	}
	return m.Minor, m.Currency.Code, true
}

func (f *Server) createOrder(raw []byte) (int, any) {
	var req orderRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return 400, apiErr("INVALID_REQUEST", "MALFORMED_REQUEST_JSON", err.Error())
	}
	if req.Intent != "CAPTURE" && req.Intent != "AUTHORIZE" {
		return 400, apiErr("INVALID_REQUEST", "INVALID_PARAMETER_VALUE", "intent")
	}
	if len(req.PurchaseUnits) != 1 {
		return 422, apiErr("UNPROCESSABLE_ENTITY", "fake: one purchase unit", "")
	}
	pu := req.PurchaseUnits[0]
	minor, cur, ok := f.parseAmount(pu.Amount)
	if !ok {
		return 422, apiErr("UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION", "amount")
	}
	if req.PaymentSource == nil || req.PaymentSource.PayPal == nil || req.PaymentSource.PayPal.ExperienceContext == nil ||
		req.PaymentSource.PayPal.ExperienceContext.ReturnURL == "" {
		return 422, apiErr("UNPROCESSABLE_ENTITY", "RETURN_URL_REQUIRED", "return_url")
	}
	ec := req.PaymentSource.PayPal.ExperienceContext
	o := &Order{ID: f.nextID("5O"), Intent: req.Intent, Status: "PAYER_ACTION_REQUIRED", Currency: cur, Amount: minor,
		CustomID: pu.CustomID, InvoiceID: pu.InvoiceID, Description: pu.Description, ReturnURL: ec.ReturnURL, CancelURL: ec.CancelURL,
		Email: req.PaymentSource.PayPal.EmailAddress}
	if o.CancelURL == "" {
		o.CancelURL = o.ReturnURL
	}
	f.orders[o.ID] = o
	return 200, f.renderOrder(o)
}

func (f *Server) completeOrder(o *Order, action string) (int, any) {
	switch {
	case o.Status == "COMPLETED" && action == "capture":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED", "Order already captured.")
	case o.Status == "COMPLETED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "ORDER_ALREADY_AUTHORIZED", "Order already authorized.")
	case o.Status != "APPROVED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment.")
	case strings.ToUpper(action) != o.Intent:
		return 422, apiErr("UNPROCESSABLE_ENTITY", "ACTION_DOES_NOT_MATCH_INTENT", "Order was created with an intent of "+o.Intent+".")
	case o.Decline != "":
		return 422, apiErr("UNPROCESSABLE_ENTITY", o.Decline, "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.")
	}
	o.Status = "COMPLETED"
	if action == "capture" {
		c := &capture{ID: f.nextID("CAP"), OrderID: o.ID, Status: "COMPLETED", CustomID: o.CustomID, Amount: o.Amount, Final: true}
		f.captures[c.ID] = c
		o.CaptureIDs = append(o.CaptureIDs, c.ID)
		f.event("PAYMENT.CAPTURE.COMPLETED", "capture", f.renderCapture(c))
	} else {
		a := &Authorization{ID: f.nextID("AUT"), OrderID: o.ID, Status: "CREATED", Amount: o.Amount}
		f.auths[a.ID] = a
		o.AuthIDs = append(o.AuthIDs, a.ID)
		f.event("PAYMENT.AUTHORIZATION.CREATED", "authorization", f.renderAuth(a))
	}
	return 201, f.renderOrder(o)
}

func (f *Server) captureAuth(a *Authorization, raw []byte) (int, any) {
	var req struct {
		Amount       *amount `json:"amount"`
		FinalCapture *bool   `json:"final_capture"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return 400, apiErr("INVALID_REQUEST", "MALFORMED_REQUEST_JSON", err.Error())
	}
	o := f.orders[a.OrderID]
	switch a.Status {
	case "CAPTURED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "AUTHORIZATION_ALREADY_CAPTURED", "Authorization has been previously captured and hence cannot be captured again.")
	case "VOIDED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "AUTHORIZATION_VOIDED", "A voided authorization cannot be captured.")
	}
	amt := a.Amount - a.Captured
	if req.Amount != nil {
		v, cur, ok := f.parseAmount(req.Amount)
		if !ok || cur != o.Currency {
			return 422, apiErr("UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION", "amount")
		}
		if v > amt {
			return 422, apiErr("UNPROCESSABLE_ENTITY", "MAX_CAPTURE_AMOUNT_EXCEEDED", "Capture amount exceeds allowable limit.")
		}
		amt = v
	}
	final := req.FinalCapture != nil && *req.FinalCapture
	a.Captured += amt
	a.Status = "PARTIALLY_CAPTURED"
	if final || a.Captured == a.Amount {
		a.Status = "CAPTURED"
	}
	c := &capture{ID: f.nextID("CAP"), OrderID: o.ID, Status: "COMPLETED", CustomID: o.CustomID, Amount: amt, Final: final}
	f.captures[c.ID] = c
	o.CaptureIDs = append(o.CaptureIDs, c.ID)
	f.event("PAYMENT.CAPTURE.COMPLETED", "capture", f.renderCapture(c))
	return 201, f.renderCapture(c)
}

func (f *Server) void(a *Authorization) (int, any) {
	switch a.Status {
	case "VOIDED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "PREVIOUSLY_VOIDED", "Authorization has been previously voided and hence cannot be voided again.")
	case "CAPTURED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "PREVIOUSLY_CAPTURED", "Authorization has been previously captured and hence cannot be voided.")
	}
	a.Status = "VOIDED"
	f.event("PAYMENT.AUTHORIZATION.VOIDED", "authorization", f.renderAuth(a))
	return 200, f.renderAuth(a)
}

func (f *Server) refund(c *capture, raw []byte) (int, any) {
	var req refundRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return 400, apiErr("INVALID_REQUEST", "MALFORMED_REQUEST_JSON", err.Error())
	}
	switch c.Status {
	case "REFUNDED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded")
	case "PENDING":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "PENDING_CAPTURE", "Cannot initiate a refund as the capture is pending.")
	}
	left := c.Amount - c.Refunded
	amt := left
	if req.Amount != nil {
		v, cur, ok := f.parseAmount(req.Amount)
		if !ok || cur != f.orders[c.OrderID].Currency {
			return 422, apiErr("UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION", "amount")
		}
		amt = v
	}
	if amt > left {
		return 422, apiErr("UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.")
	}
	re := &refund{ID: f.nextID("REF"), CaptureID: c.ID, Status: "COMPLETED", CustomID: req.CustomID, InvoiceID: req.InvoiceID, Amount: amt}
	f.refunds[re.ID] = re
	c.Refunded += amt
	c.Status = "PARTIALLY_REFUNDED"
	if c.Refunded == c.Amount {
		c.Status = "REFUNDED"
	}
	f.event("PAYMENT.CAPTURE.REFUNDED", "refund", f.renderRefund(re))
	return 201, f.renderRefund(re)
}

// verify answers verify-webhook-signature: SUCCESS when the signature matches the
// event bytes as received and the webhook id is the fake's.
func (f *Server) verify(raw []byte) (int, any) {
	f.verifyCalls++
	var req verifyRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return 400, apiErr("INVALID_REQUEST", "MALFORMED_REQUEST_JSON", err.Error())
	}
	if req.AuthAlgo == "" || req.CertURL == "" || req.TransmissionID == "" || req.TransmissionSig == "" ||
		req.TransmissionTime == "" || req.WebhookID == "" || len(req.WebhookEvent) == 0 {
		return 400, apiErr("VALIDATION_ERROR", "MISSING_REQUIRED_PARAMETER", "a required field is missing")
	}
	want := f.Sign(req.TransmissionID, req.TransmissionTime, f.WebhookID, req.WebhookEvent)
	status := "FAILURE"
	if req.WebhookID == f.WebhookID && hmac.Equal([]byte(want), []byte(req.TransmissionSig)) {
		status = "SUCCESS"
	}
	return 200, map[string]any{"verification_status": status}
}

func (f *Server) money(v int64, cur string) map[string]any {
	c := money.MustCurrency(cur)
	val := money.Amount{Minor: v, Currency: c}.Decimal()
	if c.Code == "HUF" || c.Code == "TWD" {
		val = strconv.FormatInt(v/100, 10)
	}
	return map[string]any{"currency_code": cur, "value": val}
}

func (f *Server) renderOrder(o *Order) map[string]any {
	links := []any{map[string]any{"href": f.srv.URL + "/v2/checkout/orders/" + o.ID, "rel": "self", "method": "GET"}}
	if o.Status == "PAYER_ACTION_REQUIRED" {
		links = append(links, map[string]any{"href": f.srv.URL + "/checkoutnow?token=" + o.ID, "rel": "payer-action", "method": "GET"})
	}
	pu := map[string]any{"reference_id": "default", "amount": f.money(o.Amount, o.Currency)}
	if o.CustomID != "" {
		pu["custom_id"] = o.CustomID
	}
	if o.InvoiceID != "" {
		pu["invoice_id"] = o.InvoiceID
	}
	if len(o.AuthIDs)+len(o.CaptureIDs) > 0 {
		auths, caps := []any{}, []any{}
		for _, id := range o.AuthIDs {
			auths = append(auths, f.renderAuth(f.auths[id]))
		}
		for _, id := range o.CaptureIDs {
			caps = append(caps, f.renderCapture(f.captures[id]))
		}
		pu["payments"] = map[string]any{"authorizations": auths, "captures": caps}
	}
	return map[string]any{"id": o.ID, "intent": o.Intent, "status": o.Status, "purchase_units": []any{pu}, "links": links,
		"create_time": "2026-11-24T12:00:00Z"}
}

func (f *Server) renderAuth(a *Authorization) map[string]any {
	o := f.orders[a.OrderID]
	return map[string]any{"id": a.ID, "status": a.Status, "amount": f.money(a.Amount, o.Currency), "custom_id": o.CustomID,
		"supplementary_data": map[string]any{"related_ids": map[string]any{"order_id": o.ID}},
		"links":              []any{map[string]any{"href": f.srv.URL + "/v2/payments/authorizations/" + a.ID, "rel": "self", "method": "GET"}}}
}

func (f *Server) renderCapture(c *capture) map[string]any {
	o := f.orders[c.OrderID]
	return map[string]any{"id": c.ID, "status": c.Status, "amount": f.money(c.Amount, o.Currency), "custom_id": c.CustomID,
		"final_capture": c.Final, "supplementary_data": map[string]any{"related_ids": map[string]any{"order_id": o.ID}},
		"links": []any{map[string]any{"href": f.srv.URL + "/v2/payments/captures/" + c.ID, "rel": "self", "method": "GET"}}}
}

func (f *Server) renderRefund(re *refund) map[string]any {
	c := f.captures[re.CaptureID]
	out := map[string]any{"id": re.ID, "status": re.Status, "amount": f.money(re.Amount, f.orders[c.OrderID].Currency),
		"links": []any{map[string]any{"href": f.srv.URL + "/v2/payments/refunds/" + re.ID, "rel": "self", "method": "GET"},
			map[string]any{"href": f.srv.URL + "/v2/payments/captures/" + c.ID, "rel": "up", "method": "GET"}}}
	if re.CustomID != "" {
		out["custom_id"] = re.CustomID
	}
	if re.InvoiceID != "" {
		out["invoice_id"] = re.InvoiceID
	}
	return out
}

func apiErr(name, issue, desc string) map[string]any {
	e := map[string]any{"name": name, "message": "fake PayPal error", "debug_id": "fakedebug"}
	if issue != "" {
		e["details"] = []any{map[string]any{"issue": issue, "description": desc}}
	}
	return e
}
