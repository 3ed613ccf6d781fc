// Package invoicepdf renders invoices and credit notes as PDF. A document is
// rendered once, when it is issued, and its bytes are stored with it; rendering is
// deterministic (fixed metadata dates, sorted catalogue, embedded fonts), so the
// same document always gives the same bytes.
//
// Text is set in the Go fonts (BSD-licensed TrueType bytes in golang.org/x/image),
// embedded as Unicode subsets, so that Italian and Polish letters render and text
// extraction (pdftotext) reads back exactly what was written.
package invoicepdf

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/money"
)

// Page geometry in millimetres (A4).
const (
	margin    = 15.0
	pageW     = 210.0
	pageH     = 297.0
	contentW  = pageW - 2*margin
	footerTop = pageH - 18
	lineH     = 5.0
)

// Columns of the lines table: description, quantity, unit price, rate, amount.
var cols = [5]float64{84, 14, 30, 18, 34}

// Render returns the document as PDF.
func Render(inv *invoice.Invoice) (out []byte, err error) {
	defer func() {
		// fpdf reports most problems through Err, but a font table lookup it does
		// not guard would panic: never take the process down for one document.
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("render %s: %v", inv.Number, p)
		}
	}()
	r := &renderer{inv: inv, lb: invoice.LabelsFor(inv.Locale), f: fpdf.New("P", "mm", "A4", "")}
	r.setup()
	r.header()
	r.parties()
	r.table()
	r.taxSummary()
	r.closing()
	var b bytes.Buffer
	if err := r.f.Output(&b); err != nil {
		return nil, fmt.Errorf("render %s: %w", inv.Number, err)
	}
	return b.Bytes(), nil
}

type renderer struct {
	inv *invoice.Invoice
	lb  *invoice.Labels
	f   *fpdf.Fpdf
}

func (r *renderer) setup() {
	f, inv := r.f, r.inv
	// Everything that would differ between two renderings of one document is fixed.
	f.SetCatalogSort(true)
	f.SetCreationDate(inv.CreatedAt)
	f.SetModificationDate(inv.CreatedAt)
	f.SetProducer("paymux", false)
	f.SetCreator("paymux", false)
	f.SetTitle(clean(r.title()+" "+inv.Number), true)
	f.SetAuthor(clean(inv.Seller.LegalName), true)
	f.SetLang(inv.Locale)
	f.AddUTF8FontFromBytes("go", "", goregular.TTF)
	f.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, 0)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(footerTop + 6)
		r.font("", 8)
		f.SetTextColor(110, 110, 110)
		left := inv.Number
		if !inv.Livemode {
			left += " · TEST"
		}
		f.CellFormat(contentW/2, 4, clean(left), "", 0, "L", false, 0, "")
		// fpdf writes the page count in place of {nb} when the document is done.
		f.CellFormat(contentW/2, 4, fmt.Sprintf(r.lb.Page, f.PageNo(), "{nb}"), "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
}

func (r *renderer) title() string {
	if r.inv.Type == invoice.TypeCreditNote {
		return r.lb.CreditNote
	}
	return r.lb.Invoice
}

func (r *renderer) font(style string, size float64) { r.f.SetFont("go", style, size) }

func (r *renderer) money(v int64) string { return money.FormatLocale(r.inv.Amount(v), r.inv.Locale) }

// text writes one line of width w.
func (r *renderer) text(w float64, s, align string) {
	r.f.CellFormat(w, lineH, clean(s), "", 0, align, false, 0, "")
}

func (r *renderer) header() {
	f, inv, lb := r.f, r.inv, r.lb
	if !inv.Livemode {
		f.SetFillColor(254, 226, 226)
		f.SetTextColor(153, 27, 27)
		r.font("B", 10)
		f.CellFormat(contentW, 8, clean(lb.TestMode), "", 1, "C", true, 0, "")
		f.SetTextColor(0, 0, 0)
		f.Ln(3)
	}
	top := f.GetY()
	// Seller, left.
	r.font("B", 11)
	r.text(100, inv.Seller.LegalName, "L")
	f.Ln(lineH + 0.5)
	r.font("", 9)
	for _, l := range inv.Seller.AddressLines {
		r.text(100, l, "L")
		f.Ln(lineH - 0.5)
	}
	if inv.Seller.Country != "" {
		r.text(100, inv.Seller.Country, "L")
		f.Ln(lineH - 0.5)
	}
	r.text(100, lb.TaxID+": "+inv.Seller.TaxID, "L")
	f.Ln(lineH - 0.5)
	if inv.Seller.Email != "" {
		r.text(100, inv.Seller.Email, "L")
		f.Ln(lineH - 0.5)
	}
	leftBottom := f.GetY()
	// Title and dates, right.
	f.SetXY(margin+100, top)
	r.font("B", 18)
	f.CellFormat(contentW-100, 9, clean(r.title()), "", 2, "R", false, 0, "")
	r.font("", 9)
	date := lb.PaymentDate
	if inv.Type == invoice.TypeCreditNote {
		date = lb.RefundDate
	}
	for _, kv := range [][2]string{{lb.Number, inv.Number}, {lb.IssueDate, lb.Date(inv.IssueDate)}, {date, lb.Date(inv.PaymentDate)}} {
		f.SetX(margin + 100)
		r.font("", 9)
		r.text(contentW-100-45, kv[0], "R")
		r.font("B", 9)
		r.text(45, kv[1], "R")
		f.Ln(lineH)
	}
	f.SetY(max(leftBottom, f.GetY()) + 4)
}

func (r *renderer) parties() {
	f, inv, lb := r.f, r.inv, r.lb
	top := f.GetY()
	r.font("B", 9)
	r.text(90, lb.Customer, "L")
	f.Ln(lineH)
	r.font("", 9)
	for _, s := range []string{inv.Customer.Name, inv.Customer.Email} {
		if s != "" {
			r.text(90, s, "L")
			f.Ln(lineH - 0.5)
		}
	}
	leftBottom := f.GetY()
	f.SetXY(margin+90, top)
	r.font("B", 9)
	r.text(contentW-90, lb.Payment, "L")
	f.Ln(lineH)
	r.font("", 9)
	for _, s := range []string{inv.PaymentID, lb.ProviderRef + ": " + strings.TrimSpace(inv.Provider+" "+inv.ProviderReference)} {
		f.SetX(margin + 90)
		r.text(contentW-90, s, "L")
		f.Ln(lineH - 0.5)
	}
	f.SetY(max(leftBottom, f.GetY()) + 3)
	if inv.Type == invoice.TypeCreditNote {
		r.font("B", 9)
		r.text(contentW, fmt.Sprintf(lb.Corrects, inv.CreditedInvoiceNumber, lb.Date(inv.CreditedInvoiceDate)), "L")
		f.Ln(lineH)
		r.font("", 9)
		r.text(contentW, lb.Reason+": "+inv.Reason, "L")
		f.Ln(lineH + 2)
	}
	f.Ln(2)
}

func (r *renderer) tableHeader() {
	f, lb := r.f, r.lb
	r.font("B", 8.5)
	f.SetFillColor(238, 238, 238)
	for i, h := range []string{lb.Description, lb.Quantity, lb.UnitPrice, lb.TaxRate, lb.Amount} {
		align := "R"
		if i == 0 {
			align = "L"
		}
		f.CellFormat(cols[i], 7, clean(h), "B", 0, align, true, 0, "")
	}
	f.Ln(7)
	r.font("", 9)
}

// room makes sure h millimetres fit above the footer, starting a page if not.
func (r *renderer) room(h float64, withHeader bool) {
	if r.f.GetY()+h <= footerTop {
		return
	}
	r.f.AddPage()
	if withHeader {
		r.tableHeader()
	}
}

func (r *renderer) table() {
	f, inv := r.f, r.inv
	r.room(20, false)
	r.tableHeader()
	for _, l := range inv.Lines {
		r.font("", 9)
		desc := f.SplitText(clean(l.Description), cols[0])
		if len(desc) == 0 {
			desc = []string{""}
		}
		h := float64(len(desc))*lineH + 1.5
		r.room(h, true)
		y := f.GetY()
		for i, d := range desc {
			f.SetXY(margin, y+float64(i)*lineH)
			f.CellFormat(cols[0], lineH, d, "", 0, "L", false, 0, "")
		}
		f.SetXY(margin+cols[0], y)
		cells := []string{fmt.Sprint(l.Quantity), r.money(l.UnitAmount), l.TaxRate.Percent(inv.Locale), r.money(l.Amount)}
		for i, c := range cells {
			f.CellFormat(cols[i+1], lineH, c, "", 0, "R", false, 0, "")
		}
		f.SetY(y + h)
		f.SetDrawColor(225, 225, 225)
		f.Line(margin, f.GetY()-0.75, margin+contentW, f.GetY()-0.75)
		f.SetDrawColor(0, 0, 0)
	}
	f.Ln(4)
}

func (r *renderer) taxSummary() {
	f, inv, lb := r.f, r.inv, r.lb
	w := [4]float64{30, 35, 35, 35}
	x := margin + contentW - (w[0] + w[1] + w[2] + w[3])
	r.room(lineH*float64(len(inv.TaxTotals)+4)+14, false)
	f.SetX(x)
	r.font("B", 9)
	r.text(contentW, lb.TaxSummary, "L")
	f.Ln(lineH + 1)
	f.SetX(x)
	r.font("B", 8.5)
	f.SetFillColor(238, 238, 238)
	for i, h := range []string{lb.SummaryRate, lb.Net, lb.Tax, lb.Gross} {
		f.CellFormat(w[i], 6, clean(h), "B", 0, "R", true, 0, "")
	}
	f.Ln(6)
	r.font("", 9)
	for _, t := range inv.TaxTotals {
		f.SetX(x)
		for i, c := range []string{t.TaxRate.Percent(inv.Locale), r.money(t.Net), r.money(t.Tax), r.money(t.Gross)} {
			f.CellFormat(w[i], lineH+0.5, c, "", 0, "R", false, 0, "")
		}
		f.Ln(lineH + 0.5)
	}
	f.SetX(x)
	r.font("B", 9)
	for i, c := range []string{"", r.money(inv.TotalNet), r.money(inv.TotalTax), r.money(inv.Total)} {
		f.CellFormat(w[i], lineH+0.5, c, "T", 0, "R", false, 0, "")
	}
	f.Ln(lineH + 4)
	total := lb.Total
	if inv.Type == invoice.TypeCreditNote {
		total = lb.TotalCredited
	}
	f.SetX(x)
	r.font("B", 12)
	f.CellFormat(w[0]+w[1], 8, clean(total), "", 0, "L", false, 0, "")
	f.CellFormat(w[2]+w[3], 8, r.money(inv.Total), "", 1, "R", false, 0, "")
	f.Ln(3)
}

func (r *renderer) closing() {
	f, inv := r.f, r.inv
	r.font("", 8.5)
	lines := []string{r.lb.PricesIncludeTax}
	for _, para := range strings.Split(inv.Footer, "\n") {
		lines = append(lines, f.SplitText(clean(para), contentW)...)
	}
	for _, l := range lines {
		r.room(lineH, false)
		r.text(contentW, l, "L")
		f.Ln(lineH - 0.5)
	}
}

// clean makes text safe for the embedded fonts: characters outside the Basic
// Multilingual Plane (emoji), which the font tables do not cover, become "?", and
// control characters become spaces.
func clean(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c > 0xFFFF:
			return '?'
		case unicode.IsControl(c):
			return ' '
		}
		return c
	}, s)
}
