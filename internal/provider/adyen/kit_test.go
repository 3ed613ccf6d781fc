package adyen_test

import (
	"testing"

	"github.com/paymux/paymux/internal/provider/adyen"
	"github.com/paymux/paymux/internal/provider/adyen/adyenfake"
	"github.com/paymux/paymux/internal/provider/providertest"
)

// kitHMACKey signs the fake's notifications (any 32-byte hex key).
const kitHMACKey = "8F3A1C5E7B9D2F4A6C8E0B1D3F5A7C9E2B4D6F8A0C1E3B5D7F9A2C4E6B8D0F1A"

func subject(postReturn bool) providertest.Subject {
	return providertest.Subject{
		Provider: adyen.Name,
		NewFake: func(t testing.TB) (providertest.Fake, string) {
			f := adyenfake.New(t, "PaymuxKitECOM", kitHMACKey)
			f.SetPostReturn(postReturn)
			return f, f.URL
		},
		Direct: "scheme:4111111111111111", Redirect: "scheme:4917610000000000", MethodType: "card", OtherMethod: "google_pay",
	}
}

// TestKit runs the connector test kit: paymux's own API end to end against the
// stateful Adyen, on both engines. Adyen has no status lookup: payments left
// processing settle by notification.
func TestKit(t *testing.T) {
	t.Parallel()
	providertest.Run(t, subject(false))
}
