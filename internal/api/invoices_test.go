package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/testutil/apptest"
)

// invoiceSettings are complete legal details of an Italian shop, invoices enabled.
const invoiceSettings = `{"enabled":true,"legal_name":"Tazze Rossi S.r.l.","address_lines":["Via Roma 1","00184 Roma RM"],
 "country":"IT","tax_id":"IT01234567890","email":"fatture@example.it","locale":"it","default_tax_rate":"22",
 "category_tax_rates":{"books":"4"},"footer":"Grazie per l'acquisto!"}`

// invoiceYear is the year new documents are numbered in (the shop is in Rome).
func invoiceYear(t *testing.T) int {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	return time.Now().In(loc).Year()
}

func setInvoiceSettings(t *testing.T, env *apptest.Env, key, body string) map[string]any {
	t.Helper()
	return env.Do("POST", "/v1/invoice_settings", key, body).MustStatus(t, http.StatusOK).JSON(t)
}

// paidPayment creates a payment and confirms it with pm_card_visa.
func paidPayment(t *testing.T, env *apptest.Env, body string) string {
	t.Helper()
	id := str(createPayment(t, env, body), "id")
	if p := confirm(t, env, id, "pm_card_visa"); str(p, "status") != "succeeded" {
		t.Fatalf("confirm: %v", p)
	}
	return id
}

// waitDocuments polls GET /v1/invoices?query until it lists n documents.
func waitDocuments(t *testing.T, env *apptest.Env, key, query string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list := env.Do("GET", "/v1/invoices?"+query, key, nil).MustStatus(t, http.StatusOK).JSON(t)
		data := list["data"].([]any)
		if len(data) >= n {
			out := make([]map[string]any, len(data))
			for i, d := range data {
				out[i] = d.(map[string]any)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /v1/invoices?%s lists %d documents after 30s, want %d", query, len(data), n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// pdfText reads a PDF's text with Debian's pdftotext (poppler-utils), layout kept,
// no-break spaces as spaces.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext is needed to read invoices back: apt-get install -y poppler-utils (%v)", err)
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.ReplaceAll(string(out), "\u00a0", " ")
}

// textHasLine reports whether one line of text holds every part, in order.
func textHasLine(text string, parts ...string) bool {
	for _, l := range strings.Split(text, "\n") {
		rest, ok := l, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

func downloadPDF(t *testing.T, env *apptest.Env, key, id string) []byte {
	t.Helper()
	r := env.Do("GET", "/v1/invoices/"+id+".pdf", key, nil).MustStatus(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Fatalf("Content-Type %q", ct)
	}
	if !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.20q", r.Body)
	}
	return r.Body
}

func TestInvoiceAfterSandboxPaymentAndCreditNoteAfterRefund(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		key := env.Keys.TestSecretKey
		hooks := newHookReceiver(t, nil)
		env.Secret("POST", "/v1/webhook_endpoints", `{"url":"`+hooks.url("/erp")+`","enabled_events":["invoice.created","credit_note.created"]}`).
			MustStatus(t, http.StatusCreated)
		st := setInvoiceSettings(t, env, key, invoiceSettings)
		if st["enabled"] != true || len(st["missing_fields"].([]any)) != 0 {
			t.Fatalf("settings: %v", st)
		}
		// 2 × 24.40 at 22% (mug, own rate) + 10.40 at 4% (books) + 1.00 at the default 22%.
		pay := paidPayment(t, env, `{"amount":6020,"currency":"EUR","order_id":"A-17","customer":{"name":"Zażółć Gęślą","email":"jazn@example.com","locale":"pl"},
			"items":[{"name":"Kubek","quantity":2,"unit_amount":2440,"tax_rate":"22"},{"name":"Książka","quantity":1,"unit_amount":1040,"category":"books"},
			{"name":"Naklejka","quantity":1,"unit_amount":100}]}`)

		docs := waitDocuments(t, env, key, "payment_id="+pay, 1)
		inv := docs[0]
		year := invoiceYear(t)
		number := fmt.Sprintf("TEST-%d-000001", year)
		if str(inv, "type") != "invoice" || str(inv, "number") != number || num(inv, "total") != 6020 ||
			num(inv, "total_net") != 5082 || num(inv, "total_tax") != 938 || str(inv, "locale") != "pl" || !strings.HasPrefix(str(inv, "id"), "inv_") {
			t.Fatalf("invoice %v", inv)
		}
		got := env.Secret("GET", "/v1/invoices/"+str(inv, "id"), nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(got, "number") != number || len(got["lines"].([]any)) != 3 || len(got["tax_totals"].([]any)) != 2 {
			t.Fatalf("GET invoice: %v", got)
		}

		text := pdfText(t, downloadPDF(t, env, key, str(inv, "id")))
		for _, parts := range [][]string{
			{"TRYB TESTOWY"}, {"Faktura"}, {"Numer", number}, {"Tazze Rossi S.r.l."}, {"NIP: IT01234567890"},
			{"Zażółć Gęślą"}, {"Kubek", "2", "24,40 €", "22%", "48,80 €"},
			{"Książka", "1", "10,40 €", "4%", "10,40 €"}, {"Naklejka", "1", "1,00 €", "22%", "1,00 €"},
			{"22%", "40,82 €", "8,98 €", "49,80 €"}, {"4%", "10,00 €", "0,40 €", "10,40 €"},
			{"Razem", "60,20 €"}, {"Grazie per l'acquisto!"},
		} {
			if !textHasLine(text, parts...) {
				t.Errorf("the PDF has no line with %q:\n%s", parts, text)
			}
		}
		if evs := eventTypes(t, env, pay); !slices.Contains(evs, "invoice.created by system") {
			t.Errorf("payment history %v has no invoice.created by the system", evs)
		}

		// A partial refund: a credit note in its own series, referencing the invoice.
		env.Secret("POST", "/v1/refunds", `{"payment_id":"`+pay+`","amount":2000}`).MustStatus(t, http.StatusCreated)
		notes := waitDocuments(t, env, key, "type=credit_note&payment_id="+pay, 1)
		cn := notes[0]
		cnNumber := fmt.Sprintf("TEST-NC-%d-000001", year)
		if str(cn, "number") != cnNumber || num(cn, "total") != -2000 || str(cn, "credited_invoice_number") != number ||
			str(cn, "credited_invoice_id") != str(inv, "id") || !strings.HasPrefix(str(cn, "refund_id"), "re_") {
			t.Fatalf("credit note %v", cn)
		}
		text = pdfText(t, downloadPDF(t, env, key, str(cn, "id")))
		for _, parts := range [][]string{
			{"Faktura korygująca"}, {"Numer", cnNumber}, {"Korekta faktury " + number},
			{"Zwrot do faktury " + number, "22%"}, {"Razem do zwrotu", "-20,00 €"},
		} {
			if !textHasLine(text, parts...) {
				t.Errorf("the credit note has no line with %q:\n%s", parts, text)
			}
		}
		// Issuing on demand returns the invoice there is.
		again := env.Secret("POST", "/v1/payments/"+pay+"/invoice", nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(again, "id") != str(inv, "id") || str(again, "number") != number {
			t.Errorf("on demand after automatic: %v", again)
		}
		// The merchant's systems heard of both.
		reqs := hooks.waitFor("invoice.created and credit_note.created", 20*time.Second, func(r []hookRequest) bool {
			return len(succeeded(r, "/erp", "invoice.created")) == 1 && len(succeeded(r, "/erp", "credit_note.created")) == 1
		})
		for _, r := range reqs {
			if r.PaymentID != pay {
				t.Errorf("%s webhook about payment %q, want %s", r.Type, r.PaymentID, pay)
			}
		}
	})
}

func TestInvoiceOnDemand(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		key := env.Keys.TestSecretKey
		pay := paidPayment(t, env, `{"amount":1234,"currency":"EUR","description":"Tea for two"}`)
		// No legal details yet: the invoice cannot be issued, and says why.
		wantError(t, env.Secret("POST", "/v1/payments/"+pay+"/invoice", nil), http.StatusConflict,
			"invoice_settings_incomplete", "", "legal_name, address_lines, country, tax_id, default_tax_rate")
		// Details saved, automatic invoices left off: nothing is issued by itself.
		setInvoiceSettings(t, env, key, strings.Replace(invoiceSettings, `"enabled":true`, `"enabled":false`, 1))
		auto := paidPayment(t, env, `{"amount":500,"currency":"EUR"}`)
		if evs := eventTypes(t, env, auto); slices.Contains(evs, "invoice.created by system") {
			t.Errorf("invoice issued with automatic invoices off: %v", evs)
		}

		inv := env.Secret("POST", "/v1/payments/"+pay+"/invoice", nil, "Idempotency-Key", "inv-1").MustStatus(t, http.StatusOK).JSON(t)
		year := invoiceYear(t)
		if str(inv, "number") != fmt.Sprintf("TEST-%d-000001", year) || num(inv, "total") != 1234 || str(inv, "locale") != "it" {
			t.Fatalf("invoice %v", inv)
		}
		lines := inv["lines"].([]any)
		if l := lines[0].(map[string]any); len(lines) != 1 || str(l, "description") != "Tea for two" || str(l, "tax_rate") != "22" {
			t.Errorf("lines %v", lines)
		}
		// Asking again, with or without the key, returns the same invoice.
		r := env.Secret("POST", "/v1/payments/"+pay+"/invoice", nil, "Idempotency-Key", "inv-1").MustStatus(t, http.StatusOK)
		if r.Header.Get("Idempotent-Replayed") != "true" || str(r.JSON(t), "id") != str(inv, "id") {
			t.Errorf("replay: %v %s", r.Header, r.Body)
		}
		if again := env.Secret("POST", "/v1/payments/"+pay+"/invoice", nil).MustStatus(t, http.StatusOK).JSON(t); str(again, "id") != str(inv, "id") {
			t.Errorf("second issue: %v", again)
		}
		if evs := eventTypes(t, env, pay); !slices.Contains(evs, "invoice.created by api_key") {
			t.Errorf("history %v has no invoice.created by the API key", evs)
		}
		// Only succeeded payments are invoiced.
		open := str(createPayment(t, env, `{"amount":700,"currency":"EUR"}`), "id")
		wantError(t, env.Secret("POST", "/v1/payments/"+open+"/invoice", nil), http.StatusConflict, "payment_invalid_state", "", "only succeeded payments")
		wantError(t, env.Secret("POST", "/v1/payments/pay_nope/invoice", nil), http.StatusNotFound, "resource_missing", "id")
		wantError(t, env.Secret("POST", "/v1/payments/"+pay+"/invoice", `{"draft":true}`), http.StatusBadRequest, "parameter_unknown", "draft")
		second := env.Secret("POST", "/v1/payments/"+auto+"/invoice", nil).MustStatus(t, http.StatusOK).JSON(t)
		if str(second, "number") != fmt.Sprintf("TEST-%d-000002", year) {
			t.Errorf("second invoice number %v", second["number"])
		}
	})
}

func TestInvoiceSettingsValidation(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		key := env.Keys.TestSecretKey
		def := env.Secret("GET", "/v1/invoice_settings", nil).MustStatus(t, http.StatusOK).JSON(t)
		if def["enabled"] != false || str(def, "locale") != "en" || def["default_tax_rate"] != nil || def["updated_at"] != nil ||
			len(def["missing_fields"].([]any)) != 5 || str(def, "object") != "invoice_settings" {
			t.Fatalf("defaults: %v", def)
		}
		for _, tt := range []struct {
			body, code, param, says string
		}{
			{`{"enabled":true}`, "parameter_missing", "legal_name", "legal_name, address_lines, country, tax_id, default_tax_rate"},
			{`{"enabled":true,"legal_name":"X","address_lines":["a"],"country":"IT","tax_id":"IT1"}`, "parameter_missing", "default_tax_rate", "need default_tax_rate"},
			{`{"country":"Italia"}`, "parameter_invalid", "country", "ISO 3166-1 alpha-2"},
			{`{"default_tax_rate":"22%"}`, "parameter_invalid", "default_tax_rate", "leave out the % sign"},
			{`{"default_tax_rate":22}`, "parameter_invalid", "default_tax_rate", "must be a string"},
			{`{"category_tax_rates":{"books":"4,0"}}`, "parameter_invalid", "category_tax_rates[books]", "decimal point"},
			{`{"locale":"de"}`, "parameter_invalid", "locale", "en, it, pl"},
			{`{"number_prefix":"TEST-"}`, "parameter_invalid", "number_prefix", "must not start with TEST"},
			{`{"timezone":"Europe/Atlantis"}`, "parameter_invalid", "timezone", "IANA time zone"},
			{`{"email":"nope"}`, "parameter_invalid", "email", "not an email address"},
			{`{"address_lines":["","x"]}`, "parameter_invalid", "address_lines", "address_lines[0] is empty"},
			{`{"legal_name":"X","vat":"IT1"}`, "parameter_unknown", "vat", "unknown field"},
			{``, "invalid_json", "", "request body is empty"},
		} {
			wantError(t, env.Secret("POST", "/v1/invoice_settings", tt.body), http.StatusBadRequest, tt.code, tt.param, tt.says)
		}
		// Nothing of the refused requests was saved.
		if got := env.Secret("GET", "/v1/invoice_settings", nil).MustStatus(t, http.StatusOK).JSON(t); got["updated_at"] != nil {
			t.Fatalf("a refused request saved settings: %v", got)
		}
		// A partial update keeps the other fields; "" clears an optional one.
		setInvoiceSettings(t, env, key, invoiceSettings)
		st := setInvoiceSettings(t, env, key, `{"footer":"","number_prefix":"shop-"}`)
		if st["enabled"] != true || str(st, "legal_name") != "Tazze Rossi S.r.l." || str(st, "footer") != "" ||
			str(st, "number_prefix") != "SHOP-" || str(st, "default_tax_rate") != "22" || st["category_tax_rates"].(map[string]any)["books"] != "4" {
			t.Fatalf("after a partial update: %v", st)
		}
		// Required details cannot be cleared while invoices are enabled.
		wantError(t, env.Secret("POST", "/v1/invoice_settings", `{"tax_id":""}`), http.StatusBadRequest, "parameter_missing", "tax_id", "already enabled")
		// Live mode has its own settings, and publishable keys are refused.
		if live := env.Do("GET", "/v1/invoice_settings", env.Keys.LiveSecretKey, nil).MustStatus(t, http.StatusOK).JSON(t); live["enabled"] != false || live["livemode"] != true {
			t.Errorf("live settings: %v", live)
		}
		for _, m := range []string{"GET", "POST"} {
			wantError(t, env.Do(m, "/v1/invoice_settings", env.Keys.TestPublishableKey, `{}`), http.StatusForbidden, "secret_key_required", "")
		}
	})
}

func TestInvoicesAreIsolated(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		setInvoiceSettings(t, env, env.Keys.TestSecretKey, invoiceSettings)
		pay := paidPayment(t, env, `{"amount":1000,"currency":"EUR"}`)
		inv := str(waitDocuments(t, env, env.Keys.TestSecretKey, "", 1)[0], "id")
		other, err := env.App.Engine.CreateMerchant(t.Context(), "Other Shop")
		if err != nil {
			t.Fatal(err)
		}
		for name, key := range map[string]string{"another merchant": other.TestSecretKey, "a live key": env.Keys.LiveSecretKey} {
			for _, path := range []string{"/v1/invoices/" + inv, "/v1/invoices/" + inv + ".pdf"} {
				wantError(t, env.Do("GET", path, key, nil), http.StatusNotFound, "resource_missing", "id")
			}
			wantError(t, env.Do("POST", "/v1/payments/"+pay+"/invoice", key, nil), http.StatusNotFound, "resource_missing", "id")
			if ids := listIDs(t, env.Do("GET", "/v1/invoices", key, nil)); len(ids) != 0 {
				t.Errorf("%s lists %v", name, ids)
			}
			if ids := listIDs(t, env.Do("GET", "/v1/invoices/export", key, nil)); len(ids) != 0 {
				t.Errorf("%s exports %v", name, ids)
			}
		}
		for _, path := range []string{"/v1/invoices", "/v1/invoices/" + inv, "/v1/invoices/" + inv + ".pdf", "/v1/invoices/export"} {
			wantError(t, env.Do("GET", path, env.Keys.TestPublishableKey, nil), http.StatusForbidden, "secret_key_required", "")
		}
		// And a test key cannot read a live invoice. Live payments need a live
		// provider account, so this one is issued by the engine for a live payment
		// stored directly.
		live := store.Scope{MerchantID: env.Keys.ID, Livemode: true}
		p, err := payment.NewPayment(payment.NewID(payment.PrefixPayment), live.MerchantID, true,
			payment.CreateParams{Amount: 2500, Currency: "EUR"}, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		p.Status, p.AmountCaptured, p.Provider = payment.StatusSucceeded, p.Amount, "stripe"
		if err := env.App.Store.Write(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.InsertPayment(ctx, p) }); err != nil {
			t.Fatal(err)
		}
		setInvoiceSettings(t, env, env.Keys.LiveSecretKey, strings.Replace(invoiceSettings, `"enabled":true`, `"enabled":false`, 1))
		liveInv := env.Do("POST", "/v1/payments/"+p.ID+"/invoice", env.Keys.LiveSecretKey, nil).MustStatus(t, http.StatusOK).JSON(t)
		if n := str(liveInv, "number"); n != fmt.Sprintf("%d-000001", invoiceYear(t)) || liveInv["livemode"] != true {
			t.Fatalf("live invoice %v: its own series, without TEST", liveInv)
		}
		for _, path := range []string{"/v1/invoices/" + str(liveInv, "id"), "/v1/invoices/" + str(liveInv, "id") + ".pdf"} {
			wantError(t, env.Secret("GET", path, nil), http.StatusNotFound, "resource_missing", "id")
			env.Do("GET", path, env.Keys.LiveSecretKey, nil).MustStatus(t, http.StatusOK)
		}
		if text := pdfText(t, downloadPDF(t, env, env.Keys.LiveSecretKey, str(liveInv, "id"))); strings.Contains(text, "TEST") {
			t.Errorf("a live invoice says TEST:\n%s", text)
		}
		if ids := listIDs(t, env.Secret("GET", "/v1/invoices", nil)); len(ids) != 1 || ids[0] != inv {
			t.Errorf("test mode lists %v", ids)
		}
		wantError(t, env.Secret("GET", "/v1/invoices?type=receipt", nil), http.StatusBadRequest, "parameter_invalid", "type", "invoice or credit_note")
		wantError(t, env.Secret("GET", "/v1/invoices?starting_after=inv_nope", nil), http.StatusBadRequest, "parameter_invalid", "starting_after")
	})
}

// TestInvoiceNumbersUnderConcurrentPayments pays 100 payments at once: the
// invoices are numbered 1 to 100, none twice, none missing. On PostgreSQL two
// paymux processes share the database and both issue invoices.
func TestInvoiceNumbersUnderConcurrentPayments(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		key := env.Keys.TestSecretKey
		setInvoiceSettings(t, env, key, invoiceSettings)
		servers := []*apptest.Env{env}
		if env.DatabaseURL != "" {
			servers = append(servers, apptest.Start(t, "postgres", apptest.WithDatabaseURL(env.DatabaseURL)))
		}
		const n = 100
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			srv := servers[i%len(servers)]
			wg.Go(func() {
				r := srv.Do("POST", "/v1/payments", key, fmt.Sprintf(`{"amount":%d,"currency":"EUR","order_id":"C-%d"}`, 100+i, i))
				if r.Status != http.StatusCreated {
					errs <- fmt.Errorf("create %d: %d %s", i, r.Status, r.Body)
					return
				}
				id := str(r.JSON(t), "id")
				r = srv.Do("POST", "/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`)
				if r.Status != http.StatusOK || str(r.JSON(t), "status") != "succeeded" {
					errs <- fmt.Errorf("confirm %d: %d %s", i, r.Status, r.Body)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		var docs []map[string]any
		for {
			docs = docs[:0]
			r := env.Secret("GET", "/v1/invoices/export", nil).MustStatus(t, http.StatusOK).JSON(t)
			for _, d := range r["data"].([]any) {
				docs = append(docs, d.(map[string]any))
			}
			if len(docs) >= n || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		year := invoiceYear(t)
		seen := map[string]bool{}
		payments := map[string]bool{}
		for _, d := range docs {
			seen[str(d, "number")] = true
			payments[str(d, "payment_id")] = true
		}
		for i := 1; i <= n; i++ {
			if num := fmt.Sprintf("TEST-%d-%06d", year, i); !seen[num] {
				t.Errorf("number %s is missing", num)
			}
		}
		if len(docs) != n || len(seen) != n || len(payments) != n {
			t.Errorf("%d invoices, %d distinct numbers, %d payments; want %d of each", len(docs), len(seen), len(payments), n)
		}
		// Each process issued some of them (its job runner counts what it did).
		for i, srv := range servers {
			m := string(srv.Do("GET", "/metrics", "", nil).MustStatus(t, http.StatusOK).Body)
			if !strings.Contains(m, `paymux_jobs_total{kind="invoice.issue",result="done"}`) {
				t.Errorf("process %d issued no invoice", i+1)
			}
		}
	})
}

func TestInvoiceExport(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		key := env.Keys.TestSecretKey
		setInvoiceSettings(t, env, key, invoiceSettings)
		before := time.Now().UTC().Add(-time.Second).Format(time.RFC3339)
		a := paidPayment(t, env, `{"amount":3480,"currency":"EUR","customer":{"name":"Ada","email":"ada@example.com"},
			"items":[{"name":"Mug","quantity":2,"unit_amount":1220},{"name":"Cookbook","quantity":1,"unit_amount":1040,"category":"books"}]}`)
		waitDocuments(t, env, key, "payment_id="+a, 1)
		b := paidPayment(t, env, `{"amount":1000,"currency":"EUR","customer":{"name":"=cmd|' /C calc'!A0"}}`)
		waitDocuments(t, env, key, "payment_id="+b, 1)
		env.Secret("POST", "/v1/refunds", `{"payment_id":"`+a+`","amount":3480}`).MustStatus(t, http.StatusCreated)
		waitDocuments(t, env, key, "type=credit_note", 1)
		year := invoiceYear(t)

		// JSON: one row per document, oldest first, amounts in minor units per rate.
		js := env.Secret("GET", "/v1/invoices/export?format=json&created[gte]="+before, nil).MustStatus(t, http.StatusOK).JSON(t)
		rows := js["data"].([]any)
		if len(rows) != 3 {
			t.Fatalf("export rows %v", rows)
		}
		first, last := rows[0].(map[string]any), rows[2].(map[string]any)
		taxes := first["tax_totals"].([]any)
		if str(first, "number") != fmt.Sprintf("TEST-%d-000001", year) || num(first, "total") != 3480 || len(taxes) != 2 ||
			num(taxes[0].(map[string]any), "net") != 2000 || num(taxes[1].(map[string]any), "tax") != 40 {
			t.Errorf("first row %v", first)
		}
		if str(last, "type") != "credit_note" || num(last, "total") != -3480 || num(last, "total_tax") != -480 ||
			str(last, "credited_invoice_number") != str(first, "number") {
			t.Errorf("credit note row %v", last)
		}

		// CSV: decimals, net/tax/gross columns per rate, formulas defused.
		r := env.Secret("GET", "/v1/invoices/export?format=csv", nil).MustStatus(t, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("headers %v", r.Header)
		}
		recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatalf("CSV: %v\n%s", err, r.Body)
		}
		if len(recs) != 4 || !slices.Equal(recs[0][len(recs[0])-6:], []string{"net_22", "tax_22", "gross_22", "net_4", "tax_4", "gross_4"}) {
			t.Fatalf("CSV:\n%s", r.Body)
		}
		col := func(name string) int { return slices.Index(recs[0], name) }
		if rec := recs[1]; rec[col("total")] != "34.80" || rec[col("net_22")] != "20.00" || rec[col("tax_4")] != "0.40" || rec[col("customer_name")] != "Ada" {
			t.Errorf("first record %q", rec)
		}
		if rec := recs[2]; rec[col("customer_name")] != `'=cmd|' /C calc'!A0` || rec[col("net_4")] != "" {
			t.Errorf("second record %q", rec)
		}
		if rec := recs[3]; rec[col("type")] != "credit_note" || rec[col("gross_22")] != "-24.40" || rec[col("tax_22")] != "-4.40" {
			t.Errorf("credit note record %q", rec)
		}

		// Filters, and what the export refuses.
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if rows := env.Secret("GET", "/v1/invoices/export?created[gte]="+future, nil).MustStatus(t, http.StatusOK).JSON(t)["data"].([]any); len(rows) != 0 {
			t.Errorf("export from the future: %v", rows)
		}
		wantError(t, env.Secret("GET", "/v1/invoices/export?format=xlsx", nil), http.StatusBadRequest, "parameter_invalid", "format", "json or csv")
		wantError(t, env.Secret("GET", "/v1/invoices/export?limit=5", nil), http.StatusBadRequest, "parameter_unknown", "limit")
		wantError(t, env.Secret("GET", "/v1/invoices/export?created[lt]=soon", nil), http.StatusBadRequest, "parameter_invalid", "created[lt]")
	})
}

// TestInvoicePDFSurvivesRestart downloads an invoice, restarts paymux on the same
// data, and downloads it again: the bytes are the ones stored when it was issued.
func TestInvoicePDFSurvivesRestart(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		key := env.Keys.TestSecretKey
		setInvoiceSettings(t, env, key, invoiceSettings)
		paidPayment(t, env, `{"amount":4321,"currency":"EUR","description":"Teapot"}`)
		inv := waitDocuments(t, env, key, "", 1)[0]
		before := downloadPDF(t, env, key, str(inv, "id"))
		// Settings changed since are not applied to an issued invoice.
		setInvoiceSettings(t, env, key, `{"legal_name":"Renamed S.p.A.","locale":"en"}`)
		env.Restart()
		after := downloadPDF(t, env, key, str(inv, "id"))
		if !bytes.Equal(before, after) {
			t.Fatalf("the PDF changed across a restart: %d bytes, then %d", len(before), len(after))
		}
		if text := pdfText(t, after); !strings.Contains(text, "Tazze Rossi S.r.l.") || strings.Contains(text, "Renamed") {
			t.Errorf("the issued invoice shows new settings:\n%s", text)
		}
		if got := env.Secret("GET", "/v1/invoices/"+str(inv, "id"), nil).MustStatus(t, http.StatusOK).JSON(t); str(got, "number") != str(inv, "number") {
			t.Errorf("after restart: %v", got)
		}
	})
}

// TestInvoiceSettingsConcurrentPartialUpdates: partial updates of different fields
// at the same time all stick; none overwrites another with what it read.
func TestInvoiceSettingsConcurrentPartialUpdates(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		setInvoiceSettings(t, env, env.Keys.TestSecretKey, `{"locale":"pl"}`)
		bodies := []string{`{"legal_name":"A S.r.l."}`, `{"email":"a@example.com"}`, `{"footer":"F"}`,
			`{"number_prefix":"P-"}`, `{"timezone":"Europe/Warsaw"}`, `{"country":"PL"}`, `{"tax_id":"PL1"}`, `{"default_tax_rate":"23"}`}
		var wg sync.WaitGroup
		for _, b := range bodies {
			wg.Go(func() {
				if r := env.Secret("POST", "/v1/invoice_settings", b); r.Status != http.StatusOK {
					t.Errorf("%s: %d %s", b, r.Status, r.Body)
				}
			})
		}
		wg.Wait()
		st := env.Secret("GET", "/v1/invoice_settings", nil).MustStatus(t, http.StatusOK).JSON(t)
		for k, v := range map[string]string{"legal_name": "A S.r.l.", "email": "a@example.com", "footer": "F", "number_prefix": "P-",
			"timezone": "Europe/Warsaw", "country": "PL", "tax_id": "PL1", "default_tax_rate": "23", "locale": "pl"} {
			if str(st, k) != v {
				t.Errorf("%s = %q, want %q: an update was lost (%v)", k, str(st, k), v, st)
			}
		}
	})
}
