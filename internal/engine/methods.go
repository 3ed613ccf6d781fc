package engine

import (
	"slices"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// offered lists the payment method types a connection takes: those it chose (all
// its provider's when it chose none), among those its provider declares.
func (b *bound) offered() []string {
	var out []string
	for _, m := range b.reg.Capabilities.Methods {
		if len(b.methods) == 0 || slices.Contains(b.methods, string(m)) {
			out = append(out, string(m))
		}
	}
	return out
}

// checkMethod refuses, before anything is sent, a confirm whose payment method is of
// a type the connection does not offer (not chosen for it, or switched off with
// PATCH) or its provider does not declare. The type is payment_method_type when
// given, else what the provider tells from the payment method offline; a method it
// cannot tell (an opaque token) passes only when the connection offers everything
// its provider takes, since then any type it turns out to be is on offer.
func checkMethod(b *bound, cp ConfirmParams) error {
	name := b.reg.Name
	declared := make([]string, len(b.reg.Capabilities.Methods))
	for i, m := range b.reg.Capabilities.Methods {
		declared[i] = string(m)
	}
	offered := b.offered()
	told, known := provider.Method(""), false
	if b.reg.MethodOf != nil {
		told, known = b.reg.MethodOf(cp.PaymentMethod)
	}
	typ, param := told, "payment_method"
	if cp.PaymentMethodType != "" {
		given := provider.Method(cp.PaymentMethodType)
		if !slices.Contains(declared, string(given)) {
			return payment.Invalid("payment_method_type", payment.CodeParameterInvalid,
				"%s does not take payment method type %q: it takes %s", name, cp.PaymentMethodType, strings.Join(declared, ", "))
		}
		if known && told != given {
			return payment.Invalid("payment_method_type", payment.CodeParameterInvalid,
				"payment_method is a %s payment method, but payment_method_type says %s: send the type that matches, or leave payment_method_type out",
				told, given)
		}
		typ, known, param = given, true, "payment_method_type"
	}
	if !known {
		if len(offered) < len(declared) {
			return payment.Invalid("payment_method_type", payment.CodeParameterMissing,
				"payment_method_type is required: this %s payment method cannot be told apart before it is sent, and your %s connection offers only %s; say which of those it is",
				name, name, strings.Join(offered, ", "))
		}
		return nil
	}
	if !slices.Contains(declared, string(typ)) {
		return payment.Invalid(param, payment.CodeParameterInvalid,
			"%s does not take %s payments: it takes %s", name, typ, strings.Join(declared, ", "))
	}
	if !slices.Contains(offered, string(typ)) {
		return payment.Invalid(param, payment.CodeParameterInvalid,
			"your %s connection %s does not offer %s payments: it offers %s; pay with one of those, or turn %s on with PATCH /v1/provider_connections/%s (methods)",
			name, b.conn.ID, typ, strings.Join(offered, ", "), typ, b.conn.ID)
	}
	return nil
}
