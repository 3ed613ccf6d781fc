package paypal

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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/money"
)

// fakePayPal is an in-process, stateful PayPal that follows PayPal's documented
// behaviour for the flows the connector uses: OAuth client-credentials tokens that
// expire and can be revoked (401 invalid_token), orders created with intent
// CAPTURE or AUTHORIZE that wait for the shopper's approval (approve flips the
// state, as the shopper would on PayPal's pages), order capture and authorisation
// with declines, authorisation capture (partial, final), void, capture refunds
// (partial and full), PayPal-Request-Id replaying the first answer, and
// verify-webhook-signature. Faults the real thing produces only rarely are
// injected with fault and afterExecute.
type fakePayPal struct {
	t            testing.TB
	srv          *httptest.Server
	clientID     string
	clientSecret string
	webhookID    string
	signKey      []byte // the fake's stand-in for PayPal's signing key

	mu          sync.Mutex
	seq         int
	tokenLife   int64 // seconds
	tokenDelay  time.Duration
	tokens      map[string]time.Time // token → expiry
	tokenFetch  int
	orders      map[string]*fakeOrder
	auths       map[string]*fakeAuth
	captures    map[string]*fakeCapture
	refunds     map[string]*fakeRefund
	idem        map[string]idemEntry
	requests    []fakeRequest
	verifyCalls int
	// fault, when set, sees every API request (not token fetches) first (n counts
	// from 1) and may answer it itself by returning true. It runs without mu held.
	fault func(n int, w http.ResponseWriter, r *http.Request, body []byte) bool
	// afterExecute, when set, runs after a POST was executed and its answer stored
	// under its PayPal-Request-Id, and may take over the connection.
	afterExecute func(n int, w http.ResponseWriter) bool
}

type fakeRequest struct {
	Method, Path string
	Body         []byte
	Header       http.Header
	At           time.Time
}

type idemEntry struct {
	status int
	body   []byte
}

type fakeOrder struct {
	ID, Intent, Status, Currency, CustomID, InvoiceID, Description string
	ReturnURL, CancelURL, Email                                    string
	Amount                                                         int64
	Decline                                                        string // issue the capture/authorize fails with
	AuthIDs, CaptureIDs                                            []string
}

type fakeAuth struct {
	ID, OrderID, Status string
	Amount, Captured    int64
}

type fakeCapture struct {
	ID, OrderID, Status, CustomID string
	Amount, Refunded              int64
	Final                         bool
}

type fakeRefund struct {
	ID, CaptureID, Status, CustomID, InvoiceID string
	Amount                                     int64
}

func newFakePayPal(t testing.TB) *fakePayPal {
	t.Helper()
	f := &fakePayPal{t: t, clientID: "AcLientIdFake" + strconv.FormatInt(time.Now().UnixNano(), 36),
		clientSecret: "ESecretFake" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36), webhookID: "1JE4291016473214C",
		signKey: []byte("fake-paypal-signing-key"), tokenLife: 32400,
		tokens: map[string]time.Time{}, orders: map[string]*fakeOrder{}, auths: map[string]*fakeAuth{},
		captures: map[string]*fakeCapture{}, refunds: map[string]*fakeRefund{}, idem: map[string]idemEntry{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePayPal) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s%013d", prefix, f.seq)
}

func (f *fakePayPal) setFault(h func(n int, w http.ResponseWriter, r *http.Request, body []byte) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = h
}

func (f *fakePayPal) setAfterExecute(h func(n int, w http.ResponseWriter) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.afterExecute = h
}

func (f *fakePayPal) setTokenLife(seconds int64, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenLife, f.tokenDelay = seconds, delay
}

// revokeTokens makes PayPal refuse every token issued so far (401 invalid_token),
// as it does for an expired or revoked token.
func (f *fakePayPal) revokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.tokens {
		f.tokens[k] = time.Time{}
	}
}

func (f *fakePayPal) tokenFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenFetch
}

// requestsTo lists the recorded API requests to path (all when empty).
func (f *fakePayPal) requestsTo(method, path string) []fakeRequest {
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

func (f *fakePayPal) order(id string) fakeOrder {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.orders[id]
}

func (f *fakePayPal) orderCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.orders)
}

// approve plays the shopper approving order id on PayPal's pages; with decline
// set, completing the order then fails with that issue (e.g. INSTRUMENT_DECLINED).
func (f *fakePayPal) approve(id, decline string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[id]
	o.Status, o.Decline = "APPROVED", decline
}

// sign is the fake's transmission signature over what PayPal signs:
// transmission id, time, webhook id and the CRC32 of the body, joined by "|".
func (f *fakePayPal) sign(transmissionID, when, webhookID string, body []byte) string {
	m := hmac.New(sha256.New, f.signKey)
	fmt.Fprintf(m, "%s|%s|%s|%d", transmissionID, when, webhookID, crc32.ChecksumIEEE(body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// webhookHeaders are the headers PayPal sends with a delivery of body.
func (f *fakePayPal) webhookHeaders(body []byte) http.Header {
	h := http.Header{}
	id, when := "b2384410-f8d2-11ee-8f6f-ab1ef5d0a2b9", "2026-11-24T12:00:00Z"
	h.Set(HeaderTransmissionID, id)
	h.Set(HeaderTransmissionTime, when)
	h.Set(HeaderCertURL, "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77")
	h.Set(HeaderAuthAlgo, "SHA256withRSA")
	// PayPal signs the event document; it sends none with surrounding whitespace.
	h.Set(HeaderTransmissionSig, f.sign(id, when, f.webhookID, bytes.TrimSpace(body)))
	return h
}

func (f *fakePayPal) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/v1/oauth2/token" {
		f.token(w, r, raw)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{Method: r.Method, Path: r.URL.Path, Body: raw, Header: r.Header.Clone(), At: time.Now()})
	n := len(f.requests)
	fault := f.fault
	exp, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	f.mu.Unlock()
	if !ok || !time.Now().Before(exp) {
		writeJSON(w, 401, map[string]any{"error": "invalid_token", "error_description": "Token signature verification failed"})
		return
	}
	if fault != nil && fault(n, w, r, raw) {
		return
	}
	if r.Method != http.MethodPost {
		status, body := f.route(r, raw)
		writeJSON(w, status, body)
		return
	}
	key := r.Header.Get("PayPal-Request-Id")
	if key == "" {
		// Real PayPal accepts this; paymux must never send it.
		writeJSON(w, 400, apiErr("INVALID_REQUEST", "fake: POST without PayPal-Request-Id", ""))
		return
	}
	f.mu.Lock()
	if prev, ok := f.idem[key]; ok {
		f.mu.Unlock()
		if prev.status == 0 {
			writeJSON(w, 409, apiErr("RESOURCE_CONFLICT", "PREVIOUS_REQUEST_IN_PROGRESS", "A previous request with this PayPal-Request-Id is in progress."))
			return
		}
		// PayPal replays the first answer to a request id, whatever the body.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(prev.status)
		w.Write(prev.body)
		return
	}
	f.idem[key] = idemEntry{} // in progress
	f.mu.Unlock()
	status, body := f.route(r, raw)
	b, _ := json.Marshal(body)
	f.mu.Lock()
	f.idem[key] = idemEntry{status: status, body: b}
	after := f.afterExecute
	f.mu.Unlock()
	if after != nil && after(n, w) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Paypal-Debug-Id", "fakedebug"+strconv.Itoa(n))
	w.WriteHeader(status)
	w.Write(b)
}

func (f *fakePayPal) token(w http.ResponseWriter, r *http.Request, raw []byte) {
	f.mu.Lock()
	delay := f.tokenDelay
	f.mu.Unlock()
	time.Sleep(delay)
	id, secret, ok := r.BasicAuth()
	if !ok || id != f.clientID || secret != f.clientSecret || string(raw) != "grant_type=client_credentials" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		writeJSON(w, 401, map[string]any{"error": "invalid_client", "error_description": "Client Authentication failed"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenFetch++
	tok := "A21AAFakeToken" + strconv.Itoa(f.tokenFetch) + "x" + strconv.FormatInt(time.Now().UnixNano(), 36)
	f.tokens[tok] = time.Now().Add(time.Duration(f.tokenLife) * time.Second)
	writeJSON(w, 200, map[string]any{"scope": "https://uri.paypal.com/services/payments/payment/authcapture",
		"access_token": tok, "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": f.tokenLife, "nonce": "fake"})
}

var (
	reOrder    = regexp.MustCompile(`^/v2/checkout/orders/([A-Z0-9]+)(/capture|/authorize)?$`)
	reAuth     = regexp.MustCompile(`^/v2/payments/authorizations/([A-Za-z0-9]+)(/capture|/void)$`)
	reCapture  = regexp.MustCompile(`^/v2/payments/captures/([A-Za-z0-9]+)(/refund)?$`)
	reAmountV  = regexp.MustCompile(`^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$`)
	notFound   = apiErr("RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID does not exist. Please check the resource ID and try again.")
	notAllowed = apiErr("METHOD_NOT_SUPPORTED", "", "The server does not implement the requested HTTP method.")
)

func (f *fakePayPal) route(r *http.Request, raw []byte) (int, any) {
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

func (f *fakePayPal) parseAmount(a *amount) (int64, string, bool) {
	if a == nil || !reAmountV.MatchString(a.Value) {
		return 0, "", false
	}
	m, err := money.ParseDecimal(a.Value, a.CurrencyCode)
	if err != nil || m.Minor <= 0 {
		return 0, "", false
	}
	return m.Minor, m.Currency.Code, true
}

func (f *fakePayPal) createOrder(raw []byte) (int, any) {
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
	o := &fakeOrder{ID: f.nextID("5O"), Intent: req.Intent, Status: "PAYER_ACTION_REQUIRED", Currency: cur, Amount: minor,
		CustomID: pu.CustomID, InvoiceID: pu.InvoiceID, Description: pu.Description, ReturnURL: ec.ReturnURL, CancelURL: ec.CancelURL,
		Email: req.PaymentSource.PayPal.EmailAddress}
	f.orders[o.ID] = o
	return 200, f.renderOrder(o)
}

func (f *fakePayPal) completeOrder(o *fakeOrder, action string) (int, any) {
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
		c := &fakeCapture{ID: f.nextID("CAP"), OrderID: o.ID, Status: "COMPLETED", CustomID: o.CustomID, Amount: o.Amount, Final: true}
		f.captures[c.ID] = c
		o.CaptureIDs = append(o.CaptureIDs, c.ID)
	} else {
		a := &fakeAuth{ID: f.nextID("AUT"), OrderID: o.ID, Status: "CREATED", Amount: o.Amount}
		f.auths[a.ID] = a
		o.AuthIDs = append(o.AuthIDs, a.ID)
	}
	return 201, f.renderOrder(o)
}

func (f *fakePayPal) captureAuth(a *fakeAuth, raw []byte) (int, any) {
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
	c := &fakeCapture{ID: f.nextID("CAP"), OrderID: o.ID, Status: "COMPLETED", CustomID: o.CustomID, Amount: amt, Final: final}
	f.captures[c.ID] = c
	o.CaptureIDs = append(o.CaptureIDs, c.ID)
	return 201, f.renderCapture(c)
}

func (f *fakePayPal) void(a *fakeAuth) (int, any) {
	switch a.Status {
	case "VOIDED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "PREVIOUSLY_VOIDED", "Authorization has been previously voided and hence cannot be voided again.")
	case "CAPTURED":
		return 422, apiErr("UNPROCESSABLE_ENTITY", "PREVIOUSLY_CAPTURED", "Authorization has been previously captured and hence cannot be voided.")
	}
	a.Status = "VOIDED"
	return 200, f.renderAuth(a)
}

func (f *fakePayPal) refund(c *fakeCapture, raw []byte) (int, any) {
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
	re := &fakeRefund{ID: f.nextID("REF"), CaptureID: c.ID, Status: "COMPLETED", CustomID: req.CustomID, InvoiceID: req.InvoiceID, Amount: amt}
	f.refunds[re.ID] = re
	c.Refunded += amt
	c.Status = "PARTIALLY_REFUNDED"
	if c.Refunded == c.Amount {
		c.Status = "REFUNDED"
	}
	return 201, f.renderRefund(re)
}

// verify answers verify-webhook-signature: SUCCESS when the signature matches the
// event bytes as received and the webhook id is the fake's.
func (f *fakePayPal) verify(raw []byte) (int, any) {
	f.verifyCalls++
	var req struct {
		verifyRequest
		WebhookEvent json.RawMessage `json:"webhook_event"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return 400, apiErr("INVALID_REQUEST", "MALFORMED_REQUEST_JSON", err.Error())
	}
	if req.AuthAlgo == "" || req.CertURL == "" || req.TransmissionID == "" || req.TransmissionSig == "" ||
		req.TransmissionTime == "" || req.WebhookID == "" || len(req.WebhookEvent) == 0 {
		return 400, apiErr("VALIDATION_ERROR", "MISSING_REQUIRED_PARAMETER", "a required field is missing")
	}
	want := f.sign(req.TransmissionID, req.TransmissionTime, f.webhookID, req.WebhookEvent)
	status := "FAILURE"
	if req.WebhookID == f.webhookID && hmac.Equal([]byte(want), []byte(req.TransmissionSig)) {
		status = "SUCCESS"
	}
	return 200, map[string]any{"verification_status": status}
}

func (f *fakePayPal) money(v int64, cur string) map[string]any {
	c := money.MustCurrency(cur)
	val := money.Amount{Minor: v, Currency: c}.Decimal()
	if c.Code == "HUF" || c.Code == "TWD" {
		val = strconv.FormatInt(v/100, 10)
	}
	return map[string]any{"currency_code": cur, "value": val}
}

func (f *fakePayPal) renderOrder(o *fakeOrder) map[string]any {
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

func (f *fakePayPal) renderAuth(a *fakeAuth) map[string]any {
	o := f.orders[a.OrderID]
	return map[string]any{"id": a.ID, "status": a.Status, "amount": f.money(a.Amount, o.Currency), "custom_id": o.CustomID,
		"supplementary_data": map[string]any{"related_ids": map[string]any{"order_id": o.ID}},
		"links":              []any{map[string]any{"href": f.srv.URL + "/v2/payments/authorizations/" + a.ID, "rel": "self", "method": "GET"}}}
}

func (f *fakePayPal) renderCapture(c *fakeCapture) map[string]any {
	o := f.orders[c.OrderID]
	return map[string]any{"id": c.ID, "status": c.Status, "amount": f.money(c.Amount, o.Currency), "custom_id": c.CustomID,
		"final_capture": c.Final, "supplementary_data": map[string]any{"related_ids": map[string]any{"order_id": o.ID}},
		"links": []any{map[string]any{"href": f.srv.URL + "/v2/payments/captures/" + c.ID, "rel": "self", "method": "GET"}}}
}

func (f *fakePayPal) renderRefund(re *fakeRefund) map[string]any {
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
