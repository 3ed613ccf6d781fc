package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/store"
)

func (x *queries) GetMerchant(ctx context.Context, id string) (*store.Merchant, error) {
	var (
		m       store.Merchant
		created int64
	)
	err := x.row(ctx, `SELECT id, name, created_at FROM merchants WHERE id = ?`, id).Scan(&m.ID, &m.Name, &created)
	if err != nil {
		return nil, x.scanErr(err)
	}
	m.CreatedAt = fromMicros(created)
	return &m, nil
}

func (x *queries) CountMerchants(ctx context.Context) (int, error) {
	var n int
	err := x.row(ctx, `SELECT COUNT(*) FROM merchants`).Scan(&n)
	return n, x.scanErr(err)
}

func (x *queries) InsertMerchant(ctx context.Context, m *store.Merchant) error {
	_, err := x.exec(ctx, `INSERT INTO merchants (id, name, created_at) VALUES (?,?,?)`, m.ID, m.Name, micros(m.CreatedAt))
	return err
}

func (x *queries) APIKeyByHash(ctx context.Context, hash string) (*store.APIKey, error) {
	var (
		k                store.APIKey
		created, revoked int64
	)
	err := x.row(ctx, `SELECT id, merchant_id, livemode, kind, key_hash, hint, created_at, revoked_at
 FROM api_keys WHERE key_hash = ?`, hash).Scan(&k.ID, &k.MerchantID, &k.Livemode, &k.Kind, &k.Hash, &k.Hint, &created, &revoked)
	if err != nil {
		return nil, x.scanErr(err)
	}
	k.CreatedAt = fromMicros(created)
	if revoked != 0 {
		t := fromMicros(revoked)
		k.RevokedAt = &t
	}
	return &k, nil
}

func (x *queries) InsertAPIKey(ctx context.Context, k *store.APIKey) error {
	_, err := x.exec(ctx, `INSERT INTO api_keys (id, merchant_id, livemode, kind, key_hash, hint, created_at, revoked_at)
 VALUES (?,?,?,?,?,?,?,0)`, k.ID, k.MerchantID, k.Livemode, k.Kind, k.Hash, k.Hint, micros(k.CreatedAt))
	return err
}

func (x *queries) RevokeAPIKey(ctx context.Context, id string, at time.Time) (store.Scope, error) {
	var s store.Scope
	err := x.row(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at = 0 RETURNING merchant_id, livemode`,
		micros(at), id).Scan(&s.MerchantID, &s.Livemode)
	return s, x.scanErr(err)
}

func (x *queries) GetUserByEmail(ctx context.Context, email string) (*store.User, error) {
	var (
		u       store.User
		created int64
	)
	err := x.row(ctx, `SELECT id, merchant_id, email, password_hash, role, created_at FROM users WHERE email = ?`,
		strings.ToLower(email)).Scan(&u.ID, &u.MerchantID, &u.Email, &u.PasswordHash, &u.Role, &created)
	if err != nil {
		return nil, x.scanErr(err)
	}
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

func (x *queries) InsertUser(ctx context.Context, u *store.User) error {
	_, err := x.exec(ctx, `INSERT INTO users (id, merchant_id, email, password_hash, role, created_at)
 VALUES (?,?,?,?,?,?)`, u.ID, u.MerchantID, strings.ToLower(u.Email), u.PasswordHash, u.Role, micros(u.CreatedAt))
	return err
}

const connCols = `id, merchant_id, livemode, provider, enabled, methods, credentials, hint, base_url, created_at, updated_at, deleted_at`

func scanConn(r scanner) (*store.Connection, error) {
	var (
		c                         store.Connection
		methods                   string
		creds                     []byte
		created, updated, deleted int64
	)
	if err := r.Scan(&c.ID, &c.MerchantID, &c.Livemode, &c.Provider, &c.Enabled, &methods, &creds, &c.Hint,
		&c.BaseURL, &created, &updated, &deleted); err != nil {
		return nil, err
	}
	c.Credentials = creds
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	if deleted != 0 {
		t := fromMicros(deleted)
		c.DeletedAt = &t
	}
	return &c, unmarshalCols(col{methods, &c.Methods})
}

func (x *queries) GetConnection(ctx context.Context, id string) (*store.Connection, error) {
	c, err := scanConn(x.row(ctx, `SELECT `+connCols+` FROM provider_connections WHERE id = ?`, id))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return c, nil
}

func (x *queries) FindConnection(ctx context.Context, s store.Scope, id string) (*store.Connection, error) {
	c, err := scanConn(x.row(ctx, `SELECT `+connCols+` FROM provider_connections
 WHERE merchant_id = ? AND livemode = ? AND id = ?`, s.MerchantID, s.Livemode, id))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return c, nil
}

func (x *queries) FindConnectionForUpdate(ctx context.Context, s store.Scope, id string) (*store.Connection, error) {
	c, err := scanConn(x.row(ctx, `SELECT `+connCols+` FROM provider_connections
 WHERE merchant_id = ? AND livemode = ? AND id = ?`+x.s.d.ForUpdate(), s.MerchantID, s.Livemode, id))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return c, nil
}

func (x *queries) ConnectionFor(ctx context.Context, s store.Scope, provider string) (*store.Connection, error) {
	c, err := scanConn(x.row(ctx, `SELECT `+connCols+` FROM provider_connections
 WHERE merchant_id = ? AND livemode = ? AND provider = ? AND enabled = ? AND deleted_at = 0
 ORDER BY created_at, id LIMIT 1`, s.MerchantID, s.Livemode, provider, true))
	if err != nil {
		return nil, x.scanErr(err)
	}
	return c, nil
}

func (x *queries) ListConnections(ctx context.Context, s store.Scope) ([]*store.Connection, error) {
	rows, err := x.query(ctx, `SELECT `+connCols+` FROM provider_connections
 WHERE merchant_id = ? AND livemode = ? AND deleted_at = 0 ORDER BY created_at, id LIMIT ?`, s.MerchantID, s.Livemode, 1000)
	if err != nil {
		return nil, err
	}
	out, _, err := collect(x, rows, 1000, scanConn)
	return out, err
}

func (x *queries) PageConnections(ctx context.Context, s store.Scope, f store.ConnectionFilter) ([]*store.Connection, bool, error) {
	where := []string{"merchant_id = ?", "livemode = ?", "deleted_at = 0"}
	args := []any{s.MerchantID, s.Livemode}
	if f.StartingAfter != "" {
		var at int64
		err := x.row(ctx, `SELECT created_at FROM provider_connections
 WHERE merchant_id = ? AND livemode = ? AND id = ? AND deleted_at = 0`, s.MerchantID, s.Livemode, f.StartingAfter).Scan(&at)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, at, at, f.StartingAfter)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+connCols+` FROM provider_connections WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanConn)
}

func (x *queries) InsertConnection(ctx context.Context, c *store.Connection) error {
	if c.Methods == nil {
		c.Methods = []string{}
	}
	var deleted time.Time
	if c.DeletedAt != nil {
		deleted = *c.DeletedAt
	}
	_, err := x.exec(ctx, `INSERT INTO provider_connections (`+connCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.ID, c.MerchantID, c.Livemode, c.Provider, c.Enabled, mustJSON(c.Methods), c.Credentials, c.Hint,
		c.BaseURL, micros(c.CreatedAt), micros(c.UpdatedAt), micros(deleted))
	return err
}

func (x *queries) UpdateConnection(ctx context.Context, c *store.Connection) error {
	if c.Methods == nil {
		c.Methods = []string{}
	}
	var deleted time.Time
	if c.DeletedAt != nil {
		deleted = *c.DeletedAt
	}
	res, err := x.exec(ctx, `UPDATE provider_connections SET enabled = ?, methods = ?, deleted_at = ?, updated_at = ?
 WHERE merchant_id = ? AND livemode = ? AND id = ?`,
		c.Enabled, mustJSON(c.Methods), micros(deleted), micros(c.UpdatedAt), c.MerchantID, c.Livemode, c.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.ErrNotFound
	}
	return nil
}

func (x *queries) RecordInboundWebhook(ctx context.Context, connectionID, eventID, merchantID string, at time.Time) (bool, error) {
	res, err := x.exec(ctx, `INSERT INTO inbound_webhooks (connection_id, event_id, merchant_id, received_at)
 VALUES (?,?,?,?) ON CONFLICT DO NOTHING`, connectionID, eventID, merchantID, micros(at))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
