package api

import (
	"net/http"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/store"
)

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	q, err := newListQuery(r.URL.Query(), "object_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.AuditFilter{ObjectID: q.str("object_id"), StartingAfter: q.str("starting_after")}
	if f.Limit, err = q.limit(); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, more, err := s.eng.ListAudit(r.Context(), p.Scope, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newList("/v1/audit_log", list, more))
}
