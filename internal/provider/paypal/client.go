package paypal

import (
	"bytes"
	"context"
	"encoding/base64"
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

// maxBody bounds what is read of one PayPal answer.
const maxBody = 4 << 20

// maxRequestID is the longest PayPal-Request-Id the Orders API takes.
const maxRequestID = 108

// client speaks PayPal's REST API: JSON requests and answers, a Bearer access token
// (fetched and refreshed through the shared token cache), a PayPal-Request-Id and
// Prefer: return=representation on every POST, and retries with that same request
// id after failures that are safe to retry.
type client struct {
	base   string
	cfg    config
	opts   Options
	retry  provider.RetryPolicy
	log    *slog.Logger
	tokens *tokenEntry
}

func newClient(cfg config, opts Options, tc *tokenCache) *client {
	return &client{base: cfg.baseURL, cfg: cfg, opts: opts,
		retry:  opts.RetryPolicy(),
		log:    opts.Logger.With("provider", Name, "connection", cfg.connectionID),
		tokens: tc.entry(cfg.baseURL, cfg.clientID, cfg.clientSecret)}
}

// requestID derives the PayPal-Request-Id of an operation from paymux's key for it.
// PayPal replays the first answer to a repeated id (Orders keep ids 6 hours,
// Payments 45 days), which makes retries safe. Ids longer than PayPal takes are
// replaced by a hash of the key.
func requestID(op, key string) string {
	return provider.IdempotencyKey(op, key, maxRequestID)
}

// apiError is the body of a PayPal error answer. The REST APIs answer
// {name, message, debug_id, details[{issue, description}]}; the OAuth endpoint and
// token checks answer {error, error_description}.
type apiError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	DebugID string `json:"debug_id"`
	Details []struct {
		Field       string `json:"field"`
		Issue       string `json:"issue"`
		Description string `json:"description"`
	} `json:"details"`
	OAuthError       string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// issue is PayPal's most specific code for the failure, as PayPal spells it
// (e.g. INSTRUMENT_DECLINED), or "".
func (e *apiError) issue() string {
	if e == nil {
		return ""
	}
	for _, d := range e.Details {
		if d.Issue != "" {
			return d.Issue
		}
	}
	if e.Name != "" {
		return e.Name
	}
	return e.OAuthError
}

// text is PayPal's most specific explanation of the failure.
func (e *apiError) text() string {
	if e == nil {
		return ""
	}
	for _, d := range e.Details {
		if d.Description != "" {
			return d.Description
		}
	}
	if e.Message != "" {
		return e.Message
	}
	return e.ErrorDescription
}

// callError is a failed call, before it is classified for the engine.
type callError struct {
	method  string // the operation's method (POST for a token fetch made for a POST)
	path    string
	status  int       // 0 when no answer was read
	ae      *apiError // the decoded error body, if any
	debugID string
	sent    bool // this attempt's request was written in full
	// tokenCall: the failure is the access-token fetch made before the request; the
	// request itself was not sent.
	tokenCall bool
	// ambiguous: this or an earlier attempt was sent and got no conclusive answer
	// (connection lost, 5xx, unreadable 2xx), so it may have taken effect.
	ambiguous bool
	err       error
}

// inconclusive reports whether this attempt may have acted without paymux
// learning how.
func (e *callError) inconclusive() bool {
	if e.tokenCall {
		return false
	}
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

// issue is PayPal's code for the failure, or "".
func (e *callError) issue() string { return e.ae.issue() }

// code is the failure's code for paymux: PayPal's issue in lower case.
func (e *callError) code() string { return strings.ToLower(e.issue()) }

// providerError classifies a failed call. Uncertain when a POST may have taken
// effect without paymux learning the answer: this attempt or an earlier one was
// sent and lost (connection reset or timeout after sending), answered with an
// unreadable success, or with a 5xx, and no later answer settled it (a 401, 403,
// 409 or 429 settles nothing; another 4xx does, because PayPal replays a request
// id's first result). Temporary for network failures, token fetch failures other
// than refused credentials, 409, 429 and 5xx, which a retry with the same request
// id may fix. Other 4xx are permanent.
func providerError(err error) error {
	var ce *callError
	if !errors.As(err, &ce) {
		return err
	}
	post := ce.method == http.MethodPost
	pe := &provider.Error{Provider: Name, Code: ce.code(), Err: ce}
	unsettled := post && ce.ambiguous
	switch {
	case ce.tokenCall && (ce.status == http.StatusUnauthorized || ce.status == http.StatusBadRequest || ce.status == http.StatusForbidden):
		pe.Uncertain = unsettled
		pe.Code = "authentication_failed"
		pe.Message = "PayPal refused the connection's client_id and client_secret: they are wrong, revoked, or belong to the other PayPal environment (sandbox vs live)"
		if ce.ae != nil && ce.ae.ErrorDescription != "" {
			pe.Message += " (" + ce.ae.ErrorDescription + ")"
		}
	case ce.status == 0:
		// No answer: refused before sending (dial, DNS, TLS) or lost after it.
		pe.Uncertain, pe.Temporary = unsettled, true
		pe.Code = "network_error"
		if errors.Is(ce.err, context.DeadlineExceeded) {
			pe.Code = "timeout"
		}
		pe.Message = "PayPal could not be reached"
		if pe.Uncertain {
			pe.Message = "the connection to PayPal failed after the request was sent; it may have taken effect"
		}
	case ce.status >= 200 && ce.status < 300:
		pe.Uncertain, pe.Temporary = unsettled, true
		pe.Code = "invalid_response"
		pe.Message = "PayPal's answer could not be read"
	case ce.status >= 500:
		pe.Uncertain, pe.Temporary = unsettled, true
		pe.Message = fmt.Sprintf("PayPal had an internal error (HTTP %d)", ce.status)
	case ce.status == http.StatusTooManyRequests:
		pe.Uncertain, pe.Temporary = unsettled, true
		pe.Message = "PayPal is rate limiting this app (HTTP 429); retry shortly"
	case ce.status == http.StatusConflict:
		pe.Uncertain, pe.Temporary = unsettled, true
		pe.Message = "a previous request for the same PayPal resource is still in progress (HTTP 409)"
	case ce.status == http.StatusUnauthorized || ce.status == http.StatusForbidden:
		pe.Uncertain = unsettled
		pe.Code = "authentication_failed"
		pe.Message = "PayPal refused the access token obtained with the connection's credentials"
		if ce.status == http.StatusForbidden {
			pe.Code = "permission_denied"
			pe.Message = "PayPal refused the request: the REST app lacks permission for it (enable the feature for the app, or contact PayPal)"
		}
	default:
		pe.Message = fmt.Sprintf("PayPal refused the request (HTTP %d)", ce.status)
	}
	if t := ce.ae.text(); t != "" && !ce.tokenCall {
		pe.Message = t
	}
	if pe.Code == "" {
		pe.Code = "api_error"
	}
	if ce.debugID != "" {
		pe.Message += " (PayPal debug id " + ce.debugID + ")"
	}
	return pe
}

// get calls a GET endpoint.
func (c *client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, "", out)
}

// post calls a POST endpoint with a JSON body (none when in is nil) and the given
// PayPal-Request-Id.
func (c *client) post(ctx context.Context, path string, in any, reqID string, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("paypal: encode request: %w", err)
		}
		body = b
	}
	return c.do(ctx, http.MethodPost, path, body, reqID, out)
}

// do sends one call, retrying as Options say; a 401 (the token was revoked or
// expired early) drops the token and is retried once with a fresh one. It returns
// nil with out decoded, or a *callError.
func (c *client) do(ctx context.Context, method, path string, body []byte, reqID string, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	ambiguous, refreshed := false, false
	for attempt, retries := 0, 0; ; attempt++ {
		ce, wait, tok := c.attempt(ctx, method, path, body, reqID, attempt, out)
		if ce == nil {
			return nil
		}
		ambiguous = ambiguous || ce.inconclusive()
		ce.ambiguous = ambiguous
		if ce.status == http.StatusUnauthorized && !ce.tokenCall && !refreshed && ctx.Err() == nil {
			// PayPal did not act on the request: fetch a new token and send it again.
			refreshed = true
			c.tokens.invalidate(tok)
			c.log.Info("paypal refused the access token; fetching a new one", "method", method, "path", path)
			continue
		}
		if !c.retry.Allowed(ctx, retries, wait) {
			return ce
		}
		retries++
		c.log.Warn("paypal call failed; retrying with the same PayPal-Request-Id",
			"method", method, "path", path, "status", ce.status, "attempt", attempt+1, "wait", wait, "err", ce.code())
		if !provider.Sleep(ctx, wait) {
			return ce
		}
	}
}

// attempt sends the request once. It returns nil on success; otherwise the failure
// and how long to wait before a retry (negative: do not retry). tok is the access
// token it used.
func (c *client) attempt(ctx context.Context, method, path string, body []byte, reqID string, n int, out any) (ce *callError, wait time.Duration, tok string) {
	tok, terr := c.token(ctx)
	if terr != nil {
		var tce *callError
		if errors.As(terr, &tce) {
			tce.method, tce.tokenCall = method, true
			w := time.Duration(-1)
			if tce.status == 0 || tce.status >= 500 || tce.status == http.StatusTooManyRequests {
				w = c.retry.Delay(n)
			}
			return tce, w, ""
		}
		return &callError{method: method, path: "/v1/oauth2/token", tokenCall: true, err: terr}, c.retry.Delay(n), ""
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return &callError{method: method, path: path, err: err}, -1, tok
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "paymux-paypal/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost {
		req.Header.Set("PayPal-Request-Id", reqID)
		req.Header.Set("Prefer", "return=representation")
	}
	x := provider.Send(c.opts.HTTPClient, req, maxBody)
	debugID := x.Header.Get("Paypal-Debug-Id")
	if x.Err != nil {
		c.log.Debug("paypal request", "method", method, "path", path, "debug_id", debugID, "attempt", n+1, "duration", x.Duration, "err", "network")
		return &callError{method: method, path: path, sent: x.Sent, debugID: debugID, err: c.scrub(x.Err, tok)}, c.retry.Delay(n), tok
	}
	c.log.Debug("paypal request", "method", method, "path", path, "status", x.Status,
		"debug_id", debugID, "attempt", n+1, "duration", x.Duration)
	raw := x.Body
	if x.Status >= 200 && x.Status < 300 {
		if out == nil || (len(bytes.TrimSpace(raw)) == 0 && x.Status == http.StatusNoContent) {
			return nil, 0, tok
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return &callError{method: method, path: path, status: x.Status, sent: true, debugID: debugID,
				err: fmt.Errorf("decode PayPal's answer: %w", err)}, -1, tok
		}
		return nil, 0, tok
	}
	ce = &callError{method: method, path: path, status: x.Status, sent: true, debugID: debugID}
	var ae apiError
	if json.Unmarshal(raw, &ae) == nil && (ae.Name != "" || ae.OAuthError != "" || len(ae.Details) > 0 || ae.Message != "") {
		ce.ae = &ae
		if ce.debugID == "" {
			ce.debugID = ae.DebugID
		}
	} else {
		ce.err = fmt.Errorf("unreadable error body (%d bytes)", len(raw))
	}
	return ce, c.retryWait(x.Header, ce, n), tok
}

// retryWait decides whether an error answer may be retried: 409 (a request for the
// same resource in progress), 429 and 5xx are, honouring Retry-After.
func (c *client) retryWait(h http.Header, ce *callError, n int) time.Duration {
	if ce.status != http.StatusConflict && ce.status != http.StatusTooManyRequests && ce.status < 500 {
		return -1
	}
	return c.retry.Wait(h, n)
}

// token returns a fresh access token from the shared cache.
func (c *client) token(ctx context.Context) (string, error) {
	return c.tokens.get(ctx, c.opts.Now, c.opts.Timeout, c.fetchToken)
}

// tokenResponse is the OAuth endpoint's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// fetchToken asks PayPal for an access token with the client-credentials grant. It
// returns a *callError on failure.
func (c *client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	const path = "/v1/oauth2/token"
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form))
	if err != nil {
		return "", 0, &callError{method: http.MethodPost, path: path, err: err}
	}
	basic := base64.StdEncoding.EncodeToString([]byte(c.cfg.clientID + ":" + c.cfg.clientSecret))
	req.Header.Set("Authorization", "Basic "+basic)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "paymux-paypal/1")
	x := provider.Send(c.opts.HTTPClient, req, maxBody)
	debugID := x.Header.Get("Paypal-Debug-Id")
	if x.Err != nil {
		c.log.Debug("paypal token", "debug_id", debugID, "duration", x.Duration, "err", "network")
		return "", 0, &callError{method: http.MethodPost, path: path, debugID: debugID, err: c.scrub(x.Err, basic)}
	}
	c.log.Debug("paypal token", "status", x.Status, "debug_id", debugID, "duration", x.Duration)
	raw := x.Body
	if x.Status != http.StatusOK {
		ce := &callError{method: http.MethodPost, path: path, status: x.Status, debugID: debugID}
		var ae apiError
		if json.Unmarshal(raw, &ae) == nil && (ae.OAuthError != "" || ae.Name != "") {
			ce.ae = &ae
		}
		return "", 0, ce
	}
	var tr tokenResponse
	if err := json.Unmarshal(raw, &tr); err != nil || tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "Bearer") {
		return "", 0, &callError{method: http.MethodPost, path: path, status: x.Status, debugID: debugID,
			err: errors.New("PayPal's token answer has no Bearer access_token")}
	}
	return tr.AccessToken, time.Duration(max(tr.ExpiresIn, 0)) * time.Second, nil
}

// scrub removes credentials and tokens from an error's text (see provider.Scrub).
func (c *client) scrub(err error, extra string) error {
	return provider.Scrub(err, c.cfg.clientSecret, extra)
}
