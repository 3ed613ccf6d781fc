package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// operation runs a mutating call and returns its result (rendered as JSON).
type operation func(ctx context.Context) (any, error)

// mutate runs op under the request's Idempotency-Key, if it has one, and writes the
// response. The stored response is written in the same transaction as the change
// (engine.TxHook), so a crash can never commit one without the other.
func (s *Server) mutate(w http.ResponseWriter, r *http.Request, p *engine.Principal, body []byte, success int, op operation) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		res, err := op(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, success, res)
		return
	}
	if len(key) > maxIdemKeyLen {
		s.writeError(w, r, &payment.Error{Kind: payment.KindIdempotency, Code: payment.CodeIdempotencyKeyLong,
			Message: fmt.Sprintf("Idempotency-Key is %d characters: at most %d are allowed", len(key), maxIdemKeyLen)})
		return
	}
	sum := sha256.New()
	fmt.Fprintf(sum, "%s %s\n", r.Method, r.URL.Path)
	sum.Write(body)
	token := payment.RandomString(16)
	var claim store.IdemResult
	err := s.store.Write(r.Context(), func(ctx context.Context, tx store.Tx) error {
		var err error
		claim, err = tx.ClaimIdempotency(ctx, store.IdemClaim{
			Scope: p.Scope, Key: key, RequestHash: hex.EncodeToString(sum.Sum(nil)), Token: token,
			Now: time.Now(), Lease: idempotencyLease, Retention: idempotencyRetain,
		})
		return err
	})
	if err != nil {
		s.writeError(w, r, storeFailure(err))
		return
	}
	switch claim.State {
	case store.IdemReplay:
		w.Header().Set("Idempotent-Replayed", "true")
		writeRaw(w, claim.ResponseCode, claim.ResponseBody)
		return
	case store.IdemMismatch:
		s.writeError(w, r, &payment.Error{Kind: payment.KindIdempotency, Code: payment.CodeIdempotencyMismatch,
			Message: fmt.Sprintf("Idempotency-Key %q was already used with a different request: use a new key for a new request", key)})
		return
	case store.IdemBusy:
		s.writeError(w, r, &payment.Error{Kind: payment.KindIdempotency, Code: payment.CodeIdempotencyBusy,
			Message: fmt.Sprintf("a request with Idempotency-Key %q is still being processed: retry after it finishes", key)})
		return
	}

	var stored []byte
	hook := func(ctx context.Context, tx store.Tx, result any) error {
		if result == nil {
			return nil
		}
		b, err := json.Marshal(result)
		if err != nil {
			return err
		}
		if err := tx.CompleteIdempotency(ctx, p.Scope, key, token, success, b); err != nil {
			return err
		}
		stored = b
		return nil
	}
	ctx := engine.WithTxHook(r.Context(), hook)
	res, err := op(ctx)
	bg := context.WithoutCancel(r.Context())
	switch {
	case err == nil && stored != nil:
		writeRaw(w, success, stored)
	case err == nil:
		b, _ := json.Marshal(res)
		s.finishIdempotency(bg, p, key, token, success, b)
		writeRaw(w, success, b)
	case retryableFailure(err):
		// Nothing was promised: forget the key so that the client's retry runs.
		_ = s.store.Write(bg, func(ctx context.Context, tx store.Tx) error {
			return tx.ReleaseIdempotency(ctx, p.Scope, key, token)
		})
		s.writeError(w, r, err)
	default:
		status, b := s.renderError(r, err)
		s.finishIdempotency(bg, p, key, token, status, b)
		writeRaw(w, status, b)
	}
}

func (s *Server) finishIdempotency(ctx context.Context, p *engine.Principal, key, token string, status int, body []byte) {
	err := s.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.CompleteIdempotency(ctx, p.Scope, key, token, status, body)
	})
	if err != nil && !errors.Is(err, store.ErrStale) {
		s.log.Warn("store idempotent response", "err", err)
	}
}

// retryableFailure: failures after which the same request may well succeed, so the
// key must not pin them (database down, internal error, provider unreachable).
func retryableFailure(err error) bool {
	var pe *payment.Error
	if !errors.As(err, &pe) {
		return true
	}
	switch pe.Kind {
	case payment.KindInternal, payment.KindUnavailable, payment.KindRateLimited:
		return true
	case payment.KindProvider:
		return pe.Code == payment.CodeProviderUnavailable
	case payment.KindConflict:
		return pe.Code == payment.CodeConcurrentUpdate
	}
	return false
}

// storeFailure codes a storage error for the API.
func storeFailure(err error) error {
	if errors.Is(err, store.ErrUnavailable) {
		return &payment.Error{Kind: payment.KindUnavailable, Code: payment.CodeDatabaseUnavailable,
			Message: "the database is unavailable; nothing was changed, retry shortly", Err: err}
	}
	return err
}
