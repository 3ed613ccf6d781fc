package paypal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// PayPal's REST API takes an OAuth 2.0 access token, obtained with the app's client
// id and secret (client-credentials grant) and valid for expires_in seconds
// (usually nine hours). Tokens are cached per app and environment, shared by every
// connector one Registration builds, and refreshed shortly before they expire. A
// refresh is single-flight: concurrent calls that find the token stale wait for one
// fetch. Tokens are never logged.

// tokenMargin is how long before its expiry a token is refreshed: a tenth of its
// lifetime, at most five minutes.
func tokenMargin(lifetime time.Duration) time.Duration {
	return min(lifetime/10, 5*time.Minute)
}

// tokenCache holds one entry per (base URL, client id, secret).
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]*tokenEntry
}

func newTokenCache() *tokenCache { return &tokenCache{entries: map[string]*tokenEntry{}} }

// entry returns the cache entry of an app. The secret is part of the key (as a
// hash), so a rotated secret never reuses a token fetched with the old one.
func (tc *tokenCache) entry(base, clientID, secret string) *tokenEntry {
	h := sha256.Sum256([]byte(base + "\x00" + clientID + "\x00" + secret))
	k := hex.EncodeToString(h[:])
	tc.mu.Lock()
	defer tc.mu.Unlock()
	e, ok := tc.entries[k]
	if !ok {
		e = &tokenEntry{}
		tc.entries[k] = e
	}
	return e
}

// tokenEntry is one app's token and the fetch in flight, if any.
type tokenEntry struct {
	mu        sync.Mutex
	token     string
	refreshAt time.Time // when to fetch a new one
	expiresAt time.Time // when PayPal stops taking it
	inflight  *tokenFetch
}

// tokenFetch is a fetch that concurrent callers share.
type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// fetchFunc asks PayPal for a token and its lifetime.
type fetchFunc func(ctx context.Context) (token string, lifetime time.Duration, err error)

// get returns a token that is not near its expiry, fetching one if needed. The
// fetch runs on its own deadline (timeout), detached from ctx, so that one caller
// giving up does not fail the others waiting for it; each caller stops waiting when
// its own ctx ends. If a refresh fails while the cached token has not expired yet,
// the cached token is used.
func (e *tokenEntry) get(ctx context.Context, now func() time.Time, timeout time.Duration, fetch fetchFunc) (string, error) {
	e.mu.Lock()
	if e.token != "" && now().Before(e.refreshAt) {
		tok := e.token
		e.mu.Unlock()
		return tok, nil
	}
	f := e.inflight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		e.inflight = f
		go e.run(context.WithoutCancel(ctx), now, timeout, fetch, f)
	}
	e.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (e *tokenEntry) run(ctx context.Context, now func() time.Time, timeout time.Duration, fetch fetchFunc, f *tokenFetch) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := now()
	tok, life, err := fetch(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case err == nil:
		e.token, e.expiresAt = tok, start.Add(life)
		e.refreshAt = e.expiresAt.Add(-tokenMargin(life))
		f.token = tok
	case e.token != "" && now().Before(e.expiresAt):
		f.token = e.token // the old one still works for a while
	default:
		f.err = err
	}
	e.inflight = nil
	close(f.done)
}

// invalidate drops tok if it is still the cached token: PayPal refused it (revoked,
// or expired earlier than announced), so the next call fetches a new one.
func (e *tokenEntry) invalidate(tok string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token == tok {
		e.token, e.refreshAt, e.expiresAt = "", time.Time{}, time.Time{}
	}
}

// store caches a token fetched outside get (by Verify).
func (e *tokenEntry) store(tok string, start time.Time, life time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.token, e.expiresAt = tok, start.Add(life)
	e.refreshAt = e.expiresAt.Add(-tokenMargin(life))
}
