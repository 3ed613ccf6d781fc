package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/testutil/mailtest"
)

// An email queued by a process that then crashes (its mail server was down, so
// nothing could be sent yet) goes out after a restart, once the server is up.
func TestKill9WithAnEmailQueuedStillSendsIt(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, env []string) {
		port := mailtest.FreePort(t)
		env = append(env, fmt.Sprintf("PAYMUX_SMTP_URL=smtp://127.0.0.1:%d?tls=none", port),
			"PAYMUX_MAIL_FROM=noreply@paymux.test", "PAYMUX_MAIL_RETRY_SCHEDULE=500ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s")
		s := startServer(t, env...)
		if !strings.Contains(s.output(), fmt.Sprintf("Email        smtp://127.0.0.1:%d (unencrypted, loopback only), from noreply@paymux.test", port)) {
			t.Fatalf("the banner does not say where emails go:\n%s", s.output())
		}
		key := s.testKey()
		code, p := call(t, "POST", s.base+"/v1/payments", key, `{"amount":1000,"currency":"EUR","customer":{"email":"crash@example.com","locale":"it"}}`)
		if code != 201 {
			t.Fatalf("create: %d %v", code, p)
		}
		id := p["id"].(string)
		if code, p = call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`); code != 200 {
			t.Fatalf("confirm: %d %v", code, p)
		}
		s.kill()
		mp := mailtest.Start(t, &mailtest.Options{SMTPPort: port})
		s = startServer(t, env...)
		m := mp.WaitTo("crash@example.com", 1, 60*time.Second)[0]
		if !strings.HasPrefix(m.Subject, "Pagamento confermato: 10,00") {
			t.Fatalf("subject %q", m.Subject)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, l := call(t, "GET", s.base+"/v1/payments/"+id+"/notifications", key, "")
			data, _ := l["data"].([]any)
			if len(data) == 1 && data[0].(map[string]any)["status"] == "sent" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("notifications after the restart: %v\n%s", l, s.output())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := mp.To("crash@example.com"); len(got) != 1 {
			t.Fatalf("%d emails, want one", len(got))
		}
	})
}
