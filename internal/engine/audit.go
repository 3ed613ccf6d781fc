package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// The audit log records changes to a merchant's configuration and operator actions
// that are not payment or refund events (those are the events themselves). Entries
// are written in the transaction of the change, so the log and the state agree.
//
// Who acted travels in the context (WithActor): the API sets the key's actor, the
// backoffice the operator's; anything else is paymux itself (system).

// PrefixAudit starts audit entry ids.
const PrefixAudit = "aud_"

type actorKey struct{}
type requestIDKey struct{}

// WithActor returns ctx carrying who is acting and, if known, the API request id.
func WithActor(ctx context.Context, a payment.Actor, requestID string) context.Context {
	ctx = context.WithValue(ctx, actorKey{}, a)
	return context.WithValue(ctx, requestIDKey{}, requestID)
}

// actorOf is who acts in ctx: the actor WithActor set, else paymux itself.
func actorOf(ctx context.Context) (payment.Actor, string) {
	a, ok := ctx.Value(actorKey{}).(payment.Actor)
	if !ok {
		a = payment.Actor{Type: payment.ActorSystem, ID: "paymux"}
	}
	rid, _ := ctx.Value(requestIDKey{}).(string)
	return a, rid
}

// AuditEntry is an audit log entry as the API shows it.
type AuditEntry struct {
	ID         string          `json:"id"`
	Object     string          `json:"object"`
	Livemode   bool            `json:"livemode"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Actor      payment.Actor   `json:"actor"`
	RequestID  string          `json:"request_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	CreatedAt  time.Time       `json:"created_at"`
}

// audit appends an entry for action on an object of the scope, in tx. before and
// after are the object's API views (never anything secret); nil for none.
func (e *Engine) audit(ctx context.Context, tx store.Tx, s store.Scope, action, objectType, objectID string, before, after any) error {
	data, err := json.Marshal(struct {
		Before any `json:"before"`
		After  any `json:"after"`
	}{before, after})
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	actor, rid := actorOf(ctx)
	return tx.InsertAudit(ctx, &store.AuditEntry{ID: payment.NewID(PrefixAudit), MerchantID: s.MerchantID,
		Livemode: s.Livemode, Action: action, ObjectType: objectType, ObjectID: objectID, Actor: actor,
		RequestID: rid, Data: data, CreatedAt: e.now().UTC()})
}

// ListAudit lists the scope's audit log, newest first.
func (e *Engine) ListAudit(ctx context.Context, s store.Scope, f store.AuditFilter) ([]*AuditEntry, bool, error) {
	list, more, err := e.store.ListAudit(ctx, s, f)
	if err != nil {
		return nil, false, storeErr(err)
	}
	out := make([]*AuditEntry, len(list))
	for i, a := range list {
		var d struct{ Before, After json.RawMessage }
		if err := json.Unmarshal(a.Data, &d); err != nil {
			return nil, false, fmt.Errorf("audit entry %s: %w", a.ID, err)
		}
		out[i] = &AuditEntry{ID: a.ID, Object: "audit_entry", Livemode: a.Livemode, Action: a.Action,
			ObjectType: a.ObjectType, ObjectID: a.ObjectID, Actor: a.Actor, RequestID: a.RequestID,
			Before: d.Before, After: d.After, CreatedAt: a.CreatedAt.UTC()}
	}
	return out, more, nil
}
