package paypal_test

import (
	"testing"

	"github.com/paymux/paymux/internal/provider/paypal"
	"github.com/paymux/paymux/internal/provider/paypal/paypalfake"
	"github.com/paymux/paymux/internal/provider/providertest"
	"github.com/paymux/paymux/internal/testutil/apptest"
)

// TestKit runs the connector test kit: paymux's own API end to end against the
// stateful PayPal, on both engines. Every PayPal payment goes through the shopper's
// approval, and the money moves when paymux captures or authorises the approved
// order on the shopper's return.
func TestKit(t *testing.T) {
	t.Parallel()
	providertest.Run(t, providertest.Subject{
		Provider: paypal.Name,
		NewFake: func(t testing.TB, _ *apptest.Env) (providertest.Fake, string) {
			f := paypalfake.New(t)
			return f, f.URL
		},
		Redirect: paypal.MethodPayPal, MethodType: "paypal", Reconciles: true,
	})
}
