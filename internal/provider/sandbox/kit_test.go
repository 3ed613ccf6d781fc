package sandbox_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider/providertest"
	"github.com/paymux/paymux/internal/provider/sandbox"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/testutil/apptest"
	"github.com/paymux/paymux/internal/testutil/fakepsp"
)

// ledger lets the kit see the sandbox the way it sees a provider's fake. The sandbox
// runs inside paymux, keeps its transactions in paymux's database and sends its
// webhooks itself, so there is nothing to inject or deliver: the kit's fault and
// breaker flows are left out.
type ledger struct {
	env    *apptest.Env
	secret string
}

func (l *ledger) Credentials() map[string]string {
	return map[string]string{"webhook_secret": l.secret}
}
func (l *ledger) Inject(fakepsp.Fault)            {}
func (l *ledger) ClearFaults()                    {}
func (l *ledger) TakeWebhooks() []fakepsp.Webhook { return nil }

// Charges reads the sandbox's transactions for the payment's attempts.
func (l *ledger) Charges(paymentID string) int {
	ctx := context.Background()
	list, _, err := l.env.App.Engine.ListConnections(ctx, store.Scope{MerchantID: l.env.Keys.ID}, store.ConnectionFilter{Limit: 100})
	if err != nil {
		l.env.T.Fatalf("connections: %v", err)
	}
	n := 0
	for _, c := range list {
		for attempt := 1; attempt <= 5; attempt++ {
			txn, err := l.env.App.Store.SandboxTxnByKey(ctx, c.ID, fmt.Sprintf("%s-authorize-%d", paymentID, attempt))
			if err == nil && (txn.Status == "captured" || txn.Status == "authorized") {
				n++
			}
		}
	}
	return n
}

// TestKit runs the connector test kit on the sandbox: its 3-D Secure page, return,
// capture and refunds, through paymux's own API, on both engines.
func TestKit(t *testing.T) {
	t.Parallel()
	providertest.Run(t, providertest.Subject{
		Provider: sandbox.Name,
		NewFake: func(t testing.TB, env *apptest.Env) (providertest.Fake, string) {
			return &ledger{env: env, secret: "whsec_" + payment.RandomString(24)}, ""
		},
		Direct: "pm_card_visa", Redirect: "pm_card_threeDSecureRequired", MethodType: "card", OtherMethod: "apple_pay",
		Reconciles: true, NoFaults: true,
	})
}
