package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// The HTTP layer every connector shares. A connector's client builds its requests
// (auth headers, its idempotency header, its body encoding) and reads its
// provider's answers and errors; what is the same for every provider lives here:
// sending one attempt while knowing whether the request reached the wire, bounded
// reads, retries with the same idempotency key after a backoff or the provider's
// Retry-After, idempotency keys derived from paymux's, and scrubbing secrets out of
// errors. Outcomes of whole operations feed the per-connection circuit breaker
// (breaker.go), which the engine puts in front of every connector.

// Exchange is one HTTP attempt and what came back of it.
type Exchange struct {
	// Status is the answer's status code; 0 when no complete answer was read.
	Status int
	// Header is the answer's header (set whenever an answer began, even if its body
	// was then lost).
	Header http.Header
	// Body is the answer's body, at most the limit Send was given.
	Body []byte
	// Sent reports that the request was written in full: once sent, it may have
	// reached the provider and taken effect even if no answer came back.
	Sent bool
	// Err is the network failure, or the failure to read the answer's body; nil
	// when Status is set.
	Err error
	// Duration is how long the attempt took.
	Duration time.Duration
}

// Send sends req once with client and reads at most maxBody bytes of the answer. It
// never fails outright: a network failure, a timeout or an answer lost halfway are
// reported in Exchange.Err with Status 0, and Sent says whether the request had been
// written before. The caller scrubs secrets from Err before keeping it.
func Send(client *http.Client, req *http.Request, maxBody int64) Exchange {
	var sent atomic.Bool
	ctx := httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				sent.Store(true)
			}
		},
	})
	req = req.WithContext(ctx)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Exchange{Sent: sent.Load(), Err: err, Duration: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		// The answer was lost on the way: as good as a reset after sending.
		return Exchange{Header: resp.Header, Sent: true, Err: err, Duration: time.Since(start)}
	}
	return Exchange{Status: resp.StatusCode, Header: resp.Header, Body: raw, Sent: true, Duration: time.Since(start)}
}

// RetryPolicy says how a connector retries a failed call with the same idempotency
// key: at most MaxRetries times, after Backoff doubled per retry (with up to a
// quarter of jitter) or after the provider's Retry-After, each wait at most MaxWait
// and within the call's deadline.
type RetryPolicy struct {
	MaxRetries int
	Backoff    time.Duration
	MaxWait    time.Duration
	// Now is the clock Retry-After dates are read against; nil means time.Now.
	Now func() time.Time
}

// Delay is the wait before retry number n+1 when the provider says nothing:
// Backoff doubled n times, plus up to a quarter of jitter, at most MaxWait.
func (p RetryPolicy) Delay(n int) time.Duration {
	d := p.Backoff << min(n, 16)
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	if p.MaxWait > 0 {
		d = min(d, p.MaxWait)
	}
	return d
}

// Wait is the wait before retry number n+1 after an answer with header h: its
// Retry-After when it has one, else Delay(n).
func (p RetryPolicy) Wait(h http.Header, n int) time.Duration {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	if d, ok := RetryAfter(h.Get("Retry-After"), now()); ok {
		return d
	}
	return p.Delay(n)
}

// Allowed reports whether a call that has been retried done times may be retried
// again after wait. It may not when wait is negative (the failure is not
// retryable), the retries are used up, wait exceeds MaxWait (a provider asking for
// a long pause is better answered by a temporary error than by holding the
// caller), or the context would end first.
func (p RetryPolicy) Allowed(ctx context.Context, done int, wait time.Duration) bool {
	if wait < 0 || done >= p.MaxRetries || ctx.Err() != nil || (p.MaxWait > 0 && wait > p.MaxWait) {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return false
	}
	return true
}

// Sleep waits for d, or until the context ends (then it returns false).
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// RetryAfter parses a Retry-After header: delay-seconds or an HTTP date (a date in
// the past is no wait).
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// IdempotencyKey derives the key a connector sends to its provider from paymux's
// key for the operation: "paymux-<op>-<key>", so that the same paymux operation
// always sends the same key and different operations never share one. A key longer
// than maxLen uses a SHA-256 of paymux's key instead, cut to maxLen if need be. An
// empty key (the engine always passes one) gets a random one, which still makes the
// call's own retries safe.
func IdempotencyKey(op, key string, maxLen int) string {
	if key == "" {
		key = payment.RandomString(24)
	}
	k := "paymux-" + op + "-" + key
	if len(k) > maxLen {
		sum := sha256.Sum256([]byte(key))
		k = "paymux-" + op + "-" + hex.EncodeToString(sum[:])
		if len(k) > maxLen {
			k = k[:maxLen]
		}
	}
	return k
}

// Scrub removes secrets (API keys, access tokens, Basic credentials) from an
// error's text. net/http does not put headers in errors, but a proxy or a transport
// wrapper might, and errors reach logs and operators. The result still unwraps to
// err, so errors.Is(err, context.DeadlineExceeded) keeps working.
func Scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &scrubbed{msg: msg, err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }

func (s *scrubbed) Unwrap() error { return s.err }
