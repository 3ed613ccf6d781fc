package main

import (
	"context"
	"fmt"
	"io"

	"github.com/paymux/paymux/internal/app"
	"github.com/paymux/paymux/internal/engine"
)

// boot is what a first start created; it is printed once and never again.
type boot struct {
	merchant *engine.MerchantKeys
	admin    *engine.NewUser
}

// bootstrap creates a demo merchant and an admin operator on an empty database.
func bootstrap(ctx context.Context, a *app.App) (*boot, error) {
	n, err := a.Store.CountMerchants(ctx)
	if err != nil {
		return nil, fmt.Errorf("count merchants: %w", err)
	}
	if n > 0 {
		return nil, nil
	}
	m, err := a.Engine.CreateMerchant(ctx, "Demo Shop")
	if err != nil {
		return nil, fmt.Errorf("create demo merchant: %w", err)
	}
	u, err := a.Engine.CreateUser(ctx, "admin@paymux.local", "admin", "")
	if err != nil {
		return nil, fmt.Errorf("create admin operator: %w", err)
	}
	return &boot{merchant: m, admin: u}, nil
}

func printBanner(w io.Writer, c config, engineName string, b *boot) {
	db := "SQLite " + c.app(false).SQLitePath()
	if engineName == "postgres" {
		db = "PostgreSQL"
	}
	fmt.Fprintf(w, `
paymux %s is running (%s)
  API          %s/v1
  API docs     %s/docs
  OpenAPI      %s/openapi.json
  Checkout     %s/pay/{payment_id}  (payment summary; the full hosted checkout is not yet available)
  Backoffice   not yet available
  Health       %s/healthz  %s/readyz
  Email        %s
`, version, db, c.BaseURL, c.BaseURL, c.BaseURL, c.BaseURL, c.BaseURL, c.BaseURL, c.mailSummary())
	if b == nil {
		fmt.Fprintln(w, "\nKeys and logins were printed on first start; create more with `paymux admin`.")
		return
	}
	fmt.Fprintf(w, `
First start: created a demo merchant and an operator. This is shown ONCE: keep it.
  Merchant            %s (%s)
  Test secret key     %s
  Test publishable    %s
  Live secret key     %s
  Live publishable    %s
  Backoffice login    %s / %s

Try it:
  curl -s %s/v1/payments -H "Authorization: Bearer %s" \
    -d '{"amount":1000,"currency":"EUR","order_id":"order-1"}'
`, b.merchant.Name, b.merchant.ID, b.merchant.TestSecretKey, b.merchant.TestPublishableKey,
		b.merchant.LiveSecretKey, b.merchant.LivePublishableKey, b.admin.Email, b.admin.Password,
		c.BaseURL, b.merchant.TestSecretKey)
}
