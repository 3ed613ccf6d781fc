package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

// Every configuration change through the API is in the audit log, with the key that
// made it, its request id, the object before and after, and never a secret; paymux's
// own changes (an endpoint disabled after failures) carry the system actor; each
// merchant and mode sees only its own entries.
func TestAuditLogRecordsConfigurationChanges(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		key := env.Keys.TestSecretKey
		conn := env.Secret("POST", "/v1/provider_connections", `{"provider":"sandbox","credentials":{"webhook_secret":"whsec_auditAuditAudit0123456789"}}`).
			MustStatus(t, http.StatusCreated)
		connID := str(conn.JSON(t), "id")
		env.Secret("PATCH", "/v1/provider_connections/"+connID, `{"enabled":false}`).MustStatus(t, http.StatusOK)
		env.Secret("DELETE", "/v1/provider_connections/"+connID, nil).MustStatus(t, http.StatusOK)
		rcv := newHookReceiver(t, func(hookRequest, []hookRequest) int { return http.StatusInternalServerError })
		ep := newEndpoint(t, env, key, map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"payment.created"}})
		epID := str(ep, "id")
		rotated := env.Secret("POST", "/v1/webhook_endpoints/"+epID+"/rotate_secret", nil).MustStatus(t, http.StatusOK).JSON(t)

		list := env.Secret("GET", "/v1/audit_log?object_id="+connID, nil).MustStatus(t, http.StatusOK).JSON(t)
		entries := list["data"].([]any)
		wantActions := []string{"provider_connection.deleted", "provider_connection.updated", "provider_connection.created"}
		if len(entries) != len(wantActions) {
			t.Fatalf("entries for %s: %v", connID, entries)
		}
		for i, it := range entries {
			a := it.(map[string]any)
			actor := a["actor"].(map[string]any)
			if str(a, "action") != wantActions[i] || str(a, "object_id") != connID || str(a, "object_type") != "provider_connection" ||
				str(actor, "type") != "api_key" || !strings.HasPrefix(str(actor, "id"), "key_") ||
				!strings.HasPrefix(str(a, "request_id"), "req_") || a["livemode"] != false {
				t.Errorf("entry %d: %v", i, a)
			}
		}
		upd := entries[1].(map[string]any)
		if b, _ := upd["before"].(map[string]any); b["enabled"] != true {
			t.Errorf("update's before: %v", upd["before"])
		}
		if a, _ := upd["after"].(map[string]any); a["enabled"] != false {
			t.Errorf("update's after: %v", upd["after"])
		}
		if entries[0].(map[string]any)["after"] != nil || entries[2].(map[string]any)["before"] != nil {
			t.Errorf("a deletion has an after, or a creation a before: %v", entries)
		}
		// The request id is the one the API answered with.
		created := entries[2].(map[string]any)
		if str(created, "request_id") != conn.Header.Get("Request-Id") {
			t.Errorf("request id %s, the API answered %s", str(created, "request_id"), conn.Header.Get("Request-Id"))
		}

		// Secrets never: not the webhook secret, not the connection's credentials.
		all := env.Secret("GET", "/v1/audit_log?limit=100", nil).MustStatus(t, http.StatusOK)
		for _, secret := range []string{str(ep, "secret"), str(rotated, "secret"), "whsec_auditAuditAudit0123456789"} {
			if strings.Contains(string(all.Body), secret) {
				t.Errorf("the audit log shows a secret %q", secret[:10])
			}
		}
		if !strings.Contains(string(all.Body), `"webhook_endpoint.secret_rotated"`) {
			t.Errorf("no rotation entry: %s", all.Body)
		}

		// Other merchants and the other mode see none of it.
		other, _ := env.App.Engine.CreateMerchant(t.Context(), "Other")
		for _, k := range []string{other.TestSecretKey, env.Keys.LiveSecretKey} {
			r := env.Do("GET", "/v1/audit_log", k, nil).MustStatus(t, http.StatusOK).JSON(t)
			if n := len(r["data"].([]any)); n != 0 {
				t.Errorf("another scope sees %d entries", n)
			}
		}
	})
}

// paymux disabling an endpoint after repeated failures is audited with the system
// as the actor.
func TestAuditLogNamesTheSystemForItsOwnChanges(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite", apptest.WithWebhookRetrySchedule(10*time.Millisecond))
	rcv := newHookReceiver(t, func(hookRequest, []hookRequest) int { return http.StatusInternalServerError })
	ep := newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"payment.created"}})
	for range 3 {
		createPayment(t, env, `{"amount":100,"currency":"EUR"}`)
	}
	var entry map[string]any
	eventually(t, "the endpoint disabled and audited", 20*time.Second, func() bool {
		for _, it := range env.Secret("GET", "/v1/audit_log?object_id="+str(ep, "id"), nil).MustStatus(t, http.StatusOK).JSON(t)["data"].([]any) {
			if a := it.(map[string]any); str(a, "action") == "webhook_endpoint.disabled" {
				entry = a
				return true
			}
		}
		return false
	})
	if actor := entry["actor"].(map[string]any); str(actor, "type") != "system" || str(entry, "request_id") != "" {
		t.Errorf("entry %v", entry)
	}
	if after, _ := entry["after"].(map[string]any); str(after, "status") != "disabled" {
		t.Errorf("after %v", entry["after"])
	}
}
