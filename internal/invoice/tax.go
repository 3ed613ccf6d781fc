package invoice

import (
	"math/bits"
	"sort"
)

const basis = 10_000 // basis points in 100%

// NetOfGross is the net part of a tax-inclusive gross amount at rate:
// round(gross × 10000 / (10000 + rate)), half away from zero, so that
// NetOfGross(-g) = -NetOfGross(g). Exact for every amount paymux accepts.
func NetOfGross(gross int64, rate Rate) int64 {
	u := uint64(gross)
	if gross < 0 {
		u = uint64(-gross)
	}
	d := uint64(basis + rate)
	hi, lo := bits.Mul64(u, basis)
	q, rem := bits.Div64(hi, lo, d) // hi < d: |gross| ≤ MaxMinor keeps the quotient small
	if 2*rem >= d {
		q++
	}
	if gross < 0 {
		return -int64(q)
	}
	return int64(q)
}

// taxAt splits a gross amount at rate into a TaxTotal.
func taxAt(rate Rate, gross int64) TaxTotal {
	net := NetOfGross(gross, rate)
	return TaxTotal{TaxRate: rate, Net: net, Tax: gross - net, Gross: gross}
}

// grossByRate sums the lines' amounts per rate.
func grossByRate(lines []Line) map[Rate]int64 {
	m := map[Rate]int64{}
	for _, l := range lines {
		m[l.TaxRate] += l.Amount
	}
	return m
}

// ratesOf lists the keys of m, highest rate first.
func ratesOf(m map[Rate]int64) []Rate {
	out := make([]Rate, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out
}

// Summarize computes the tax totals of lines, one per rate, highest rate first.
func Summarize(lines []Line) []TaxTotal {
	g := grossByRate(lines)
	out := make([]TaxTotal, 0, len(g))
	for _, r := range ratesOf(g) {
		out = append(out, taxAt(r, g[r]))
	}
	return out
}

// totals sets the document totals from its tax totals.
func (inv *Invoice) totals() {
	inv.TotalNet, inv.TotalTax, inv.Total = 0, 0, 0
	for _, t := range inv.TaxTotals {
		inv.TotalNet += t.Net
		inv.TotalTax += t.Tax
		inv.Total += t.Gross
	}
}

// allocate splits total over weights in proportion to them, by largest remainder:
// the parts add up to total exactly and none exceeds its weight. It needs
// 0 ≤ total ≤ sum(weights) and weights ≥ 0; ties go to the earlier weight.
func allocate(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	var sum uint64
	for _, w := range weights {
		sum += uint64(w)
	}
	if total <= 0 || sum == 0 {
		return out
	}
	type rem struct {
		i int
		r uint64
	}
	rems := make([]rem, 0, len(weights))
	var given int64
	for i, w := range weights {
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, sum) // total ≤ sum keeps hi < sum
		out[i] = int64(q)
		given += int64(q)
		rems = append(rems, rem{i, r})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k++ {
		out[rems[k].i]++
		given++
	}
	return out
}
