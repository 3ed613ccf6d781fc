package store

import (
	"context"
	"time"
)

// Webhook endpoint statuses.
const (
	// WebhookEnabled endpoints receive the events they subscribed to.
	WebhookEnabled = "enabled"
	// WebhookDisabled endpoints receive nothing; the merchant or paymux (after
	// repeated failures) disabled them.
	WebhookDisabled = "disabled"
)

// Webhook delivery statuses.
const (
	// DeliveryPending: queued for its next attempt (a job exists for it).
	DeliveryPending = "pending"
	// DeliveryWaiting: held back, without a job, until the delivery of an earlier
	// event of the same payment to the same (ordered) endpoint is settled.
	DeliveryWaiting = "waiting"
	// DeliverySucceeded: the endpoint answered 2xx.
	DeliverySucceeded = "succeeded"
	// DeliveryFailed: every attempt of the schedule failed, or the endpoint was
	// disabled or deleted before it could be delivered.
	DeliveryFailed = "failed"
)

// WebhookEndpoint is a merchant's URL that receives events of one mode. Secrets are
// sealed (AES-256-GCM under the master key, bound to the endpoint's id).
type WebhookEndpoint struct {
	ID            string
	MerchantID    string
	Livemode      bool
	URL           string
	Description   string
	EnabledEvents []string
	// Ordered endpoints receive the events of one payment one at a time, in order.
	Ordered        bool
	Status         string
	DisabledReason string
	Secret         []byte
	SecretHint     string
	// PreviousSecret still signs until PreviousSecretExpiresAt (a rotation's grace
	// period); nil when there is none.
	PreviousSecret          []byte
	PreviousSecretExpiresAt time.Time
	// FailingSince is when the first of the current run of given-up deliveries was
	// given up; zero while the endpoint is healthy.
	FailingSince time.Time
	// ConsecutiveFailures counts deliveries given up since the last success.
	ConsecutiveFailures int
	CreatedAt           time.Time
	UpdatedAt           time.Time
	// DeletedAt is set once deleted: the row stays so that its deliveries can still
	// be read and their pending jobs end cleanly.
	DeletedAt *time.Time
}

// WebhookDelivery is one event to send to one endpoint, with its attempts so far.
type WebhookDelivery struct {
	ID         string
	MerchantID string
	Livemode   bool
	EndpointID string
	EventID    string
	// EventSeq orders the deliveries of one endpoint (the event's Seq).
	EventSeq  int64
	EventType string
	PaymentID string
	Status    string
	// Manual deliveries were retried or replayed on request: a failure ends them at
	// once instead of following the retry schedule.
	Manual   bool
	Attempts int
	// NextAttemptAt is when a pending delivery is due.
	NextAttemptAt  time.Time
	LastAttemptAt  time.Time
	LastHTTPStatus int
	LastError      string
	DeliveredAt    time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// WebhookAttempt is one try at a delivery, as the endpoint answered it.
type WebhookAttempt struct {
	MerchantID string
	DeliveryID string
	// Attempt numbers a delivery's attempts from 1.
	Attempt int
	At      time.Time
	// HTTPStatus is 0 when the endpoint did not answer.
	HTTPStatus      int
	LatencyMS       int64
	ResponseExcerpt string
	Error           string
}

// WebhookEndpointFilter pages a scope's endpoints that are not deleted, newest first.
type WebhookEndpointFilter struct {
	Limit         int
	StartingAfter string
}

// WebhookDeliveryFilter pages one endpoint's deliveries, newest event first.
type WebhookDeliveryFilter struct {
	EndpointID    string
	Status        string
	Limit         int
	StartingAfter string
}

// WebhookReader reads outbound webhook endpoints, deliveries and attempts.
type WebhookReader interface {
	// GetWebhookEndpoint finds one of the scope's endpoints, deleted or not;
	// ErrNotFound for an unknown id or one of another merchant or mode.
	GetWebhookEndpoint(ctx context.Context, s Scope, id string) (*WebhookEndpoint, error)
	// ListWebhookEndpoints pages the scope's endpoints that are not deleted. A
	// StartingAfter that is not one of them is a parameter_invalid *payment.Error.
	ListWebhookEndpoints(ctx context.Context, s Scope, f WebhookEndpointFilter) ([]*WebhookEndpoint, bool, error)
	// ActiveWebhookEndpoints lists the scope's enabled endpoints that are not
	// deleted, oldest first: those that receive an event appended now.
	ActiveWebhookEndpoints(ctx context.Context, s Scope) ([]*WebhookEndpoint, error)
	// CountWebhookEndpoints counts the scope's endpoints that are not deleted.
	CountWebhookEndpoints(ctx context.Context, s Scope) (int, error)
	// GetWebhookDelivery finds one of the scope's deliveries; ErrNotFound otherwise.
	GetWebhookDelivery(ctx context.Context, s Scope, id string) (*WebhookDelivery, error)
	// ListWebhookDeliveries pages an endpoint's deliveries. A StartingAfter that is
	// not one of them is a parameter_invalid *payment.Error.
	ListWebhookDeliveries(ctx context.Context, s Scope, f WebhookDeliveryFilter) ([]*WebhookDelivery, bool, error)
	// ListWebhookAttempts returns a delivery's last limit attempts, oldest first.
	ListWebhookAttempts(ctx context.Context, s Scope, deliveryID string, limit int) ([]*WebhookAttempt, error)
}

// WebhookWriter changes outbound webhook endpoints, deliveries and attempts.
//
// Every change to whether a delivery is open (pending or waiting) happens under the
// row lock of its payment, taken first (GetPaymentForUpdate), so that deciding
// "wait behind an earlier open delivery" and "hand over to the next waiting one"
// never miss each other across transactions.
type WebhookWriter interface {
	// InsertWebhookEndpoint stores a new endpoint.
	InsertWebhookEndpoint(ctx context.Context, ep *WebhookEndpoint) error
	// FindWebhookEndpointForUpdate is GetWebhookEndpoint, locking the row.
	FindWebhookEndpointForUpdate(ctx context.Context, s Scope, id string) (*WebhookEndpoint, error)
	// UpdateWebhookEndpoint stores every field of ep but its id, merchant, mode and
	// creation time; ErrNotFound unless it is an endpoint of its merchant and mode.
	UpdateWebhookEndpoint(ctx context.Context, ep *WebhookEndpoint) error
	// InsertWebhookDelivery stores a new delivery; ErrDuplicate when the endpoint
	// already has one for the event.
	InsertWebhookDelivery(ctx context.Context, d *WebhookDelivery) error
	// GetWebhookDeliveryForUpdate is GetWebhookDelivery, locking the row.
	GetWebhookDeliveryForUpdate(ctx context.Context, s Scope, id string) (*WebhookDelivery, error)
	// UpdateWebhookDelivery stores d's status, attempt fields and times;
	// ErrNotFound unless it is a delivery of its merchant and mode.
	UpdateWebhookDelivery(ctx context.Context, d *WebhookDelivery) error
	// InsertWebhookAttempt records an attempt; recording the same attempt number of
	// a delivery twice (a crash between sending and recording) keeps the first.
	InsertWebhookAttempt(ctx context.Context, a *WebhookAttempt) error
	// OpenWebhookDeliveryBefore finds the earliest delivery to endpointID about
	// paymentID that is pending or waiting and whose event precedes seq; ErrNotFound
	// if there is none.
	OpenWebhookDeliveryBefore(ctx context.Context, s Scope, endpointID, paymentID string, seq int64) (*WebhookDelivery, error)
	// NextWaitingWebhookDelivery finds the earliest waiting delivery to endpointID
	// about paymentID; ErrNotFound if there is none.
	NextWaitingWebhookDelivery(ctx context.Context, s Scope, endpointID, paymentID string) (*WebhookDelivery, error)
	// ReplayableWebhookDeliveries lists an endpoint's deliveries in one of statuses
	// created at or after since, oldest event first, at most limit, and whether more
	// match.
	ReplayableWebhookDeliveries(ctx context.Context, s Scope, endpointID string, statuses []string, since time.Time, limit int) ([]*WebhookDelivery, bool, error)
	// RescheduleJobByKey makes the queued (not running) job with this unique key due
	// at runAt, and reports whether there was one.
	RescheduleJobByKey(ctx context.Context, uniqueKey string, runAt time.Time) (bool, error)
}
