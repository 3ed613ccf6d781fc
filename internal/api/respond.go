package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/paymux/paymux/internal/payment"
)

// errorBody is the error shape of DESIGN.md.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

// status and type for each error kind: the one table from domain errors to HTTP.
var kindHTTP = map[payment.Kind]struct {
	status int
	typ    string
}{
	payment.KindInvalid:       {http.StatusBadRequest, "invalid_request_error"},
	payment.KindNotFound:      {http.StatusNotFound, "invalid_request_error"},
	payment.KindConflict:      {http.StatusConflict, "invalid_request_error"},
	payment.KindUnprocessable: {http.StatusUnprocessableEntity, "invalid_request_error"},
	payment.KindUnauthorized:  {http.StatusUnauthorized, "authentication_error"},
	payment.KindForbidden:     {http.StatusForbidden, "permission_error"},
	payment.KindProvider:      {http.StatusBadGateway, "provider_error"},
	payment.KindUnavailable:   {http.StatusServiceUnavailable, "api_error"},
	payment.KindIdempotency:   {http.StatusConflict, "idempotency_error"},
	payment.KindTooLarge:      {http.StatusRequestEntityTooLarge, "invalid_request_error"},
	payment.KindRateLimited:   {http.StatusTooManyRequests, "api_error"},
	payment.KindInternal:      {http.StatusInternalServerError, "api_error"},
}

// renderError turns err into a status and the error body. Internal errors show only
// "internal error"; the cause is logged with the request id.
func (s *Server) renderError(r *http.Request, err error) (int, []byte) {
	var pe *payment.Error
	if !errors.As(err, &pe) {
		s.log.Error("internal error", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		pe = &payment.Error{Kind: payment.KindInternal, Code: payment.CodeInternal,
			Message: "internal error: it was logged with this request's Request-Id"}
	} else if pe.Kind == payment.KindInternal || pe.Kind == payment.KindUnavailable {
		s.log.Error("request failed", "request_id", requestID(r.Context()), "path", r.URL.Path, "code", pe.Code, "err", err)
	}
	h := kindHTTP[pe.Kind]
	status := h.status
	if pe.Kind == payment.KindIdempotency && pe.Code == payment.CodeIdempotencyMismatch {
		status = http.StatusUnprocessableEntity
	}
	if pe.Kind == payment.KindIdempotency && pe.Code == payment.CodeIdempotencyKeyLong {
		status = http.StatusBadRequest
	}
	b, _ := json.Marshal(errorBody{Error: errorDetail{Type: h.typ, Code: pe.Code, Message: pe.Message, Param: pe.Param}})
	return status, b
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.renderError(r, err)
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeRaw(w, status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = w.Write([]byte("\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"type":"api_error","code":"internal_error","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

// list is the shape of every list response.
type list[T any] struct {
	Object  string `json:"object"`
	URL     string `json:"url"`
	HasMore bool   `json:"has_more"`
	Data    []T    `json:"data"`
}

func newList[T any](url string, data []T, more bool) list[T] {
	if data == nil {
		data = []T{}
	}
	return list[T]{Object: "list", URL: url, HasMore: more, Data: data}
}
