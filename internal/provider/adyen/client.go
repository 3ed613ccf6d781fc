package adyen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/provider"
)

// maxBody bounds what is read of one Adyen answer.
const maxBody = 4 << 20

// maxIdempotencyKey is the longest Idempotency-Key Adyen takes.
const maxIdempotencyKey = 64

// client speaks Adyen's Checkout API: JSON requests and answers, the X-API-Key
// header, an Idempotency-Key on every POST, and retries with that same key after
// failures Adyen documents as safe to retry.
type client struct {
	base  string
	key   string
	opts  Options
	retry provider.RetryPolicy
	log   *slog.Logger
}

func newClient(cfg config, opts Options) *client {
	return &client{base: cfg.baseURL, key: cfg.apiKey, opts: opts,
		retry: opts.RetryPolicy(),
		log:   opts.Logger.With("provider", Name, "connection", cfg.connectionID)}
}

// idempotencyKey derives the key sent to Adyen from paymux's key for the operation.
// Adyen keeps keys for at least 31 days per company account and takes at most 64
// characters, so a longer one is replaced by a hash of paymux's key.
func idempotencyKey(op, key string) string {
	return provider.IdempotencyKey(op, key, maxIdempotencyKey)
}

// serviceError is the body of an Adyen error answer.
type serviceError struct {
	Status       int    `json:"status"`
	ErrorCode    string `json:"errorCode"`
	Message      string `json:"message"`
	ErrorType    string `json:"errorType"`
	PSPReference string `json:"pspReference"`
}

// errInProgress is Adyen's error code for an idempotency key that is still being
// processed, or was used for another request.
const errInProgress = "704"

// callError is a failed call, before it is classified for the engine.
type callError struct {
	path      string
	status    int           // 0 when no answer was read
	se        *serviceError // the decoded error body, if any
	transient bool          // Adyen marked the answer Transient-Error: true
	sent      bool          // this attempt's request was written in full
	// ambiguous: this or an earlier attempt was sent and got no conclusive answer
	// (connection lost, 5xx, unreadable 2xx), so it may have taken effect.
	ambiguous bool
	err       error
}

// inconclusive reports whether this attempt may have acted without paymux learning
// how.
func (e *callError) inconclusive() bool {
	return (e.status == 0 && e.sent) || e.status >= 500 || (e.status >= 200 && e.status < 300)
}

func (e *callError) Error() string {
	switch {
	case e.err == nil && e.se != nil:
		return fmt.Sprintf("POST %s: HTTP %d: Adyen error %s", e.path, e.status, e.se.ErrorCode)
	case e.err == nil:
		return fmt.Sprintf("POST %s: HTTP %d", e.path, e.status)
	case e.status != 0:
		return fmt.Sprintf("POST %s: HTTP %d: %v", e.path, e.status, e.err)
	}
	return fmt.Sprintf("POST %s: %v", e.path, e.err)
}

func (e *callError) Unwrap() error { return e.err }

func (e *callError) code() string {
	if e.se != nil && e.se.ErrorCode != "" {
		return e.se.ErrorCode
	}
	return ""
}

// providerError classifies a failed call: Uncertain when the request may have taken
// effect without paymux learning the answer (connection lost or timed out after
// sending, an unreadable success, a 5xx, or a later attempt that a 429 or a
// transient "in progress" answer left unresolved); Temporary for failures a retry
// with the same idempotency key may fix (network, 429, 5xx, Transient-Error); other
// 4xx are conclusive and permanent.
func providerError(err error) error {
	var ce *callError
	if !errors.As(err, &ce) {
		return err
	}
	pe := &provider.Error{Provider: Name, Code: ce.code(), Err: ce}
	switch {
	case ce.status == 0:
		pe.Uncertain, pe.Temporary = ce.ambiguous, true
		pe.Code = "network_error"
		if errors.Is(ce.err, context.DeadlineExceeded) {
			pe.Code = "timeout"
		}
		pe.Message = "Adyen could not be reached"
		if pe.Uncertain {
			pe.Message = "the connection to Adyen failed after the request was sent; it may have taken effect"
		}
	case ce.status >= 200 && ce.status < 300:
		pe.Uncertain, pe.Temporary = true, true
		pe.Code = "invalid_response"
		pe.Message = "Adyen's answer could not be read"
	case ce.status >= 500:
		pe.Uncertain, pe.Temporary = true, true
		pe.Message = fmt.Sprintf("Adyen had an internal error (HTTP %d)", ce.status)
	case ce.status == http.StatusTooManyRequests:
		pe.Uncertain, pe.Temporary = ce.ambiguous, true
		pe.Message = "Adyen is rate limiting this account (HTTP 429); retry shortly"
	case ce.transient || ce.code() == errInProgress && ce.ambiguous:
		pe.Uncertain, pe.Temporary = ce.ambiguous, true
		pe.Message = fmt.Sprintf("Adyen reports a transient error (HTTP %d); retry with the same idempotency key", ce.status)
	default:
		pe.Message = fmt.Sprintf("Adyen refused the request (HTTP %d)", ce.status)
	}
	if ce.se != nil && ce.se.Message != "" {
		pe.Message = ce.se.Message
		if pe.Uncertain && ce.status < 500 && ce.status != 0 {
			pe.Message += "; an earlier attempt may have taken effect"
		}
	}
	if pe.Code == "" {
		pe.Code = "api_error"
	}
	if ce.se != nil && ce.se.PSPReference != "" {
		pe.Message += " (Adyen pspReference " + ce.se.PSPReference + ")"
	}
	return pe
}

// post calls a POST endpoint with body encoded as JSON and the given idempotency
// key. It returns nil with out decoded, or a *callError.
func (c *client) post(ctx context.Context, path string, body any, idemKey string, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode the request to Adyen: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	ambiguous := false
	for attempt := 0; ; attempt++ {
		ce, wait := c.attempt(ctx, path, raw, idemKey, attempt, out)
		if ce == nil {
			return nil
		}
		ambiguous = ambiguous || ce.inconclusive()
		ce.ambiguous = ambiguous
		if !c.retry.Allowed(ctx, attempt, wait) {
			return ce
		}
		c.log.Warn("adyen call failed; retrying with the same idempotency key",
			"path", path, "status", ce.status, "attempt", attempt+1, "wait", wait, "err", ce.code())
		if !provider.Sleep(ctx, wait) {
			return ce
		}
	}
}

// attempt sends the request once. It returns nil on success; otherwise the failure
// and how long to wait before a retry (negative: do not retry).
func (c *client) attempt(ctx context.Context, path string, body []byte, idemKey string, n int, out any) (*callError, time.Duration) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return &callError{path: path, err: err}, -1
	}
	req.Header.Set("X-API-Key", c.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "paymux-adyen/1")
	req.Header.Set("Idempotency-Key", idemKey)
	x := provider.Send(c.opts.HTTPClient, req, maxBody)
	if x.Err != nil {
		c.log.Debug("adyen request", "path", path, "attempt", n+1, "duration", x.Duration, "err", "network")
		// Before sending nothing happened; after sending the same key makes a retry
		// safe: Adyen answers with the first attempt's result.
		return &callError{path: path, sent: x.Sent, err: provider.Scrub(x.Err, c.key)}, c.retry.Delay(n)
	}
	c.log.Debug("adyen request", "path", path, "status", x.Status, "attempt", n+1, "duration", x.Duration)
	raw := x.Body
	if x.Status >= 200 && x.Status < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return &callError{path: path, status: x.Status, sent: true,
				err: fmt.Errorf("decode Adyen's answer: %w", err)}, -1
		}
		return nil, 0
	}
	ce := &callError{path: path, status: x.Status, sent: true,
		transient: strings.EqualFold(strings.TrimSpace(x.Header.Get("Transient-Error")), "true")}
	var se serviceError
	if json.Unmarshal(raw, &se) == nil && (se.ErrorCode != "" || se.Message != "") {
		ce.se = &se
		c.log.Debug("adyen error", "path", path, "status", x.Status, "error_code", se.ErrorCode, "psp_reference", se.PSPReference)
	} else {
		ce.err = fmt.Errorf("unreadable error body (%d bytes)", len(raw))
	}
	return ce, c.retryWait(x.Header, ce, n)
}

// retryWait decides whether an error answer may be retried: 429, 5xx and answers
// Adyen marks Transient-Error: true; nothing else.
func (c *client) retryWait(h http.Header, ce *callError, n int) time.Duration {
	if !ce.transient && ce.status != http.StatusTooManyRequests && ce.status < 500 {
		return -1
	}
	return c.retry.Wait(h, n)
}
