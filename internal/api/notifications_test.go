package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paymux/paymux/internal/engine"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/testutil/apptest"
	"github.com/paymux/paymux/internal/testutil/mailtest"
)

// forEngineWithMail runs a test on every engine, each with its own Mailpit (started
// with opts) that paymux sends through.
func forEngineWithMail(t *testing.T, opts *mailtest.Options, fn func(t *testing.T, env *apptest.Env, mp *mailtest.Server), more ...apptest.Option) {
	t.Helper()
	for _, name := range apptest.Engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mp := mailtest.Start(t, opts)
			fn(t, apptest.Start(t, name, append([]apptest.Option{apptest.WithSMTP(mp.URL())}, more...)...), mp)
		})
	}
}

// notificationsOf lists a payment's notifications, newest first.
func notificationsOf(t *testing.T, env *apptest.Env, paymentID string) []map[string]any {
	t.Helper()
	l := env.Secret("GET", "/v1/payments/"+paymentID+"/notifications?limit=100", nil).MustStatus(t, http.StatusOK).JSON(t)
	var out []map[string]any
	for _, it := range l["data"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// waitNotification waits until the payment's notification of kind is in status.
func waitNotification(t *testing.T, env *apptest.Env, paymentID, kind, status string) map[string]any {
	t.Helper()
	var last []map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		last = notificationsOf(t, env, paymentID)
		for _, n := range last {
			if str(n, "kind") == kind && str(n, "status") == status {
				return n
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("no %s notification %s for %s: %v", kind, status, paymentID, last)
	return nil
}

// paymentEvents returns a payment's history.
func paymentEvents(t *testing.T, env *apptest.Env, id string) []map[string]any {
	t.Helper()
	l := env.Secret("GET", "/v1/payments/"+id+"/events?limit=100", nil).MustStatus(t, http.StatusOK).JSON(t)
	var out []map[string]any
	for _, it := range l["data"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func eventsOfType(evs []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, ev := range evs {
		if str(ev, "type") == typ {
			out = append(out, ev)
		}
	}
	return out
}

func eventObject(ev map[string]any) map[string]any {
	o, _ := ev["data"].(map[string]any)["object"].(map[string]any)
	return o
}

var actionLink = regexp.MustCompile(`<a href="([^"]+)" id="action"`)

// linkIn returns the call to action of an email's HTML part.
func linkIn(t *testing.T, m *mailtest.Message) string {
	t.Helper()
	match := actionLink.FindStringSubmatch(m.HTML)
	if match == nil {
		t.Fatalf("no call to action in the HTML part:\n%s", m.HTML)
	}
	return html.UnescapeString(match[1])
}

// wantParts checks that a message has a text and an HTML part and that both say
// each of want.
func wantParts(t *testing.T, m *mailtest.Message, want ...string) {
	t.Helper()
	if strings.TrimSpace(m.Text) == "" || !strings.Contains(m.HTML, "<html") {
		t.Fatalf("%q: want both a text and an HTML part; text %q, HTML %q", m.Subject, m.Text, m.HTML)
	}
	for _, w := range want {
		if !strings.Contains(m.Text, w) {
			t.Errorf("%q: the text part does not say %q:\n%s", m.Subject, w, m.Text)
		}
		if !strings.Contains(html.UnescapeString(m.HTML), w) {
			t.Errorf("%q: the HTML part does not say %q:\n%s", m.Subject, w, m.HTML)
		}
	}
}

// Shoppers get their confirmation, failure and refund emails in their own
// language (the payment's customer.locale, else the merchant's default), with a
// text and an HTML part, branded, from the merchant's name; each attempt is on the
// payment's history.
func TestEmailsArriveInTheShoppersLanguage(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, nil, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		s := env.Secret("POST", "/v1/notification_settings", `{"brand":{"name":"Caffè Roma","color":"#AA3300"},
			"reply_to":"aiuto@caffe.example","default_locale":"it"}`).MustStatus(t, http.StatusOK).JSON(t)
		if b := s["brand"].(map[string]any); str(b, "color") != "#aa3300" || str(s, "default_locale") != "it" {
			t.Fatalf("settings %v", s)
		}
		type shopper struct{ email, locale, subject, amount, greeting string }
		shoppers := []shopper{
			{"ada@example.com", "en", "Payment confirmed: €1,234.50 to Caffè Roma", "€1,234.50", "Hello Ada,"},
			{"beppe@example.com", "it", "Pagamento confermato: 1.234,50\u00a0€ a Caffè Roma", "1.234,50\u00a0€", "Gentile Beppe,"},
			{"celina@example.com", "pl", "Płatność potwierdzona: 1234,50\u00a0€ dla Caffè Roma", "1234,50\u00a0€", "Dzień dobry Celina,"},
			// No locale: the merchant's default, Italian.
			{"dario@example.com", "", "Pagamento confermato: 1.234,50\u00a0€ a Caffè Roma", "1.234,50\u00a0€", "Gentile Dario,"},
		}
		ids := map[string]string{}
		for _, sh := range shoppers {
			name := strings.ToUpper(sh.email[:1]) + sh.email[1:strings.Index(sh.email, "@")]
			body := fmt.Sprintf(`{"amount":123450,"currency":"EUR","order_id":"ORD-%s","customer":{"email":%q,"name":%q,"locale":%q}}`,
				name, sh.email, name, sh.locale)
			id := str(createPayment(t, env, body), "id")
			ids[sh.email] = id
			if p := confirm(t, env, id, "pm_card_visa"); str(p, "status") != "succeeded" {
				t.Fatalf("confirm: %v", p)
			}
		}
		for _, sh := range shoppers {
			m := mp.WaitTo(sh.email, 1, 20*time.Second)[0]
			if m.Subject != sh.subject {
				t.Errorf("%s: subject %q, want %q", sh.email, m.Subject, sh.subject)
			}
			wantParts(t, m, sh.greeting, sh.amount, "ORD-", ids[sh.email])
			if m.From.Name != "Caffè Roma" || m.From.Address != "noreply@paymux.test" || len(m.ReplyTo) != 1 ||
				m.ReplyTo[0].Address != "aiuto@caffe.example" {
				t.Errorf("%s: from %v, reply-to %v", sh.email, m.From, m.ReplyTo)
			}
			if !strings.Contains(m.HTML, "background:#aa3300") {
				t.Errorf("%s: the HTML part does not wear the brand's colour", sh.email)
			}
			n := waitNotification(t, env, ids[sh.email], "payment_succeeded", "sent")
			if m.Header("X-Paymux-Notification") != str(n, "id") || num(n, "attempt_count") != 1 || str(n, "to") != sh.email ||
				str(n, "subject") != sh.subject || n["sent_at"] == nil || str(n, "last_error") != "" {
				t.Errorf("%s: notification %v (header %q)", sh.email, n, m.Header("X-Paymux-Notification"))
			}
		}
		// The history says it was sent, by the system.
		evs := paymentEvents(t, env, ids["celina@example.com"])
		sent := eventsOfType(evs, "notification.sent")
		if len(sent) != 1 || sent[0]["actor"].(map[string]any)["type"] != "system" || str(sent[0], "from_status") != "queued" ||
			str(sent[0], "to_status") != "sent" || str(eventObject(sent[0]), "kind") != "payment_succeeded" {
			t.Fatalf("notification events %v", sent)
		}

		// A refund, in Polish.
		env.Secret("POST", "/v1/refunds", `{"payment_id":"`+ids["celina@example.com"]+`","amount":2050}`).MustStatus(t, http.StatusCreated)
		msgs := mp.WaitTo("celina@example.com", 2, 20*time.Second)
		if r := msgs[1]; r.Subject != "Zwrot 20,50\u00a0€ od Caffè Roma" {
			t.Errorf("refund subject %q", r.Subject)
		} else {
			wantParts(t, r, "zwróciliśmy", "20,50\u00a0€", "z płatności 1234,50\u00a0€")
		}
		n := waitNotification(t, env, ids["celina@example.com"], "refund_succeeded", "sent")
		if !strings.HasPrefix(str(n, "related_id"), "re_") {
			t.Errorf("refund notification %v", n)
		}

		// A declined card, in Italian, with a link to try again.
		id := str(createPayment(t, env, `{"amount":990,"currency":"EUR","customer":{"email":"enzo@example.com","locale":"it"}}`), "id")
		p := confirm(t, env, id, "pm_card_chargeDeclined")
		m := mp.WaitTo("enzo@example.com", 1, 20*time.Second)[0]
		if m.Subject != "Il pagamento di 9,90\u00a0€ a Caffè Roma non è andato a buon fine" {
			t.Errorf("failure subject %q", m.Subject)
		}
		wantParts(t, m, "Buongiorno,", "non ti è stato addebitato nulla", str(p, "checkout_url"))
		if link := linkIn(t, m); link != str(p, "checkout_url") || link != env.URL+"/pay/"+id {
			t.Errorf("try-again link %q, want the payment's checkout %q", link, str(p, "checkout_url"))
		}
	})
}

// A kind the merchant switched off is not sent, nor recorded; the others still are.
func TestSwitchedOffEmailsAreNotSent(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, nil, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		s := env.Secret("POST", "/v1/notification_settings", `{"kinds":{"payment_succeeded":false}}`).MustStatus(t, http.StatusOK).JSON(t)
		k := s["kinds"].(map[string]any)
		if k["payment_succeeded"] != false || k["refund_succeeded"] != true || k["payment_failed"] != true || k["payment_reminder"] != false {
			t.Fatalf("kinds %v", k)
		}
		// Live mode has its own settings: still the defaults.
		live := env.Do("GET", "/v1/notification_settings", env.Keys.LiveSecretKey, nil).MustStatus(t, http.StatusOK).JSON(t)
		if live["kinds"].(map[string]any)["payment_succeeded"] != true || live["livemode"] != true || live["updated_at"] != nil {
			t.Fatalf("live settings %v", live)
		}
		id := str(createPayment(t, env, `{"amount":500,"currency":"EUR","customer":{"email":"off@example.com"}}`), "id")
		confirm(t, env, id, "pm_card_visa")
		env.Secret("POST", "/v1/refunds", `{"payment_id":"`+id+`"}`).MustStatus(t, http.StatusCreated)
		msgs := mp.WaitTo("off@example.com", 1, 20*time.Second)
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Subject, "Refund of €5.00") {
			t.Fatalf("messages %v", msgs)
		}
		// The confirmation was never queued: the refund's is the payment's only one.
		waitNotification(t, env, id, "refund_succeeded", "sent")
		ns := notificationsOf(t, env, id)
		if len(ns) != 1 || str(ns[0], "kind") != "refund_succeeded" {
			t.Fatalf("notifications %v", ns)
		}
		if len(eventsOfType(paymentEvents(t, env, id), "notification.sent")) != 1 {
			t.Fatalf("events %v", paymentEvents(t, env, id))
		}
		// Switched on again, the next payment is confirmed.
		env.Secret("POST", "/v1/notification_settings", `{"kinds":{"payment_succeeded":true}}`).MustStatus(t, http.StatusOK)
		id2 := str(createPayment(t, env, `{"amount":700,"currency":"EUR","customer":{"email":"on@example.com"}}`), "id")
		confirm(t, env, id2, "pm_card_visa")
		if m := mp.WaitTo("on@example.com", 1, 20*time.Second)[0]; !strings.HasPrefix(m.Subject, "Payment confirmed: €7.00") {
			t.Fatalf("subject %q", m.Subject)
		}
	})
}

// A recipient the server refuses (5xx) ends failed after one attempt, visible on
// the payment: its notification and its history.
func TestRefusedRecipientEndsFailed(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, &mailtest.Options{AllowedRecipients: `@example\.com$`}, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		id := str(createPayment(t, env, `{"amount":500,"currency":"EUR","customer":{"email":"nobody@nowhere.test"}}`), "id")
		confirm(t, env, id, "pm_card_visa")
		n := waitNotification(t, env, id, "payment_succeeded", "failed")
		if num(n, "attempt_count") != 1 || !strings.Contains(str(n, "last_error"), "550") || n["next_attempt_at"] != nil || n["sent_at"] != nil {
			t.Fatalf("notification %v", n)
		}
		failed := eventsOfType(paymentEvents(t, env, id), "notification.failed")
		if len(failed) != 1 || str(failed[0], "to_status") != "failed" || !strings.Contains(str(eventObject(failed[0]), "last_error"), "550") {
			t.Fatalf("events %v", failed)
		}
		if got := mp.To("nobody@nowhere.test"); len(got) != 0 {
			t.Fatalf("the refused message arrived: %v", got)
		}
		// It stays failed: no further attempt.
		time.Sleep(300 * time.Millisecond)
		if n := notificationsOf(t, env, id)[0]; num(n, "attempt_count") != 1 {
			t.Fatalf("retried a permanent failure: %v", n)
		}
	}, apptest.WithMailRetrySchedule(50*time.Millisecond, 50*time.Millisecond))
}

// An email waits while the mail server is down and arrives once it is up; every
// failed attempt is on the payment's history. A temporary refusal (4xx) is retried
// the same way.
func TestEmailWaitsForTheMailServer(t *testing.T) {
	t.Parallel()
	for _, name := range apptest.Engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			port := mailtest.FreePort(t)
			env := apptest.Start(t, name, apptest.WithSMTP(fmt.Sprintf("smtp://127.0.0.1:%d", port)),
				apptest.WithMailRetrySchedule(100*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond,
					200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond, time.Second, time.Second,
					time.Second, time.Second, time.Second, time.Second, time.Second, time.Second))
			id := str(createPayment(t, env, `{"amount":500,"currency":"EUR","customer":{"email":"patient@example.com","locale":"pl"}}`), "id")
			confirm(t, env, id, "pm_card_visa")
			eventually(t, "two failed attempts", 20*time.Second, func() bool {
				return len(eventsOfType(paymentEvents(t, env, id), "notification.failed")) >= 2
			})
			n := notificationsOf(t, env, id)[0]
			if str(n, "status") != "queued" || num(n, "attempt_count") < 2 || !strings.Contains(str(n, "last_error"), "connection refused") ||
				n["next_attempt_at"] == nil {
				t.Fatalf("while the server is down: %v", n)
			}
			for _, ev := range eventsOfType(paymentEvents(t, env, id), "notification.failed") {
				if str(ev, "to_status") != "queued" {
					t.Fatalf("a temporary failure ended the notification: %v", ev)
				}
			}

			mp := mailtest.Start(t, &mailtest.Options{SMTPPort: port, Chaos: true})
			m := mp.WaitTo("patient@example.com", 1, 20*time.Second)[0]
			if !strings.HasPrefix(m.Subject, "Płatność potwierdzona: 5,00") {
				t.Fatalf("subject %q", m.Subject)
			}
			n = waitNotification(t, env, id, "payment_succeeded", "sent")
			evs := paymentEvents(t, env, id)
			if len(eventsOfType(evs, "notification.sent")) != 1 || num(n, "attempt_count") != int64(len(eventsOfType(evs, "notification.failed"))+1) {
				t.Fatalf("after the server came up: %v; events %v", n, evs)
			}

			// A 451 ("try again later") is retried until the server takes it.
			mp.SetChaos(mailtest.Trigger{ErrorCode: 451, Probability: 100}, mailtest.Trigger{})
			id2 := str(createPayment(t, env, `{"amount":600,"currency":"EUR","customer":{"email":"later@example.com"}}`), "id")
			confirm(t, env, id2, "pm_card_visa")
			eventually(t, "a 451", 20*time.Second, func() bool {
				n := notificationsOf(t, env, id2)
				return len(n) == 1 && strings.Contains(str(n[0], "last_error"), "451")
			})
			mp.SetChaos(mailtest.Trigger{}, mailtest.Trigger{})
			mp.WaitTo("later@example.com", 1, 20*time.Second)
			waitNotification(t, env, id2, "payment_succeeded", "sent")
		})
	}
}

// A failure notice still waiting to be sent (here, for a mail server that is
// down) is dropped once the shopper paid: it would invite them to pay again. The
// confirmation goes.
func TestFailureNoticeDroppedOncePaid(t *testing.T) {
	t.Parallel()
	for _, name := range apptest.Engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			port := mailtest.FreePort(t)
			env := apptest.Start(t, name, apptest.WithSMTP(fmt.Sprintf("smtp://127.0.0.1:%d", port)),
				apptest.WithMailRetrySchedule(100*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond, time.Second,
					time.Second, time.Second, time.Second, time.Second, time.Second, time.Second, time.Second))
			id := str(createPayment(t, env, `{"amount":800,"currency":"EUR","customer":{"email":"second@example.com"}}`), "id")
			confirm(t, env, id, "pm_card_chargeDeclined")
			eventually(t, "a failed attempt at the failure notice", 20*time.Second, func() bool {
				return len(eventsOfType(paymentEvents(t, env, id), "notification.failed")) >= 1
			})
			confirm(t, env, id, "pm_card_visa")
			mp := mailtest.Start(t, &mailtest.Options{SMTPPort: port})
			m := mp.WaitTo("second@example.com", 1, 20*time.Second)[0]
			if !strings.HasPrefix(m.Subject, "Payment confirmed") {
				t.Fatalf("first message %q", m.Subject)
			}
			n := waitNotification(t, env, id, "payment_failed", "skipped")
			if str(n, "last_error") != "not sent: the payment is no longer failed (now succeeded)" {
				t.Fatalf("failure notice %v", n)
			}
			waitNotification(t, env, id, "payment_succeeded", "sent")
			if got := mp.To("second@example.com"); len(got) != 1 {
				t.Fatalf("%d messages, want only the confirmation", len(got))
			}
		})
	}
}

// An operator writes to the shopper from the transaction: the email carries the
// operator's subject and text, in the shopper's language, and the history records
// who asked.
func TestOperatorsFreeNotification(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, nil, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		id := str(createPayment(t, env, `{"amount":4200,"currency":"EUR","order_id":"ORD-9","customer":{"email":"gina@example.com","name":"Gina","locale":"it"}}`), "id")
		path := "/v1/payments/" + id + "/notifications"
		body := `{"subject":"Il tuo ordine ORD-9","message":"Ciao Gina,\nil pacco parte domani.\n\nGrazie!"}`
		r := env.Secret("POST", path, body, "Idempotency-Key", "free-1").MustStatus(t, http.StatusCreated)
		n := r.JSON(t)
		if str(n, "kind") != "free" || str(n, "status") != "queued" || str(n, "to") != "gina@example.com" || str(n, "locale") != "it" ||
			str(n, "subject") != "Il tuo ordine ORD-9" || str(n, "payment_id") != id {
			t.Fatalf("created %v", n)
		}
		if a := n["actor"].(map[string]any); a["type"] != "api_key" || !strings.HasPrefix(str(a, "id"), "key_") {
			t.Fatalf("actor %v", a)
		}
		// The same Idempotency-Key sends nothing more.
		again := env.Secret("POST", path, body, "Idempotency-Key", "free-1").MustStatus(t, http.StatusCreated)
		if again.Header.Get("Idempotent-Replayed") != "true" || str(again.JSON(t), "id") != str(n, "id") {
			t.Fatalf("replay %s", again.Body)
		}
		m := mp.WaitTo("gina@example.com", 1, 20*time.Second)[0]
		if m.Subject != "Il tuo ordine ORD-9" || m.Header("Auto-Submitted") != "" {
			t.Errorf("subject %q, Auto-Submitted %q", m.Subject, m.Header("Auto-Submitted"))
		}
		wantParts(t, m, "il pacco parte domani.", "Grazie!", "Riguardo al tuo pagamento di 42,00\u00a0€ per l'ordine ORD-9")
		if !strings.Contains(m.HTML, "<p>Ciao Gina,<br>il pacco parte domani.</p>") {
			t.Errorf("the HTML part does not keep the message's lines:\n%s", m.HTML)
		}
		// To someone else, in English.
		n2 := env.Secret("POST", path, `{"subject":"Order ORD-9","message":"FYI","to":"warehouse@example.com","locale":"en"}`).
			MustStatus(t, http.StatusCreated).JSON(t)
		if str(n2, "to") != "warehouse@example.com" || str(n2, "locale") != "en" {
			t.Fatalf("%v", n2)
		}
		wantParts(t, mp.WaitTo("warehouse@example.com", 1, 20*time.Second)[0], "Hello Gina,", "FYI", "About your payment of €42.00")
		waitNotification(t, env, id, "free", "sent")
		created := eventsOfType(paymentEvents(t, env, id), "notification.created")
		if len(created) != 2 || created[0]["actor"].(map[string]any)["type"] != "api_key" || str(created[0], "to_status") != "queued" {
			t.Fatalf("notification.created events %v", created)
		}
		if l := notificationsOf(t, env, id); len(l) != 2 || str(l[0], "id") != str(n2, "id") {
			t.Fatalf("list, newest first: %v", l)
		}

		// Bad requests change nothing.
		noEmail := str(createPayment(t, env, `{"amount":100,"currency":"EUR"}`), "id")
		for _, tc := range []struct{ path, body, code, param string }{
			{path, `{"message":"x"}`, "parameter_missing", "subject"},
			{path, `{"subject":"  ","message":"x"}`, "parameter_missing", "subject"},
			{path, `{"subject":"two\nlines","message":"x"}`, "parameter_invalid", "subject"},
			{path, `{"subject":"` + strings.Repeat("s", 201) + `","message":"x"}`, "parameter_invalid", "subject"},
			{path, `{"subject":"s"}`, "parameter_missing", "message"},
			{path, `{"subject":"s","message":"` + strings.Repeat("m", 10001) + `"}`, "parameter_invalid", "message"},
			{path, `{"subject":"s","message":"m","to":"Gina <gina@example.com>"}`, "parameter_invalid", "to"},
			{path, `{"subject":"s","message":"m","to":"nope"}`, "parameter_invalid", "to"},
			{path, `{"subject":"s","message":"m","locale":"de"}`, "parameter_invalid", "locale"},
			{path, `{"subject":"s","message":"m","cc":"x@example.com"}`, "parameter_unknown", "cc"},
			{"/v1/payments/" + noEmail + "/notifications", `{"subject":"s","message":"m"}`, "parameter_missing", "to"},
		} {
			e := errorOf(t, env.Secret("POST", tc.path, tc.body).MustStatus(t, http.StatusBadRequest))
			if e["code"] != tc.code || e["param"] != tc.param || str(e, "message") == "" {
				t.Errorf("%s: %v, want %s on %s", tc.body, e, tc.code, tc.param)
			}
		}
		if l := notificationsOf(t, env, id); len(l) != 2 {
			t.Fatalf("a refused request queued a notification: %v", l)
		}
		// Another mode or merchant sees nothing.
		env.Do("POST", path, env.Keys.LiveSecretKey, `{"subject":"s","message":"m"}`).MustStatus(t, http.StatusNotFound)
		env.Do("GET", path, env.Keys.LiveSecretKey, nil).MustStatus(t, http.StatusNotFound)
		other, err := env.App.Engine.CreateMerchant(t.Context(), "Other")
		if err != nil {
			t.Fatal(err)
		}
		env.Do("GET", path, other.TestSecretKey, nil).MustStatus(t, http.StatusNotFound)
		env.Do("POST", path, other.TestSecretKey, `{"subject":"s","message":"m"}`).MustStatus(t, http.StatusNotFound)
		env.Secret("POST", "/v1/payments/pay_nope/notifications", `{"subject":"s","message":"m"}`).MustStatus(t, http.StatusNotFound)
	})
}

// Without PAYMUX_SMTP_URL paymux still works: notifications are recorded as
// skipped, saying why.
func TestNotificationsSkippedWithoutSMTP(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		id := str(createPayment(t, env, `{"amount":500,"currency":"EUR","customer":{"email":"ada@example.com"}}`), "id")
		if p := confirm(t, env, id, "pm_card_visa"); str(p, "status") != "succeeded" {
			t.Fatalf("confirm %v", p)
		}
		ns := notificationsOf(t, env, id)
		if len(ns) != 1 || str(ns[0], "status") != "skipped" || !strings.Contains(str(ns[0], "last_error"), "PAYMUX_SMTP_URL") ||
			num(ns[0], "attempt_count") != 0 {
			t.Fatalf("notifications %v", ns)
		}
		n := env.Secret("POST", "/v1/payments/"+id+"/notifications", `{"subject":"s","message":"m"}`).MustStatus(t, http.StatusCreated).JSON(t)
		if str(n, "status") != "skipped" {
			t.Fatalf("free notification %v", n)
		}
	})
}

// With reminders on, a payment still unpaid after the merchant's delay gets one,
// from a job queued when it was created; a paid one does not.
func TestAbandonedPaymentReminder(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, nil, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		ctx := t.Context()
		scope := store.Scope{MerchantID: env.Keys.ID}
		before := str(createPayment(t, env, `{"amount":500,"currency":"EUR","customer":{"email":"early@example.com"}}`), "id")
		// Payments here expire after an hour: a reminder two hours on is never queued.
		env.Secret("POST", "/v1/notification_settings", `{"kinds":{"payment_reminder":true},"reminder_delay":7200}`).MustStatus(t, http.StatusOK)
		tooLate := str(createPayment(t, env, `{"amount":500,"currency":"EUR","customer":{"email":"late@example.com"}}`), "id")
		env.Secret("POST", "/v1/notification_settings", `{"reminder_delay":1800}`).MustStatus(t, http.StatusOK)
		unpaid := createPayment(t, env, `{"amount":1999,"currency":"PLN","order_id":"K-1","customer":{"email":"slow@example.com","locale":"pl"}}`)
		paid := str(createPayment(t, env, `{"amount":500,"currency":"EUR","customer":{"email":"quick@example.com"}}`), "id")
		noEmail := str(createPayment(t, env, `{"amount":500,"currency":"EUR"}`), "id")
		confirm(t, env, paid, "pm_card_visa")
		// The reminders are durable jobs, due half an hour after creation: bring the
		// unpaid one's forward, as if the time had passed.
		due := func(id string) bool {
			var found bool
			if err := env.App.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				found, err = tx.RescheduleJobByKey(ctx, engine.ReminderJobKey(id), time.Now())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return found
		}
		if due(before) || due(noEmail) || due(tooLate) {
			t.Fatalf("a reminder was queued for a payment made while reminders were off, without an email, or due after its expiry")
		}
		if !due(str(unpaid, "id")) {
			t.Fatalf("no reminder queued for %s", str(unpaid, "id"))
		}
		m := mp.WaitTo("slow@example.com", 1, 20*time.Second)[0]
		if m.Subject != "Płatność 19,99\u00a0zł dla Test Shop nie została dokończona" {
			t.Errorf("subject %q", m.Subject)
		}
		wantParts(t, m, "za zamówienie K-1", str(unpaid, "checkout_url"))
		if linkIn(t, m) != str(unpaid, "checkout_url") {
			t.Errorf("link %q", linkIn(t, m))
		}
		n := waitNotification(t, env, str(unpaid, "id"), "payment_reminder", "sent")
		if a := n["actor"].(map[string]any); a["type"] != "system" {
			t.Errorf("actor %v", a)
		}
		// The paid payment's job finds nothing to remind of.
		args, _ := json.Marshal(map[string]any{"merchant_id": scope.MerchantID, "livemode": false, "payment_id": paid})
		if err := env.App.Engine.WorkPaymentReminder(ctx, store.Job{Kind: engine.JobPaymentReminder, Args: args}); err != nil {
			t.Fatal(err)
		}
		for _, n := range notificationsOf(t, env, paid) {
			if str(n, "kind") == "payment_reminder" {
				t.Fatalf("a paid payment was reminded: %v", n)
			}
		}
		// Nor does a payment canceled meanwhile.
		canceled := str(createPayment(t, env, `{"amount":500,"currency":"EUR","customer":{"email":"gone@example.com"}}`), "id")
		env.Secret("POST", "/v1/payments/"+canceled+"/cancel", nil).MustStatus(t, http.StatusOK)
		args, _ = json.Marshal(map[string]any{"merchant_id": scope.MerchantID, "livemode": false, "payment_id": canceled})
		if err := env.App.Engine.WorkPaymentReminder(ctx, store.Job{Kind: engine.JobPaymentReminder, Args: args}); err != nil {
			t.Fatal(err)
		}
		if l := notificationsOf(t, env, canceled); len(l) != 0 {
			t.Fatalf("a canceled payment was reminded: %v", l)
		}
	})
}

// A payment link's email goes out through the path the payment-links feature will
// call, in the transaction that makes the link.
func TestPaymentLinkEmail(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, nil, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		ctx := t.Context()
		scope := store.Scope{MerchantID: env.Keys.ID}
		actor := payment.Actor{Type: payment.ActorAPIKey, ID: "key_test"}
		link := engine.PaymentLinkEmail{LinkID: "plink_1", URL: env.URL + "/l/plink_1", Amount: 2500, Currency: "EUR",
			OrderID: "L-1", To: "link@example.com", CustomerName: "Lia", Locale: "it",
			ExpiresAt: time.Date(2030, 1, 15, 18, 30, 0, 0, time.UTC)}
		var n *engine.Notification
		if err := env.App.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = env.App.Engine.QueuePaymentLinkEmail(ctx, tx, actor, scope, link)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n == nil || n.Kind != "payment_link" || n.Status != "queued" || n.RelatedID != "plink_1" {
			t.Fatalf("queued %+v", n)
		}
		m := mp.WaitTo("link@example.com", 1, 20*time.Second)[0]
		if m.Subject != "Test Shop ti ha inviato un link per pagare 25,00\u00a0€" {
			t.Errorf("subject %q", m.Subject)
		}
		wantParts(t, m, "Gentile Lia,", "per l'ordine L-1", "15 gennaio 2030, 18:30 UTC", env.URL+"/l/plink_1")
		got, err := env.App.Engine.GetNotification(ctx, scope, n.ID)
		for err == nil && got.Status == "queued" {
			time.Sleep(20 * time.Millisecond)
			got, err = env.App.Engine.GetNotification(ctx, scope, n.ID)
		}
		if err != nil || got.Status != "sent" {
			t.Fatalf("after sending: %+v, %v", got, err)
		}
		// A link made in a transaction that fails sends nothing; one made while
		// payment-link emails are off neither.
		_ = env.App.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			l := link
			l.To = "rolledback@example.com"
			if _, err := env.App.Engine.QueuePaymentLinkEmail(ctx, tx, actor, scope, l); err != nil {
				return err
			}
			return fmt.Errorf("the link could not be saved")
		})
		env.Secret("POST", "/v1/notification_settings", `{"kinds":{"payment_link":false}}`).MustStatus(t, http.StatusOK)
		if err := env.App.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			l := link
			l.To = "off@example.com"
			n, err := env.App.Engine.QueuePaymentLinkEmail(ctx, tx, actor, scope, l)
			if n != nil {
				t.Errorf("queued while switched off: %+v", n)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := env.App.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			l := link
			l.To = "not an address"
			_, err := env.App.Engine.QueuePaymentLinkEmail(ctx, tx, actor, scope, l)
			if payment.ErrorCode(err) != payment.CodeParameterInvalid {
				t.Errorf("bad address: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		for _, to := range []string{"rolledback@example.com", "off@example.com"} {
			if got := mp.To(to); len(got) != 0 {
				t.Errorf("%s got %d messages", to, len(got))
			}
		}
	})
}

// When paymux disables a failing webhook endpoint, the merchant's operator
// address is told, in the merchant's language.
func TestDisabledEndpointEmailsTheOperator(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, nil, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		env.Secret("POST", "/v1/notification_settings", `{"operator_email":"ops@example.com","default_locale":"pl"}`).MustStatus(t, http.StatusOK)
		rcv := newHookReceiver(t, func(hookRequest, []hookRequest) int { return http.StatusInternalServerError })
		ep := newEndpoint(t, env, env.Keys.TestSecretKey, map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"payment.created"}})
		for range 3 {
			createPayment(t, env, `{"amount":100,"currency":"EUR"}`)
		}
		m := mp.WaitTo("ops@example.com", 1, 30*time.Second)[0]
		if m.Subject != "paymux wyłączył Twój endpoint webhooków "+rcv.url("/h") {
			t.Errorf("subject %q", m.Subject)
		}
		wantParts(t, m, str(ep, "id"), "3 deliveries in a row failed", "/v1/webhook_endpoints/"+str(ep, "id")+"/replay", "tryb testowy")
		e := env.Secret("GET", "/v1/webhook_endpoints/"+str(ep, "id"), nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(e, "status") != "disabled" {
			t.Fatalf("endpoint %v", e)
		}
		// The notice is in the merchant's event stream (it is about no payment).
		eventually(t, "notification.sent in the stream", 20*time.Second, func() bool {
			l := env.Secret("GET", "/v1/events?type=notification.sent", nil).MustStatus(t, http.StatusOK).JSON(t)
			for _, it := range l["data"].([]any) {
				o := eventObject(it.(map[string]any))
				if str(o, "kind") == "endpoint_disabled" && str(o, "related_id") == str(ep, "id") && str(o, "to") == "ops@example.com" {
					return true
				}
			}
			return false
		})
	}, apptest.WithWebhookRetrySchedule(20*time.Millisecond, 20*time.Millisecond))
}

// Settings: partial updates, defaults, and clear refusals that change nothing.
func TestNotificationSettings(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		def := env.Secret("GET", "/v1/notification_settings", nil).MustStatus(t, http.StatusOK).JSON(t)
		want := map[string]any{"payment_succeeded": true, "payment_failed": true, "refund_succeeded": true,
			"payment_link": true, "payment_reminder": false, "endpoint_disabled": true, "invoice_issued": true}
		for k, v := range want {
			if def["kinds"].(map[string]any)[k] != v {
				t.Errorf("default %s = %v, want %v", k, def["kinds"].(map[string]any)[k], v)
			}
		}
		if num(def, "reminder_delay") != 3600 || str(def, "default_locale") != "en" || str(def["brand"].(map[string]any), "color") != "#2d6cdf" ||
			str(def, "object") != "notification_settings" {
			t.Fatalf("defaults %v", def)
		}
		s := env.Secret("POST", "/v1/notification_settings", `{"kinds":{"payment_reminder":true},"reminder_delay":5400,
			"brand":{"name":"Bottega","logo_url":"https://cdn.example/logo.png"},"operator_email":"ops@example.com"}`).MustStatus(t, http.StatusOK).JSON(t)
		s2 := env.Secret("POST", "/v1/notification_settings", `{"reply_to":"help@example.com"}`).MustStatus(t, http.StatusOK).JSON(t)
		if s2["kinds"].(map[string]any)["payment_reminder"] != true || num(s2, "reminder_delay") != 5400 ||
			str(s2["brand"].(map[string]any), "name") != "Bottega" || str(s2, "operator_email") != "ops@example.com" ||
			str(s2, "reply_to") != "help@example.com" || s2["updated_at"] == nil {
			t.Fatalf("after two partial updates: %v (first %v)", s2, s)
		}
		// Empty strings go back to the defaults.
		s3 := env.Secret("POST", "/v1/notification_settings", `{"brand":{"name":"","color":""},"reply_to":""}`).MustStatus(t, http.StatusOK).JSON(t)
		if b := s3["brand"].(map[string]any); str(b, "name") != "" || str(b, "color") != "#2d6cdf" || str(b, "logo_url") == "" || str(s3, "reply_to") != "" {
			t.Fatalf("cleared %v", s3)
		}
		for _, tc := range []struct{ body, code, param string }{
			{`{"reminder_delay":30}`, "parameter_invalid", "reminder_delay"},
			{`{"reminder_delay":700000}`, "parameter_invalid", "reminder_delay"},
			{`{"reminder_delay":"1h"}`, "parameter_invalid", "reminder_delay"},
			{`{"default_locale":"fr"}`, "parameter_invalid", "default_locale"},
			{`{"brand":{"color":"red"}}`, "parameter_invalid", "brand.color"},
			{`{"brand":{"logo_url":"http://cdn.example/logo.png"}}`, "parameter_invalid", "brand.logo_url"},
			{`{"brand":{"name":"` + strings.Repeat("n", 101) + `"}}`, "parameter_invalid", "brand.name"},
			{`{"reply_to":"help"}`, "parameter_invalid", "reply_to"},
			{`{"operator_email":"Ops <ops@example.com>"}`, "parameter_invalid", "operator_email"},
			{`{"kinds":{"free":true}}`, "parameter_unknown", "free"},
			{`{"kinds":{"payment_reminder":"yes"}}`, "parameter_invalid", "kinds.payment_reminder"},
			{`{"kinds":{"payment_reminder":false},"brand":{"color":"#12345"}}`, "parameter_invalid", "brand.color"},
			{`{"from":"x@example.com"}`, "parameter_unknown", "from"},
		} {
			e := errorOf(t, env.Secret("POST", "/v1/notification_settings", tc.body).MustStatus(t, http.StatusBadRequest))
			if e["code"] != tc.code || e["param"] != tc.param || str(e, "message") == "" {
				t.Errorf("%s: %v, want %s on %s", tc.body, e, tc.code, tc.param)
			}
		}
		after := env.Secret("GET", "/v1/notification_settings", nil).MustStatus(t, http.StatusOK).JSON(t)
		if after["kinds"].(map[string]any)["payment_reminder"] != true {
			t.Fatalf("a refused update changed the settings: %v", after)
		}
		// Another merchant has its own.
		other, err := env.App.Engine.CreateMerchant(t.Context(), "Other")
		if err != nil {
			t.Fatal(err)
		}
		o := env.Do("GET", "/v1/notification_settings", other.TestSecretKey, nil).MustStatus(t, http.StatusOK).JSON(t)
		if o["kinds"].(map[string]any)["payment_reminder"] != false || str(o, "operator_email") != "" {
			t.Fatalf("another merchant sees %v", o)
		}
	})
}

// The failed-payment email's link opens the payment's checkout in a real browser.
func TestFailedPaymentEmailLinkOpensTheCheckout(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, nil, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		id := str(createPayment(t, env, `{"amount":4990,"currency":"EUR","description":"Espresso machine","customer":{"email":"retry@example.com","locale":"pl"}}`), "id")
		confirm(t, env, id, "pm_card_insufficientFunds")
		link := linkIn(t, mp.WaitTo("retry@example.com", 1, 20*time.Second)[0])
		ctx := browser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#status"))); err != nil {
			t.Fatalf("open %s: %v", link, err)
		}
		code, err := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType("navigation")[0].responseStatus`))
		if err != nil {
			t.Fatal(err)
		}
		status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
		if err != nil {
			t.Fatal(err)
		}
		heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		if err != nil {
			t.Fatal(err)
		}
		title, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil {
			t.Fatal(err)
		}
		if code != http.StatusOK || status != "failed" || heading != "€49.90" || !strings.Contains(title, id) {
			t.Fatalf("the link %s opened a page with status %d, %q, %q, %q", link, code, status, heading, title)
		}
		if !slices.Contains([]string{env.URL + "/pay/" + id}, link) {
			t.Fatalf("link %q is not the payment's checkout", link)
		}
	})
}

// A shopper with an email address gets each invoice and credit note by email, in
// the document's language, with the stored PDF attached.
func TestInvoicesEmailedToTheShopper(t *testing.T) {
	t.Parallel()
	forEngineWithMail(t, nil, func(t *testing.T, env *apptest.Env, mp *mailtest.Server) {
		key := env.Keys.TestSecretKey
		setInvoiceSettings(t, env, key, invoiceSettings)
		pay := paidPayment(t, env, `{"amount":2440,"currency":"EUR","order_id":"A-9","customer":{"name":"Ada","email":"ada.inv@example.com","locale":"it"}}`)
		inv := waitDocuments(t, env, key, "payment_id="+pay, 1)[0]
		number := str(inv, "number")
		env.Secret("POST", "/v1/refunds", `{"payment_id":"`+pay+`","amount":440}`).MustStatus(t, http.StatusCreated)
		cn := waitDocuments(t, env, key, "type=credit_note&payment_id="+pay, 1)[0]

		// The confirmation and the two documents; the refund notice too.
		msgs := mp.WaitTo("ada.inv@example.com", 4, 30*time.Second)
		var docs []*mailtest.Message
		for _, m := range msgs {
			if len(m.Attachments) > 0 {
				docs = append(docs, m)
			}
		}
		if len(docs) != 2 {
			t.Fatalf("%d emails with attachments, want the invoice and the credit note: %v", len(docs), msgs)
		}
		for i, want := range []struct{ subject, number, id string }{
			{"Fattura " + number, number, str(inv, "id")},
			{"Nota di credito " + str(cn, "number"), str(cn, "number"), str(cn, "id")},
		} {
			m := docs[i]
			if !strings.HasPrefix(m.Subject, want.subject) {
				t.Errorf("subject %q, want %q…", m.Subject, want.subject)
			}
			wantParts(t, m, want.number, "A-9")
			a := m.Attachments[0]
			if len(m.Attachments) != 1 || a.FileName != want.number+".pdf" || a.ContentType != "application/pdf" {
				t.Fatalf("attachments %+v", m.Attachments)
			}
			got := mp.Part(m.ID, a.PartID)
			stored := downloadPDF(t, env, key, want.id)
			if !bytes.Equal(got, stored) {
				t.Errorf("the attached PDF (%d bytes) is not the stored one (%d bytes)", len(got), len(stored))
			}
		}
		n := waitNotification(t, env, pay, "invoice_issued", "sent")
		if str(n, "locale") != "it" {
			t.Errorf("notification %v", n)
		}
		// Switched off, no more invoice emails.
		env.Secret("POST", "/v1/notification_settings", `{"kinds":{"invoice_issued":false}}`).MustStatus(t, http.StatusOK)
		other := paidPayment(t, env, `{"amount":1000,"currency":"EUR","customer":{"email":"bob.inv@example.com"}}`)
		waitDocuments(t, env, key, "payment_id="+other, 1)
		waitNotification(t, env, other, "payment_succeeded", "sent")
		for _, n := range notificationsOf(t, env, other) {
			if str(n, "kind") == "invoice_issued" {
				t.Errorf("an invoice email although switched off: %v", n)
			}
		}
	})
}

// Partial updates of the email settings made at the same moment all apply: each
// locks the settings, so none writes over another's change.
func TestNotificationSettingsConcurrentPartialUpdates(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		bodies := []string{`{"kinds":{"payment_reminder":true}}`, `{"reminder_delay":5400}`, `{"default_locale":"pl"}`,
			`{"brand":{"name":"Bottega"}}`, `{"reply_to":"help@example.com"}`, `{"operator_email":"ops@example.com"}`,
			`{"kinds":{"refund_succeeded":false}}`, `{"brand":{"color":"#112233"}}`}
		done := make(chan struct{})
		for _, b := range bodies {
			go func() {
				defer func() { done <- struct{}{} }()
				r := env.Secret("POST", "/v1/notification_settings", b)
				if r.Status != http.StatusOK {
					t.Errorf("%s: %d %s", b, r.Status, r.Body)
				}
			}()
		}
		for range bodies {
			<-done
		}
		s := env.Secret("GET", "/v1/notification_settings", nil).MustStatus(t, http.StatusOK).JSON(t)
		k, b := s["kinds"].(map[string]any), s["brand"].(map[string]any)
		if k["payment_reminder"] != true || k["refund_succeeded"] != false || num(s, "reminder_delay") != 5400 ||
			str(s, "default_locale") != "pl" || str(b, "name") != "Bottega" || str(b, "color") != "#112233" ||
			str(s, "reply_to") != "help@example.com" || str(s, "operator_email") != "ops@example.com" {
			t.Errorf("after 8 concurrent partial updates: %v", s)
		}
	})
}
