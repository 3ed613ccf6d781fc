package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// MerchantKeys is a new merchant with its four API keys, shown once.
type MerchantKeys struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	TestSecretKey      string `json:"test_secret_key"`
	TestPublishableKey string `json:"test_publishable_key"`
	LiveSecretKey      string `json:"live_secret_key"`
	LivePublishableKey string `json:"live_publishable_key"`
}

// CreateMerchant creates a merchant with test and live key pairs and a sandbox
// connection for test mode, so test payments work at once.
func (e *Engine) CreateMerchant(ctx context.Context, name string) (*MerchantKeys, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, payment.Invalid("name", payment.CodeParameterInvalid, "merchant name must be 1-200 characters")
	}
	now := e.now().UTC()
	m := &store.Merchant{ID: payment.NewID(payment.PrefixMerchant), Name: name, CreatedAt: now}
	out := &MerchantKeys{ID: m.ID, Name: name}
	type keyspec struct {
		live bool
		kind string
		dst  *string
	}
	specs := []keyspec{
		{false, store.KeySecret, &out.TestSecretKey}, {false, store.KeyPublishable, &out.TestPublishableKey},
		{true, store.KeySecret, &out.LiveSecretKey}, {true, store.KeyPublishable, &out.LivePublishableKey},
	}
	keys := make([]*store.APIKey, len(specs))
	for i, sp := range specs {
		raw, k := newAPIKey(m.ID, sp.live, sp.kind, now)
		*sp.dst, keys[i] = raw, k
	}
	connID := payment.NewID(payment.PrefixConn)
	sealed, err := e.SealCredentials(connID, map[string]string{"webhook_secret": "whsec_" + payment.RandomString(32)})
	if err != nil {
		return nil, err
	}
	conn := &store.Connection{ID: connID, MerchantID: m.ID, Livemode: false, Provider: DefaultTestProvider,
		Enabled: true, Methods: []string{}, Credentials: sealed, Hint: "built-in sandbox", CreatedAt: now, UpdatedAt: now}
	err = e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.InsertMerchant(ctx, m); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.InsertAPIKey(ctx, k); err != nil {
				return err
			}
		}
		return tx.InsertConnection(ctx, conn)
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return out, nil
}

// NewKey is a freshly created API key, shown once.
type NewKey struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchant_id"`
	Key        string `json:"key"`
	Livemode   bool   `json:"livemode"`
	Kind       string `json:"kind"`
}

// CreateAPIKey adds a key to a merchant.
func (e *Engine) CreateAPIKey(ctx context.Context, merchantID string, live bool, kind string) (*NewKey, error) {
	if kind != store.KeySecret && kind != store.KeyPublishable {
		return nil, payment.Invalid("kind", payment.CodeParameterInvalid, "key kind must be %q or %q", store.KeySecret, store.KeyPublishable)
	}
	if _, err := e.store.GetMerchant(ctx, merchantID); err != nil {
		return nil, notFound(err, "merchant", merchantID)
	}
	raw, k := newAPIKey(merchantID, live, kind, e.now().UTC())
	if err := e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.InsertAPIKey(ctx, k); err != nil {
			return err
		}
		// The entry names the key by id, never by its secret value.
		return e.audit(ctx, tx, store.Scope{MerchantID: merchantID, Livemode: live}, "api_key.created", "api_key", k.ID, nil,
			map[string]any{"id": k.ID, "kind": kind, "livemode": live})
	}); err != nil {
		return nil, storeErr(err)
	}
	return &NewKey{ID: k.ID, MerchantID: merchantID, Key: raw, Livemode: live, Kind: kind}, nil
}

// RevokeAPIKey revokes a key by id, or by the key itself.
func (e *Engine) RevokeAPIKey(ctx context.Context, idOrKey string) (string, error) {
	id := idOrKey
	if !strings.HasPrefix(idOrKey, payment.PrefixKey) {
		k, err := e.store.APIKeyByHash(ctx, HashAPIKey(idOrKey))
		if err != nil {
			return "", notFound(err, "API key", maskKey(idOrKey))
		}
		id = k.ID
	}
	err := e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		s, err := tx.RevokeAPIKey(ctx, id, e.now())
		if err != nil {
			return err
		}
		return e.audit(ctx, tx, s, "api_key.revoked", "api_key", id, map[string]any{"id": id, "livemode": s.Livemode}, nil)
	})
	e.keys.clear()
	if err != nil {
		return "", notFound(err, "API key (or it is already revoked)", id)
	}
	return id, nil
}

func newAPIKey(merchantID string, live bool, kind string, now time.Time) (string, *store.APIKey) {
	prefix := "sk_"
	if kind == store.KeyPublishable {
		prefix = "pk_"
	}
	if live {
		prefix += "live_"
	} else {
		prefix += "test_"
	}
	raw := prefix + payment.RandomString(32)
	return raw, &store.APIKey{ID: payment.NewID(payment.PrefixKey), MerchantID: merchantID, Livemode: live,
		Kind: kind, Hash: HashAPIKey(raw), Hint: maskKey(raw), CreatedAt: now}
}

// HashAPIKey is how keys are stored and looked up.
func HashAPIKey(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

func maskKey(raw string) string {
	if len(raw) < 12 {
		return "…"
	}
	i := strings.LastIndexByte(raw[:min(len(raw), 8)], '_')
	return raw[:i+1] + "…" + raw[len(raw)-4:]
}

// Principal is an authenticated API caller.
type Principal struct {
	KeyID string
	Kind  string
	Scope store.Scope
}

// Actor is the principal as recorded on events.
func (p Principal) Actor() payment.Actor {
	return payment.Actor{Type: payment.ActorAPIKey, ID: p.KeyID}
}

// Authenticate checks a bearer API key.
func (e *Engine) Authenticate(ctx context.Context, raw string) (*Principal, error) {
	var live bool
	var kind string
	switch {
	case strings.HasPrefix(raw, "sk_test_"):
		kind = store.KeySecret
	case strings.HasPrefix(raw, "sk_live_"):
		kind, live = store.KeySecret, true
	case strings.HasPrefix(raw, "pk_test_"):
		kind = store.KeyPublishable
	case strings.HasPrefix(raw, "pk_live_"):
		kind, live = store.KeyPublishable, true
	default:
		return nil, payment.Errorf(payment.KindUnauthorized, payment.CodeAPIKeyInvalid,
			"invalid API key: keys start with sk_test_, sk_live_, pk_test_ or pk_live_")
	}
	hash := HashAPIKey(raw)
	k, ok := e.keys.get(hash, e.now())
	var err error
	if !ok {
		if k, err = e.store.APIKeyByHash(ctx, hash); err == nil {
			e.keys.put(hash, k, e.now())
		}
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.RevokedAt != nil) {
		return nil, payment.Errorf(payment.KindUnauthorized, payment.CodeAPIKeyInvalid,
			"invalid API key %s: it does not exist or was revoked", maskKey(raw))
	}
	if err != nil {
		return nil, storeErr(err)
	}
	if k.Livemode != live || k.Kind != kind {
		return nil, payment.Errorf(payment.KindUnauthorized, payment.CodeAPIKeyInvalid, "invalid API key %s", maskKey(raw))
	}
	return &Principal{KeyID: k.ID, Kind: k.Kind, Scope: store.Scope{MerchantID: k.MerchantID, Livemode: k.Livemode}}, nil
}

// Operator roles. Fine-grained permissions come with the backoffice.
var roles = map[string]bool{"admin": true, "manager": true, "operator": true, "viewer": true}

// NewUser is a created operator with the generated password, shown once.
type NewUser struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Role       string `json:"role"`
	MerchantID string `json:"merchant_id,omitempty"`
	Password   string `json:"password"`
}

// CreateUser creates a backoffice operator with a random password.
func (e *Engine) CreateUser(ctx context.Context, email, role, merchantID string) (*NewUser, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") || len(email) > 254 {
		return nil, payment.Invalid("email", payment.CodeParameterInvalid, "%q is not an email address", email)
	}
	if !roles[role] {
		return nil, payment.Invalid("role", payment.CodeParameterInvalid, "role must be one of admin, manager, operator, viewer, not %q", role)
	}
	if merchantID != "" {
		if _, err := e.store.GetMerchant(ctx, merchantID); err != nil {
			return nil, notFound(err, "merchant", merchantID)
		}
	}
	pw := payment.RandomString(20)
	u := &store.User{ID: payment.NewID(payment.PrefixUser), MerchantID: merchantID, Email: email,
		PasswordHash: HashPassword(pw), Role: role, CreatedAt: e.now().UTC()}
	err := e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error { return tx.InsertUser(ctx, u) })
	if errors.Is(err, store.ErrDuplicate) {
		return nil, payment.Errorf(payment.KindConflict, "user_exists", "an operator with email %s already exists", email)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &NewUser{ID: u.ID, Email: email, Role: role, MerchantID: merchantID, Password: pw}, nil
}

// argon2id parameters (RFC 9106's second recommendation, lighter memory).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword hashes an operator password with argon2id in the PHC string format.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	sum := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
}

// CheckPassword verifies pw against a hash made by HashPassword.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
