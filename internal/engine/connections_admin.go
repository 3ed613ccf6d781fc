package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// Limits on a connection's credentials.
const (
	maxCredentials      = 20
	maxCredentialKey    = 64
	maxCredentialValue  = 4096
	maxConnectionURLLen = 2048
)

// ProviderConnection is a merchant's provider connection as the API shows it. It
// never carries the credentials: CredentialsHint masks them.
type ProviderConnection struct {
	ID              string    `json:"id"`
	Object          string    `json:"object"`
	Livemode        bool      `json:"livemode"`
	Provider        string    `json:"provider"`
	Enabled         bool      `json:"enabled"`
	Methods         []string  `json:"methods"`
	CredentialsHint string    `json:"credentials_hint"`
	BaseURL         string    `json:"base_url"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// DeletedConnection is the answer to a delete.
type DeletedConnection struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// ConnectionVerification is the outcome of checking a connection's credentials.
type ConnectionVerification struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// CreateConnectionParams is a new provider connection. Methods nil means every method
// the provider offers; Enabled nil means enabled.
type CreateConnectionParams struct {
	Provider    string
	Credentials map[string]string
	Methods     []string
	BaseURL     string
	Enabled     *bool
}

// UpdateConnectionParams changes a connection; nil fields are left as they are.
type UpdateConnectionParams struct {
	Enabled *bool
	Methods []string
}

// CreateConnection checks and stores a provider connection in the scope's mode, its
// credentials sealed under the master key. A base URL is allowed in test mode only
// (live connections talk to the provider's published hosts alone), a test-only
// provider refuses live mode, and the provider checks its own credentials.
func (e *Engine) CreateConnection(ctx context.Context, s store.Scope, p CreateConnectionParams) (*ProviderConnection, error) {
	defer e.conns.clear()
	if p.Provider == "" {
		return nil, payment.Invalid("provider", payment.CodeParameterMissing,
			"provider is required: one of %s", strings.Join(e.providers.Names(), ", "))
	}
	reg, ok := e.providers.Lookup(p.Provider)
	if !ok {
		return nil, payment.Invalid("provider", payment.CodeParameterInvalid,
			"unknown provider %q: this paymux offers %s", p.Provider, strings.Join(e.providers.Names(), ", "))
	}
	baseURL, err := checkBaseURL(s.Livemode, p.BaseURL)
	if err != nil {
		return nil, err
	}
	if reg.Capabilities.TestOnly && s.Livemode {
		return nil, payment.Invalid("provider", payment.CodeParameterInvalid,
			"the %s provider takes test payments only: create its connection with a test key (sk_test_…)", reg.Name)
	}
	methods, err := checkMethods(reg, p.Methods)
	if err != nil {
		return nil, err
	}
	if err := checkCredentials(p.Credentials); err != nil {
		return nil, err
	}
	if reg.ValidateCredentials != nil {
		if err := reg.ValidateCredentials(s.Livemode, p.Credentials, baseURL); err != nil {
			var pe *payment.Error
			if errors.As(err, &pe) {
				return nil, pe
			}
			return nil, payment.Invalid("credentials", payment.CodeParameterInvalid, "%s credentials refused: %s", reg.Name, err.Error())
		}
	}
	now := e.now()
	c := &store.Connection{ID: payment.NewID(payment.PrefixConn), MerchantID: s.MerchantID, Livemode: s.Livemode,
		Provider: reg.Name, Enabled: p.Enabled == nil || *p.Enabled, Methods: methods,
		Hint: credentialsHint(p.Credentials), BaseURL: baseURL, CreatedAt: now, UpdatedAt: now}
	if c.Credentials, err = e.SealCredentials(c.ID, p.Credentials); err != nil {
		return nil, fmt.Errorf("seal credentials: %w", err)
	}
	view := e.connectionView(c)
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		if err := tx.InsertConnection(ctx, c); err != nil {
			return nil, err
		}
		return view, e.audit(ctx, tx, s, "provider_connection.created", "provider_connection", c.ID, nil, view)
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

// GetConnection returns one of the scope's connections that is not deleted.
func (e *Engine) GetConnection(ctx context.Context, s store.Scope, id string) (*ProviderConnection, error) {
	c, err := e.findConnection(ctx, e.store, s, id)
	if err != nil {
		return nil, err
	}
	return e.connectionView(c), nil
}

// ListConnections lists the scope's connections that are not deleted, newest first.
func (e *Engine) ListConnections(ctx context.Context, s store.Scope, f store.ConnectionFilter) ([]*ProviderConnection, bool, error) {
	cs, more, err := e.store.PageConnections(ctx, s, f)
	if err != nil {
		return nil, false, storeErr(err)
	}
	out := make([]*ProviderConnection, len(cs))
	for i, c := range cs {
		out[i] = e.connectionView(c)
	}
	return out, more, nil
}

// UpdateConnection enables or disables a connection or changes its methods. Its
// provider, mode, credentials and base URL never change: make a new one instead.
func (e *Engine) UpdateConnection(ctx context.Context, s store.Scope, id string, p UpdateConnectionParams) (*ProviderConnection, error) {
	defer e.conns.clear()
	var view *ProviderConnection
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		c, err := e.findConnection(ctx, lockingReader{tx}, s, id)
		if err != nil {
			return nil, err
		}
		changed := false
		before := e.connectionView(c)
		if p.Methods != nil {
			reg, ok := e.providers.Lookup(c.Provider)
			if !ok {
				return nil, payment.Errorf(payment.KindUnprocessable, payment.CodeParameterInvalid,
					"this paymux no longer offers provider %q: its methods cannot be changed", c.Provider)
			}
			methods, err := checkMethods(reg, p.Methods)
			if err != nil {
				return nil, err
			}
			changed = !slices.Equal(methods, c.Methods)
			c.Methods = methods
		}
		if p.Enabled != nil && *p.Enabled != c.Enabled {
			c.Enabled, changed = *p.Enabled, true
		}
		if changed {
			c.UpdatedAt = e.now()
			if err := tx.UpdateConnection(ctx, c); err != nil {
				return nil, err
			}
		}
		view = e.connectionView(c)
		if changed {
			return view, e.audit(ctx, tx, s, "provider_connection.updated", "provider_connection", c.ID, before, view)
		}
		return view, nil
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

// DeleteConnection disables a connection and marks it deleted. The row stays:
// payments made through it can still be refunded, and its webhooks still arrive.
func (e *Engine) DeleteConnection(ctx context.Context, s store.Scope, id string) (*DeletedConnection, error) {
	defer e.conns.clear()
	out := &DeletedConnection{ID: id, Object: "provider_connection", Deleted: true}
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		c, err := e.findConnection(ctx, lockingReader{tx}, s, id)
		if err != nil {
			return nil, err
		}
		before := e.connectionView(c)
		now := e.now()
		c.Enabled, c.DeletedAt, c.UpdatedAt = false, &now, now
		if err := tx.UpdateConnection(ctx, c); err != nil {
			return nil, err
		}
		return out, e.audit(ctx, tx, s, "provider_connection.deleted", "provider_connection", c.ID, before, nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// VerifyConnection asks the provider whether it accepts the connection's
// credentials. A refusal is an answer (OK false, with the provider's reason); a
// provider that cannot be reached is an error, so that the caller retries.
func (e *Engine) VerifyConnection(ctx context.Context, s store.Scope, id string) (*ConnectionVerification, error) {
	c, err := e.findConnection(ctx, e.store, s, id)
	if err != nil {
		return nil, err
	}
	reg, ok := e.providers.Lookup(c.Provider)
	if !ok {
		return nil, payment.Errorf(payment.KindUnprocessable, payment.CodeVerificationUnsupported,
			"verification not supported: this paymux no longer offers provider %q", c.Provider)
	}
	b, err := e.bind(reg, c)
	if err != nil {
		return nil, err
	}
	// Verification goes around the breaker: it is how an operator checks a connection
	// whose calls are failing.
	v, ok := b.raw.(provider.Verifier)
	if !ok {
		return nil, payment.Errorf(payment.KindUnprocessable, payment.CodeVerificationUnsupported,
			"verification not supported: the %s provider cannot check credentials without a payment; confirm a test payment instead", reg.Name)
	}
	pctx, cancel := e.providerCtx(ctx)
	defer cancel()
	out := &ConnectionVerification{ID: c.ID, Object: "provider_connection_verification", OK: true,
		Message: fmt.Sprintf("%s accepted the credentials", reg.Name)}
	err = v.Verify(pctx)
	var pe *provider.Error
	switch {
	case err == nil:
	case errors.As(err, &pe) && !pe.Temporary && !pe.Uncertain:
		out.OK, out.Message = false, fmt.Sprintf("%s refused the credentials: %s", reg.Name, pe.Message)
	case errors.Is(err, provider.ErrNotSupported):
		return nil, payment.Errorf(payment.KindUnprocessable, payment.CodeVerificationUnsupported,
			"verification not supported by the %s provider", reg.Name)
	default:
		return nil, &payment.Error{Kind: payment.KindProvider, Code: payment.CodeProviderUnavailable,
			Message: fmt.Sprintf("%s could not be reached to verify the credentials; retry shortly", reg.Name), Err: err}
	}
	return out, nil
}

// connectionFinder is where findConnection reads: the store, or a transaction that locks.
type connectionFinder interface {
	FindConnection(ctx context.Context, s store.Scope, id string) (*store.Connection, error)
}

// lockingReader finds connections with a row lock, for read-modify-write.
type lockingReader struct{ tx store.Tx }

func (l lockingReader) FindConnection(ctx context.Context, s store.Scope, id string) (*store.Connection, error) {
	return l.tx.FindConnectionForUpdate(ctx, s, id)
}

// findConnection finds a connection of the scope; a deleted one is not found.
func (e *Engine) findConnection(ctx context.Context, r connectionFinder, s store.Scope, id string) (*store.Connection, error) {
	c, err := r.FindConnection(ctx, s, id)
	if err == nil && c.DeletedAt != nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, notFound(err, "provider connection", id)
	}
	return c, nil
}

// connectionView is what the API shows of c. Connections made before methods were
// chosen (an empty list) take every method their provider offers.
func (e *Engine) connectionView(c *store.Connection) *ProviderConnection {
	methods := slices.Clone(c.Methods)
	if len(methods) == 0 {
		methods = []string{}
		if reg, ok := e.providers.Lookup(c.Provider); ok {
			for _, m := range reg.Capabilities.Methods {
				methods = append(methods, string(m))
			}
		}
	}
	return &ProviderConnection{ID: c.ID, Object: "provider_connection", Livemode: c.Livemode, Provider: c.Provider,
		Enabled: c.Enabled, Methods: methods, CredentialsHint: c.Hint, BaseURL: c.BaseURL,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// checkBaseURL allows an API base URL override in test mode only, as an absolute
// http(s) URL without credentials, query or fragment; it returns it without a
// trailing slash.
func checkBaseURL(livemode bool, raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	if livemode {
		return "", payment.Invalid("base_url", payment.CodeParameterInvalid,
			"base_url is allowed in test mode only: a live connection talks only to the provider's published hosts; remove base_url")
	}
	bad := func(why string) error {
		return payment.Invalid("base_url", payment.CodeParameterInvalid,
			"base_url must be an absolute http:// or https:// URL such as http://127.0.0.1:12111 (%s)", why)
	}
	if len(raw) > maxConnectionURLLen {
		return "", bad(fmt.Sprintf("at most %d characters", maxConnectionURLLen))
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", bad("it does not parse")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("the scheme must be http or https")
	case u.Host == "":
		return "", bad("it has no host")
	case u.User != nil:
		return "", bad("put credentials in credentials, not in the URL")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", bad("no query or fragment")
	}
	return strings.TrimRight(raw, "/"), nil
}

// checkMethods returns the chosen methods in the order the provider declares them;
// nil chooses them all.
func checkMethods(reg provider.Registration, chosen []string) ([]string, error) {
	offered := make([]string, len(reg.Capabilities.Methods))
	for i, m := range reg.Capabilities.Methods {
		offered[i] = string(m)
	}
	if chosen == nil {
		return offered, nil
	}
	if len(chosen) == 0 {
		return nil, payment.Invalid("methods", payment.CodeParameterInvalid,
			"methods must name at least one payment method; omit it for every method %s offers (%s), or disable the connection",
			reg.Name, strings.Join(offered, ", "))
	}
	for _, m := range chosen {
		if !slices.Contains(offered, m) {
			return nil, payment.Invalid("methods", payment.CodeParameterInvalid,
				"payment method %q is not offered by the %s provider: choose among %s", m, reg.Name, strings.Join(offered, ", "))
		}
	}
	out := make([]string, 0, len(chosen))
	for _, m := range offered {
		if slices.Contains(chosen, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// checkCredentials checks the shape every provider's credentials share.
func checkCredentials(creds map[string]string) error {
	if len(creds) == 0 {
		return payment.Invalid("credentials", payment.CodeParameterMissing,
			"credentials is required: an object of the keys the provider gave you, e.g. {\"secret_key\": \"sk_test_…\"}")
	}
	if len(creds) > maxCredentials {
		return payment.Invalid("credentials", payment.CodeParameterInvalid, "credentials has %d keys: at most %d", len(creds), maxCredentials)
	}
	keys := make([]string, 0, len(creds))
	for k := range creds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := creds[k]
		if k == "" || len(k) > maxCredentialKey || strings.IndexFunc(k, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
		}) >= 0 {
			return payment.Invalid("credentials", payment.CodeParameterInvalid,
				"credential name %q must be 1-%d characters of a-z, 0-9 and _", k, maxCredentialKey)
		}
		if v == "" || len(v) > maxCredentialValue {
			return payment.Invalid("credentials", payment.CodeParameterInvalid,
				"credentials.%s must be 1-%d characters", k, maxCredentialValue)
		}
	}
	return nil
}

// credentialsHint shows which credentials a connection holds without revealing
// them: each name with its value masked, e.g. "secret_key: sk_test_…4242".
func credentialsHint(creds map[string]string) string {
	keys := make([]string, 0, len(creds))
	for k := range creds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + maskCredential(creds[k])
	}
	return strings.Join(parts, ", ")
}

// maskCredential shows nothing of a short value, and of a longer one (at least 12
// characters after its prefix) only its conventional prefix (up to its last "_"
// within the first 8 characters, e.g. "sk_test_", "whsec_") and its last 4.
func maskCredential(v string) string {
	prefix := ""
	if i := strings.LastIndexByte(v[:min(len(v), 8)], '_'); i >= 0 {
		prefix = v[:i+1]
	}
	rest := v[len(prefix):]
	if len(rest) < 12 {
		return "…"
	}
	return prefix + "…" + rest[len(rest)-4:]
}
