// Package fakepsp holds what the stateful provider fakes (stripefake, paypalfake,
// adyenfake) share: faults injected into the request that moves money, the
// outbox of signed webhooks a fake "sends", the shopper's challenge and approval
// pages, and small HTTP helpers. It is test-support code: it imports nothing of
// paymux but the standard library, so the connector packages' own tests can use the
// fakes without an import cycle.
package fakepsp

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// FaultKind is a failure the real provider produces only rarely.
type FaultKind string

// Faults a fake can inject into the request that moves money (a charge, an
// authorisation, a capture on the shopper's return).
const (
	// Timeout: the provider executes the request, then answers only after Hold,
	// past the caller's deadline.
	Timeout FaultKind = "timeout"
	// Error500: the provider's front answers 500 without executing anything, as a
	// load balancer in trouble does.
	Error500 FaultKind = "500"
	// RateLimit429: the provider answers 429 with Retry-After: 1 without executing.
	RateLimit429 FaultKind = "429"
	// Malformed: the provider executes the request, then answers 200 with a body
	// that is not JSON.
	Malformed FaultKind = "malformed"
	// Reset: the provider executes the request, then the connection is reset
	// before any answer.
	Reset FaultKind = "reset"
)

// Fault is a fault to inject into the next money-moving requests.
type Fault struct {
	Kind FaultKind
	// Times is how many such requests fail: 0 means one, negative means every one
	// until Clear.
	Times int
	// Hold is how long a Timeout holds the answer; 0 means 30 s (the caller hangs
	// up first).
	Hold time.Duration
	// Everywhere applies the fault to every API request, not only those that move
	// money: the provider is down (with Error500) or throttling everything.
	Everywhere bool
}

// Executes reports whether the provider acts on the request before the fault
// (timeout, malformed answer, reset) or not at all (500, 429).
func (k FaultKind) Executes() bool { return k == Timeout || k == Malformed || k == Reset }

// Injector hands out a fault to the requests it applies to. The zero value injects
// nothing.
type Injector struct {
	mu   sync.Mutex
	f    Fault
	left int // negative: unlimited
	hits int
}

// Set arms f.
func (in *Injector) Set(f Fault) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.f, in.left = f, f.Times
	if f.Times == 0 {
		in.left = 1
	}
}

// Clear disarms any fault.
func (in *Injector) Clear() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.f, in.left = Fault{}, 0
}

// Take returns the fault for the request at hand, if one is armed for it (every
// request with Everywhere, else only those that move money), and counts it.
func (in *Injector) Take(movesMoney bool) (Fault, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.f.Kind == "" || in.left == 0 || !(movesMoney || in.f.Everywhere) {
		return Fault{}, false
	}
	if in.left > 0 {
		in.left--
	}
	in.hits++
	return in.f, true
}

// Hits counts the requests a fault was injected into.
func (in *Injector) Hits() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.hits
}

// Refuse answers a request a 500 or 429 fault hits, before anything is executed,
// with the provider's error body for that status. It reports false for the other
// kinds, which the fake injects after executing (Deliver).
func Refuse(w http.ResponseWriter, f Fault, body500, body429 any) bool {
	switch f.Kind {
	case Error500:
		WriteJSON(w, http.StatusInternalServerError, body500)
	case RateLimit429:
		w.Header().Set("Retry-After", "1")
		WriteJSON(w, http.StatusTooManyRequests, body429)
	default:
		return false
	}
	return true
}

// Deliver answers an executed request that a fault hits instead of its real answer:
// Timeout holds it (until Hold passes or the caller hangs up) and then sends it,
// Malformed sends 200 with a body that is not JSON, Reset resets the connection.
// It reports false for the kinds that do not execute.
func Deliver(w http.ResponseWriter, r *http.Request, f Fault, write func()) bool {
	switch f.Kind {
	case Timeout:
		hold := f.Hold
		if hold <= 0 {
			hold = 30 * time.Second
		}
		t := time.NewTimer(hold)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
			write()
		}
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"id":"truncated","status":`))
	case Reset:
		ResetConn(w)
	default:
		return false
	}
	return true
}

// ResetConn takes over the connection and closes it without an answer, as a
// network failure after the request arrived would (with an RST rather than a FIN).
func ResetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fakepsp: the response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Webhook is a signed notification a fake would have sent, as HTTP header and body.
type Webhook struct {
	Header http.Header
	Body   []byte
}

// Outbox collects the webhooks a fake sends, for the test to deliver (or not, or
// twice, or out of order).
type Outbox struct {
	mu  sync.Mutex
	out []Webhook
}

// Add queues a webhook.
func (o *Outbox) Add(w Webhook) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.out = append(o.out, w)
}

// Take returns the webhooks queued since the last call.
func (o *Outbox) Take() []Webhook {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.out
	o.out = nil
	return out
}

var challengePage = template.Must(template.New("challenge").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Done}}<p id="state">Already answered.</p>{{else}}
<form method="post"><button id="complete" name="action" value="complete">{{.Complete}}</button>
<button id="fail" name="action" value="fail">{{.Fail}}</button></form>{{end}}
</body></html>`))

// Page is a shopper's page at the provider: a 3-D Secure challenge, or an approval
// page. It shows a form that posts action=complete or action=fail back to itself.
type Page struct {
	Title, Text    string
	Complete, Fail string // button labels
	Done           bool   // already answered: no buttons
}

// ServePage writes p.
func ServePage(w http.ResponseWriter, p Page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = challengePage.Execute(w, p)
}

var postPage = template.Must(template.New("post").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Returning to the shop</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="{{.Action}}">
{{range $k, $vs := .Fields}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<noscript><button>Continue</button></noscript></form></body></html>`))

// ServeAutoPost writes a page that posts fields to action as soon as it loads: how
// a provider sends the shopper back with a POST (Adyen's 3-D Secure 1 MD/PaRes,
// some redirect methods).
func ServeAutoPost(w http.ResponseWriter, action string, fields url.Values) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = postPage.Execute(w, map[string]any{"Action": action, "Fields": fields})
}

// WithQuery returns raw with the parameters added to its query.
func WithQuery(raw string, params url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
