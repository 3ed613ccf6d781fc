package sandbox

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/paymux/paymux/internal/money"
	"github.com/paymux/paymux/internal/store"
)

var challengePage = template.Must(template.New("challenge").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sandbox 3-D Secure</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
.card{border:1px solid #ddd;border-radius:8px;padding:1.5rem}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;border-radius:6px;border:1px solid #888;cursor:pointer}
#complete{background:#1a7f37;color:#fff;border-color:#1a7f37}#fail{background:#fff}</style></head>
<body><div class="card"><h1>3-D Secure test</h1>
<p>This is the sandbox's bank challenge. No real bank is involved.</p>
<p>Amount: <strong id="amount">{{.Amount}}</strong></p>
{{if .Done}}<p id="state">This challenge is already {{.Status}}.</p>{{else}}
<form method="post"><button id="complete" name="action" value="complete">Complete authentication</button>
<button id="fail" name="action" value="fail">Fail authentication</button></form>{{end}}
</div></body></html>`))

// ChallengeHandler serves the 3-D Secure challenge page at /sandbox/3ds/{txn}.
func (s *Sandbox) ChallengeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("txn")
		t, err := s.d.Store.GetSandboxTxn(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			http.Error(w, "no such sandbox transaction", http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, "sandbox unavailable", http.StatusServiceUnavailable)
			return
		}
		if r.Method == http.MethodPost {
			s.answerChallenge(w, r, t)
			return
		}
		amount := t.Currency
		if a, err := money.New(t.Amount, t.Currency); err == nil {
			amount = money.FormatLocale(a, "en")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = challengePage.Execute(w, map[string]any{"Amount": amount, "Done": t.Status != txnRequiresAction, "Status": t.Status})
	})
}

func (s *Sandbox) answerChallenge(w http.ResponseWriter, r *http.Request, t *store.SandboxTxn) {
	action := r.PostFormValue("action")
	if action != "complete" && action != "fail" {
		http.Error(w, `action must be "complete" or "fail"`, http.StatusBadRequest)
		return
	}
	err := s.d.Store.Write(r.Context(), func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetSandboxTxn(ctx, t.ID)
		if err != nil {
			return err
		}
		if cur.Status != txnRequiresAction {
			*t = *cur
			return nil // answered already: just send the shopper back
		}
		if action == "complete" {
			approve(cur)
		} else {
			cur.Status = txnFailed
		}
		cur.UpdatedAt = s.d.Now().UTC()
		if err := tx.UpdateSandboxTxn(ctx, cur); err != nil {
			return err
		}
		*t = *cur
		return s.enqueueWebhook(ctx, tx, cur, false, cur.UpdatedAt)
	})
	if err != nil {
		http.Error(w, "sandbox unavailable", http.StatusServiceUnavailable)
		return
	}
	s.d.Wake()
	back := t.ReturnURL
	if u, err := url.Parse(back); err != nil || back == "" {
		back = s.d.BaseURL + "/"
	} else {
		back = u.String()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
