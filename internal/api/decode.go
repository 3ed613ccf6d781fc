package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/payment"
)

// readBody reads at most limit bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &payment.Error{Kind: payment.KindTooLarge, Code: payment.CodeBodyTooLarge,
			Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
	}
	if err != nil {
		return nil, payment.Invalid("", payment.CodeInvalidJSON, "could not read the request body: %v", err)
	}
	return b, nil
}

// decodeStrict decodes body into dst, refusing unknown fields, wrong types and
// trailing data with a message that names the field. An empty body decodes as {}
// unless required.
func decodeStrict(body []byte, dst any, required bool) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if required {
			return payment.Invalid("", payment.CodeInvalidJSON, "request body is empty: send a JSON object with Content-Type: application/json")
		}
		return nil
	}
	if trimmed[0] != '{' {
		return payment.Invalid("", payment.CodeInvalidJSON, "request body must be a JSON object ({…})")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return payment.Invalid("", payment.CodeInvalidJSON, "malformed JSON: unexpected data after the object")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		fe  *fieldError
	)
	switch {
	case errors.As(err, &fe):
		return payment.Invalid(fe.param, fe.code, "%s", fe.msg)
	case errors.As(err, &syn):
		return payment.Invalid("", payment.CodeInvalidJSON, "malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return payment.Invalid(field, payment.CodeParameterInvalid, "%s must be %s, got a JSON %s", field, jsonTypeName(typ.Type.String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return payment.Invalid("", payment.CodeInvalidJSON, "malformed JSON: the body ends before the object is complete")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ := strconv.Unquote(f)
		if name == "" {
			name = f
		}
		return payment.Invalid(name, payment.CodeParameterUnknown, "unknown field %q: remove it, or see /docs for this endpoint's fields", name)
	}
	return payment.Invalid("", payment.CodeInvalidJSON, "malformed JSON: %s", strings.TrimPrefix(msg, "json: "))
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "string" || strings.HasSuffix(goType, "Status") || strings.HasSuffix(goType, "Method") || strings.HasSuffix(goType, "Channel"):
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "map["):
		return "an object of string values"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// fieldError is a decoding error that already knows its field and message.
type fieldError struct {
	param, code, msg string
}

func (e *fieldError) Error() string { return e.msg }

// minor is an amount in minor units as JSON gives it. It accepts only an integer
// literal: 10.5, 1e3, "1000" and numbers past the maximum are refused with a message,
// never rounded or truncated.
type minor struct {
	v   int64
	set bool
}

func parseMinor(param string, b []byte) (int64, error) {
	s := string(bytes.TrimSpace(b))
	bad := func(code, format string, a ...any) error {
		return &fieldError{param: param, code: code, msg: fmt.Sprintf(format, a...)}
	}
	if s == "" || s[0] == '"' {
		return 0, bad(payment.CodeAmountInvalid, "%s must be a JSON integer in minor units (e.g. 1050 for 10.50 EUR), not a string: got %s", param, s)
	}
	if s == "true" || s == "false" || s[0] == '{' || s[0] == '[' {
		return 0, bad(payment.CodeAmountInvalid, "%s must be a JSON integer in minor units (e.g. 1050 for 10.50 EUR), got %s", param, s)
	}
	if strings.ContainsAny(s, ".eE") {
		return 0, bad(payment.CodeAmountInvalid, "%s must be a whole number of minor units (e.g. 1050 for 10.50 EUR), got %s", param, s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, bad(payment.CodeAmountTooLarge, "%s %s is too large: at most %d minor units", param, s, money.MaxMinor)
		}
		return 0, bad(payment.CodeAmountInvalid, "%s must be a JSON integer in minor units, got %s", param, s)
	}
	return n, nil
}

// amountField is the top-level "amount".
type amountField struct{ minor }

// UnmarshalJSON parses an amount strictly.
func (a *amountField) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseMinor("amount", b)
	a.v, a.set = v, err == nil
	return err
}

// unitAmountField is an item's "unit_amount".
type unitAmountField struct{ minor }

// UnmarshalJSON parses an amount strictly.
func (a *unitAmountField) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseMinor("items[].unit_amount", b)
	a.v, a.set = v, err == nil
	return err
}

// MarshalJSON writes the number, for request echoes in tests and docs.
func (a amountField) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(a.v, 10)), nil }

// invalidAmount refuses a zero or negative optional amount.
func invalidAmount(v int64, hint string) error {
	return payment.Invalid("amount", payment.CodeAmountInvalid, "amount must be a positive integer in minor units, got %d (%s)", v, hint)
}
