package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// AuditEntry records one change to a merchant's configuration, or one operator
// action, that is not itself a payment or refund event: who did what to which
// object, with the object before and after (views only: never a secret).
type AuditEntry struct {
	Seq        int64
	ID         string
	MerchantID string
	Livemode   bool
	// Action is "<object type>.<verb>", e.g. "provider_connection.updated".
	Action     string
	ObjectType string
	ObjectID   string
	Actor      payment.Actor
	// RequestID is the API request that made the change ("" for jobs and the CLI).
	RequestID string
	// Data is {"before": …, "after": …}, either null for creations and deletions.
	Data      json.RawMessage
	CreatedAt time.Time
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	ObjectID      string
	Limit         int
	StartingAfter string
}

// AuditReader reads the audit log.
type AuditReader interface {
	// ListAudit lists the scope's entries, newest first (ErrNotFound-coded cursor
	// errors as the other lists).
	ListAudit(ctx context.Context, s Scope, f AuditFilter) ([]*AuditEntry, bool, error)
}

// AuditWriter appends to the audit log, in the transaction of the change.
type AuditWriter interface {
	InsertAudit(ctx context.Context, a *AuditEntry) error
}
