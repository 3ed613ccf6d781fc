package sqlstore

import (
	"context"
	"time"

	"github.com/paymux/paymux/internal/store"
)

const (
	idemRunning = "in_progress"
	idemDone    = "done"
)

func (x *queries) ClaimIdempotency(ctx context.Context, c store.IdemClaim) (store.IdemResult, error) {
	res, err := x.exec(ctx, `INSERT INTO idempotency_keys (merchant_id, livemode, idem_key, request_hash,
 state, token, locked_until, response_code, response_body, created_at)
 VALUES (?,?,?,?,?,?,?,0,'',?) ON CONFLICT DO NOTHING`,
		c.Scope.MerchantID, c.Scope.Livemode, c.Key, c.RequestHash, idemRunning, c.Token,
		micros(c.Now.Add(c.Lease)), micros(c.Now))
	if err != nil {
		return store.IdemResult{}, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return store.IdemResult{State: store.IdemClaimed}, nil
	}
	var (
		hash, state, token, body string
		lockedUntil, created     int64
		code                     int
	)
	err = x.row(ctx, `SELECT request_hash, state, token, locked_until, response_code, response_body, created_at
 FROM idempotency_keys WHERE merchant_id = ? AND livemode = ? AND idem_key = ?`+x.s.d.ForUpdate(),
		c.Scope.MerchantID, c.Scope.Livemode, c.Key).Scan(&hash, &state, &token, &lockedUntil, &code, &body, &created)
	if err != nil {
		return store.IdemResult{}, x.scanErr(err)
	}
	now := micros(c.Now)
	switch {
	case created <= micros(c.Now.Add(-c.Retention)):
		// Past retention the key is forgotten: a new request under it starts afresh.
		return x.takeOver(ctx, c, token, true)
	case hash != c.RequestHash:
		return store.IdemResult{State: store.IdemMismatch}, nil
	case state == idemDone:
		return store.IdemResult{State: store.IdemReplay, ResponseCode: code, ResponseBody: []byte(body)}, nil
	case lockedUntil > now:
		return store.IdemResult{State: store.IdemBusy}, nil
	default:
		// The first claimant died without finishing: this retry takes its place.
		return x.takeOver(ctx, c, token, false)
	}
}

func (x *queries) takeOver(ctx context.Context, c store.IdemClaim, oldToken string, fresh bool) (store.IdemResult, error) {
	created := "created_at"
	args := []any{c.RequestHash, idemRunning, c.Token, micros(c.Now.Add(c.Lease))}
	if fresh {
		created = "?"
		args = append(args, micros(c.Now))
	}
	res, err := x.exec(ctx, `UPDATE idempotency_keys SET request_hash = ?, state = ?, token = ?,
 locked_until = ?, response_code = 0, response_body = '', created_at = `+created+`
 WHERE merchant_id = ? AND livemode = ? AND idem_key = ? AND token = ?`,
		append(args, c.Scope.MerchantID, c.Scope.Livemode, c.Key, oldToken)...)
	if err != nil {
		return store.IdemResult{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.IdemResult{State: store.IdemBusy}, nil
	}
	return store.IdemResult{State: store.IdemClaimed}, nil
}

func (x *queries) CompleteIdempotency(ctx context.Context, s store.Scope, key, token string, code int, body []byte) error {
	res, err := x.exec(ctx, `UPDATE idempotency_keys SET state = ?, response_code = ?, response_body = ?
 WHERE merchant_id = ? AND livemode = ? AND idem_key = ? AND token = ? AND state = ?`,
		idemDone, code, string(body), s.MerchantID, s.Livemode, key, token, idemRunning)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.ErrStale
	}
	return nil
}

func (x *queries) ReleaseIdempotency(ctx context.Context, s store.Scope, key, token string) error {
	_, err := x.exec(ctx, `DELETE FROM idempotency_keys
 WHERE merchant_id = ? AND livemode = ? AND idem_key = ? AND token = ? AND state = ?`,
		s.MerchantID, s.Livemode, key, token, idemRunning)
	return err
}

func (x *queries) PurgeIdempotency(ctx context.Context, before time.Time) (int64, error) {
	res, err := x.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, micros(before))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}
