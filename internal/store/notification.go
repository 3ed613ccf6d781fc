package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// Notification statuses.
const (
	// NotificationQueued: waiting for its next attempt (a job exists for it).
	NotificationQueued = "queued"
	// NotificationSent: the mail server accepted it.
	NotificationSent = "sent"
	// NotificationFailed: refused for good (a 5xx reply), or every retry failed.
	NotificationFailed = "failed"
	// NotificationSkipped: never sent, for the reason in LastError (e.g. email is
	// not set up on this paymux).
	NotificationSkipped = "skipped"
)

// Notification is one email paymux sends, or chose not to, with its attempts so
// far. Data holds what the email shows, rendered when it is sent; the rendered
// body is never stored.
type Notification struct {
	ID         string
	MerchantID string
	Livemode   bool
	// PaymentID is the payment it is about; empty for a webhook endpoint's notice.
	PaymentID string
	// RelatedID is the refund, payment link or webhook endpoint it is about, if any.
	RelatedID string
	Kind      string
	Recipient string
	Locale    string
	Subject   string
	Status    string
	Attempts  int
	LastError string
	// NextAttemptAt is when a queued notification is due.
	NextAttemptAt time.Time
	Data          json.RawMessage
	// Actor is who or what caused it: the change's actor, or the operator who wrote it.
	Actor     payment.Actor
	CreatedAt time.Time
	UpdatedAt time.Time
	SentAt    time.Time
}

// NotificationFilter pages a scope's notifications about one payment, newest first.
type NotificationFilter struct {
	PaymentID     string
	Limit         int
	StartingAfter string
}

// NotificationSettings are a merchant's email settings in one mode.
type NotificationSettings struct {
	MerchantID string
	Livemode   bool
	// Kinds holds the kinds the merchant switched on or off; kinds it never chose
	// keep their default.
	Kinds map[string]bool
	// ReminderDelay is how long after its creation an unpaid payment is reminded of.
	ReminderDelay time.Duration
	DefaultLocale string
	BrandName     string
	BrandColor    string
	LogoURL       string
	ReplyTo       string
	OperatorEmail string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// NotificationReader reads notifications and email settings.
type NotificationReader interface {
	// GetNotification finds one of the scope's notifications; ErrNotFound otherwise.
	GetNotification(ctx context.Context, s Scope, id string) (*Notification, error)
	// ListNotifications pages the notifications of f.PaymentID. A StartingAfter that
	// is not one of them is a parameter_invalid *payment.Error.
	ListNotifications(ctx context.Context, s Scope, f NotificationFilter) ([]*Notification, bool, error)
	// GetNotificationSettings returns the scope's settings; ErrNotFound if the
	// merchant never saved any in this mode.
	GetNotificationSettings(ctx context.Context, s Scope) (*NotificationSettings, error)
}

// NotificationWriter records notifications and email settings.
type NotificationWriter interface {
	// InsertNotification stores a new notification.
	InsertNotification(ctx context.Context, n *Notification) error
	// GetNotificationForUpdate is GetNotification, locking the row.
	GetNotificationForUpdate(ctx context.Context, s Scope, id string) (*Notification, error)
	// UpdateNotification stores n's status, attempts, last error and times;
	// ErrNotFound unless it is a notification of its merchant and mode.
	UpdateNotification(ctx context.Context, n *Notification) error
	// PutNotificationSettings stores the scope's settings, replacing any.
	PutNotificationSettings(ctx context.Context, ns *NotificationSettings) error
	// LockNotificationSettings returns the scope's settings with their row locked
	// until the transaction ends, first storing def when there are none, so that
	// concurrent partial updates apply one after the other.
	LockNotificationSettings(ctx context.Context, def *NotificationSettings) (*NotificationSettings, error)
}
