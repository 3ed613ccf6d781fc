package adyen

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAdyen is an in-process, stateful Adyen Checkout API that follows Adyen's
// documented behaviour for the flows the connector uses: /payments with Adyen's test
// cards (unencrypted test_ values, refusals chosen by holder name), 3-D Secure 2
// through the redirect flow only when nativeThreeDS is disabled, /payments/details
// with the redirectResult of a completed challenge, asynchronous captures, cancels
// and refunds answered "received" and settled by notifications, idempotency keys
// that replay the first answer (with the Idempotency-Key header) and answer 704 to
// a key in progress (Transient-Error) or reused with another body, 401 for a wrong
// X-API-Key and 403 for another merchant account. Its notifications are signed with
// hmacKey. Faults the real thing produces only rarely are injected with fault.
type fakeAdyen struct {
	t        *testing.T
	srv      *httptest.Server
	key      string
	merchant string
	hmacKey  string

	mu            sync.Mutex
	seq           int
	payments      map[string]*fakePayment // by pspReference
	redirects     map[string]string       // redirectResult → pspReference
	idem          map[string]idemEntry
	requests      []fakeRequest
	notifications [][]byte
	// fault, when set, sees every request first (n counts from 1) and may answer it
	// itself by returning true. It runs without mu held.
	fault func(n int, w http.ResponseWriter, r *http.Request) bool
	// afterExecute, when set, runs after a request was executed and its answer stored
	// under the idempotency key, and may take over the connection (e.g. reset it).
	afterExecute func(n int, w http.ResponseWriter) bool
}

type fakeRequest struct {
	Path   string
	Raw    []byte
	Body   map[string]any
	Header http.Header
	At     time.Time
}

// str reads a string at a dotted path of the request body ("amount.currency").
func (r fakeRequest) str(path string) string {
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

type fakePayment struct {
	PSP, Reference, Currency string
	Amount                   int64
	Captured, Refunded       int64
	Manual                   bool
	Status                   string // redirect, authorised, refused, cancelled, received
	Brand, Type, Summary     string
	Metadata                 map[string]string
}

// fakeCard is what one of Adyen's test card numbers does.
type fakeCard struct {
	brand, summary string
	threeDS        bool
}

var fakeCards = map[string]fakeCard{
	"4111111111111111": {brand: "visa", summary: "1111"},
	"5555555555554444": {brand: "mc", summary: "4444"},
	"4917610000000000": {brand: "visa", summary: "0000", threeDS: true},
}

// fakeRefusals are the holder names that trigger refusals in Adyen's test
// environment, with the refusal they give.
var fakeRefusals = map[string][3]string{
	"DECLINED":           {"2", "Refused", "DECLINED"},
	"NOT_ENOUGH_BALANCE": {"12", "Not enough balance", "51 : Insufficient funds"},
	"CARD_EXPIRED":       {"6", "Expired Card", "54 : Expired card"},
	"CVC_DECLINED":       {"24", "CVC Declined", ""},
}

func newFakeAdyen(t *testing.T) *fakeAdyen {
	t.Helper()
	f := &fakeAdyen{t: t, key: "AQEfake" + strconv.FormatInt(time.Now().UnixNano(), 36) + "KEY", merchant: testMerchant,
		hmacKey: testHMACKey, payments: map[string]*fakePayment{}, redirects: map[string]string{}, idem: map[string]idemEntry{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAdyen) nextPSP() string {
	f.seq++
	return fmt.Sprintf("FAKE%012d", f.seq)
}

// requestsTo lists the recorded requests to path (all paths when empty).
func (f *fakeAdyen) requestsTo(path string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeAdyen) payment(psp string) fakePayment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.payments[psp]
}

func (f *fakeAdyen) paymentCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.payments)
}

func (f *fakeAdyen) setFault(h func(n int, w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = h
}

func (f *fakeAdyen) setAfterExecute(h func(n int, w http.ResponseWriter) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.afterExecute = h
}

// takeNotifications returns the signed notifications sent since the last call.
func (f *fakeAdyen) takeNotifications() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.notifications
	f.notifications = nil
	return out
}

// notify queues a notification with one item, signed as Adyen signs it. Called
// with mu held.
func (f *fakeAdyen) notify(code string, success bool, psp, original, reference string, amt *amount, reason string, extra map[string]string) {
	item := map[string]any{"pspReference": psp, "merchantAccountCode": f.merchant, "merchantReference": reference,
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
	signed, err := SignNotification(f.hmacKey, body)
	if err != nil {
		f.t.Errorf("fake: sign notification: %v", err)
		return
	}
	f.notifications = append(f.notifications, signed)
}

// completeChallenge plays the shopper finishing 3-D Secure (or the bank page) of
// payment psp; it returns the redirectResult Adyen appends to the return URL.
func (f *fakeAdyen) completeChallenge(psp string, passed bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rr := fmt.Sprintf("Ab02b4c0!BQAB%s%s", psp, map[bool]string{true: "Y", false: "N"}[passed])
	f.redirects[rr] = psp
	return rr
}

func (f *fakeAdyen) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	bodyErr := dec.Decode(&body)
	path := r.URL.Path
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{Path: path, Raw: raw, Body: body, Header: r.Header.Clone(), At: time.Now()})
	n := len(f.requests)
	fault := f.fault
	f.mu.Unlock()

	if r.Header.Get("X-API-Key") != f.key {
		writeJSON(w, 401, errBody(401, "000", "HTTP Status Response - Unauthorized", "security"))
		return
	}
	if fault != nil && fault(n, w, r) {
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, 405, errBody(405, "000", "Method not allowed", "validation"))
		return
	}
	if bodyErr != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, 400, errBody(400, "702", "Structure of the request is invalid", "validation"))
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 64 {
		// Real Adyen accepts a POST without a key; paymux must never send one.
		writeJSON(w, 422, errBody(422, "000", "fake: POST without a valid Idempotency-Key", "validation"))
		return
	}
	fp := path + "?" + string(raw)
	f.mu.Lock()
	if prev, ok := f.idem[key]; ok {
		f.mu.Unlock()
		if prev.status == 0 {
			w.Header().Set("Transient-Error", "true")
			writeJSON(w, 422, errBody(422, errInProgress, "request already processed or in progress", "validation"))
			return
		}
		if prev.fingerprint != fp {
			writeJSON(w, 422, errBody(422, errInProgress, "request already processed or in progress", "validation"))
			return
		}
		w.Header().Set("Idempotency-Key", key)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(prev.status)
		w.Write(prev.body)
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
	after := f.afterExecute
	f.mu.Unlock()
	if after != nil && after(n, w) {
		return
	}
	w.Header().Set("Idempotency-Key", key)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func errBody(status int, code, msg, typ string) map[string]any {
	return map[string]any{"status": status, "errorCode": code, "message": msg, "errorType": typ}
}

var reModification = regexp.MustCompile(`^/payments/([A-Za-z0-9]+)/(captures|cancels|refunds)$`)

func (f *fakeAdyen) route(path string, body map[string]any) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req := fakeRequest{Body: body}
	if path != "/payments/details" && path != "/applePay/sessions" && req.str("merchantAccount") != f.merchant {
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
		session, _ := json.Marshal(map[string]any{"epochTimestamp": 1795000000000, "merchantSessionIdentifier": "SSH" + req.str("domainName"),
			"displayName": req.str("displayName"), "domainName": req.str("domainName"), "merchantIdentifier": req.str("merchantIdentifier")})
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

func (f *fakeAdyen) amountOf(req fakeRequest) (amount, bool) {
	v, err := strconv.ParseInt(req.str("amount.value"), 10, 64)
	cur := req.str("amount.currency")
	return amount{Currency: cur, Value: v}, err == nil && v > 0 && len(cur) == 3
}

func (f *fakeAdyen) pay(req fakeRequest) (int, any) {
	amt, ok := f.amountOf(req)
	switch {
	case !ok:
		return 422, errBody(422, "100", "Required field 'amount' is not provided.", "validation")
	case req.str("reference") == "":
		return 422, errBody(422, "130", "Required field 'reference' is not provided.", "validation")
	case req.str("returnUrl") == "":
		return 422, errBody(422, "14_030", "Return URL is missing.", "validation")
	}
	pm, _ := req.Body["paymentMethod"].(map[string]any)
	pmReq := fakeRequest{Body: pm}
	p := &fakePayment{PSP: f.nextPSP(), Reference: req.str("reference"), Currency: amt.Currency, Amount: amt.Value,
		Manual: req.str("additionalData.manualCapture") == "true", Metadata: map[string]string{}}
	if md, ok := req.Body["metadata"].(map[string]any); ok {
		for k, v := range md {
			p.Metadata[k], _ = v.(string)
		}
	}
	res := map[string]any{"pspReference": p.PSP, "merchantReference": p.Reference}
	switch typ := pmReq.str("type"); typ {
	case "scheme":
		number := strings.TrimPrefix(pmReq.str("encryptedCardNumber"), "test_")
		card, ok := fakeCards[number]
		if !ok || !strings.HasPrefix(pmReq.str("encryptedCardNumber"), "test_") {
			return 422, errBody(422, "101", "Invalid card number", "validation")
		}
		p.Type, p.Brand, p.Summary = "scheme", card.brand, card.summary
		res["paymentMethod"] = map[string]any{"type": "scheme", "brand": card.brand}
		res["additionalData"] = map[string]any{"cardSummary": card.summary, "paymentMethod": card.brand}
		if rf, ok := fakeRefusals[pmReq.str("holderName")]; ok {
			p.Status = "refused"
			f.payments[p.PSP] = p
			res["resultCode"], res["refusalReasonCode"], res["refusalReason"] = "Refused", rf[0], rf[1]
			res["additionalData"].(map[string]any)["refusalReasonRaw"] = rf[2]
			f.notify("AUTHORISATION", false, p.PSP, "", p.Reference, &amt, rf[1], map[string]string{"refusalReasonRaw": rf[2]})
			return 200, res
		}
		if pmReq.str("holderName") == "ERROR" {
			res["resultCode"], res["refusalReason"] = "Error", "Acquirer Error"
			return 200, res
		}
		if card.threeDS {
			f.payments[p.PSP] = p
			p.Status = "redirect"
			if req.str("authenticationData.threeDSRequestData.nativeThreeDS") != "disabled" {
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
		if pmReq.str(map[string]string{"applepay": "applePayToken", "googlepay": "googlePayToken"}[typ]) == "" {
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
func (f *fakeAdyen) authorise(p *fakePayment) {
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

func (f *fakeAdyen) details(req fakeRequest) (int, any) {
	rr := req.str("details.redirectResult")
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

func (f *fakeAdyen) modificationAnswer(p *fakePayment, req fakeRequest, psp string, amt *amount) map[string]any {
	res := map[string]any{"merchantAccount": f.merchant, "paymentPspReference": p.PSP, "pspReference": psp, "status": "received"}
	if ref := req.str("reference"); ref != "" {
		res["reference"] = ref
	}
	if amt != nil {
		res["amount"] = map[string]any{"currency": amt.Currency, "value": amt.Value}
	}
	return res
}

func (f *fakeAdyen) capture(p *fakePayment, req fakeRequest) (int, any) {
	amt, ok := f.amountOf(req)
	if !ok || amt.Currency != p.Currency {
		return 422, errBody(422, "137", "Invalid amount specified", "validation")
	}
	psp := f.nextPSP()
	ref := req.str("reference")
	if p.Status != "authorised" || !p.Manual || amt.Value > p.Amount-p.Captured {
		f.notify("CAPTURE_FAILED", true, psp, p.PSP, ref, &amt, "Capture Failed", nil)
		return 201, f.modificationAnswer(p, req, psp, &amt)
	}
	p.Captured += amt.Value
	f.notify("CAPTURE", true, psp, p.PSP, ref, &amt, "", nil)
	return 201, f.modificationAnswer(p, req, psp, &amt)
}

func (f *fakeAdyen) cancel(p *fakePayment, req fakeRequest) (int, any) {
	psp := f.nextPSP()
	if p.Status != "authorised" || p.Captured > 0 {
		f.notify("CANCELLATION", false, psp, p.PSP, req.str("reference"), nil, "Transaction not cancellable", nil)
		return 201, f.modificationAnswer(p, req, psp, nil)
	}
	p.Status = "cancelled"
	f.notify("CANCELLATION", true, psp, p.PSP, req.str("reference"), nil, "", nil)
	return 201, f.modificationAnswer(p, req, psp, nil)
}

func (f *fakeAdyen) refund(p *fakePayment, req fakeRequest) (int, any) {
	amt, ok := f.amountOf(req)
	if !ok || amt.Currency != p.Currency {
		return 422, errBody(422, "137", "Invalid amount specified", "validation")
	}
	if r := req.str("merchantRefundReason"); r != "" && r != "FRAUD" && r != "CUSTOMER REQUEST" && r != "RETURN" && r != "DUPLICATE" && r != "OTHER" {
		return 422, errBody(422, "000", "Invalid merchantRefundReason", "validation")
	}
	psp := f.nextPSP()
	ref := req.str("reference")
	extra := map[string]string{"originalMerchantReference": p.Reference}
	if amt.Value > p.Captured-p.Refunded {
		f.notify("REFUND", false, psp, p.PSP, ref, &amt, "Insufficient balance on payment", extra)
		return 201, f.modificationAnswer(p, req, psp, &amt)
	}
	p.Refunded += amt.Value
	f.notify("REFUND", true, psp, p.PSP, ref, &amt, "", extra)
	return 201, f.modificationAnswer(p, req, psp, &amt)
}
