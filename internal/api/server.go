package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/metrics"
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
	// Metrics observes requests and serves /metrics; nil leaves both out.
	Metrics *metrics.Metrics
	// ApplePayDomainFile is the Apple Pay domain-association file to serve; nil
	// answers 404 saying how to set it.
	ApplePayDomainFile []byte
	// MaxInFlight and AdmissionWait bound concurrent API requests (0: defaults).
	MaxInFlight   int
	AdmissionWait time.Duration
}

// Server is the HTTP front of paymux.
type Server struct {
	eng     *engine.Engine
	store   store.Store
	log     *slog.Logger
	version string
	mux     *http.ServeMux
	metrics *metrics.Metrics
	slots   chan struct{}
	streams chan struct{}
	// stopStreams ends every event stream (CloseStreams): http.Server.Shutdown
	// waits for handlers, and a stream's handler only returns when told to.
	streamsDone   context.Context
	stopStreams   context.CancelFunc
	admissionWait time.Duration
	started       time.Time
	applePayFile  []byte
}

// Limits on requests.
const (
	maxBodyBytes      = 256 << 10
	maxWebhookBytes   = 1 << 20
	idempotencyLease  = 60 * time.Second
	idempotencyRetain = 24 * time.Hour
	maxIdemKeyLen     = 255
	// maxStreams bounds concurrent event streams (GET /v1/events/stream).
	maxStreams = 64
)

// New builds the server with its whole route table.
func New(d Deps) *Server {
	s := &Server{eng: d.Engine, store: d.Store, log: d.Logger, version: d.Version, mux: http.NewServeMux(),
		metrics: d.Metrics, started: time.Now(), applePayFile: d.ApplePayDomainFile}
	if d.MaxInFlight <= 0 {
		d.MaxInFlight = defaultMaxInFlight
	}
	if d.AdmissionWait <= 0 {
		d.AdmissionWait = defaultAdmissionWait
	}
	s.slots, s.admissionWait = make(chan struct{}, d.MaxInFlight), d.AdmissionWait
	s.streams = make(chan struct{}, maxStreams)
	s.streamsDone, s.stopStreams = context.WithCancel(context.Background())
	for _, rt := range s.routes(d.Sandbox) {
		if rt.ServedBy != "" {
			continue
		}
		s.mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	s.mux.Handle("/v1/", http.HandlerFunc(s.unknownRoute))
	return s
}

// ServeHTTP adds a Request-Id and recovers from panics around every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.withBasics(s.mux).ServeHTTP(w, r)
}

// CloseStreams ends every open event stream, now and from now on; call it when the
// server shuts down (http.Server.RegisterOnShutdown) so that Shutdown need not wait.
func (s *Server) CloseStreams() { s.stopStreams() }

// Route is one entry of the route table.
type Route struct {
	Method  string
	Path    string
	Handler http.Handler
	// Public routes are part of the documented API (and of /openapi.json).
	Public bool
	// ServedBy names the route that serves this documented path, when ServeMux
	// cannot: its wildcards are whole segments, so /v1/invoices/{id}.pdf is served
	// by /v1/invoices/{id}, which recognises the suffix.
	ServedBy string
}

// routes is the whole route table, in one place. The OpenAPI test checks that the
// public routes and /openapi.json describe the same API.
func (s *Server) routes(sandbox http.Handler) []Route {
	api := func(method, path string, h http.Handler) Route {
		return Route{Method: method, Path: path, Handler: h, Public: true}
	}
	page := func(method, path string, h http.HandlerFunc) Route {
		return Route{Method: method, Path: path, Handler: h}
	}
	rs := []Route{
		api("POST", "/v1/payments", s.secret(s.createPayment)),
		api("GET", "/v1/payments", s.secret(s.listPayments)),
		api("GET", "/v1/payments/{id}", s.secret(s.getPayment)),
		api("POST", "/v1/payments/{id}/confirm", s.secret(s.confirmPayment)),
		api("POST", "/v1/payments/{id}/capture", s.secret(s.capturePayment)),
		api("POST", "/v1/payments/{id}/cancel", s.secret(s.cancelPayment)),
		api("POST", "/v1/payments/{id}/apple_pay_session", s.secret(s.applePaySession)),
		api("GET", "/v1/payments/{id}/events", s.secret(s.listPaymentEvents)),
		api("POST", "/v1/payments/{id}/notifications", s.secret(s.createPaymentNotification)),
		api("GET", "/v1/payments/{id}/notifications", s.secret(s.listPaymentNotifications)),
		api("POST", "/v1/refunds", s.secret(s.createRefund)),
		api("GET", "/v1/refunds", s.secret(s.listRefunds)),
		api("GET", "/v1/refunds/{id}", s.secret(s.getRefund)),
		api("GET", "/v1/events", s.secret(s.listEvents)),
		api("GET", "/v1/events/{id}", s.secret(s.getEvent)),
		api("GET", "/v1/events/stream", s.streamSecret(s.streamEvents)),
		api("GET", "/v1/audit_log", s.secret(s.listAudit)),
		api("POST", "/v1/provider_connections", s.secret(s.createConnection)),
		api("GET", "/v1/provider_connections", s.secret(s.listConnections)),
		api("GET", "/v1/provider_connections/{id}", s.secret(s.getConnection)),
		api("PATCH", "/v1/provider_connections/{id}", s.secret(s.updateConnection)),
		api("DELETE", "/v1/provider_connections/{id}", s.secret(s.deleteConnection)),
		api("POST", "/v1/provider_connections/{id}/verify", s.secret(s.verifyConnection)),
		api("POST", "/v1/provider_connections/{id}/wallet_domains", s.secret(s.registerWalletDomain)),
		api("POST", "/v1/webhook_endpoints", s.secret(s.createWebhookEndpoint)),
		api("GET", "/v1/webhook_endpoints", s.secret(s.listWebhookEndpoints)),
		api("GET", "/v1/webhook_endpoints/{id}", s.secret(s.getWebhookEndpoint)),
		api("PATCH", "/v1/webhook_endpoints/{id}", s.secret(s.updateWebhookEndpoint)),
		api("DELETE", "/v1/webhook_endpoints/{id}", s.secret(s.deleteWebhookEndpoint)),
		api("POST", "/v1/webhook_endpoints/{id}/rotate_secret", s.secret(s.rotateWebhookSecret)),
		api("POST", "/v1/webhook_endpoints/{id}/replay", s.secret(s.replayWebhookDeliveries)),
		api("GET", "/v1/webhook_endpoints/{id}/deliveries", s.secret(s.listWebhookDeliveries)),
		api("GET", "/v1/webhook_deliveries/{id}", s.secret(s.getWebhookDelivery)),
		api("POST", "/v1/webhook_deliveries/{id}/retry", s.secret(s.retryWebhookDelivery)),
		api("GET", "/v1/invoice_settings", s.secret(s.getInvoiceSettings)),
		api("POST", "/v1/invoice_settings", s.secret(s.updateInvoiceSettings)),
		api("GET", "/v1/invoices", s.secret(s.listInvoices)),
		api("GET", "/v1/invoices/export", s.secret(s.exportInvoices)),
		api("GET", "/v1/invoices/{id}", s.secret(s.getInvoice)),
		{Method: "GET", Path: "/v1/invoices/{id}.pdf", Public: true, ServedBy: "/v1/invoices/{id}"},
		api("POST", "/v1/payments/{id}/invoice", s.secret(s.issueInvoice)),
		api("GET", "/v1/notification_settings", s.secret(s.getNotificationSettings)),
		api("POST", "/v1/notification_settings", s.secret(s.updateNotificationSettings)),
		api("POST", "/hooks/{provider}/{connection}", s.admit(http.HandlerFunc(s.providerWebhook))),
		api("GET", "/healthz", http.HandlerFunc(s.healthz)),
		api("GET", "/readyz", http.HandlerFunc(s.readyz)),
		page("GET", "/openapi.json", s.openAPI),
		page("GET", "/docs", s.docs),
		page("GET", "/pay/{id}", s.checkoutPage),
		page("GET", "/pay/{id}/return", s.providerReturn),
		page("POST", "/pay/{id}/return", s.providerReturn),
		page("GET", "/{$}", s.home),
		page("GET", "/.well-known/apple-developer-merchantid-domain-association", s.applePayDomainFile),
	}
	if s.metrics != nil {
		rs = append(rs, Route{Method: "GET", Path: "/metrics", Handler: s.metrics.Handler()})
	}
	if sandbox != nil {
		rs = append(rs, Route{Method: "GET", Path: "/sandbox/3ds/{txn}", Handler: sandbox},
			Route{Method: "POST", Path: "/sandbox/3ds/{txn}", Handler: sandbox})
	}
	return rs
}

// Routes returns the route table, for documentation tests.
func (s *Server) Routes() []Route { return s.routes(nil) }
