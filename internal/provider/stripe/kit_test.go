package stripe_test

import (
	"testing"

	"github.com/paymux/paymux/internal/provider/providertest"
	"github.com/paymux/paymux/internal/provider/stripe"
	"github.com/paymux/paymux/internal/provider/stripe/stripefake"
	"github.com/paymux/paymux/internal/testutil/apptest"
)

// TestKit runs the connector test kit: paymux's own API end to end against the
// stateful Stripe, on both engines.
func TestKit(t *testing.T) {
	t.Parallel()
	providertest.Run(t, providertest.Subject{
		Provider: stripe.Name,
		NewFake: func(t testing.TB, _ *apptest.Env) (providertest.Fake, string) {
			f := stripefake.New(t, stripe.APIVersion)
			return f, f.URL
		},
		Direct: "pm_card_visa", Redirect: "pm_card_threeDSecure2Required", MethodType: "card", OtherMethod: "apple_pay", Reconciles: true,
	})
}
