package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/api"
	"github.com/paymux/paymux/internal/app"
	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/secretbox"
	"github.com/paymux/paymux/internal/testutil/apptest"
	"github.com/paymux/paymux/internal/testutil/pgtest"
)

// Secrets the tests send; no response body may ever contain one.
const (
	sandboxSecret = "whsec_S3cr3tS4ndb0xV4lu3_9f3a"
	liveSecret    = "sk_live_L1v3S3cr3tK3yV4lu3x_4242"
	testSecret    = "sk_test_T3stS3cr3tK3yV4lu3x_1881"
)

// secretWatch fails the test if a response carries a credential.
type secretWatch struct {
	t       *testing.T
	env     *apptest.Env
	secrets []string
}

func (w *secretWatch) do(key, method, path string, body any, headers ...string) *apptest.Response {
	w.t.Helper()
	r := w.env.Do(method, path, key, body, headers...)
	for _, s := range w.secrets {
		// The secret, or any 12 characters of it, would be a leak.
		for i := 0; i+12 <= len(s); i++ {
			if bytes.Contains(r.Body, []byte(s[i:i+12])) {
				w.t.Fatalf("%s %s answered with part of a credential (%q): %s", method, path, s[i:i+12], r.Body)
			}
		}
	}
	return r
}

func (w *secretWatch) test(method, path string, body any, headers ...string) *apptest.Response {
	w.t.Helper()
	return w.do(w.env.Keys.TestSecretKey, method, path, body, headers...)
}

func (w *secretWatch) live(method, path string, body any, headers ...string) *apptest.Response {
	w.t.Helper()
	return w.do(w.env.Keys.LiveSecretKey, method, path, body, headers...)
}

// wantError requires an error with status, code and param.
func wantError(t *testing.T, r *apptest.Response, status int, code, param string, msgParts ...string) map[string]any {
	t.Helper()
	r.MustStatus(t, status)
	e := errorOf(t, r)
	if str(e, "code") != code || str(e, "param") != param {
		t.Fatalf("error %v, want code %s param %q", e, code, param)
	}
	for _, part := range msgParts {
		if !strings.Contains(str(e, "message"), part) {
			t.Fatalf("error message %q does not say %q", str(e, "message"), part)
		}
	}
	return e
}

func listIDs(t *testing.T, r *apptest.Response) []string {
	t.Helper()
	var ids []string
	for _, it := range r.MustStatus(t, http.StatusOK).JSON(t)["data"].([]any) {
		ids = append(ids, str(it.(map[string]any), "id"))
	}
	return ids
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestProviderConnectionCreate(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		w := &secretWatch{t: t, env: env, secrets: []string{sandboxSecret}}
		body := `{"provider":"sandbox","credentials":{"webhook_secret":"` + sandboxSecret + `"},` +
			`"methods":["paypal","card","paypal"],"base_url":"http://127.0.0.1:12111/"}`
		c := w.test("POST", "/v1/provider_connections", body).MustStatus(t, http.StatusCreated).JSON(t)
		if !strings.HasPrefix(str(c, "id"), "conn_") || str(c, "object") != "provider_connection" || c["livemode"] != false ||
			str(c, "provider") != "sandbox" || c["enabled"] != true || str(c, "base_url") != "http://127.0.0.1:12111" ||
			str(c, "created_at") == "" || str(c, "created_at") != str(c, "updated_at") {
			t.Fatalf("created connection: %v", c)
		}
		if got := strs(c["methods"]); !slices.Equal(got, []string{"card", "paypal"}) {
			t.Errorf("methods %v, want [card paypal]: the provider's order, once each", got)
		}
		if str(c, "credentials_hint") != "webhook_secret: whsec_…9f3a" {
			t.Errorf("credentials_hint %q, want the name, prefix and last 4 only", str(c, "credentials_hint"))
		}
		if _, ok := c["credentials"]; ok {
			t.Errorf("the connection shows its credentials: %v", c)
		}
		if got := w.test("GET", "/v1/provider_connections/"+str(c, "id"), nil).MustStatus(t, http.StatusOK).JSON(t); fmt.Sprint(got) != fmt.Sprint(c) {
			t.Errorf("read back %v, created %v", got, c)
		}

		// Defaults: every method of the provider, enabled, no base URL.
		d := w.test("POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"`+sandboxSecret+`"}}`).
			MustStatus(t, http.StatusCreated).JSON(t)
		if got := strs(d["methods"]); !slices.Equal(got, []string{"card", "apple_pay", "google_pay", "paypal", "bnpl"}) || d["enabled"] != true || str(d, "base_url") != "" {
			t.Errorf("defaults: %v", d)
		}
		off := w.test("POST", "/v1/provider_connections", `{"provider":"sandbox","enabled":false,"credentials":{"webhook_secret":"`+sandboxSecret+`"}}`).
			MustStatus(t, http.StatusCreated).JSON(t)
		if off["enabled"] != false {
			t.Errorf("enabled:false gave %v", off)
		}

		creds := `"credentials":{"webhook_secret":"` + sandboxSecret + `"}`
		for _, c := range []struct {
			name, body, code, param string
			msg                     []string
		}{
			{"UnknownProvider", `{"provider":"strip",` + creds + `}`, "parameter_invalid", "provider", []string{`"strip"`, "sandbox"}},
			{"NoProvider", `{` + creds + `}`, "parameter_missing", "provider", []string{"sandbox"}},
			{"NoCredentials", `{"provider":"sandbox"}`, "parameter_missing", "credentials", nil},
			{"EmptyCredentials", `{"provider":"sandbox","credentials":{}}`, "parameter_missing", "credentials", nil},
			{"MethodNotOffered", `{"provider":"sandbox",` + creds + `,"methods":["card","satispay"]}`, "parameter_invalid", "methods", []string{`"satispay"`, "card, apple_pay"}},
			{"NoMethods", `{"provider":"sandbox",` + creds + `,"methods":[]}`, "parameter_invalid", "methods", []string{"omit it"}},
			{"BadBaseURL", `{"provider":"sandbox",` + creds + `,"base_url":"ftp://x"}`, "parameter_invalid", "base_url", []string{"http"}},
			{"BaseURLWithUser", `{"provider":"sandbox",` + creds + `,"base_url":"http://u:p@127.0.0.1"}`, "parameter_invalid", "base_url", nil},
			{"ProviderRefusesCredentials", `{"provider":"sandbox","credentials":{"webhook_secret":"short"}}`, "parameter_invalid", "credentials", []string{"webhook_secret", "16"}},
			{"ProviderRefusesKey", `{"provider":"sandbox","credentials":{"webhook_secret":"` + sandboxSecret + `","secret_key":"x"}}`, "parameter_invalid", "credentials", []string{`"secret_key"`}},
			{"BadCredentialName", `{"provider":"sandbox","credentials":{"Webhook Secret":"` + sandboxSecret + `"}}`, "parameter_invalid", "credentials", nil},
			{"CredentialNotString", `{"provider":"sandbox","credentials":{"webhook_secret":5}}`, "parameter_invalid", "credentials", nil},
			{"UnknownField", `{"provider":"sandbox",` + creds + `,"secret":"x"}`, "parameter_unknown", "secret", nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantError(t, w.test("POST", "/v1/provider_connections", c.body), http.StatusBadRequest, c.code, c.param, c.msg...)
			})
		}

		// Live mode: the sandbox is test-only, and a live connection takes no base URL.
		wantError(t, w.live("POST", "/v1/provider_connections", `{"provider":"sandbox",`+creds+`}`),
			http.StatusBadRequest, "parameter_invalid", "provider", "test payments only")
		wantError(t, w.live("POST", "/v1/provider_connections", `{"provider":"sandbox",`+creds+`,"base_url":"http://127.0.0.1:12111"}`),
			http.StatusBadRequest, "parameter_invalid", "base_url", "test mode only", "published hosts")
		if ids := listIDs(t, w.live("GET", "/v1/provider_connections", nil)); len(ids) != 0 {
			t.Errorf("live mode lists %v", ids)
		}

		// The sealed credentials are stored, bound to the connection, and the
		// plaintext is nowhere in the row.
		raw, err := env.App.Store.FindConnection(t.Context(), scopeOf(env), str(c, "id"))
		if err != nil {
			t.Fatal(err)
		}
		if len(raw.Credentials) == 0 || bytes.Contains(raw.Credentials, []byte(sandboxSecret)) ||
			bytes.Contains(raw.Credentials, []byte(sandboxSecret[6:])) || strings.Contains(raw.Hint, sandboxSecret[6:]) {
			t.Fatalf("the stored row holds the plaintext secret: %q (hint %q)", raw.Credentials, raw.Hint)
		}
		conn, err := env.App.Engine.ResolveConnection(raw)
		if err != nil || conn.Credentials["webhook_secret"] != sandboxSecret || len(conn.Credentials) != 1 {
			t.Fatalf("the sealed credentials do not open to what was sent: %v", err)
		}
		moved := *raw
		moved.ID = str(d, "id")
		if _, err := env.App.Engine.ResolveConnection(&moved); err == nil {
			t.Fatalf("sealed credentials open under another connection's id")
		}
	})
}

func TestProviderConnectionLifecycle(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		w := &secretWatch{t: t, env: env, secrets: []string{sandboxSecret}}
		builtIn := listIDs(t, w.test("GET", "/v1/provider_connections", nil))
		if len(builtIn) != 1 {
			t.Fatalf("a new merchant has %v, want its built-in sandbox connection", builtIn)
		}
		def := w.test("GET", "/v1/provider_connections/"+builtIn[0], nil).MustStatus(t, http.StatusOK).JSON(t)
		if got := strs(def["methods"]); len(got) != 5 || str(def, "credentials_hint") != "built-in sandbox" {
			t.Errorf("built-in connection: %v", def)
		}
		var ids []string
		for range 4 {
			c := w.test("POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"`+sandboxSecret+`"}}`).
				MustStatus(t, http.StatusCreated).JSON(t)
			ids = append(ids, str(c, "id"))
		}
		// Newest first, a page at a time; strict query parameters.
		var walked []string
		q := "?limit=2"
		for range 5 {
			r := w.test("GET", "/v1/provider_connections"+q, nil).MustStatus(t, http.StatusOK).JSON(t)
			page := strs(func() []any {
				var out []any
				for _, it := range r["data"].([]any) {
					out = append(out, str(it.(map[string]any), "id"))
				}
				return out
			}())
			walked = append(walked, page...)
			if r["has_more"] != true {
				break
			}
			q = "?limit=2&starting_after=" + page[len(page)-1]
		}
		want := append([]string{ids[3], ids[2], ids[1], ids[0]}, builtIn[0])
		if !slices.Equal(walked, want) {
			t.Fatalf("walked %v, want %v (newest first)", walked, want)
		}
		wantError(t, w.test("GET", "/v1/provider_connections?provider=sandbox", nil), http.StatusBadRequest, "parameter_unknown", "provider", "limit, starting_after")
		wantError(t, w.test("GET", "/v1/provider_connections?limit=0", nil), http.StatusBadRequest, "parameter_invalid", "limit")
		wantError(t, w.test("GET", "/v1/provider_connections?starting_after=conn_nope", nil), http.StatusBadRequest, "parameter_invalid", "starting_after")

		// PATCH: enabled and methods only.
		id := ids[0]
		p := w.test("PATCH", "/v1/provider_connections/"+id, `{"enabled":false,"methods":["bnpl","card"]}`).MustStatus(t, http.StatusOK).JSON(t)
		created, _ := time.Parse(time.RFC3339Nano, str(p, "created_at"))
		updated, _ := time.Parse(time.RFC3339Nano, str(p, "updated_at"))
		if p["enabled"] != false || !slices.Equal(strs(p["methods"]), []string{"card", "bnpl"}) || !updated.After(created) {
			t.Fatalf("patched: %v", p)
		}
		p = w.test("PATCH", "/v1/provider_connections/"+id, `{"enabled":true}`).MustStatus(t, http.StatusOK).JSON(t)
		if p["enabled"] != true || !slices.Equal(strs(p["methods"]), []string{"card", "bnpl"}) {
			t.Fatalf("patched enabled only: %v", p)
		}
		same := w.test("PATCH", "/v1/provider_connections/"+id, `{}`).MustStatus(t, http.StatusOK).JSON(t)
		if fmt.Sprint(same) != fmt.Sprint(p) {
			t.Errorf("an empty PATCH changed %v into %v", p, same)
		}
		for _, c := range []struct{ body, code, param string }{
			{`{"credentials":{"webhook_secret":"` + sandboxSecret + `"}}`, "parameter_unknown", "credentials"},
			{`{"base_url":"http://127.0.0.1:1"}`, "parameter_unknown", "base_url"},
			{`{"provider":"stripe"}`, "parameter_unknown", "provider"},
			{`{"methods":["satispay"]}`, "parameter_invalid", "methods"},
			{`{"methods":[]}`, "parameter_invalid", "methods"},
			{`{"enabled":"yes"}`, "parameter_invalid", "enabled"},
			{``, "invalid_json", ""},
		} {
			wantError(t, w.test("PATCH", "/v1/provider_connections/"+id, c.body), http.StatusBadRequest, c.code, c.param)
		}
		wantError(t, w.test("PATCH", "/v1/provider_connections/conn_nope", `{"enabled":false}`), http.StatusNotFound, "resource_missing", "id")

		// Verify: the sandbox always accepts.
		v := w.test("POST", "/v1/provider_connections/"+id+"/verify", nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(v, "id") != id || str(v, "object") != "provider_connection_verification" || v["ok"] != true || str(v, "message") == "" {
			t.Fatalf("verify: %v", v)
		}
		w.test("POST", "/v1/provider_connections/"+id+"/verify", `{}`).MustStatus(t, http.StatusOK)
		wantError(t, w.test("POST", "/v1/provider_connections/"+id+"/verify", `{"deep":true}`), http.StatusBadRequest, "parameter_unknown", "deep")
		wantError(t, w.test("POST", "/v1/provider_connections/conn_nope/verify", nil), http.StatusNotFound, "resource_missing", "id")

		// Delete: gone from reads and lists, kept for what was paid through it.
		d := w.test("DELETE", "/v1/provider_connections/"+id, nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(d, "id") != id || str(d, "object") != "provider_connection" || d["deleted"] != true || len(d) != 3 {
			t.Fatalf("deleted: %v", d)
		}
		for _, r := range []*apptest.Response{
			w.test("GET", "/v1/provider_connections/"+id, nil),
			w.test("PATCH", "/v1/provider_connections/"+id, `{"enabled":true}`),
			w.test("POST", "/v1/provider_connections/"+id+"/verify", nil),
			w.test("DELETE", "/v1/provider_connections/"+id, nil),
		} {
			wantError(t, r, http.StatusNotFound, "resource_missing", "id")
		}
		if got := listIDs(t, w.test("GET", "/v1/provider_connections?limit=100", nil)); slices.Contains(got, id) || len(got) != 4 {
			t.Errorf("list after delete: %v", got)
		}
		wantError(t, w.test("GET", "/v1/provider_connections?starting_after="+id, nil), http.StatusBadRequest, "parameter_invalid", "starting_after")
		raw, err := env.App.Store.GetConnection(t.Context(), id)
		if err != nil || raw.DeletedAt == nil || raw.Enabled {
			t.Fatalf("the deleted row: %+v, %v; want it kept, disabled and marked", raw, err)
		}
	})
}

// TestPaymentsThroughAConnection: payments go through a merchant's own connection
// (its sealed webhook secret signs the sandbox's webhooks), a disabled or deleted
// connection takes no new payment, and what was paid through a deleted one can still
// be refunded.
func TestPaymentsThroughAConnection(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		w := &secretWatch{t: t, env: env, secrets: []string{sandboxSecret}}
		builtIn := listIDs(t, w.test("GET", "/v1/provider_connections", nil))[0]
		w.test("PATCH", "/v1/provider_connections/"+builtIn, `{"enabled":false}`).MustStatus(t, http.StatusOK)
		id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
		wantError(t, w.test("POST", "/v1/payments/"+id+"/confirm", `{"payment_method":"pm_card_visa"}`),
			http.StatusUnprocessableEntity, "provider_not_enabled", "")

		mine := str(w.test("POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"`+sandboxSecret+`"}}`).
			MustStatus(t, http.StatusCreated).JSON(t), "id")
		confirm(t, env, id, "pm_card_visa")
		raw, err := env.App.Store.GetPayment(t.Context(), scopeOf(env), id)
		if err != nil || raw.ConnectionID != mine {
			t.Fatalf("payment went through %q, want %s (%v)", raw.ConnectionID, mine, err)
		}
		// Settled by a webhook signed with the secret sealed in the connection.
		slow := str(createPayment(t, env, `{"amount":700,"currency":"EUR"}`), "id")
		confirm(t, env, slow, "pm_card_processing")
		waitStatus(t, env, slow, "succeeded", 15*time.Second)

		w.test("DELETE", "/v1/provider_connections/"+mine, nil).MustStatus(t, http.StatusOK)
		r := env.Secret("POST", "/v1/refunds", `{"payment_id":"`+id+`","amount":400}`).MustStatus(t, http.StatusCreated).JSON(t)
		if str(r, "status") != "succeeded" {
			t.Fatalf("refund through a deleted connection: %v", r)
		}
		next := str(createPayment(t, env, `{"amount":500,"currency":"EUR"}`), "id")
		wantError(t, w.test("POST", "/v1/payments/"+next+"/confirm", `{"payment_method":"pm_card_visa"}`),
			http.StatusUnprocessableEntity, "provider_not_enabled", "")
		w.test("PATCH", "/v1/provider_connections/"+builtIn, `{"enabled":true}`).MustStatus(t, http.StatusOK)
		confirm(t, env, next, "pm_card_visa")
	})
}

// TestProviderConnectionsAreIsolated: another merchant's connection, or one of the
// other mode, is not found by any operation, and lists never show it.
func TestProviderConnectionsAreIsolated(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		w := &secretWatch{t: t, env: env, secrets: []string{sandboxSecret}}
		mine := str(w.test("POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"`+sandboxSecret+`"}}`).
			MustStatus(t, http.StatusCreated).JSON(t), "id")
		other, err := env.App.Engine.CreateMerchant(t.Context(), "Other Shop")
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{other.TestSecretKey, env.Keys.LiveSecretKey, other.LiveSecretKey} {
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/v1/provider_connections/" + mine, ""},
				{"PATCH", "/v1/provider_connections/" + mine, `{"enabled":false}`},
				{"POST", "/v1/provider_connections/" + mine + "/verify", ""},
				{"DELETE", "/v1/provider_connections/" + mine, ""},
			} {
				var body any
				if c.body != "" {
					body = c.body
				}
				wantError(t, w.do(key, c.method, c.path, body), http.StatusNotFound, "resource_missing", "id")
			}
			if ids := listIDs(t, w.do(key, "GET", "/v1/provider_connections?limit=100", nil)); slices.Contains(ids, mine) {
				t.Errorf("another scope lists %s: %v", mine, ids)
			}
			wantError(t, w.do(key, "GET", "/v1/provider_connections?starting_after="+mine, nil), http.StatusBadRequest, "parameter_invalid", "starting_after")
		}
		// Untouched by all that.
		c := w.test("GET", "/v1/provider_connections/"+mine, nil).MustStatus(t, http.StatusOK).JSON(t)
		if c["enabled"] != true {
			t.Fatalf("another scope changed the connection: %v", c)
		}
		w.do(env.Keys.TestPublishableKey, "GET", "/v1/provider_connections", nil).MustStatus(t, http.StatusForbidden)
	})
}

// TestProviderConnectionIdempotency: every mutating call replays under its
// Idempotency-Key, and the stored response holds no credential.
func TestProviderConnectionIdempotency(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		w := &secretWatch{t: t, env: env, secrets: []string{sandboxSecret}}
		body := `{"provider":"sandbox","credentials":{"webhook_secret":"` + sandboxSecret + `"}}`
		first := w.test("POST", "/v1/provider_connections", body, "Idempotency-Key", "conn-1").MustStatus(t, http.StatusCreated)
		again := w.test("POST", "/v1/provider_connections", body, "Idempotency-Key", "conn-1").MustStatus(t, http.StatusCreated)
		if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.Body, again.Body) {
			t.Fatalf("replay: %v %s, first %s", again.Header, again.Body, first.Body)
		}
		if n := len(listIDs(t, w.test("GET", "/v1/provider_connections?limit=100", nil))); n != 2 {
			t.Fatalf("%d connections after a replayed create, want 2 (built-in + 1)", n)
		}
		other := `{"provider":"sandbox","credentials":{"webhook_secret":"` + sandboxSecret + `x"}}`
		wantError(t, w.test("POST", "/v1/provider_connections", other, "Idempotency-Key", "conn-1"), http.StatusUnprocessableEntity, "idempotency_key_reused", "")
		// A refusal is stored like a success.
		bad := `{"provider":"strip","credentials":{"webhook_secret":"` + sandboxSecret + `"}}`
		wantError(t, w.test("POST", "/v1/provider_connections", bad, "Idempotency-Key", "conn-bad"), http.StatusBadRequest, "parameter_invalid", "provider")
		if r := w.test("POST", "/v1/provider_connections", bad, "Idempotency-Key", "conn-bad"); r.Status != 400 || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replayed refusal: %d %v", r.Status, r.Header)
		}

		id := str(first.JSON(t), "id")
		for _, c := range []struct{ method, path, body string }{
			{"PATCH", "/v1/provider_connections/" + id, `{"enabled":false}`},
			{"POST", "/v1/provider_connections/" + id + "/verify", `{}`},
			{"DELETE", "/v1/provider_connections/" + id, ""},
		} {
			var body any
			if c.body != "" {
				body = c.body
			}
			a := w.test(c.method, c.path, body, "Idempotency-Key", "k-"+c.method).MustStatus(t, http.StatusOK)
			b := w.test(c.method, c.path, body, "Idempotency-Key", "k-"+c.method).MustStatus(t, http.StatusOK)
			if b.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(a.Body, b.Body) {
				t.Fatalf("%s %s replay: %v %s, first %s", c.method, c.path, b.Header, b.Body, a.Body)
			}
		}
	})
}

// fakePSP is a live-capable provider for the tests: it offers cards and PayPal,
// wants a secret_key of its mode, and (with verify) checks it.
type fakePSP struct {
	provider.Unsupported
	conn provider.Connection
}

type verifyingPSP struct{ fakePSP }

func (p verifyingPSP) Verify(ctx context.Context) error {
	switch {
	case strings.Contains(p.conn.Credentials["secret_key"], "revoked"):
		return &provider.Error{Provider: "checkpsp", Code: "api_key_expired", Message: "the API key was revoked"}
	case strings.Contains(p.conn.Credentials["secret_key"], "down"):
		return &provider.Error{Provider: "checkpsp", Message: "connection reset", Temporary: true, Uncertain: true}
	}
	return nil
}

func fakeRegistration(name string, verify bool) provider.Registration {
	return provider.Registration{
		Name: name, DisplayName: name,
		Capabilities: provider.Capabilities{Methods: []provider.Method{provider.MethodCard, provider.MethodPayPal}, Refund: true},
		New: func(conn provider.Connection) (provider.Connector, error) {
			if verify {
				return verifyingPSP{fakePSP{conn: conn}}, nil
			}
			return fakePSP{conn: conn}, nil
		},
		ValidateCredentials: func(livemode bool, creds map[string]string, _ string) error {
			prefix := "sk_test_"
			if livemode {
				prefix = "sk_live_"
			}
			if !strings.HasPrefix(creds["secret_key"], prefix) {
				return fmt.Errorf("secret_key must be a %s… key in this mode", prefix)
			}
			return nil
		},
	}
}

// startWithProviders runs the API over a registry of fake providers, on engineName.
func startWithProviders(t *testing.T, engineName string, regs ...provider.Registration) *apptest.Env {
	t.Helper()
	cfg := app.Config{DataDir: t.TempDir()}
	if engineName == "postgres" {
		cfg.DatabaseURL = pgtest.URL(t)
	}
	st, err := app.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := provider.NewRegistry(regs...)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := engine.New(engine.Deps{Store: st, Providers: reg, Box: box, Logger: log}, engine.Config{BaseURL: "http://paymux.invalid"})
	srv := httptest.NewServer(api.New(api.Deps{Engine: eng, Store: st, Logger: log}))
	t.Cleanup(srv.Close)
	keys, err := eng.CreateMerchant(t.Context(), "Live Shop")
	if err != nil {
		t.Fatal(err)
	}
	return &apptest.Env{T: t, URL: srv.URL, Keys: keys, Client: srv.Client()}
}

// TestProviderConnectionLiveProvider: a provider that takes live payments, its own
// credential checks, base URLs refused in live mode, and verification.
func TestProviderConnectionLiveProvider(t *testing.T) {
	t.Parallel()
	for _, name := range apptest.Engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := startWithProviders(t, name, fakeRegistration("plainpsp", false), fakeRegistration("checkpsp", true))
			w := &secretWatch{t: t, env: env, secrets: []string{liveSecret, testSecret}}
			live := w.live("POST", "/v1/provider_connections", `{"provider":"checkpsp","credentials":{"secret_key":"`+liveSecret+`"}}`).
				MustStatus(t, http.StatusCreated).JSON(t)
			if live["livemode"] != true || str(live, "credentials_hint") != "secret_key: sk_live_…4242" || str(live, "base_url") != "" {
				t.Fatalf("live connection: %v", live)
			}
			wantError(t, w.live("POST", "/v1/provider_connections", `{"provider":"checkpsp","credentials":{"secret_key":"`+liveSecret+`"},"base_url":"https://mock.example"}`),
				http.StatusBadRequest, "parameter_invalid", "base_url", "test mode only")
			wantError(t, w.live("POST", "/v1/provider_connections", `{"provider":"checkpsp","credentials":{"secret_key":"`+testSecret+`"}}`),
				http.StatusBadRequest, "parameter_invalid", "credentials", "sk_live_")
			wantError(t, w.test("POST", "/v1/provider_connections", `{"provider":"checkpsp","credentials":{"secret_key":"`+liveSecret+`"}}`),
				http.StatusBadRequest, "parameter_invalid", "credentials", "sk_test_")
			wantError(t, w.test("POST", "/v1/provider_connections", `{"provider":"nope","credentials":{"secret_key":"`+testSecret+`"}}`),
				http.StatusBadRequest, "parameter_invalid", "provider", "checkpsp, plainpsp")
			wantError(t, w.test("POST", "/v1/provider_connections", `{"provider":"plainpsp","credentials":{"secret_key":"`+testSecret+`"},"methods":["apple_pay"]}`),
				http.StatusBadRequest, "parameter_invalid", "methods", "card, paypal")
			tc := w.test("POST", "/v1/provider_connections", `{"provider":"checkpsp","credentials":{"secret_key":"`+testSecret+`"},"base_url":"https://mock.example/v1"}`).
				MustStatus(t, http.StatusCreated).JSON(t)
			if tc["livemode"] != false || str(tc, "base_url") != "https://mock.example/v1" || !slices.Equal(strs(tc["methods"]), []string{"card", "paypal"}) {
				t.Fatalf("test connection: %v", tc)
			}
			// Each mode sees its own.
			if ids := listIDs(t, w.live("GET", "/v1/provider_connections", nil)); !slices.Equal(ids, []string{str(live, "id")}) {
				t.Errorf("live list %v", ids)
			}
			wantError(t, w.test("GET", "/v1/provider_connections/"+str(live, "id"), nil), http.StatusNotFound, "resource_missing", "id")

			v := w.live("POST", "/v1/provider_connections/"+str(live, "id")+"/verify", nil).MustStatus(t, http.StatusOK).JSON(t)
			if v["ok"] != true {
				t.Errorf("verify: %v", v)
			}
			revoked := w.live("POST", "/v1/provider_connections", `{"provider":"checkpsp","credentials":{"secret_key":"sk_live_revoked_0000000000"}}`).
				MustStatus(t, http.StatusCreated).JSON(t)
			v = w.live("POST", "/v1/provider_connections/"+str(revoked, "id")+"/verify", nil).MustStatus(t, http.StatusOK).JSON(t)
			if v["ok"] != false || !strings.Contains(str(v, "message"), "revoked") {
				t.Errorf("verify a revoked key: %v", v)
			}
			down := w.live("POST", "/v1/provider_connections", `{"provider":"checkpsp","credentials":{"secret_key":"sk_live_down_00000000000000"}}`).
				MustStatus(t, http.StatusCreated).JSON(t)
			path := "/v1/provider_connections/" + str(down, "id") + "/verify"
			e := wantError(t, w.live("POST", path, nil, "Idempotency-Key", "v-down"), http.StatusBadGateway, "provider_unavailable", "")
			if str(e, "type") != "provider_error" {
				t.Errorf("unreachable provider: %v", e)
			}
			if r := w.live("POST", path, nil, "Idempotency-Key", "v-down"); r.Header.Get("Idempotent-Replayed") != "" {
				t.Errorf("an unreachable provider's answer was stored for replay")
			}
			plain := w.live("POST", "/v1/provider_connections", `{"provider":"plainpsp","credentials":{"secret_key":"`+liveSecret+`"}}`).
				MustStatus(t, http.StatusCreated).JSON(t)
			wantError(t, w.live("POST", "/v1/provider_connections/"+str(plain, "id")+"/verify", nil),
				http.StatusUnprocessableEntity, payment.CodeVerificationUnsupported, "", "verification not supported")
		})
	}
}
