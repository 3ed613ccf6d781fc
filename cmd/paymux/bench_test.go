package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestBenchSQLite runs the whole bench machinery briefly on SQLite: paymux must
// complete payments with no error, and the numbers must be sane. It asserts nothing
// about speed.
func TestBenchSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs paymux under load for a few seconds")
	}
	t.Setenv("TMPDIR", t.TempDir()) // fresh databases land here and must be removed
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := cmdBench(ctx, []string{"-engine", "sqlite", "-clients", "4", "-duration", "1s", "-warmup", "200ms", "-json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\nstderr: %s", err, stderr.String())
	}
	var rep benchReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("-json output is not one JSON object: %v\n%s", err, stdout.String())
	}
	if len(rep.Engines) != 1 || rep.Engines[0].Engine != "sqlite" {
		t.Fatalf("engines = %+v, want sqlite only", rep.Engines)
	}
	e := rep.Engines[0]
	for _, wl := range []struct {
		name string
		s    workloadSummary
	}{{"paymux", e.Paymux}, {"bare two commits", e.BareTwo}, {"bare one insert", e.BareOne}} {
		s := wl.s
		if s.Errors != 0 {
			t.Errorf("%s: %d errors: %+v", wl.name, s.Errors, s.ErrorsByKey)
		}
		if s.Ops == 0 || s.OpsPerSec <= 0 {
			t.Errorf("%s: completed nothing: %+v", wl.name, s)
		}
		if s.P50Ms <= 0 || s.P90Ms < s.P50Ms || s.P99Ms < s.P90Ms || s.MaxMs < s.P99Ms {
			t.Errorf("%s: latencies not ordered 0 < p50 ≤ p90 ≤ p99 ≤ max: %+v", wl.name, s)
		}
	}
	if e.RatioVsTwo <= 0 || e.RatioVsOne <= 0 {
		t.Errorf("ratios = %v, %v; want > 0", e.RatioVsTwo, e.RatioVsOne)
	}
	if len(e.Logged) != 1 || e.Logged[0].Errors != 0 {
		t.Errorf("paymux logged errors during the run: %+v\nstderr: %s", e.Logged, stderr.String())
	}
	if len(e.Memory) != 1 || len(e.Memory[0]) != 3 {
		t.Fatalf("memory samples = %+v, want start, after warm-up and end", e.Memory)
	}
	for _, m := range e.Memory[0] {
		if m.HeapInuseBytes == 0 || (runtime.GOOS == "linux" && m.RSSBytes == 0) {
			t.Errorf("memory sample %+v: heap and RSS must be known", m)
		}
	}
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("bench left %d entries in TMPDIR, e.g. %s", len(left), left[0].Name())
	}
}

// TestBenchTextReport checks the table output names every workload and the ratios.
func TestBenchTextReport(t *testing.T) {
	h := newHistogram()
	for i := 1; i <= 100; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	run := workloadRun{load: loadResult{ops: 100, elapsed: time.Second, hist: h, cpuSecond: 0.5},
		memory: []memSample{{At: "start", HeapInuseBytes: 1 << 20, RSSBytes: 2 << 20}}}
	rep := &benchReport{Version: "test", CPUs: 2, GOMAXPROCS: 2, Clients: 64, DurationSec: 1, Runs: 1}
	er := &engineReport{Engine: "sqlite", TargetRatio: 1, TargetP99Ms: 50,
		Paymux: summarize("payments", []workloadRun{run}), BareTwo: summarize("requests", []workloadRun{run}),
		BareOne: summarize("requests", []workloadRun{run}), Memory: [][]memSample{run.memory}}
	er.RatioVsTwo, er.RatioVsOne = 1, 1
	rep.Engines = append(rep.Engines, er)
	var b bytes.Buffer
	rep.writeText(&b)
	for _, want := range []string{"paymux create+confirm", "bare, two commits/request", "bare, one insert/request", "1.00×", "MISSED", "RSS MiB"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	h := newHistogram()
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * 100 * time.Microsecond) // 0.1 ms … 100 ms
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.9, 90 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}} {
		got := h.quantile(c.q)
		if got < c.want || float64(got) > float64(c.want)*1.02 {
			t.Errorf("quantile(%v) = %v, want %v within 2%%", c.q, got, c.want)
		}
	}
	if h.maxDuration() != 100*time.Millisecond {
		t.Errorf("max = %v", h.maxDuration())
	}
	// Bucket edges are continuous: every value maps to a bucket whose upper edge is ≥ it.
	for us := int64(0); us < 1<<20; us += 7 {
		i := histIndex(us)
		if histUpper(i) < us || (i > 0 && histUpper(i-1) >= us) {
			t.Fatalf("value %d µs in bucket %d [.., %d], previous upper %d", us, i, histUpper(i), histUpper(i-1))
		}
	}
}

func TestBenchFlags(t *testing.T) {
	t.Setenv("PAYMUX_DATABASE_URL", "")
	t.Setenv("PAYMUX_TEST_POSTGRES_URL", "")
	o, err := parseBenchFlags(nil, io.Discard)
	if err != nil || len(o.engines) != 1 || o.engines[0] != "sqlite" || o.clients != 64 || o.duration != 10*time.Second || o.warmup != 2*time.Second || o.runs != 1 {
		t.Fatalf("defaults = %+v, %v", o, err)
	}
	if _, err := parseBenchFlags([]string{"-engine", "postgres"}, io.Discard); err != errUsage {
		t.Errorf("postgres without a URL: err = %v, want usage error", err)
	}
	t.Setenv("PAYMUX_TEST_POSTGRES_URL", "postgres://u@127.0.0.1:1/postgres")
	if o, err := parseBenchFlags(nil, io.Discard); err != nil || len(o.engines) != 2 {
		t.Errorf("with a PostgreSQL URL the default is both engines: %+v, %v", o.engines, err)
	}
	for _, bad := range [][]string{{"-engine", "mysql"}, {"-clients", "0"}, {"-runs", "0"}, {"-duration", "0s"}, {"extra"}} {
		if _, err := parseBenchFlags(bad, io.Discard); err != errUsage {
			t.Errorf("%v: err = %v, want usage error", bad, err)
		}
	}
	if u, err := withDatabase("postgres://u@h:5/postgres?sslmode=disable", "x"); err != nil || u != "postgres://u@h:5/x?sslmode=disable" {
		t.Errorf("withDatabase = %q, %v", u, err)
	}
}
