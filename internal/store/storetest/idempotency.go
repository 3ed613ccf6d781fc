package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/store"
)

const (
	idemLease     = time.Minute
	idemRetention = 24 * time.Hour
)

var idemStateNames = map[store.IdemState]string{
	store.IdemClaimed: "Claimed", store.IdemReplay: "Replay", store.IdemMismatch: "Mismatch", store.IdemBusy: "Busy",
}

func stateName(s store.IdemState) string {
	if n, ok := idemStateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("IdemState(%d)", int(s))
}

// idem is a small client of one store's idempotency keys.
type idem struct {
	t  *testing.T
	st store.Store
}

func (c idem) claim(s store.Scope, key, hash, token string, now time.Time) store.IdemResult {
	c.t.Helper()
	var res store.IdemResult
	write(c.t, c.st, func(ctx context.Context, tx store.Tx) error {
		var err error
		res, err = tx.ClaimIdempotency(ctx, store.IdemClaim{Scope: s, Key: key, RequestHash: hash, Token: token,
			Now: now, Lease: idemLease, Retention: idemRetention})
		return err
	})
	return res
}

func (c idem) expect(what string, s store.Scope, key, hash, token string, now time.Time, want store.IdemState) store.IdemResult {
	c.t.Helper()
	res := c.claim(s, key, hash, token, now)
	if res.State != want {
		c.t.Errorf("%s: ClaimIdempotency = %s, want %s", what, stateName(res.State), stateName(want))
	}
	return res
}

func (c idem) complete(s store.Scope, key, token string, code int, body string) error {
	c.t.Helper()
	return c.st.Write(c.t.Context(), func(ctx context.Context, tx store.Tx) error {
		return tx.CompleteIdempotency(ctx, s, key, token, code, []byte(body))
	})
}

func (c idem) release(s store.Scope, key, token string) {
	c.t.Helper()
	write(c.t, c.st, func(ctx context.Context, tx store.Tx) error { return tx.ReleaseIdempotency(ctx, s, key, token) })
}

func wantReplay(t *testing.T, what string, res store.IdemResult, code int, body string) {
	t.Helper()
	if res.State != store.IdemReplay || res.ResponseCode != code || string(res.ResponseBody) != body {
		t.Errorf("%s: got %s %d %q, want Replay %d %q", what, stateName(res.State), res.ResponseCode, res.ResponseBody, code, body)
	}
}

func testIdempotency(t *testing.T, open Opener) {
	parallel(t, open, "Lifecycle", func(t *testing.T, b *bundle) {
		c := idem{t, b.st}
		s := b.scope
		c.expect("first request", s, "k1", "h1", "tok1", t0, store.IdemClaimed)
		c.expect("same request while the first runs", s, "k1", "h1", "tok2", t0.Add(time.Second), store.IdemBusy)
		c.expect("other body while the first runs", s, "k1", "h2", "tok3", t0.Add(time.Second), store.IdemMismatch)
		body := `{"id":"pay_1","status":"succeeded","note":"ünïcödé"}`
		wantNoErr(t, "CompleteIdempotency", c.complete(s, "k1", "tok1", 201, body))
		wantReplay(t, "same request after completion", c.claim(s, "k1", "h1", "tok4", t0.Add(2*time.Second)), 201, body)
		// Still a replay long after the lease, within retention.
		wantReplay(t, "replay within retention", c.claim(s, "k1", "h1", "tok5", t0.Add(idemRetention-time.Second)), 201, body)
		c.expect("other body after completion", s, "k1", "h2", "tok6", t0.Add(3*time.Second), store.IdemMismatch)
		wantErr(t, "completing twice", c.complete(s, "k1", "tok1", 500, "{}"), store.ErrStale)
		wantReplay(t, "after a second completion was refused", c.claim(s, "k1", "h1", "tok7", t0.Add(4*time.Second)), 201, body)
	})

	parallel(t, open, "TakeOverAfterLease", func(t *testing.T, b *bundle) {
		c := idem{t, b.st}
		s := b.scope
		c.expect("first request", s, "k", "h", "crashed", t0, store.IdemClaimed)
		c.expect("retry within the lease", s, "k", "h", "retry1", t0.Add(idemLease-time.Microsecond), store.IdemBusy)
		c.expect("retry after the lease", s, "k", "h", "retry2", t0.Add(idemLease+time.Second), store.IdemClaimed)
		c.expect("another retry within the new lease", s, "k", "h", "retry3", t0.Add(idemLease+2*time.Second), store.IdemBusy)
		wantErr(t, "the crashed claimant completing", c.complete(s, "k", "crashed", 200, `{"from":"crashed"}`), store.ErrStale)
		wantNoErr(t, "the new claimant completing", c.complete(s, "k", "retry2", 201, `{"from":"retry2"}`))
		wantReplay(t, "after takeover", c.claim(s, "k", "h", "retry4", t0.Add(idemLease+3*time.Second)), 201, `{"from":"retry2"}`)
	})

	parallel(t, open, "PastRetention", func(t *testing.T, b *bundle) {
		c := idem{t, b.st}
		s := b.scope
		c.expect("first request", s, "k", "h1", "tok1", t0, store.IdemClaimed)
		wantNoErr(t, "CompleteIdempotency", c.complete(s, "k", "tok1", 201, `{"n":1}`))
		later := t0.Add(idemRetention + time.Second)
		c.expect("other body past retention", s, "k", "h2", "tok2", later, store.IdemClaimed)
		c.expect("same new body while it runs", s, "k", "h2", "tok3", later.Add(time.Second), store.IdemBusy)
		wantErr(t, "completing with the forgotten token", c.complete(s, "k", "tok1", 200, `{}`), store.ErrStale)
		wantNoErr(t, "CompleteIdempotency", c.complete(s, "k", "tok2", 202, `{"n":2}`))
		wantReplay(t, "the fresh request's response", c.claim(s, "k", "h2", "tok4", later.Add(2*time.Second)), 202, `{"n":2}`)
		// The fresh claim restarted retention: one retention after it, not after the first.
		wantReplay(t, "within the new retention", c.claim(s, "k", "h2", "tok5", later.Add(idemRetention-time.Second)), 202, `{"n":2}`)
	})

	parallel(t, open, "Release", func(t *testing.T, b *bundle) {
		c := idem{t, b.st}
		s := b.scope
		c.expect("first request", s, "k", "h1", "tok1", t0, store.IdemClaimed)
		c.release(s, "k", "someone-else")
		c.expect("after a release by another token", s, "k", "h1", "tok2", t0.Add(time.Second), store.IdemBusy)
		c.release(s, "k", "tok1")
		c.expect("after release, a new body", s, "k", "h2", "tok3", t0.Add(time.Second), store.IdemClaimed)
		wantNoErr(t, "CompleteIdempotency", c.complete(s, "k", "tok3", 200, `{}`))
		c.release(s, "k", "tok3") // a completed key is not forgotten by a late release
		wantReplay(t, "after releasing a completed key", c.claim(s, "k", "h2", "tok4", t0.Add(2*time.Second)), 200, `{}`)
	})

	parallel(t, open, "PerMerchantAndMode", func(t *testing.T, b *bundle) {
		c := idem{t, b.st}
		scopes := []store.Scope{b.scope, otherMode(b.scope), newScope(false)}
		for i, s := range scopes {
			c.expect(fmt.Sprintf("scope %d", i), s, "shared-key", fmt.Sprintf("hash-%d", i), fmt.Sprintf("tok%d", i), t0, store.IdemClaimed)
		}
		for i, s := range scopes {
			wantNoErr(t, "CompleteIdempotency", c.complete(s, "shared-key", fmt.Sprintf("tok%d", i), 200+i, fmt.Sprintf(`{"scope":%d}`, i)))
		}
		for i, s := range scopes {
			wantReplay(t, fmt.Sprintf("scope %d", i), c.claim(s, "shared-key", fmt.Sprintf("hash-%d", i), "x", t0.Add(time.Second)), 200+i, fmt.Sprintf(`{"scope":%d}`, i))
		}
		// Completing in one scope with another scope's token does nothing.
		c.expect("fresh key", scopes[0], "k2", "h", "tokA", t0, store.IdemClaimed)
		wantErr(t, "completing from another merchant", c.complete(scopes[2], "k2", "tokA", 200, `{}`), store.ErrStale)
		c.expect("still running", scopes[0], "k2", "h", "tokB", t0.Add(time.Second), store.IdemBusy)
	})

	parallel(t, open, "Purge", func(t *testing.T, b *bundle) {
		c := idem{t, b.st}
		s, other := b.scope, newScope(true)
		c.expect("old", s, "old", "h", "t1", t0, store.IdemClaimed)
		wantNoErr(t, "CompleteIdempotency", c.complete(s, "old", "t1", 200, `{"old":true}`))
		c.expect("old, other merchant", other, "old2", "h", "t2", t0.Add(time.Minute), store.IdemClaimed)
		c.expect("new", s, "new", "h", "t3", t0.Add(2*time.Hour), store.IdemClaimed)
		wantNoErr(t, "CompleteIdempotency", c.complete(s, "new", "t3", 201, `{"new":true}`))

		var n int64
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.PurgeIdempotency(ctx, t0.Add(time.Hour))
			return err
		})
		if n != 2 {
			t.Errorf("PurgeIdempotency deleted %d keys, want the 2 created before the cutoff", n)
		}
		// Same time, same key: without the row it is a brand-new request.
		c.expect("purged key", s, "old", "h", "t4", t0.Add(2*time.Hour), store.IdemClaimed)
		wantReplay(t, "kept key", c.claim(s, "new", "h", "t5", t0.Add(2*time.Hour)), 201, `{"new":true}`)
	})

	parallel(t, open, "ConcurrentClaims", func(t *testing.T, b *bundle) {
		// Many requests with the same key at once: exactly one runs.
		const n = 20
		states := make([]store.IdemState, n)
		errs := make([]error, n)
		start := make(chan struct{})
		done := make(chan int, n)
		for i := range n {
			go func() {
				<-start
				errs[i] = b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
					res, err := tx.ClaimIdempotency(ctx, store.IdemClaim{Scope: b.scope, Key: "k", RequestHash: "h",
						Token: fmt.Sprintf("tok%d", i), Now: t0, Lease: idemLease, Retention: idemRetention})
					states[i] = res.State
					return err
				})
				done <- i
			}()
		}
		close(start)
		for range n {
			<-done
		}
		claimed := 0
		for i := range n {
			switch {
			case errs[i] != nil && !errors.Is(errs[i], store.ErrDuplicate):
				t.Errorf("claim %d: %v", i, errs[i])
			case errs[i] != nil:
				t.Errorf("claim %d: %v (a concurrent claim must answer Busy, not fail)", i, errs[i])
			case states[i] == store.IdemClaimed:
				claimed++
			case states[i] != store.IdemBusy:
				t.Errorf("claim %d: %s, want Claimed or Busy", i, stateName(states[i]))
			}
		}
		if claimed != 1 {
			t.Errorf("%d of %d simultaneous claims of one key were Claimed, want exactly 1", claimed, n)
		}
	})
}
