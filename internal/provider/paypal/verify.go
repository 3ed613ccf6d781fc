package paypal

import (
	"context"
	"errors"
)

// Verify checks the connection's client id and secret against PayPal without moving
// money, by fetching an access token (which is then cached for later calls). It
// returns nil when PayPal accepts them; a *provider.Error that is neither Temporary
// nor Uncertain when it refuses them, with a message safe to show the merchant;
// any other error when PayPal could not be asked.
func (c *connector) Verify(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.api.opts.Timeout)
		defer cancel()
	}
	start := c.api.opts.Now()
	tok, life, err := c.api.fetchToken(ctx)
	if err == nil {
		c.api.tokens.store(tok, start, life)
		return nil
	}
	var ce *callError
	if errors.As(err, &ce) {
		ce.method, ce.tokenCall = "GET", true // a read: never uncertain
	}
	return providerError(err)
}
