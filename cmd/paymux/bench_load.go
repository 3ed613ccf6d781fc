package main

import (
	"context"
	"errors"
	"math/bits"
	"net"
	"net/http"
	"runtime/pprof"
	"sort"
	"sync"
	"time"
)

// This file is the load generator of paymux bench: a fixed number of clients, each
// looping one operation (a whole payment, or one request to a bare handler) over
// keep-alive connections, with a warm-up that is not counted, a measured window, and
// per-client latency histograms and error tallies merged at the end. Memory held by
// the generator is fixed (histograms, not lists of samples), so it does not disturb
// the "memory flat over a run" reading of a long run.

// benchOp is one iteration of a client: it returns nil only if the operation
// completed as it should.
type benchOp func(ctx context.Context, cl *benchClient) error

// benchClient is the per-goroutine state an operation may reuse.
type benchClient struct {
	http *http.Client
	buf  []byte
}

// opError is a failed operation: class groups errors in the report (e.g. "confirm:
// HTTP 409 payment_invalid_state"), detail is one example of the full message.
type opError struct {
	class  string
	detail string
}

func (e *opError) Error() string { return e.class + ": " + e.detail }

// loadPlan says how long to load and what to do at the two marks.
type loadPlan struct {
	clients  int
	warmup   time.Duration
	duration time.Duration
	// atMeasureStart runs when the warm-up ends, atMeasureEnd when the measured window
	// ends (load still running); either may be nil.
	atMeasureStart func()
	atMeasureEnd   func()
}

// loadResult is what the clients measured.
type loadResult struct {
	ops       uint64 // operations completed successfully inside the measured window
	elapsed   time.Duration
	hist      *histogram
	errors    errTally // failed operations, warm-up included: any error is a finding
	cpuSecond float64  // process CPU time (user+system) during the measured window
}

// newTransport is a keep-alive transport with an idle connection for every client.
func newTransport(clients int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * clients,
		MaxIdleConnsPerHost: 2 * clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// runLoad drives op from plan.clients goroutines for warm-up + duration and returns
// what was measured. Operations still running when the window closes are waited for
// (each is bounded by the HTTP client's timeout) but not counted.
func runLoad(ctx context.Context, plan loadPlan, client *http.Client, op benchOp) (loadResult, error) {
	start := time.Now()
	measureStart := start.Add(plan.warmup)
	measureEnd := measureStart.Add(plan.duration)

	type clientResult struct {
		ops    uint64
		hist   *histogram
		errors errTally
	}
	results := make([]clientResult, plan.clients)
	var wg sync.WaitGroup
	for i := range plan.clients {
		wg.Add(1)
		// The label lets a CPU profile of the whole process separate the load
		// generator from the server (go tool pprof -tagignore role=loadgen).
		go pprof.Do(ctx, pprof.Labels("role", "loadgen"), func(ctx context.Context) {
			defer wg.Done()
			res := &results[i]
			res.hist = newHistogram()
			cl := &benchClient{http: client}
			for {
				t0 := time.Now()
				if !t0.Before(measureEnd) || ctx.Err() != nil {
					return
				}
				err := op(ctx, cl)
				t1 := time.Now()
				if err != nil {
					if ctx.Err() != nil {
						return // interrupted, not a finding
					}
					res.errors.add(err)
					// A short pause keeps an error storm (e.g. refused connections)
					// from spinning the cores.
					time.Sleep(time.Millisecond)
					continue
				}
				if !t1.Before(measureStart) && !t1.After(measureEnd) {
					res.ops++
					res.hist.record(t1.Sub(t0))
				}
			}
		})
	}

	var cpuStart, cpuEnd float64
	wait := func(until time.Time) bool {
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	interrupted := false
	if wait(measureStart) {
		if plan.atMeasureStart != nil {
			plan.atMeasureStart()
		}
		cpuStart = processCPUSeconds()
		if wait(measureEnd) {
			cpuEnd = processCPUSeconds()
			if plan.atMeasureEnd != nil {
				plan.atMeasureEnd()
			}
		} else {
			interrupted = true
		}
	} else {
		interrupted = true
	}
	wg.Wait()
	if interrupted {
		return loadResult{}, ctx.Err()
	}

	out := loadResult{elapsed: plan.duration, hist: newHistogram(), cpuSecond: cpuEnd - cpuStart}
	for i := range results {
		out.ops += results[i].ops
		out.hist.merge(results[i].hist)
		out.errors.merge(&results[i].errors)
	}
	return out, nil
}

// histogram is a log-linear latency histogram in microseconds: exact below 128 µs,
// then 64 buckets per power of two (under 1.6% error), up to about 25 days.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64 // µs, exact
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histMaxExp  = 41 // values are capped below 2^41 µs
	histBuckets = (histMaxExp-histSubBits)*histSub + histSub
)

func newHistogram() *histogram { return &histogram{} }

func histIndex(us int64) int {
	if us < 0 {
		us = 0
	}
	if us >= 1<<histMaxExp {
		us = 1<<histMaxExp - 1
	}
	if us < 2*histSub {
		return int(us)
	}
	shift := bits.Len64(uint64(us)) - 1 - histSubBits
	return shift*histSub + int(us>>shift)
}

// histUpper is the largest value that falls in bucket i.
func histUpper(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	shift := i/histSub - 1
	mant := int64(i%histSub + histSub)
	return (mant+1)<<shift - 1
}

func (h *histogram) record(d time.Duration) {
	us := d.Microseconds()
	h.counts[histIndex(us)]++
	h.n++
	if us > h.max {
		h.max = us
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0 < q ≤ 1) as the upper edge of its bucket, never
// above the exact maximum.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999999)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(histUpper(i), h.max)) * time.Microsecond
		}
	}
	return time.Duration(h.max) * time.Microsecond
}

func (h *histogram) maxDuration() time.Duration { return time.Duration(h.max) * time.Microsecond }

// errTally counts errors by class and keeps one example of each.
type errTally struct {
	total   uint64
	byClass map[string]*errClass
}

type errClass struct {
	Count   uint64 `json:"count"`
	Example string `json:"example"`
}

func (t *errTally) add(err error) {
	class, detail := "error", err.Error()
	var oe *opError
	if errors.As(err, &oe) {
		class, detail = oe.class, oe.detail
	}
	if len(detail) > 300 {
		detail = detail[:300] + "…"
	}
	if t.byClass == nil {
		t.byClass = map[string]*errClass{}
	}
	c := t.byClass[class]
	if c == nil {
		c = &errClass{Example: detail}
		t.byClass[class] = c
	}
	c.Count++
	t.total++
}

func (t *errTally) merge(o *errTally) {
	for class, oc := range o.byClass {
		if t.byClass == nil {
			t.byClass = map[string]*errClass{}
		}
		c := t.byClass[class]
		if c == nil {
			c = &errClass{Example: oc.Example}
			t.byClass[class] = c
		}
		c.Count += oc.Count
	}
	t.total += o.total
}

// classes returns the error classes, most frequent first.
func (t *errTally) classes() []string {
	out := make([]string, 0, len(t.byClass))
	for c := range t.byClass {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := t.byClass[out[i]], t.byClass[out[j]]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return out[i] < out[j]
	})
	return out
}
