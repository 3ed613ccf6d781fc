package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
)

// keepAliveEvery is how often an idle event stream sends a comment line, so that
// proxies and clients can tell a quiet stream from a dead one.
const keepAliveEvery = 15 * time.Second

// streamEvents sends the key's events as Server-Sent Events as they happen: one
// `id`/`event`/`data` block per event, the data being the object GET /v1/events/{id}
// returns. A client that reconnects with Last-Event-ID (or ?after=) resumes after it.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, p *engine.Principal) {
	q := r.URL.Query()
	for k := range q {
		if k != "types" && k != "after" {
			s.writeError(w, r, payment.Invalid(k, payment.CodeParameterUnknown,
				"unknown query parameter %q: this stream takes after, types (resume with ?after=evt_… or the Last-Event-ID header)", k))
			return
		}
	}
	fp := engine.FollowParams{After: r.Header.Get("Last-Event-ID")}
	if a := q.Get("after"); a != "" {
		fp.After = a
	}
	if t := q.Get("types"); t != "" {
		for _, typ := range strings.Split(t, ",") {
			fp.Types = append(fp.Types, strings.TrimSpace(typ))
		}
	}
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary requests; a stream lives on.
	_ = rc.SetWriteDeadline(time.Time{})
	lastWrite := time.Now()
	started := false // headers sent: errors can no longer be answered as JSON
	fp.Ready = func() {
		started = true
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, ": paymux event stream\n\n")
		_ = rc.Flush()
	}
	fp.Tick = func() error {
		if time.Since(lastWrite) < keepAliveEvery {
			return nil
		}
		lastWrite = time.Now()
		if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
			return err
		}
		return rc.Flush()
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streamsDone, cancel)()
	err := s.eng.FollowEvents(ctx, p.Scope, fp, func(ev *payment.Event) error {
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		lastWrite = time.Now()
		if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, data); err != nil {
			return err
		}
		return rc.Flush()
	})
	if err != nil && !started {
		s.writeError(w, r, err)
		return
	}
	if err != nil && ctx.Err() == nil {
		s.log.Warn("event stream ended", "merchant", p.Scope.MerchantID, "err", err)
	}
}
