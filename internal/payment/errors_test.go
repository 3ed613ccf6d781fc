package payment_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/payment"
)

func TestErrorFormattingAndUnwrap(t *testing.T) {
	t.Parallel()
	e := &payment.Error{Kind: payment.KindUnavailable, Code: payment.CodeDatabaseUnavailable, Message: "try again", Err: io.ErrUnexpectedEOF}
	if got, want := e.Error(), "database_unavailable: try again: unexpected EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Error("errors.Is does not reach the cause")
	}
	plain := payment.Errorf(payment.KindConflict, payment.CodePaymentInvalidState, "payment %s is %s", "pay_1", "succeeded")
	if got, want := plain.Error(), "payment_invalid_state: payment pay_1 is succeeded"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if plain.Unwrap() != nil || plain.Param != "" || plain.Kind != payment.KindConflict {
		t.Errorf("Errorf built %+v", plain)
	}
	inv := payment.Invalid("amount", payment.CodeAmountInvalid, "amount must be positive, got %d", -1)
	if inv.Kind != payment.KindInvalid || inv.Param != "amount" || inv.Message != "amount must be positive, got -1" {
		t.Errorf("Invalid built %+v", inv)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	e := payment.NotFound("payment", "pay_123")
	if e.Kind != payment.KindNotFound || e.Code != payment.CodeResourceMissing || e.Param != "id" {
		t.Errorf("NotFound = %+v", e)
	}
	if !strings.Contains(e.Message, `"pay_123"`) || !strings.Contains(e.Message, "payment") {
		t.Errorf("message %q does not name the object and id", e.Message)
	}
}

func TestErrorKindAndCode(t *testing.T) {
	t.Parallel()
	coded := payment.Errorf(payment.KindUnprocessable, payment.CodeRefundExceeds, "too much")
	tests := []struct {
		name string
		err  error
		kind payment.Kind
		code string
	}{
		{"coded", coded, payment.KindUnprocessable, payment.CodeRefundExceeds},
		{"wrapped", fmt.Errorf("engine: %w", coded), payment.KindUnprocessable, payment.CodeRefundExceeds},
		{"joined", errors.Join(io.EOF, coded), payment.KindUnprocessable, payment.CodeRefundExceeds},
		{"plain", io.EOF, payment.KindInternal, payment.CodeInternal},
		{"nil", nil, payment.KindInternal, payment.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := payment.ErrorKind(tt.err); got != tt.kind {
				t.Errorf("ErrorKind = %d, want %d", got, tt.kind)
			}
			if got := payment.ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
		})
	}
}
