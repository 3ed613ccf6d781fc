package store

import (
	"context"
	"time"
)

// Merchant is a business that takes payments through paymux.
type Merchant struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Key kinds: secret keys for server-side calls, publishable keys for the browser.
const (
	KeySecret      = "secret"
	KeyPublishable = "publishable"
)

// APIKey is a merchant's API key. Only its SHA-256 is stored: keys carry 130+ random
// bits, so a fast hash is safe and keeps authentication off the hot path's budget.
type APIKey struct {
	ID         string
	MerchantID string
	Livemode   bool
	Kind       string
	Hash       string
	Hint       string // prefix and last four characters, for listings
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// User is a backoffice operator. MerchantID is empty for a platform administrator.
type User struct {
	ID           string
	MerchantID   string
	Email        string
	PasswordHash string
	Role         string
	CreatedAt    time.Time
}

// Connection is a merchant's account at a provider in one mode. Credentials are
// sealed (AES-256-GCM under the master key); only the hint is ever shown.
type Connection struct {
	ID          string
	MerchantID  string
	Livemode    bool
	Provider    string
	Enabled     bool
	Methods     []string
	Credentials []byte
	Hint        string
	BaseURL     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// DeletedAt is set once the connection is deleted. The row stays, disabled, so
	// that payments made through it can still be refunded and its webhooks read; it
	// is no longer listed nor chosen for new payments.
	DeletedAt *time.Time
}

// ConnectionFilter selects a scope's connections that are not deleted, newest first;
// StartingAfter is the id of the last row of the previous page.
type ConnectionFilter struct {
	Limit         int
	StartingAfter string
}

// AccountReader reads merchants, keys, operators and provider connections.
type AccountReader interface {
	GetMerchant(ctx context.Context, id string) (*Merchant, error)
	CountMerchants(ctx context.Context) (int, error)
	// APIKeyByHash finds a key, revoked or not, by its hash.
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// GetConnection finds a connection by id alone, deleted or not: inbound webhooks
	// name it in their URL, and payments made through it are refunded through it.
	GetConnection(ctx context.Context, id string) (*Connection, error)
	// FindConnection finds one of the scope's connections by id, deleted or not;
	// ErrNotFound for an unknown id or one of another merchant or mode.
	FindConnection(ctx context.Context, s Scope, id string) (*Connection, error)
	// ConnectionFor returns the merchant's enabled, not deleted connection to provider
	// in the scope's mode, the oldest first when there are several; ErrNotFound if none.
	ConnectionFor(ctx context.Context, s Scope, provider string) (*Connection, error)
	// ListConnections lists the scope's connections that are not deleted, oldest first.
	ListConnections(ctx context.Context, s Scope) ([]*Connection, error)
	// PageConnections is ListConnections a page at a time, newest first like every
	// API list, and reports whether more follow. A StartingAfter that is not one of
	// the listed connections is refused with a parameter_invalid *payment.Error.
	PageConnections(ctx context.Context, s Scope, f ConnectionFilter) ([]*Connection, bool, error)
}

// AccountWriter creates and changes merchants, keys, operators and connections.
type AccountWriter interface {
	InsertMerchant(ctx context.Context, m *Merchant) error
	InsertAPIKey(ctx context.Context, k *APIKey) error
	// RevokeAPIKey marks the key revoked and returns whose it was; ErrNotFound for an
	// unknown or already revoked id.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) (Scope, error)
	// InsertUser returns ErrDuplicate for an email already in use.
	InsertUser(ctx context.Context, u *User) error
	InsertConnection(ctx context.Context, c *Connection) error
	// FindConnectionForUpdate is FindConnection, locking the row until the
	// transaction ends.
	FindConnectionForUpdate(ctx context.Context, s Scope, id string) (*Connection, error)
	// UpdateConnection stores c's Enabled, Methods, DeletedAt and UpdatedAt (a
	// connection's provider, mode, credentials and base URL never change: a new
	// connection is made instead); ErrNotFound unless c is a connection of its
	// merchant and mode.
	UpdateConnection(ctx context.Context, c *Connection) error
}
