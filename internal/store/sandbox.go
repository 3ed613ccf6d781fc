package store

import (
	"context"
	"time"
)

// SandboxTxn is the built-in sandbox provider's own record of a payment: the state a
// real PSP would keep on its side. It is stored here only because the sandbox runs in
// the same process; paymux's payment code never reads it, only the sandbox does.
type SandboxTxn struct {
	ID             string
	ConnectionID   string
	MerchantID     string
	PaymentID      string
	IdempotencyKey string
	Method         string
	Status         string
	Amount         int64
	Currency       string
	CaptureMethod  string
	AmountCaptured int64
	AmountRefunded int64
	ReturnURL      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// SandboxRefund is the sandbox's record of a refund.
type SandboxRefund struct {
	ID             string
	TxnID          string
	IdempotencyKey string
	Amount         int64
	Status         string
	CreatedAt      time.Time
}

// SandboxReader reads the sandbox's records.
type SandboxReader interface {
	GetSandboxTxn(ctx context.Context, id string) (*SandboxTxn, error)
	SandboxTxnByKey(ctx context.Context, connectionID, idempotencyKey string) (*SandboxTxn, error)
	SandboxRefundByKey(ctx context.Context, txnID, idempotencyKey string) (*SandboxRefund, error)
}

// SandboxWriter writes the sandbox's records.
type SandboxWriter interface {
	InsertSandboxTxn(ctx context.Context, t *SandboxTxn) error
	UpdateSandboxTxn(ctx context.Context, t *SandboxTxn) error
	InsertSandboxRefund(ctx context.Context, r *SandboxRefund) error
}
