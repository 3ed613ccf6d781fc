package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
)

type ctxKey int

const requestIDKey ctxKey = iota

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withBasics gives every response a Request-Id, turns panics into 500s and logs the
// request. It never logs bodies or headers: they may hold keys or personal data.
func (s *Server) withBasics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := "req_" + payment.RandomString(16)
		w.Header().Set("Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.writeError(rec, r, fmt.Errorf("panic: %v", p))
			}
			elapsed := time.Since(start)
			s.metrics.ObserveRequest(r.Pattern, rec.status, elapsed)
			s.log.Info("request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration_ms", float64(elapsed.Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}

// Admission control: at most MaxInFlight API requests run at once; more wait up to
// AdmissionWait for a slot and are then told to come back (429 with Retry-After).
// Under overload this keeps memory and latency bounded instead of letting every
// connection queue on the database.
const (
	defaultMaxInFlight   = 512
	defaultAdmissionWait = 5 * time.Second
)

func (s *Server) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.slots <- struct{}{}:
		default:
			t := time.NewTimer(s.admissionWait)
			select {
			case s.slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				s.writeError(w, r, payment.Errorf(payment.KindRateLimited, "server_busy",
					"paymux is at capacity: retry after the Retry-After delay"))
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-s.slots }()
		next.ServeHTTP(w, r)
	})
}

// handlerFunc is an authenticated API handler.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *engine.Principal)

// secret authenticates a secret API key; publishable keys are refused with a
// message saying why.
func (s *Server) secret(h handlerFunc) http.Handler { return s.admit(s.secretOnly(h)) }

// streamSecret is secret for long-lived streams: they take a stream slot instead of
// an API request slot, so that followers never crowd out payments.
func (s *Server) streamSecret(h handlerFunc) http.Handler {
	inner := s.secretOnly(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.streams <- struct{}{}:
			defer func() { <-s.streams }()
			inner.ServeHTTP(w, r)
		default:
			s.writeError(w, r, payment.Errorf(payment.KindRateLimited, "server_busy",
				"paymux is serving its maximum of %d event streams: close one, or retry after the Retry-After delay", cap(s.streams)))
		}
	})
}

func (s *Server) secretOnly(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearer(r)
		if !ok {
			s.writeError(w, r, payment.Errorf(payment.KindUnauthorized, payment.CodeAPIKeyMissing,
				"no API key: send it as \"Authorization: Bearer sk_test_…\""))
			return
		}
		p, err := s.eng.Authenticate(r.Context(), raw)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if p.Kind != "secret" {
			s.writeError(w, r, payment.Errorf(payment.KindForbidden, payment.CodePublishableKey,
				"this endpoint needs a secret key (sk_test_… or sk_live_…): publishable keys (pk_…) are only for the checkout and paymux.js"))
			return
		}
		// Configuration changes are audited with the key that made them.
		r = r.WithContext(engine.WithActor(r.Context(), p.Actor(), requestID(r.Context())))
		h(w, r, p)
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(tok) != "" {
		return strings.TrimSpace(tok), true
	}
	// Stripe-style Basic auth with the key as user name, for clients that send it so.
	if user, _, ok := r.BasicAuth(); ok && user != "" {
		return user, true
	}
	return "", false
}

func (s *Server) unknownRoute(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &payment.Error{Kind: payment.KindNotFound, Code: "route_not_found",
		Message: fmt.Sprintf("no API route %s %s: see %s/docs for the API", r.Method, r.URL.Path, s.eng.Config().BaseURL)})
}
