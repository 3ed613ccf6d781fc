package api

import (
	"context"
	"net/http"
	"time"
)

// healthz says the process is up; it touches nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.version,
		"uptime_seconds": int(time.Since(s.started).Seconds())})
}

// readyz says paymux can serve: the database answers. Load balancers take an
// instance out while it fails.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": s.store.Engine()})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	base := s.eng.Config().BaseURL
	writeJSON(w, http.StatusOK, map[string]string{"name": "paymux", "version": s.version,
		"docs": base + "/docs", "openapi": base + "/openapi.json"})
}
