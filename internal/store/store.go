package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// Errors stores return; callers match them with errors.Is.
var (
	// ErrNotFound: no such row for this merchant and mode.
	ErrNotFound = errors.New("not found")
	// ErrStale: the row changed since it was read (optimistic concurrency).
	ErrStale = errors.New("stale update: the row changed since it was read")
	// ErrUnavailable: the database cannot be reached; the caller should answer 503.
	ErrUnavailable = errors.New("database unavailable")
	// ErrDuplicate: a unique value (email, key) already exists.
	ErrDuplicate = errors.New("already exists")
)

// Scope is the tenant and mode every merchant-owned query is limited to.
type Scope struct {
	MerchantID string
	Livemode   bool
}

// Store is a paymux database.
type Store interface {
	Reader
	// Write runs fn in one write transaction and returns once it committed (or failed).
	// fn may be run more than once when the engine retries a serialisation failure, so
	// it must have no effects outside tx. On SQLite many callers' fns are committed
	// together (group commit); each still sees only its own failure.
	Write(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// Ping checks the database answers; /readyz uses it.
	Ping(ctx context.Context) error
	// Engine names the engine: "sqlite" or "postgres".
	Engine() string
	Close() error
}

// Reader holds the queries that need no write transaction. Each also exists on Tx,
// where it reads inside the transaction.
type Reader interface {
	// GetPayment returns ErrNotFound for an unknown id, or one of another scope.
	GetPayment(ctx context.Context, s Scope, id string) (*payment.Payment, error)
	ListPayments(ctx context.Context, s Scope, f PaymentFilter) ([]*payment.Payment, bool, error)
	// PaymentByProviderReference finds a payment by the provider's id for it.
	PaymentByProviderReference(ctx context.Context, s Scope, provider, ref string) (*payment.Payment, error)
	// LocatePayment finds a payment's merchant and mode from its id alone. It is the
	// one lookup across tenants, for public pages (hosted checkout, provider return)
	// that know only the unguessable payment id.
	LocatePayment(ctx context.Context, id string) (PaymentKey, error)
	// StalePendingAttempts lists, across merchants, payments whose provider call was
	// started before the given time and never recorded (the process died during it).
	StalePendingAttempts(ctx context.Context, before time.Time, limit int) ([]PaymentKey, error)
	// ExpiredPayments lists, across merchants, open payments past their expiry.
	ExpiredPayments(ctx context.Context, now time.Time, limit int) ([]PaymentKey, error)

	GetRefund(ctx context.Context, s Scope, id string) (*payment.Refund, error)
	ListRefunds(ctx context.Context, s Scope, f RefundFilter) ([]*payment.Refund, bool, error)
	// RefundByIdempotencyKey finds the refund created under an API Idempotency-Key.
	RefundByIdempotencyKey(ctx context.Context, s Scope, key string) (*payment.Refund, error)

	GetEvent(ctx context.Context, s Scope, id string) (*payment.Event, error)
	ListEvents(ctx context.Context, s Scope, f EventFilter) ([]*payment.Event, bool, error)
	// EventsAfter lists the scope's events with Seq > afterSeq, oldest first, at most
	// limit. On PostgreSQL a transaction may commit after one with a higher Seq, so a
	// follower re-reads a trailing window (see engine.FollowEvents).
	EventsAfter(ctx context.Context, s Scope, afterSeq int64, limit int) ([]*payment.Event, error)
	// LastEventSeq is the highest Seq of the scope's events (0 with none).
	LastEventSeq(ctx context.Context, s Scope) (int64, error)

	AccountReader
	SandboxReader
	WebhookReader
	AuditReader
	InvoiceReader
	NotificationReader

	// NextJobAt is the earliest time a job becomes due; ok is false with no job.
	NextJobAt(ctx context.Context) (t time.Time, ok bool, err error)
}

// Tx is one write transaction.
type Tx interface {
	Reader
	// GetPaymentForUpdate reads a payment and locks it until the transaction ends.
	GetPaymentForUpdate(ctx context.Context, s Scope, id string) (*payment.Payment, error)
	InsertPayment(ctx context.Context, p *payment.Payment) error
	// BeginAttempt records that confirmation attempt number attempt is being sent to a
	// provider: one narrow UPDATE, done only if the payment is confirmable, has no
	// attempt pending and has made attempt-1 attempts. ok is false otherwise.
	BeginAttempt(ctx context.Context, s Scope, id string, attempt int, provider, connectionID string, at time.Time) (ok bool, err error)
	// UpdatePayment stores p if its Version is still the stored one, then increments
	// p.Version; otherwise it returns ErrStale. It checks p's invariants first.
	UpdatePayment(ctx context.Context, p *payment.Payment) error

	InsertRefund(ctx context.Context, r *payment.Refund) error
	GetRefundForUpdate(ctx context.Context, s Scope, id string) (*payment.Refund, error)
	UpdateRefund(ctx context.Context, r *payment.Refund) error

	// InsertEvent appends e and sets e.Seq.
	InsertEvent(ctx context.Context, e *payment.Event) error

	JobWriter
	IdempotencyWriter
	AccountWriter
	SandboxWriter
	WebhookWriter
	AuditWriter
	InvoiceWriter
	NotificationWriter

	// RecordInboundWebhook notes a provider event id; fresh is false for a redelivery.
	RecordInboundWebhook(ctx context.Context, connectionID, eventID, merchantID string, at time.Time) (fresh bool, err error)
}

// PaymentKey identifies a payment across merchants, for system jobs.
type PaymentKey struct {
	MerchantID string
	Livemode   bool
	ID         string
}

// Page limits: lists return at most MaxLimit rows, DefaultLimit when not asked.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// PaymentFilter selects payments; zero fields match everything. Results are newest
// first; StartingAfter is the id of the last row of the previous page.
type PaymentFilter struct {
	Status        payment.Status
	Provider      string
	OrderID       string
	CreatedGTE    time.Time
	CreatedLT     time.Time
	Limit         int
	StartingAfter string
}

// RefundFilter selects refunds, newest first.
type RefundFilter struct {
	PaymentID     string
	Limit         int
	StartingAfter string
}

// EventFilter selects events. With PaymentID the history is oldest first (it reads
// as a story); the merchant's stream is newest first.
type EventFilter struct {
	PaymentID     string
	Type          string
	Limit         int
	StartingAfter string
}

// Job is a unit of durable background work.
type Job struct {
	ID          int64
	Kind        string
	MerchantID  string
	Args        json.RawMessage
	Attempts    int
	MaxAttempts int
	RunAt       time.Time
	UniqueKey   string
}

// JobWriter is the durable queue. Jobs are inserted in the same transaction as the
// state change that needs them (transactional outbox).
type JobWriter interface {
	// EnqueueJob inserts j; with a UniqueKey already queued it does nothing.
	EnqueueJob(ctx context.Context, j Job) error
	// ClaimJobs takes up to limit due jobs (or jobs whose lease ran out after a
	// crash), leasing them until now+lease. Concurrent claimers never get the same job.
	ClaimJobs(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Job, error)
	// FinishJob deletes a done job.
	FinishJob(ctx context.Context, id int64) error
	// RetryJob makes a failed job due again at runAt, or discards it when it has run
	// MaxAttempts times.
	RetryJob(ctx context.Context, id int64, runAt time.Time, errMsg string) error
	// RescheduleJob makes a periodic job due again at runAt without counting a failure.
	RescheduleJob(ctx context.Context, id int64, runAt time.Time) error
}

// IdemState is what ClaimIdempotency found.
type IdemState int

// Outcomes of an idempotency claim.
const (
	IdemClaimed  IdemState = iota // new, or taken over after a crash: run the request
	IdemReplay                    // done before: send the stored response
	IdemMismatch                  // same key, different request
	IdemBusy                      // the first request is still running
)

// IdemClaim asks to run a request under an Idempotency-Key.
type IdemClaim struct {
	Scope       Scope
	Key         string
	RequestHash string
	Token       string // identifies this claimant
	Now         time.Time
	Lease       time.Duration // how long an unfinished claim blocks others
	Retention   time.Duration // how long a key is remembered
}

// IdemResult is the answer to a claim.
type IdemResult struct {
	State        IdemState
	ResponseCode int
	ResponseBody []byte
}

// IdempotencyWriter stores Idempotency-Keys and the responses they replay.
type IdempotencyWriter interface {
	ClaimIdempotency(ctx context.Context, c IdemClaim) (IdemResult, error)
	// CompleteIdempotency stores the response; ErrStale if token no longer holds the key.
	CompleteIdempotency(ctx context.Context, s Scope, key, token string, code int, body []byte) error
	// ReleaseIdempotency forgets an unfinished claim so that the client may retry.
	ReleaseIdempotency(ctx context.Context, s Scope, key, token string) error
	// PurgeIdempotency deletes keys created before t.
	PurgeIdempotency(ctx context.Context, before time.Time) (int64, error)
}
