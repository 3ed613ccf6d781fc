// Package adyenfake is an in-process, stateful Adyen Checkout API (v71) for tests:
// a real HTTP server on loopback that follows Adyen's documented behaviour for the
// flows paymux's connector uses (see Server). It is test-support code, written from
// Adyen's documentation rather than from the connector, and imports nothing of the
// connector (it signs notifications with its own HMAC code), so that a misreading
// of Adyen on one side is not mirrored on the other.
package adyenfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

// ErrInProgress is Adyen's error code for an idempotency key that is still being
// processed, or was used with another request.
const ErrInProgress = "704"

// Server is a stateful Adyen: /payments with Adyen's test cards (unencrypted test_
// values, refusals chosen by holder name), wallet tokens, 3-D Secure 2 through the
// redirect flow only when nativeThreeDS is disabled, a challenge page that sends the
// shopper back to the returnUrl with a redirectResult (by GET, or with PostReturn
// by an auto-submitted POST form, as some issuers and methods do),
// /payments/details with that redirectResult, asynchronous captures, cancels and
// refunds answered "received" and settled by notifications, idempotency keys that
// replay the first answer (with the Idempotency-Key header) and answer 704 to a key
// in progress (Transient-Error) or reused with another body, 401 for a wrong
// X-API-Key and 403 for another merchant account. Its notifications are signed with
// HMACKey and queued for the test to deliver. Faults the real thing produces only
// rarely are injected with Inject (into the requests that move money: /payments,
// /payments/details and captures), with FailNextCapture and FailRefund, or, for
// connector tests, with SetFault and SetAfterExecute.
type Server struct {
	// URL is the API base URL (what a test connection's base_url is set to).
	URL string
	// Key is the X-API-Key the fake accepts.
	Key string
	// Merchant is the merchant account; HMACKey the hex key notifications are
	// signed with.
	Merchant, HMACKey string

	t      testing.TB
	srv    *httptest.Server
	inject fakepsp.Injector
	outbox fakepsp.Outbox

	mu          sync.Mutex
	seq         int
	payments    map[string]*Payment // by pspReference
	redirects   map[string]string   // redirectResult → pspReference
	refunds     map[string]refund   // by the refund's pspReference
	idem        map[string]idemEntry
	requests    []Request
	postReturn  bool
	failCapture string // reason of the next CAPTURE_FAILED
	fault       func(n int, w http.ResponseWriter, r *http.Request) bool
	after       func(n int, w http.ResponseWriter) bool
}

// Request is a request the fake received.
type Request struct {
	Path   string
	Raw    []byte
	Body   map[string]any
	Header http.Header
	At     time.Time
}

// Str reads a string at a dotted path of the request body ("amount.currency").
func (r Request) Str(path string) string {
	var v any = r.Body
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

type idemEntry struct {
	fingerprint string
	status      int
	body        []byte
}

type amount struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

// Payment is the fake's payment.
type Payment struct {
	PSP, Reference, Currency, ReturnURL string
	Amount                              int64
	Captured, Refunded                  int64
	Manual                              bool
	Status                              string // redirect, authorised, refused, cancelled, received
	Brand, Type, Summary                string
	Metadata                            map[string]string
}

type refund struct {
	payment, reference string
	amt                amount
}

// card is what one of Adyen's test card numbers does.
type card struct {
	brand, summary string
	threeDS        bool
}

var cards = map[string]card{
	"4111111111111111": {brand: "visa", summary: "1111"},
	"5555555555554444": {brand: "mc", summary: "4444"},
	"4917610000000000": {brand: "visa", summary: "0000", threeDS: true},
}

// refusals are the holder names that trigger refusals in Adyen's test
// environment, with the refusal they give.
var refusals = map[string][3]string{
	"DECLINED":           {"2", "Refused", "DECLINED"},
	"NOT_ENOUGH_BALANCE": {"12", "Not enough balance", "51 : Insufficient funds"},
	"CARD_EXPIRED":       {"6", "Expired Card", "54 : Expired card"},
	"CVC_DECLINED":       {"24", "CVC Declined", ""},
}

// New starts a fake Adyen for merchant account merchant, signing notifications with
// the hex HMAC key hmacKey. It stops when the test ends.
func New(t testing.TB, merchant, hmacKey string) *Server {
	t.Helper()
	f := &Server{t: t, Key: "AQEfake" + strconv.FormatInt(time.Now().UnixNano(), 36) + "KEY", Merchant: merchant,
		HMACKey: hmacKey, payments: map[string]*Payment{}, redirects: map[string]string{}, refunds: map[string]refund{},
		idem: map[string]idemEntry{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Credentials are those of a paymux test connection to this fake.
func (f *Server) Credentials() map[string]string {
	return map[string]string{"api_key": f.Key, "merchant_account": f.Merchant, "hmac_key": f.HMACKey}
}

func (f *Server) nextPSP() string {
	f.seq++
	return fmt.Sprintf("FAKE%012d", f.seq)
}

// Requests lists the recorded requests to path (all paths when empty).
func (f *Server) Requests(path string) []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.requests {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Payment returns a copy of payment psp.
func (f *Server) Payment(psp string) Payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.payments[psp]
}

// PaymentCount counts the payments Adyen holds.
func (f *Server) PaymentCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.payments)
}

// Charges counts the payments for paymux payment paymentID (reference) that are
// authorised (and so hold or took the shopper's money).
func (f *Server) Charges(paymentID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.payments {
		if p.Reference == paymentID && p.Status == "authorised" {
			n++
		}
	}
	return n
}

// SetFault installs a hook that sees every request first (n counts from 1) and may
// answer it itself by returning true. It runs without the fake's lock.
func (f *Server) SetFault(h func(n int, w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = h
}

// SetAfterExecute installs a hook that runs after a request was executed and its
// answer stored under the idempotency key, and may take over the connection.
func (f *Server) SetAfterExecute(h func(n int, w http.ResponseWriter) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.after = h
}

// Inject arms a fault for the next requests that move money: /payments,
// /payments/details and captures.
func (f *Server) Inject(ft fakepsp.Fault) { f.inject.Set(ft) }

// ClearFaults disarms Inject's fault.
func (f *Server) ClearFaults() { f.inject.Clear() }

// SetPostReturn makes the challenge page send the shopper back with a POST form
// (true) or a GET redirect (false, the default).
func (f *Server) SetPostReturn(post bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.postReturn = post
}

// FailNextCapture makes the next capture Adyen receives fail afterwards: it is
// answered "received" as usual, then a CAPTURE_FAILED notification with reason
// follows, as when the card scheme rejects it.
func (f *Server) FailNextCapture(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failCapture = reason
}

// FailRefund reports that refund psp (one that succeeded) failed afterwards: the
// scheme returned it. It queues a REFUND_FAILED notification and gives the amount
// back to the payment.
func (f *Server) FailRefund(psp, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	re, ok := f.refunds[psp]
	if !ok {
		f.t.Errorf("adyenfake: no refund %s", psp)
		return
	}
	p := f.payments[re.payment]
	p.Refunded -= re.amt.Value
	f.notify("REFUND_FAILED", true, psp, p.PSP, re.reference, &re.amt, reason, map[string]string{"originalMerchantReference": p.Reference})
}

// TakeWebhooks returns the signed notifications queued since the last call.
func (f *Server) TakeWebhooks() []fakepsp.Webhook { return f.outbox.Take() }

// TakeNotifications returns the bodies of the signed notifications queued since
// the last call.
func (f *Server) TakeNotifications() [][]byte {
	var out [][]byte
	for _, w := range f.outbox.Take() {
		out = append(out, w.Body)
	}
	return out
}

// Sign returns body, a standard notification, with every item's
// additionalData.hmacSignature set as Adyen computes it: base64 of HMAC-SHA256,
// under the hex-decoded key, of
// pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success.
func Sign(hexKey string, body []byte) ([]byte, error) {
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		return nil, fmt.Errorf("adyenfake: HMAC key is not hex: %w", err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	items, _ := doc["notificationItems"].([]any)
	for _, w := range items {
		wrap, _ := w.(map[string]any)
		it, _ := wrap["NotificationRequestItem"].(map[string]any)
		if it == nil {
			return nil, fmt.Errorf("adyenfake: an item has no NotificationRequestItem")
		}
		r := Request{Body: it}
		msg := strings.Join([]string{r.Str("pspReference"), r.Str("originalReference"), r.Str("merchantAccountCode"),
			r.Str("merchantReference"), r.Str("amount.value"), r.Str("amount.currency"), r.Str("eventCode"), r.Str("success")}, ":")
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		ad, _ := it["additionalData"].(map[string]any)
		if ad == nil {
			ad = map[string]any{}
			it["additionalData"] = ad
		}
		ad["hmacSignature"] = base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return json.Marshal(doc)
}

// notify queues a notification with one item, signed as Adyen signs it. Called
// with mu held.
func (f *Server) notify(code string, success bool, psp, original, reference string, amt *amount, reason string, extra map[string]string) {
	item := map[string]any{"pspReference": psp, "merchantAccountCode": f.Merchant, "merchantReference": reference,
		"eventCode": code, "eventDate": time.Now().UTC().Format(time.RFC3339), "success": strconv.FormatBool(success),
		"reason": reason, "paymentMethod": "visa"}
	if original != "" {
		item["originalReference"] = original
	}
	if amt != nil {
		item["amount"] = map[string]any{"currency": amt.Currency, "value": amt.Value}
	}
	ad := map[string]any{}
	for k, v := range extra {
		ad[k] = v
	}
	item["additionalData"] = ad
	body, _ := json.Marshal(map[string]any{"live": "false", "notificationItems": []any{map[string]any{"NotificationRequestItem": item}}})
	signed, err := Sign(f.HMACKey, body)
	if err != nil {
		f.t.Errorf("adyenfake: sign notification: %v", err)
		return
	}
	f.outbox.Add(fakepsp.Webhook{Header: http.Header{"Content-Type": {"application/json"}}, Body: signed})
}

// CompleteChallenge plays the shopper finishing 3-D Secure (or the bank page) of
// payment psp; it returns the redirectResult Adyen appends to the return URL.
func (f *Server) CompleteChallenge(psp string, passed bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.completeChallenge(psp, passed)
}

func (f *Server) completeChallenge(psp string, passed bool) string {
	f.seq++
	rr := fmt.Sprintf("Ab02b4c0!BQAB%s%06d%s", psp, f.seq, map[bool]string{true: "Y", false: "N"}[passed])
	f.redirects[rr] = psp
	return rr
}

var reShopper = regexp.MustCompile(`^/(threeDS/redirect|bank)$`)

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if reShopper.MatchString(r.URL.Path) {
		f.shopperPage(w, r)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	bodyErr := dec.Decode(&body)
	path := r.URL.Path
	f.mu.Lock()
	f.requests = append(f.requests, Request{Path: path, Raw: raw, Body: body, Header: r.Header.Clone(), At: time.Now()})
	n := len(f.requests)
	fault := f.fault
	f.mu.Unlock()

	if r.Header.Get("X-API-Key") != f.Key {
		fakepsp.WriteJSON(w, 401, errBody(401, "000", "HTTP Status Response - Unauthorized", "security"))
		return
	}
	if fault != nil && fault(n, w, r) {
		return
	}
	if r.Method != http.MethodPost {
		fakepsp.WriteJSON(w, 405, errBody(405, "000", "Method not allowed", "validation"))
		return
	}
	if bodyErr != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		fakepsp.WriteJSON(w, 400, errBody(400, "702", "Structure of the request is invalid", "validation"))
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 64 {
		// Real Adyen accepts a POST without a key; paymux must never send one.
		fakepsp.WriteJSON(w, 422, errBody(422, "000", "fake: POST without a valid Idempotency-Key", "validation"))
		return
	}
	ft, faulted := f.inject.Take(path == "/payments" || path == "/payments/details" || strings.HasSuffix(path, "/captures"))
	if faulted && fakepsp.Refuse(w, ft, errBody(500, "901", "Internal error", "internal"), errBody(429, "000", "Too many requests", "validation")) {
		return
	}
	fp := path + "?" + string(raw)
	f.mu.Lock()
	if prev, ok := f.idem[key]; ok {
		f.mu.Unlock()
		if prev.status == 0 {
			w.Header().Set("Transient-Error", "true")
			fakepsp.WriteJSON(w, 422, errBody(422, ErrInProgress, "request already processed or in progress", "validation"))
			return
		}
		if prev.fingerprint != fp {
			fakepsp.WriteJSON(w, 422, errBody(422, ErrInProgress, "request already processed or in progress", "validation"))
			return
		}
		write := func() {
			w.Header().Set("Idempotency-Key", key)
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
	status, res := f.route(path, body)
	b, _ := json.Marshal(res)
	f.mu.Lock()
	if status >= 500 {
		delete(f.idem, key) // not stored: a retry runs again
	} else {
		f.idem[key] = idemEntry{fingerprint: fp, status: status, body: b}
	}
	after := f.after
	f.mu.Unlock()
	if after != nil && after(n, w) {
		return
	}
	write := func() {
		w.Header().Set("Idempotency-Key", key)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(b)
	}
	if faulted && fakepsp.Deliver(w, r, ft, write) {
		return
	}
	write()
}

// shopperPage is the issuer's 3-D Secure page (/threeDS/redirect) or the bank's
// page of a redirect method (/bank): GET shows it, POST with action=complete or
// fail answers it and sends the shopper to the payment's returnUrl with a
// redirectResult, by GET or, with PostReturn, by an auto-submitted form.
func (f *Server) shopperPage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.payments[r.URL.Query().Get("psp")]
	if !ok {
		http.Error(w, "no such payment", http.StatusNotFound)
		return
	}
	if r.Method == http.MethodGet {
		fakepsp.ServePage(w, fakepsp.Page{Title: "Adyen test issuer", Text: fmt.Sprintf("Authenticate %d %s", p.Amount, p.Currency),
			Complete: "Authenticate", Fail: "Cancel", Done: p.Status != "redirect"})
		return
	}
	action := r.PostFormValue("action")
	if action != "complete" && action != "fail" {
		http.Error(w, "action must be complete or fail", http.StatusBadRequest)
		return
	}
	rr := f.completeChallenge(p.PSP, action == "complete")
	if f.postReturn {
		fakepsp.ServeAutoPost(w, p.ReturnURL, url.Values{"redirectResult": {rr}})
		return
	}
	http.Redirect(w, r, fakepsp.WithQuery(p.ReturnURL, url.Values{"redirectResult": {rr}}), http.StatusFound)
}

func errBody(status int, code, msg, typ string) map[string]any {
	return map[string]any{"status": status, "errorCode": code, "message": msg, "errorType": typ}
}

var reModification = regexp.MustCompile(`^/payments/([A-Za-z0-9]+)/(captures|cancels|refunds)$`)

func (f *Server) route(path string, body map[string]any) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req := Request{Body: body}
	if path != "/payments/details" && path != "/applePay/sessions" && req.Str("merchantAccount") != f.Merchant {
		return 403, errBody(403, "901", "Invalid Merchant Account", "security")
	}
	switch path {
	case "/payments":
		return f.pay(req)
	case "/payments/details":
		return f.details(req)
	case "/paymentMethods":
		return 200, map[string]any{"paymentMethods": []any{map[string]any{"type": "scheme", "name": "Cards", "brands": []string{"visa", "mc"}}}}
	case "/applePay/sessions":
		session, _ := json.Marshal(map[string]any{"epochTimestamp": 1795000000000, "merchantSessionIdentifier": "SSH" + req.Str("domainName"),
			"displayName": req.Str("displayName"), "domainName": req.Str("domainName"), "merchantIdentifier": req.Str("merchantIdentifier")})
		return 200, map[string]any{"data": base64.StdEncoding.EncodeToString(session)}
	}
	m := reModification.FindStringSubmatch(path)
	if m == nil {
		return 404, errBody(404, "000", "Not found", "validation")
	}
	p, ok := f.payments[m[1]]
	if !ok {
		return 422, errBody(422, "167", "Original pspReference required for this operation", "validation")
	}
	switch m[2] {
	case "captures":
		return f.capture(p, req)
	case "cancels":
		return f.cancel(p, req)
	}
	return f.refund(p, req)
}

func amountOf(req Request) (amount, bool) {
	v, err := strconv.ParseInt(req.Str("amount.value"), 10, 64)
	cur := req.Str("amount.currency")
	return amount{Currency: cur, Value: v}, err == nil && v > 0 && len(cur) == 3
}

func (f *Server) pay(req Request) (int, any) {
	amt, ok := amountOf(req)
	switch {
	case !ok:
		return 422, errBody(422, "100", "Required field 'amount' is not provided.", "validation")
	case req.Str("reference") == "":
		return 422, errBody(422, "130", "Required field 'reference' is not provided.", "validation")
	case req.Str("returnUrl") == "":
		return 422, errBody(422, "14_030", "Return URL is missing.", "validation")
	}
	pm, _ := req.Body["paymentMethod"].(map[string]any)
	pmReq := Request{Body: pm}
	p := &Payment{PSP: f.nextPSP(), Reference: req.Str("reference"), Currency: amt.Currency, Amount: amt.Value,
		ReturnURL: req.Str("returnUrl"), Manual: req.Str("additionalData.manualCapture") == "true", Metadata: map[string]string{}}
	if md, ok := req.Body["metadata"].(map[string]any); ok {
		for k, v := range md {
			p.Metadata[k], _ = v.(string)
		}
	}
	res := map[string]any{"pspReference": p.PSP, "merchantReference": p.Reference}
	switch typ := pmReq.Str("type"); typ {
	case "scheme":
		number := strings.TrimPrefix(pmReq.Str("encryptedCardNumber"), "test_")
		c, ok := cards[number]
		if !ok || !strings.HasPrefix(pmReq.Str("encryptedCardNumber"), "test_") {
			return 422, errBody(422, "101", "Invalid card number", "validation")
		}
		p.Type, p.Brand, p.Summary = "scheme", c.brand, c.summary
		res["paymentMethod"] = map[string]any{"type": "scheme", "brand": c.brand}
		res["additionalData"] = map[string]any{"cardSummary": c.summary, "paymentMethod": c.brand}
		if rf, ok := refusals[pmReq.Str("holderName")]; ok {
			p.Status = "refused"
			f.payments[p.PSP] = p
			res["resultCode"], res["refusalReasonCode"], res["refusalReason"] = "Refused", rf[0], rf[1]
			res["additionalData"].(map[string]any)["refusalReasonRaw"] = rf[2]
			f.notify("AUTHORISATION", false, p.PSP, "", p.Reference, &amt, rf[1], map[string]string{"refusalReasonRaw": rf[2]})
			return 200, res
		}
		if pmReq.Str("holderName") == "ERROR" {
			res["resultCode"], res["refusalReason"] = "Error", "Acquirer Error"
			return 200, res
		}
		if c.threeDS {
			f.payments[p.PSP] = p
			p.Status = "redirect"
			if req.Str("authenticationData.threeDSRequestData.nativeThreeDS") != "disabled" {
				// Native 3-D Secure 2: only Adyen's JavaScript can go on.
				res["resultCode"] = "IdentifyShopper"
				res["action"] = map[string]any{"type": "threeDS2", "subtype": "fingerprint", "token": "eyJ0aHJlZURT", "paymentMethodType": "scheme"}
				return 200, res
			}
			res["resultCode"] = "RedirectShopper"
			res["action"] = map[string]any{"type": "redirect", "method": "GET", "paymentMethodType": "scheme",
				"url": f.srv.URL + "/threeDS/redirect?psp=" + p.PSP}
			return 200, res
		}
	case "applepay", "googlepay":
		if pmReq.Str(map[string]string{"applepay": "applePayToken", "googlepay": "googlePayToken"}[typ]) == "" {
			return 422, errBody(422, "14_010", "Missing wallet token", "validation")
		}
		p.Type, p.Brand, p.Summary = typ, "mc", "0005"
		res["paymentMethod"] = map[string]any{"type": typ, "brand": "mc"}
		res["additionalData"] = map[string]any{"cardSummary": "0005", "paymentMethodVariant": "mc_" + typ}
	case "ideal":
		p.Type, p.Status = "ideal", "redirect"
		f.payments[p.PSP] = p
		res["resultCode"] = "RedirectShopper"
		res["action"] = map[string]any{"type": "redirect", "method": "GET", "paymentMethodType": "ideal", "url": f.srv.URL + "/bank?psp=" + p.PSP}
		return 200, res
	case "sepadirectdebit":
		p.Type, p.Status = typ, "received"
		f.payments[p.PSP] = p
		res["resultCode"] = "Received"
		return 200, res
	default:
		return 422, errBody(422, "14_019", "Invalid payment method type: "+typ, "validation")
	}
	f.authorise(p)
	res["resultCode"] = "Authorised"
	res["amount"] = map[string]any{"currency": amt.Currency, "value": amt.Value}
	return 200, res
}

// authorise marks p authorised (and captured unless manual) and notifies. Called
// with mu held.
func (f *Server) authorise(p *Payment) {
	f.payments[p.PSP] = p
	p.Status = "authorised"
	if !p.Manual {
		p.Captured = p.Amount
	}
	extra := map[string]string{"cardSummary": p.Summary}
	for k, v := range p.Metadata {
		extra["metadata."+k] = v
	}
	f.notify("AUTHORISATION", true, p.PSP, "", p.Reference, &amount{Currency: p.Currency, Value: p.Amount}, "", extra)
}

func (f *Server) details(req Request) (int, any) {
	rr := req.Str("details.redirectResult")
	psp, ok := f.redirects[rr]
	if !ok {
		return 422, errBody(422, "14_002", "Invalid redirectResult", "validation")
	}
	delete(f.redirects, rr) // a redirectResult is good for one call; idempotency replays it
	p := f.payments[psp]
	res := map[string]any{"pspReference": p.PSP, "merchantReference": p.Reference}
	if p.Status != "redirect" {
		return 422, errBody(422, "14_002", "Payment already finalised", "validation")
	}
	if strings.HasSuffix(rr, "N") {
		p.Status = "refused"
		res["resultCode"], res["refusalReasonCode"], res["refusalReason"] = "Refused", "11", "3D Not Authenticated"
		f.notify("AUTHORISATION", false, p.PSP, "", p.Reference, &amount{Currency: p.Currency, Value: p.Amount}, "3D Not Authenticated", nil)
		return 200, res
	}
	f.authorise(p)
	res["resultCode"] = "Authorised"
	if p.Type == "scheme" {
		res["paymentMethod"] = map[string]any{"type": "scheme", "brand": p.Brand}
		res["additionalData"] = map[string]any{"cardSummary": p.Summary}
	} else {
		res["paymentMethod"] = map[string]any{"type": p.Type}
	}
	return 200, res
}

func (f *Server) modificationAnswer(p *Payment, req Request, psp string, amt *amount) map[string]any {
	res := map[string]any{"merchantAccount": f.Merchant, "paymentPspReference": p.PSP, "pspReference": psp, "status": "received"}
	if ref := req.Str("reference"); ref != "" {
		res["reference"] = ref
	}
	if amt != nil {
		res["amount"] = map[string]any{"currency": amt.Currency, "value": amt.Value}
	}
	return res
}

func (f *Server) capture(p *Payment, req Request) (int, any) {
	amt, ok := amountOf(req)
	if !ok || amt.Currency != p.Currency {
		return 422, errBody(422, "137", "Invalid amount specified", "validation")
	}
	psp := f.nextPSP()
	ref := req.Str("reference")
	if p.Status != "authorised" || !p.Manual || amt.Value > p.Amount-p.Captured {
		f.notify("CAPTURE_FAILED", true, psp, p.PSP, ref, &amt, "Capture Failed", nil)
		return 201, f.modificationAnswer(p, req, psp, &amt)
	}
	if reason := f.failCapture; reason != "" {
		f.failCapture = ""
		f.notify("CAPTURE_FAILED", true, psp, p.PSP, ref, &amt, reason, nil)
		return 201, f.modificationAnswer(p, req, psp, &amt)
	}
	p.Captured += amt.Value
	f.notify("CAPTURE", true, psp, p.PSP, ref, &amt, "", nil)
	return 201, f.modificationAnswer(p, req, psp, &amt)
}

func (f *Server) cancel(p *Payment, req Request) (int, any) {
	psp := f.nextPSP()
	if p.Status != "authorised" || p.Captured > 0 {
		f.notify("CANCELLATION", false, psp, p.PSP, req.Str("reference"), nil, "Transaction not cancellable", nil)
		return 201, f.modificationAnswer(p, req, psp, nil)
	}
	p.Status = "cancelled"
	f.notify("CANCELLATION", true, psp, p.PSP, req.Str("reference"), nil, "", nil)
	return 201, f.modificationAnswer(p, req, psp, nil)
}

func (f *Server) refund(p *Payment, req Request) (int, any) {
	amt, ok := amountOf(req)
	if !ok || amt.Currency != p.Currency {
		return 422, errBody(422, "137", "Invalid amount specified", "validation")
	}
	if r := req.Str("merchantRefundReason"); r != "" && r != "FRAUD" && r != "CUSTOMER REQUEST" && r != "RETURN" && r != "DUPLICATE" && r != "OTHER" {
		return 422, errBody(422, "000", "Invalid merchantRefundReason", "validation")
	}
	psp := f.nextPSP()
	ref := req.Str("reference")
	extra := map[string]string{"originalMerchantReference": p.Reference}
	if amt.Value > p.Captured-p.Refunded {
		f.notify("REFUND", false, psp, p.PSP, ref, &amt, "Insufficient balance on payment", extra)
		return 201, f.modificationAnswer(p, req, psp, &amt)
	}
	p.Refunded += amt.Value
	f.refunds[psp] = refund{payment: p.PSP, reference: ref, amt: amt}
	f.notify("REFUND", true, psp, p.PSP, ref, &amt, "", extra)
	return 201, f.modificationAnswer(p, req, psp, &amt)
}
