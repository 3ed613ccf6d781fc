package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// DefaultTestProvider is used in test mode when a confirm names no provider.
const DefaultTestProvider = "sandbox"

// SealCredentials encrypts a connection's credentials, bound to its id.
func (e *Engine) SealCredentials(connectionID string, creds map[string]string) ([]byte, error) {
	b, err := json.Marshal(creds)
	if err != nil {
		return nil, err
	}
	return e.box.Seal(b, []byte(connectionID)), nil
}

// ResolveConnection decrypts a stored connection into what a connector needs.
func (e *Engine) ResolveConnection(c *store.Connection) (provider.Connection, error) {
	creds := map[string]string{}
	if len(c.Credentials) > 0 {
		pt, err := e.box.Open(c.Credentials, []byte(c.ID))
		if err != nil {
			return provider.Connection{}, fmt.Errorf("connection %s: %w", c.ID, err)
		}
		if err := json.Unmarshal(pt, &creds); err != nil {
			return provider.Connection{}, fmt.Errorf("connection %s credentials: %w", c.ID, err)
		}
	}
	return provider.Connection{ID: c.ID, MerchantID: c.MerchantID, Livemode: c.Livemode,
		Provider: c.Provider, Credentials: creds, BaseURL: c.BaseURL}, nil
}

// ConnectionByID loads and decrypts a connection by id.
func (e *Engine) ConnectionByID(ctx context.Context, id string) (provider.Connection, error) {
	c, err := e.store.GetConnection(ctx, id)
	if err != nil {
		return provider.Connection{}, notFound(err, "provider connection", id)
	}
	return e.ResolveConnection(c)
}

// bound is a connector with the connection and capabilities it serves. Its calls
// go through the connection's circuit breaker; raw is the connector without it.
type bound struct {
	conn    provider.Connection
	reg     provider.Registration
	methods []string // the connection's chosen methods; empty means all the provider offers
	raw     provider.Connector
	provider.Connector
}

// connectorFor finds the merchant's enabled connection to name in the scope's mode.
func (e *Engine) connectorFor(ctx context.Context, s store.Scope, name string) (*bound, error) {
	if name == "" {
		if s.Livemode {
			return nil, payment.Invalid("provider", payment.CodeParameterMissing,
				"provider is required in live mode: name one of your live provider connections, e.g. \"stripe\"")
		}
		name = DefaultTestProvider
	}
	reg, ok := e.providers.Lookup(name)
	if !ok {
		return nil, payment.Invalid("provider", payment.CodeParameterInvalid,
			"unknown provider %q: use one of %s", name, strings.Join(e.providers.Names(), ", "))
	}
	if reg.Capabilities.TestOnly && s.Livemode {
		return nil, payment.Invalid("provider", payment.CodeParameterInvalid,
			"the %s provider takes test payments only: use a test key (sk_test_…) or a live provider", name)
	}
	c, err := e.cachedConnection(fmt.Sprintf("for|%s|%t|%s", s.MerchantID, s.Livemode, name), func() (*store.Connection, error) {
		return e.store.ConnectionFor(ctx, s, name)
	})
	if errors.Is(err, store.ErrNotFound) {
		mode := "test"
		if s.Livemode {
			mode = "live"
		}
		return nil, payment.Errorf(payment.KindUnprocessable, payment.CodeProviderNotEnabled,
			"no enabled %s connection in %s mode for this merchant: enable the provider for the merchant, or confirm test payments with provider \"sandbox\"", name, mode)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return e.bind(reg, c)
}

// connectorOf rebuilds the connector a payment was confirmed through.
func (e *Engine) connectorOf(ctx context.Context, connectionID string) (*bound, error) {
	c, err := e.cachedConnection("id|"+connectionID, func() (*store.Connection, error) {
		return e.store.GetConnection(ctx, connectionID)
	})
	if err != nil {
		return nil, notFound(err, "provider connection", connectionID)
	}
	reg, ok := e.providers.Lookup(c.Provider)
	if !ok {
		return nil, fmt.Errorf("connection %s names provider %q, which this binary does not offer", c.ID, c.Provider)
	}
	return e.bind(reg, c)
}

func (e *Engine) bind(reg provider.Registration, c *store.Connection) (*bound, error) {
	conn, err := e.ResolveConnection(c)
	if err != nil {
		return nil, err
	}
	cn, err := reg.New(conn)
	if err != nil {
		return nil, fmt.Errorf("build %s connector: %w", reg.Name, err)
	}
	return &bound{conn: conn, reg: reg, methods: c.Methods, raw: cn, Connector: e.breakers.Guard(reg.Name, c.ID, reg.Capabilities, cn)}, nil
}

// providerErr turns a connector failure into the API's provider_error.
func providerErr(err error) error {
	var pe *provider.Error
	if errors.As(err, &pe) {
		code := pe.Code
		if code == "" {
			code = payment.CodeProviderError
		}
		return &payment.Error{Kind: payment.KindProvider, Code: code,
			Message: fmt.Sprintf("%s answered: %s", pe.Provider, pe.Message), Err: err}
	}
	if errors.Is(err, provider.ErrNotSupported) {
		return payment.Errorf(payment.KindUnprocessable, payment.CodeProviderError, "the provider does not support this operation")
	}
	var ce *payment.Error
	if errors.As(err, &ce) {
		return err
	}
	return &payment.Error{Kind: payment.KindProvider, Code: payment.CodeProviderUnavailable,
		Message: "the payment provider could not be reached; retry shortly", Err: err}
}

// DefaultProviderTimeout bounds one provider call, retries included, unless
// Config.ProviderTimeout says otherwise.
const DefaultProviderTimeout = 30 * time.Second

// providerCtx detaches a provider call from the caller's cancellation: a shopper or
// client hanging up must not abandon a call halfway, which would leave its outcome
// unknown. The call is still bounded by the provider timeout.
func (e *Engine) providerCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), e.cfg.ProviderTimeout)
}

// cachedConnection reads a connection through the short-lived cache.
func (e *Engine) cachedConnection(key string, load func() (*store.Connection, error)) (*store.Connection, error) {
	if c, ok := e.conns.get(key, e.now()); ok {
		return c, nil
	}
	c, err := load()
	if err == nil {
		e.conns.put(key, c, e.now())
	}
	return c, err
}
