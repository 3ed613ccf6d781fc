package sqlstore

import (
	"context"
	"strings"

	"github.com/paymux/paymux/internal/store"
)

const auditCols = `seq, id, merchant_id, livemode, action, object_type, object_id, actor_type, actor_id,
 request_id, data, created_at`

func scanAudit(r scanner) (*store.AuditEntry, error) {
	var (
		a       store.AuditEntry
		data    string
		created int64
	)
	if err := r.Scan(&a.Seq, &a.ID, &a.MerchantID, &a.Livemode, &a.Action, &a.ObjectType, &a.ObjectID,
		&a.Actor.Type, &a.Actor.ID, &a.RequestID, &data, &created); err != nil {
		return nil, err
	}
	a.Data = []byte(data)
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

func (x *queries) InsertAudit(ctx context.Context, a *store.AuditEntry) error {
	err := x.row(ctx, `INSERT INTO audit_log (id, merchant_id, livemode, action, object_type, object_id,
 actor_type, actor_id, request_id, data, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING seq`,
		a.ID, a.MerchantID, a.Livemode, a.Action, a.ObjectType, a.ObjectID, a.Actor.Type, a.Actor.ID,
		a.RequestID, string(a.Data), micros(a.CreatedAt)).Scan(&a.Seq)
	return x.scanErr(err)
}

func (x *queries) ListAudit(ctx context.Context, s store.Scope, f store.AuditFilter) ([]*store.AuditEntry, bool, error) {
	where := []string{"merchant_id = ?", "livemode = ?"}
	args := []any{s.MerchantID, s.Livemode}
	if f.ObjectID != "" {
		where, args = append(where, "object_id = ?"), append(args, f.ObjectID)
	}
	if f.StartingAfter != "" {
		var seq int64
		err := x.row(ctx, `SELECT seq FROM audit_log WHERE merchant_id = ? AND id = ? AND livemode = ?`,
			s.MerchantID, f.StartingAfter, s.Livemode).Scan(&seq)
		if err != nil {
			return nil, false, cursorErr(x.scanErr(err), f.StartingAfter)
		}
		where, args = append(where, "seq < ?"), append(args, seq)
	}
	limit := clampLimit(f.Limit)
	rows, err := x.query(ctx, `SELECT `+auditCols+` FROM audit_log WHERE `+strings.Join(where, " AND ")+
		` ORDER BY seq DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	return collect(x, rows, limit, scanAudit)
}
