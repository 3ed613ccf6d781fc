package payment

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it; the HTTP layer maps
// each kind to one status code and error type.
type Kind int

// Error kinds.
const (
	KindInternal      Kind = iota // a bug or an unexpected failure: shown only as "internal error"
	KindInvalid                   // the request is malformed or a value is out of range (400)
	KindNotFound                  // no such object for this merchant and mode (404)
	KindConflict                  // the object is not in a state that allows this (409)
	KindUnprocessable             // well-formed, but breaks a business rule (422)
	KindUnauthorized              // no or bad credentials (401)
	KindForbidden                 // credentials valid but not allowed to do this (403)
	KindProvider                  // the payment provider refused or failed (402/502)
	KindUnavailable               // a dependency such as the database is down (503)
	KindIdempotency               // Idempotency-Key misuse (409/422)
	KindTooLarge                  // the request body is too large (413)
	KindRateLimited               // too many requests (429)
)

// Error codes shared by the API, the checkout and the backoffice.
const (
	CodeParameterInvalid    = "parameter_invalid"
	CodeParameterMissing    = "parameter_missing"
	CodeParameterUnknown    = "parameter_unknown"
	CodeAmountInvalid       = "amount_invalid"
	CodeAmountTooLarge      = "amount_too_large"
	CodeCurrencyInvalid     = "currency_invalid"
	CodeInvalidJSON         = "invalid_json"
	CodeBodyTooLarge        = "body_too_large"
	CodeResourceMissing     = "resource_missing"
	CodePaymentInvalidState = "payment_invalid_state"
	CodeRefundExceeds       = "refund_exceeds_captured"
	CodeCurrencyMismatch    = "currency_mismatch"
	CodeAPIKeyMissing       = "api_key_missing"
	CodeAPIKeyInvalid       = "api_key_invalid"
	CodePublishableKey      = "secret_key_required"
	CodeProviderUnavailable = "provider_unavailable"
	CodeProviderError       = "provider_error"
	CodeProviderNotEnabled  = "provider_not_enabled"
	CodeDatabaseUnavailable = "database_unavailable"
	CodeIdempotencyMismatch = "idempotency_key_reused"
	CodeIdempotencyBusy     = "idempotency_key_in_use"
	CodeIdempotencyKeyLong  = "idempotency_key_too_long"
	CodeInternal            = "internal_error"
	CodeConcurrentUpdate    = "concurrent_update"
	// CodeVerificationUnsupported: the connection's provider cannot check credentials.
	CodeVerificationUnsupported = "verification_not_supported"
)

// Error is a coded, user-facing error. Message says what was wrong and how to fix it.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Param   string // the request field at fault, if any
	Err     error  // an underlying cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a coded error with a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports a bad request parameter.
func Invalid(param, code, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing object. Another merchant's object is also "not found":
// telling them apart would leak which ids exist.
func NotFound(object, id string) *Error {
	return &Error{Kind: KindNotFound, Code: CodeResourceMissing, Param: "id",
		Message: fmt.Sprintf("no such %s: %q", object, id)}
}

// ErrorKind returns the kind of err, or KindInternal for an uncoded error.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrorCode returns the code of err, or CodeInternal for an uncoded error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
