package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/store"
)

// Deps are what the API serves.
type Deps struct {
	Engine *engine.Engine
	Store  store.Store
	Logger *slog.Logger
	// Sandbox serves the sandbox's 3-D Secure challenge page; nil leaves it out.
	Sandbox http.Handler
	// Version is reported by /healthz.
	Version string
}

// Server is the HTTP front of paymux.
type Server struct {
	eng     *engine.Engine
	store   store.Store
	log     *slog.Logger
	version string
	mux     *http.ServeMux
	started time.Time
}

// Limits on requests.
const (
	maxBodyBytes      = 256 << 10
	maxWebhookBytes   = 1 << 20
	idempotencyLease  = 60 * time.Second
	idempotencyRetain = 24 * time.Hour
	maxIdemKeyLen     = 255
)

// New builds the server with its whole route table.
func New(d Deps) *Server {
	s := &Server{eng: d.Engine, store: d.Store, log: d.Logger, version: d.Version, mux: http.NewServeMux(), started: time.Now()}
	m := s.mux
	m.Handle("POST /v1/payments", s.secret(s.createPayment))
	m.Handle("GET /v1/payments", s.secret(s.listPayments))
	m.Handle("GET /v1/payments/{id}", s.secret(s.getPayment))
	m.Handle("POST /v1/payments/{id}/confirm", s.secret(s.confirmPayment))
	m.Handle("POST /v1/payments/{id}/capture", s.secret(s.capturePayment))
	m.Handle("POST /v1/payments/{id}/cancel", s.secret(s.cancelPayment))
	m.Handle("GET /v1/payments/{id}/events", s.secret(s.listPaymentEvents))
	m.Handle("POST /v1/refunds", s.secret(s.createRefund))
	m.Handle("GET /v1/refunds", s.secret(s.listRefunds))
	m.Handle("GET /v1/refunds/{id}", s.secret(s.getRefund))
	m.Handle("GET /v1/events", s.secret(s.listEvents))
	m.Handle("GET /v1/events/{id}", s.secret(s.getEvent))
	m.Handle("/v1/", http.HandlerFunc(s.unknownRoute))

	m.HandleFunc("POST /hooks/{provider}/{connection}", s.providerWebhook)
	m.HandleFunc("GET /pay/{id}", s.checkoutPage)
	m.HandleFunc("GET /pay/{id}/return", s.providerReturn)
	if d.Sandbox != nil {
		m.Handle("GET /sandbox/3ds/{txn}", d.Sandbox)
		m.Handle("POST /sandbox/3ds/{txn}", d.Sandbox)
	}

	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.HandleFunc("GET /openapi.json", s.openAPI)
	m.HandleFunc("GET /docs", s.docs)
	m.HandleFunc("GET /{$}", s.home)
	return s
}

// ServeHTTP adds a Request-Id and recovers from panics around every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.withBasics(s.mux).ServeHTTP(w, r)
}
