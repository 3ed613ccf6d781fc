package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/provider"
)

// maxBody bounds what is read of one Stripe answer.
const maxBody = 4 << 20

// client speaks Stripe's v1 API: form-encoded requests, JSON answers, Bearer auth,
// a pinned Stripe-Version, an Idempotency-Key on every POST, and retries with that
// same key after failures Stripe documents as safe to retry.
type client struct {
	base  string
	key   string
	opts  Options
	retry provider.RetryPolicy
	log   *slog.Logger
}

func newClient(cfg config, opts Options) *client {
	return &client{base: cfg.baseURL, key: cfg.secretKey, opts: opts,
		retry: opts.RetryPolicy(),
		log:   opts.Logger.With("provider", Name, "connection", cfg.connectionID)}
}

// form is an ordered list of form fields in Stripe's bracket notation
// (metadata[paymux_payment_id]=…, expand[]=…). The order is kept so that a retry
// sends byte-identical parameters, as Stripe's idempotency check requires.
type form struct{ keys, vals []string }

func (f *form) add(k, v string) *form {
	f.keys, f.vals = append(f.keys, k), append(f.vals, v)
	return f
}

// addIf adds the field only when v is not empty.
func (f *form) addIf(k, v string) *form {
	if v == "" {
		return f
	}
	return f.add(k, v)
}

func (f *form) encode() string {
	var b strings.Builder
	for i, k := range f.keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.vals[i]))
	}
	return b.String()
}

// maxIdempotencyKey is the longest Idempotency-Key Stripe takes.
const maxIdempotencyKey = 255

// idempotencyKey derives the key sent to Stripe from paymux's key for the
// operation. Stripe keeps keys for 24 hours per account and mode.
func idempotencyKey(op, key string) string {
	return provider.IdempotencyKey(op, key, maxIdempotencyKey)
}

// stripeError is the body of a Stripe error answer: {"error":{…}}.
type stripeError struct {
	Type          string         `json:"type"`
	Code          string         `json:"code"`
	DeclineCode   string         `json:"decline_code"`
	Message       string         `json:"message"`
	Param         string         `json:"param"`
	PaymentIntent *paymentIntent `json:"payment_intent"`
	PaymentMethod *paymentMethod `json:"payment_method"`
}

// callError is a failed call, before it is classified for the engine.
type callError struct {
	method    string
	path      string
	status    int          // 0 when no answer was read
	se        *stripeError // the decoded error body, if any
	requestID string
	sent      bool // this attempt's request was written in full
	// ambiguous: this or an earlier attempt was sent and got no conclusive answer
	// (connection lost, 5xx, unreadable 2xx), so it may have taken effect.
	ambiguous bool
	err       error
}

// inconclusive reports whether this attempt may have acted without paymux
// learning how.
func (e *callError) inconclusive() bool {
	return (e.status == 0 && e.sent) || e.status >= 500 || (e.status >= 200 && e.status < 300)
}

func (e *callError) Error() string {
	switch {
	case e.err == nil:
		return fmt.Sprintf("%s %s: HTTP %d", e.method, e.path, e.status)
	case e.status != 0:
		return fmt.Sprintf("%s %s: HTTP %d: %v", e.method, e.path, e.status, e.err)
	}
	return fmt.Sprintf("%s %s: %v", e.method, e.path, e.err)
}

func (e *callError) Unwrap() error { return e.err }

// code is Stripe's most specific code for the failure.
func (e *callError) code() string {
	if e.se == nil {
		return ""
	}
	for _, c := range []string{e.se.DeclineCode, e.se.Code, e.se.Type} {
		if c != "" {
			return c
		}
	}
	return ""
}

// providerError classifies a failed call: Uncertain when a POST may have taken
// effect without paymux learning the answer (connection reset or timeout after
// sending, an unreadable success, or a 5xx, whose result Stripe documents as
// indeterminate, in the last attempt or an earlier one that a 409 or 429 then
// left unresolved); Temporary for network failures, 409, 429 and 5xx, which a
// retry with the same idempotency key may fix; other 4xx are conclusive and
// permanent (after an inconclusive attempt, Stripe replays that attempt's result
// under the same key).
func providerError(err error) error {
	var ce *callError
	if !errors.As(err, &ce) {
		return err
	}
	post := ce.method == http.MethodPost
	pe := &provider.Error{Provider: Name, Code: ce.code(), Err: ce}
	switch {
	case ce.status == 0:
		// No answer: refused before sending (dial, DNS, TLS) or lost after it.
		pe.Uncertain, pe.Temporary = post && ce.ambiguous, true
		pe.Code = "network_error"
		if errors.Is(ce.err, context.DeadlineExceeded) {
			pe.Code = "timeout"
		}
		pe.Message = "Stripe could not be reached"
		if pe.Uncertain {
			pe.Message = "the connection to Stripe failed after the request was sent; it may have taken effect"
		}
	case ce.status >= 200 && ce.status < 300:
		pe.Uncertain, pe.Temporary = post, true
		pe.Code = "invalid_response"
		pe.Message = "Stripe's answer could not be read"
	case ce.status >= 500:
		pe.Uncertain, pe.Temporary = post, true
		pe.Message = fmt.Sprintf("Stripe had an internal error (HTTP %d)", ce.status)
	case ce.status == http.StatusTooManyRequests:
		pe.Uncertain, pe.Temporary = post && ce.ambiguous, true
		pe.Message = "Stripe is rate limiting this account (HTTP 429); retry shortly"
	case ce.status == http.StatusConflict:
		pe.Uncertain, pe.Temporary = post && ce.ambiguous, true
		pe.Message = "another request with the same idempotency key is still running at Stripe (HTTP 409)"
	default:
		pe.Message = fmt.Sprintf("Stripe refused the request (HTTP %d)", ce.status)
	}
	if ce.se != nil && ce.se.Message != "" {
		pe.Message = ce.se.Message
	}
	if pe.Code == "" {
		pe.Code = "api_error"
	}
	if ce.requestID != "" {
		pe.Message += " (Stripe request " + ce.requestID + ")"
	}
	return pe
}

// get calls a GET endpoint; q may be nil.
func (c *client) get(ctx context.Context, path string, q *form, out any) error {
	return c.do(ctx, http.MethodGet, path, q, "", out)
}

// post calls a POST endpoint with the given idempotency key.
func (c *client) post(ctx context.Context, path string, f *form, idemKey string, out any) error {
	return c.do(ctx, http.MethodPost, path, f, idemKey, out)
}

// do sends one call, retrying as Options say. It returns nil with out decoded, or
// a *callError.
func (c *client) do(ctx context.Context, method, path string, f *form, idemKey string, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	if f == nil {
		f = &form{}
	}
	enc := f.encode()
	ambiguous := false
	for attempt := 0; ; attempt++ {
		ce, wait := c.attempt(ctx, method, path, enc, idemKey, attempt, out)
		if ce == nil {
			return nil
		}
		ambiguous = ambiguous || ce.inconclusive()
		ce.ambiguous = ambiguous
		if !c.retry.Allowed(ctx, attempt, wait) {
			return ce
		}
		c.log.Warn("stripe call failed; retrying with the same idempotency key",
			"method", method, "path", path, "status", ce.status, "attempt", attempt+1, "wait", wait, "err", ce.code())
		if !provider.Sleep(ctx, wait) {
			return ce
		}
	}
}

// attempt sends the request once. It returns nil on success; otherwise the
// failure and how long to wait before a retry (negative: do not retry).
func (c *client) attempt(ctx context.Context, method, path, enc, idemKey string, n int, out any) (*callError, time.Duration) {
	target := c.base + path
	var body io.Reader
	if method == http.MethodGet {
		if enc != "" {
			target += "?" + enc
		}
	} else {
		body = strings.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return &callError{method: method, path: path, err: err}, -1
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Stripe-Version", APIVersion)
	req.Header.Set("User-Agent", "paymux-stripe/1")
	req.Header.Set("Accept", "application/json")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", idemKey)
	}
	x := provider.Send(c.opts.HTTPClient, req, maxBody)
	reqID := x.Header.Get("Request-Id")
	if x.Err != nil {
		c.log.Debug("stripe request", "method", method, "path", path, "request_id", reqID, "attempt", n+1, "duration", x.Duration, "err", "network")
		return &callError{method: method, path: path, sent: x.Sent, requestID: reqID, err: provider.Scrub(x.Err, c.key)}, c.retry.Delay(n)
	}
	c.log.Debug("stripe request", "method", method, "path", path, "status", x.Status,
		"request_id", reqID, "attempt", n+1, "duration", x.Duration)
	raw := x.Body
	if x.Status >= 200 && x.Status < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return &callError{method: method, path: path, status: x.Status, sent: true, requestID: reqID,
				err: fmt.Errorf("decode Stripe's answer: %w", err)}, -1
		}
		return nil, 0
	}
	ce := &callError{method: method, path: path, status: x.Status, sent: true, requestID: reqID}
	var env struct {
		Error *stripeError `json:"error"`
	}
	if json.Unmarshal(raw, &env) == nil && env.Error != nil {
		ce.se = env.Error
	} else {
		ce.err = fmt.Errorf("unreadable error body (%d bytes)", len(raw))
	}
	return ce, c.retryWait(x.Header, ce, n)
}

// retryWait decides whether an error answer may be retried, the way Stripe's own
// libraries do: as Stripe-Should-Retry says if present, else on 409, 429 and 5xx.
func (c *client) retryWait(h http.Header, ce *callError, n int) time.Duration {
	switch h.Get("Stripe-Should-Retry") {
	case "false":
		return -1
	case "true":
	default:
		if ce.status != http.StatusConflict && ce.status != http.StatusTooManyRequests && ce.status < 500 {
			return -1
		}
	}
	return c.retry.Wait(h, n)
}
