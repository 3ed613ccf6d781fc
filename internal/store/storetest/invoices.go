package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// newInvoice builds an issued document of s (not yet numbered: number it with seq).
func newInvoice(s store.Scope, t invoice.Type, paymentID string, created time.Time, seq int64) *invoice.Invoice {
	rate := invoice.Rate(2200)
	inv := &invoice.Invoice{
		ID: payment.NewID(invoice.PrefixInvoice), Object: "invoice", MerchantID: s.MerchantID, Livemode: s.Livemode,
		Type: t, Year: 2026, IssueDate: "2026-11-03", PaymentDate: "2026-11-03", PaymentID: paymentID, Currency: "EUR",
		Locale: "pl", Seller: invoice.Seller{LegalName: "Żółw sp. z o.o.", AddressLines: []string{"ul. Długa 5"}, Country: "PL", TaxID: "PL5260001246"},
		Customer:  invoice.Customer{Name: "Ada", Email: "ada@example.com"},
		Lines:     []invoice.Line{{Description: "Kubek «Ω»", Quantity: 2, UnitAmount: 610, TaxRate: rate, Amount: 1220}},
		TaxTotals: []invoice.TaxTotal{{TaxRate: rate, Net: 1000, Tax: 220, Gross: 1220}},
		TotalNet:  1000, TotalTax: 220, Total: 1220, Provider: "sandbox", ProviderReference: "sbx_1",
		Footer: "Dziękujemy", CreatedAt: created,
	}
	if t == invoice.TypeCreditNote {
		inv.ID = payment.NewID(invoice.PrefixCreditNote)
		inv.RefundID = payment.NewID(payment.PrefixRefund)
		inv.CreditedInvoiceID, inv.CreditedInvoiceNumber, inv.CreditedInvoiceDate = "inv_x", "2026-000001", "2026-11-03"
		inv.Reason = "Zwrot"
	}
	inv.Assign(seq)
	return inv
}

func insertInvoices(t *testing.T, st store.Store, invs ...*invoice.Invoice) {
	t.Helper()
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, inv := range invs {
			if err := tx.InsertInvoice(ctx, inv); err != nil {
				return err
			}
		}
		return nil
	})
}

// stored is inv as a store gives it back: the prefix it was numbered with is not kept.
func stored(inv *invoice.Invoice) *invoice.Invoice {
	c := *inv
	c.NumberPrefix = ""
	return &c
}

func nextSeq(t *testing.T, st store.Store, s store.Scope, typ invoice.Type, year int) int64 {
	t.Helper()
	var n int64
	write(t, st, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.NextInvoiceSequence(ctx, s, typ, year)
		return err
	})
	return n
}

func testInvoices(t *testing.T, open Opener) {
	parallel(t, open, "SettingsRoundTrip", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		_, err := b.st.GetInvoiceSettings(ctx, b.scope)
		wantErr(t, "GetInvoiceSettings before any", err, store.ErrNotFound)
		st := invoice.DefaultSettings(b.scope.MerchantID, b.scope.Livemode)
		err = st.Apply(invoice.SettingsUpdate{Enabled: ptr(true), LegalName: ptr("Rossi & Figli S.r.l."),
			AddressLines: []string{"Via Roma 1", "00100 Roma RM"}, Country: ptr("IT"), TaxID: ptr("IT01234567890"),
			Email: ptr("fatture@example.it"), Locale: ptr("it"), DefaultTaxRate: ptr("22"),
			CategoryTaxRates: map[string]string{"libri": "4", "alimentari": "10", "tè": "5.5"}, NumberPrefix: ptr("R-"),
			Footer: ptr("Grazie!\nIBAN IT60…"), Timezone: ptr("Europe/Rome")})
		wantNoErr(t, "Apply", err)
		st.CreatedAt = t0
		u := t0.Add(time.Second)
		st.UpdatedAt = &u
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.PutInvoiceSettings(ctx, st) })
		got, err := b.st.GetInvoiceSettings(ctx, b.scope)
		wantNoErr(t, "GetInvoiceSettings", err)
		checkSame(t, "GetInvoiceSettings", got, st)

		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			locked, err := tx.GetInvoiceSettingsForUpdate(ctx, b.scope)
			if err == nil {
				checkSame(t, "GetInvoiceSettingsForUpdate", locked, st)
			}
			return err
		})
		// A second save replaces it; clearing the default rate stores no rate.
		wantNoErr(t, "Apply", st.Apply(invoice.SettingsUpdate{Enabled: ptr(false), DefaultTaxRate: ptr(""),
			CategoryTaxRates: map[string]string{}, AddressLines: []string{}}))
		u2 := t0.Add(time.Minute)
		st.UpdatedAt = &u2
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.PutInvoiceSettings(ctx, st) })
		got, err = b.st.GetInvoiceSettings(ctx, b.scope)
		wantNoErr(t, "GetInvoiceSettings after update", err)
		checkSame(t, "after update", got, st)
		if got.DefaultTaxRate != nil || got.Enabled || len(got.AddressLines) != 0 {
			t.Errorf("after clearing: %+v", got)
		}
		for name, s := range map[string]store.Scope{"OtherMode": otherMode(b.scope), "OtherMerchant": newScope(false)} {
			_, err := b.st.GetInvoiceSettings(ctx, s)
			wantErr(t, name, err, store.ErrNotFound)
		}
	})

	parallel(t, open, "SequencesPerSeries", func(t *testing.T, b *bundle) {
		for i := int64(1); i <= 3; i++ {
			if n := nextSeq(t, b.st, b.scope, invoice.TypeInvoice, 2026); n != i {
				t.Fatalf("invoice number %d, want %d", n, i)
			}
		}
		// Every series starts at 1: credit notes, another year, the other mode, another merchant.
		for name, n := range map[string]int64{
			"credit notes":   nextSeq(t, b.st, b.scope, invoice.TypeCreditNote, 2026),
			"next year":      nextSeq(t, b.st, b.scope, invoice.TypeInvoice, 2027),
			"other mode":     nextSeq(t, b.st, otherMode(b.scope), invoice.TypeInvoice, 2026),
			"other merchant": nextSeq(t, b.st, newScope(false), invoice.TypeInvoice, 2026),
		} {
			if n != 1 {
				t.Errorf("%s: first number %d, want 1", name, n)
			}
		}
		// A number taken by a transaction that fails is given back with it.
		err := b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.NextInvoiceSequence(ctx, b.scope, invoice.TypeInvoice, 2026); err != nil {
				return err
			}
			return errBoom
		})
		wantErr(t, "failing Write", err, errBoom)
		if n := nextSeq(t, b.st, b.scope, invoice.TypeInvoice, 2026); n != 4 {
			t.Errorf("after a rolled-back number: %d, want 4", n)
		}
	})

	parallel(t, open, "ConcurrentIssueIsGapFree", func(t *testing.T, b *bundle) {
		// Each transaction takes a number and inserts its document, as the engine
		// does; some fail after taking one. The numbers committed are 1..n.
		const n = 60
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
					seq, err := tx.NextInvoiceSequence(ctx, b.scope, invoice.TypeInvoice, 2026)
					if err != nil {
						return err
					}
					if i%7 == 3 {
						return errBoom
					}
					return tx.InsertInvoice(ctx, newInvoice(b.scope, invoice.TypeInvoice, fmt.Sprintf("pay_%d", i), t0, seq))
				})
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case i%7 == 3:
				wantErr(t, fmt.Sprintf("transaction %d", i), err, errBoom)
			case err != nil:
				t.Errorf("transaction %d: %v", i, err)
			default:
				ok++
			}
		}
		var seqs []int64
		f := store.InvoiceFilter{Limit: store.MaxLimit, OldestFirst: true}
		for {
			page, more, err := b.st.ListInvoices(t.Context(), b.scope, f)
			wantNoErr(t, "ListInvoices", err)
			for _, inv := range page {
				seqs = append(seqs, inv.Sequence)
			}
			if !more {
				break
			}
			f.StartingAfter = page[len(page)-1].ID
		}
		slices.Sort(seqs)
		if len(seqs) != ok {
			t.Fatalf("%d documents stored, %d transactions committed", len(seqs), ok)
		}
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("numbers %v: want 1..%d without gaps or repeats", seqs, ok)
			}
		}
	})

	parallel(t, open, "DocumentsRoundTrip", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		inv := newInvoice(b.scope, invoice.TypeInvoice, "pay_A", t0, 1)
		inv.NumberPrefix = "SHOP-"
		inv.Assign(1)
		cn1 := newInvoice(b.scope, invoice.TypeCreditNote, "pay_A", t0.Add(time.Minute), 1)
		cn2 := newInvoice(b.scope, invoice.TypeCreditNote, "pay_A", t0.Add(2*time.Minute), 2)
		cn1.CreditedInvoiceID, cn2.CreditedInvoiceID = inv.ID, inv.ID
		insertInvoices(t, b.st, inv, cn1, cn2)

		got, err := b.st.GetInvoice(ctx, b.scope, inv.ID)
		wantNoErr(t, "GetInvoice", err)
		checkSame(t, "GetInvoice", got, stored(inv))
		if got.Number != "TEST-SHOP-2026-000001" {
			t.Errorf("number %q", got.Number)
		}
		got, err = b.st.InvoiceOfPayment(ctx, b.scope, "pay_A")
		wantNoErr(t, "InvoiceOfPayment", err)
		checkSame(t, "InvoiceOfPayment", got, stored(inv))
		got, err = b.st.CreditNoteOfRefund(ctx, b.scope, cn2.RefundID)
		wantNoErr(t, "CreditNoteOfRefund", err)
		checkSame(t, "CreditNoteOfRefund", got, stored(cn2))
		notes, err := b.st.CreditNotesOf(ctx, b.scope, inv.ID)
		wantNoErr(t, "CreditNotesOf", err)
		if len(notes) != 2 || notes[0].ID != cn1.ID || notes[1].ID != cn2.ID {
			t.Errorf("CreditNotesOf = %v, want both notes, oldest first", notes)
		}
		for _, c := range []struct {
			name  string
			scope store.Scope
			id    string
		}{
			{"OtherMerchant", newScope(false), inv.ID},
			{"OtherMode", otherMode(b.scope), inv.ID},
			{"Unknown", b.scope, "inv_nope"},
		} {
			_, err := b.st.GetInvoice(ctx, c.scope, c.id)
			wantErr(t, c.name+": GetInvoice", err, store.ErrNotFound)
			_, err = b.st.InvoicePDF(ctx, c.scope, c.id)
			wantErr(t, c.name+": InvoicePDF", err, store.ErrNotFound)
		}
		_, err = b.st.InvoiceOfPayment(ctx, otherMode(b.scope), "pay_A")
		wantErr(t, "InvoiceOfPayment other mode", err, store.ErrNotFound)
		_, err = b.st.InvoiceOfPayment(ctx, b.scope, "pay_B")
		wantErr(t, "InvoiceOfPayment without one", err, store.ErrNotFound)
		if notes, err := b.st.CreditNotesOf(ctx, newScope(false), inv.ID); err != nil || len(notes) != 0 {
			t.Errorf("another merchant sees credit notes: %v %v", notes, err)
		}
	})

	parallel(t, open, "DocumentsOnceOnly", func(t *testing.T, b *bundle) {
		inv := newInvoice(b.scope, invoice.TypeInvoice, "pay_A", t0, 1)
		cn := newInvoice(b.scope, invoice.TypeCreditNote, "pay_A", t0, 1)
		insertInvoices(t, b.st, inv, cn)
		for name, dup := range map[string]*invoice.Invoice{
			"second invoice of a payment": newInvoice(b.scope, invoice.TypeInvoice, "pay_A", t0, 2),
			"a number twice":              newInvoice(b.scope, invoice.TypeInvoice, "pay_B", t0, 1),
			"second credit note of refund": func() *invoice.Invoice {
				c := newInvoice(b.scope, invoice.TypeCreditNote, "pay_A", t0, 2)
				c.RefundID = cn.RefundID
				return c
			}(),
		} {
			err := b.st.Write(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.InsertInvoice(ctx, dup) })
			wantErr(t, name, err, store.ErrDuplicate)
		}
		// The other mode has its own series and payments.
		insertInvoices(t, b.st, newInvoice(otherMode(b.scope), invoice.TypeInvoice, "pay_A", t0, 1))
	})

	parallel(t, open, "PDFStoredOnce", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		inv := newInvoice(b.scope, invoice.TypeInvoice, "pay_A", t0, 1)
		insertInvoices(t, b.st, inv)
		pdf, err := b.st.InvoicePDF(ctx, b.scope, inv.ID)
		if err != nil || pdf != nil {
			t.Fatalf("InvoicePDF before rendering = %d bytes, %v; want nil, nil", len(pdf), err)
		}
		first := []byte("%PDF-1.3 first\x00\xff")
		storePDF := func(s store.Scope, id string, b2 []byte) (bool, error) {
			var ok bool
			err := b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				ok, err = tx.StoreInvoicePDF(ctx, s, id, b2)
				return err
			})
			return ok, err
		}
		if ok, err := storePDF(b.scope, inv.ID, first); err != nil || !ok {
			t.Fatalf("StoreInvoicePDF = %v, %v", ok, err)
		}
		if ok, err := storePDF(b.scope, inv.ID, []byte("%PDF-1.3 second")); err != nil || ok {
			t.Errorf("second StoreInvoicePDF = %v, %v; want false: a PDF is stored once", ok, err)
		}
		if _, err := storePDF(otherMode(b.scope), inv.ID, []byte("x")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("StoreInvoicePDF in the other mode: %v, want ErrNotFound", err)
		}
		pdf, err = b.st.InvoicePDF(ctx, b.scope, inv.ID)
		if err != nil || string(pdf) != string(first) {
			t.Errorf("InvoicePDF = %q, %v; want the first bytes", pdf, err)
		}
	})

	parallel(t, open, "List", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		var all []*invoice.Invoice
		for i := range 5 {
			typ := invoice.TypeInvoice
			if i%2 == 1 {
				typ = invoice.TypeCreditNote
			}
			all = append(all, newInvoice(b.scope, typ, fmt.Sprintf("pay_%d", i/2), t0.Add(time.Duration(i)*time.Hour), int64(i+1)))
		}
		insertInvoices(t, b.st, all...)
		insertInvoices(t, b.st, newInvoice(otherMode(b.scope), invoice.TypeInvoice, "pay_0", t0, 1))
		ids := func(l []*invoice.Invoice) []string {
			var out []string
			for _, inv := range l {
				out = append(out, inv.ID)
			}
			return out
		}
		for _, tt := range []struct {
			name string
			f    store.InvoiceFilter
			want []int
			more bool
		}{
			{"all, newest first", store.InvoiceFilter{}, []int{4, 3, 2, 1, 0}, false},
			{"oldest first", store.InvoiceFilter{OldestFirst: true}, []int{0, 1, 2, 3, 4}, false},
			{"page", store.InvoiceFilter{Limit: 2}, []int{4, 3}, true},
			{"next page", store.InvoiceFilter{Limit: 2, StartingAfter: all[3].ID}, []int{2, 1}, true},
			{"next page oldest first", store.InvoiceFilter{Limit: 2, StartingAfter: all[1].ID, OldestFirst: true}, []int{2, 3}, true},
			{"credit notes", store.InvoiceFilter{Type: invoice.TypeCreditNote}, []int{3, 1}, false},
			{"payment", store.InvoiceFilter{PaymentID: "pay_1"}, []int{3, 2}, false},
			{"created range", store.InvoiceFilter{CreatedGTE: t0.Add(time.Hour), CreatedLT: t0.Add(3 * time.Hour)}, []int{2, 1}, false},
		} {
			got, more, err := b.st.ListInvoices(ctx, b.scope, tt.f)
			wantNoErr(t, tt.name, err)
			var want []string
			for _, i := range tt.want {
				want = append(want, all[i].ID)
			}
			if !slices.Equal(ids(got), want) || more != tt.more {
				t.Errorf("%s: %v more=%v, want %v more=%v", tt.name, ids(got), more, want, tt.more)
			}
		}
		_, _, err := b.st.ListInvoices(ctx, b.scope, store.InvoiceFilter{StartingAfter: "inv_nope"})
		if payment.ErrorCode(err) != payment.CodeParameterInvalid {
			t.Errorf("unknown cursor: %v, want parameter_invalid", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
