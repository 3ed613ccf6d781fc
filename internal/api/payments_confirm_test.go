package api_test

import (
	"net/http"
	"testing"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

// TestConfirmEnforcesTheConnectionsMethods: a payment method of a type the
// connection does not offer, or its provider does not take, is refused with a 400
// that names the methods on offer, before anything is sent and with the payment
// unchanged; switched back on, the same confirm goes through. (The connector kit
// checks the same for every real provider.)
func TestConfirmEnforcesTheConnectionsMethods(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite")
	conn := listIDs(t, env.Secret("GET", "/v1/provider_connections", nil))[0]
	path := "/v1/provider_connections/" + conn
	env.Secret("PATCH", path, `{"methods":["card","paypal"]}`).MustStatus(t, http.StatusOK)
	id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
	tests := []struct {
		name, body, code, param string
		msg                     []string
	}{
		{"a wallet switched off", `{"payment_method":"pm_wallet_applepay"}`, "parameter_invalid", "payment_method",
			[]string{"does not offer apple_pay", "it offers card, paypal", "PATCH " + path}},
		{"a type the provider does not take", `{"payment_method":"pm_card_visa","payment_method_type":"satispay"}`, "parameter_invalid",
			"payment_method_type", []string{"does not take payment method type \"satispay\"", "card, apple_pay, google_pay, paypal, bnpl"}},
		{"a type that contradicts the method", `{"payment_method":"pm_wallet_googlepay","payment_method_type":"card"}`, "parameter_invalid",
			"payment_method_type", []string{"is a google_pay payment method", "says card"}},
		{"a declared type switched off", `{"payment_method":"pm_bnpl","payment_method_type":"bnpl"}`, "parameter_invalid",
			"payment_method_type", []string{"does not offer bnpl"}},
	}
	for _, tc := range tests {
		wantError(t, env.Secret("POST", "/v1/payments/"+id+"/confirm", tc.body), http.StatusBadRequest, tc.code, tc.param, tc.msg...)
	}
	p := env.Secret("GET", "/v1/payments/"+id, nil).MustStatus(t, http.StatusOK).JSON(t)
	if str(p, "status") != "requires_payment_method" || str(p, "provider") != "" {
		t.Fatalf("refused confirms changed the payment: %v", p)
	}
	if ev := env.Secret("GET", "/v1/payments/"+id+"/events", nil).MustStatus(t, http.StatusOK).JSON(t)["data"].([]any); len(ev) != 1 {
		t.Fatalf("refused confirms left events: %v", ev)
	}
	confirm(t, env, id, "pm_card_visa") // on offer
	env.Secret("PATCH", path, `{"methods":["card","apple_pay"]}`).MustStatus(t, http.StatusOK)
	other := str(createPayment(t, env, `{"amount":500,"currency":"EUR"}`), "id")
	if p := confirm(t, env, other, "pm_wallet_applepay"); str(p, "payment_method_type") != "apple_pay" || str(p, "status") != "succeeded" {
		t.Fatalf("switched back on: %v", p)
	}
}
