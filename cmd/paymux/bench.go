package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// paymux bench measures complete payments per second (create + confirm over the
// HTTP API on loopback, sandbox latency 0) against bare net/http handlers doing one
// and two durable commits per request on the same engine, in the same run — the
// performance target in DESIGN.md is stated as ratios to those baselines.

const benchUsage = `Usage: paymux bench [flags]

Measures complete payments per second: paymux runs in this process on a loopback
port with a fresh database, sandbox latency 0, its job runner running, and N
keep-alive HTTP clients each loop create + confirm(pm_card_visa). In the same run,
bare net/http handlers on the same engine doing one durable insert, and two
commits, per request are driven by the same clients. Reported: payments or
requests per second, latency per complete payment (p50/p90/p99/max), errors (any
error is a finding), paymux ÷ baseline ratios against DESIGN.md's targets, and
Go heap and RSS at start, after warm-up and at the end.

PostgreSQL: a fresh database is created on the server (its user needs CREATEDB)
for each workload and dropped afterwards; the database the URL names is not
touched. The load is loopback-only and stops by itself.

Flags:
`

// Targets from DESIGN.md "Performance target and what limits it here".
const (
	targetRatioSQLite   = 1.0
	targetRatioPostgres = 0.6
	targetP99           = 50 * time.Millisecond
	targetClients       = 64
)

// benchOptions are the parsed flags.
type benchOptions struct {
	engines  []string
	pgURL    string
	clients  int
	duration time.Duration
	warmup   time.Duration
	runs     int
	json     bool
	profile  string
	stderr   io.Writer
}

func parseBenchFlags(args []string, stderr io.Writer) (benchOptions, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := benchOptions{stderr: stderr}
	engine := fs.String("engine", "", "sqlite, postgres or both (default: both if a PostgreSQL URL is given by -postgres-url, PAYMUX_DATABASE_URL or PAYMUX_TEST_POSTGRES_URL, else sqlite)")
	fs.StringVar(&o.pgURL, "postgres-url", "", "PostgreSQL server to create bench databases on (default: PAYMUX_DATABASE_URL, else PAYMUX_TEST_POSTGRES_URL)")
	fs.IntVar(&o.clients, "clients", 64, "concurrent HTTP clients")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per workload")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each measurement")
	fs.IntVar(&o.runs, "runs", 1, "runs per engine; the report shows the median")
	fs.BoolVar(&o.json, "json", false, "print one JSON object instead of tables")
	fs.StringVar(&o.profile, "profile", "", "profile paymux's measured window in the first run: CPU, block and mutex profiles and a goroutine dump to `PREFIX`-ENGINE.{cpu,block,mutex}.pprof and .goroutines.txt (goroutines are labelled role=server|app|jobs|loadgen)")
	fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, flag.ErrHelp
		}
		return o, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "paymux bench: unexpected arguments %q\n", fs.Args())
		return o, errUsage
	}
	if o.pgURL == "" {
		o.pgURL = os.Getenv("PAYMUX_DATABASE_URL")
	}
	if o.pgURL == "" {
		o.pgURL = os.Getenv("PAYMUX_TEST_POSTGRES_URL")
	}
	switch *engine {
	case "":
		o.engines = []string{"sqlite"}
		if o.pgURL != "" {
			o.engines = append(o.engines, "postgres")
		}
	case "sqlite", "postgres":
		o.engines = []string{*engine}
	case "both":
		o.engines = []string{"sqlite", "postgres"}
	default:
		fmt.Fprintf(stderr, "paymux bench: -engine must be sqlite, postgres or both, not %q\n", *engine)
		return o, errUsage
	}
	if slices.Contains(o.engines, "postgres") && o.pgURL == "" {
		fmt.Fprintln(stderr, "paymux bench: PostgreSQL needs a server: pass -postgres-url or set PAYMUX_DATABASE_URL (e.g. eval \"$(scripts/pg-start)\" and use PAYMUX_TEST_POSTGRES_URL)")
		return o, errUsage
	}
	// Bounds keep the load reasonable for a loopback benchmark.
	switch {
	case o.clients < 1 || o.clients > 4096:
		fmt.Fprintln(stderr, "paymux bench: -clients must be between 1 and 4096")
		return o, errUsage
	case o.duration <= 0 || o.duration > 24*time.Hour:
		fmt.Fprintln(stderr, "paymux bench: -duration must be positive and at most 24h")
		return o, errUsage
	case o.warmup < 0 || o.warmup > time.Hour:
		fmt.Fprintln(stderr, "paymux bench: -warmup must be between 0 and 1h")
		return o, errUsage
	case o.runs < 1 || o.runs > 100:
		fmt.Fprintln(stderr, "paymux bench: -runs must be between 1 and 100")
		return o, errUsage
	}
	return o, nil
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseBenchFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := runBench(ctx, o, func(msg string) {
		if !o.json {
			fmt.Fprintln(stderr, msg)
		}
	})
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.writeText(stdout)
	return nil
}

// benchReport is the whole result; -json prints it as is.
type benchReport struct {
	Version     string          `json:"version"`
	GoVersion   string          `json:"go_version"`
	CPUs        int             `json:"cpus"`
	GOMAXPROCS  int             `json:"gomaxprocs"`
	Clients     int             `json:"clients"`
	DurationSec float64         `json:"duration_seconds"`
	WarmupSec   float64         `json:"warmup_seconds"`
	Runs        int             `json:"runs"`
	StartedAt   time.Time       `json:"started_at"`
	Engines     []*engineReport `json:"engines"`
}

// engineReport is one engine's results: the median over runs of each workload, the
// ratios, and every run's numbers.
type engineReport struct {
	Engine        string             `json:"engine"`
	Paymux        workloadSummary    `json:"paymux"`
	BareTwo       workloadSummary    `json:"bare_two_commits"`
	BareOne       workloadSummary    `json:"bare_one_insert"`
	RatioVsTwo    float64            `json:"ratio_vs_bare_two_commits"`
	RatioVsOne    float64            `json:"ratio_vs_bare_one_insert"`
	TargetRatio   float64            `json:"target_ratio_vs_bare_two_commits"`
	TargetP99Ms   float64            `json:"target_p99_ms"`
	RatioMet      bool               `json:"ratio_target_met"`
	P99Met        bool               `json:"p99_target_met"`
	P99TargetNote string             `json:"p99_target_note,omitempty"`
	Memory        [][]memSample      `json:"paymux_memory_by_run"`
	Logged        []logCounts        `json:"paymux_logged_by_run"`
	RunsDetail    []map[string]opsPS `json:"runs"`
	Profiles      []string           `json:"profiles,omitempty"`
}

// opsPS is one workload's throughput and tail in one run.
type opsPS struct {
	OpsPerSec float64 `json:"ops_per_second"`
	P99Ms     float64 `json:"p99_ms"`
	Errors    uint64  `json:"errors"`
}

// workloadSummary is a workload's median over runs (each figure separately) and the
// errors of all runs together.
type workloadSummary struct {
	Unit        string               `json:"unit"` // "payments" or "requests"
	Ops         uint64               `json:"ops"`  // completed in the measured window (median run)
	OpsPerSec   float64              `json:"ops_per_second"`
	P50Ms       float64              `json:"p50_ms"`
	P90Ms       float64              `json:"p90_ms"`
	P99Ms       float64              `json:"p99_ms"`
	MaxMs       float64              `json:"max_ms"`
	CPUPerOpUs  float64              `json:"cpu_us_per_op"`   // process CPU (incl. load generator) per op
	CoresBusy   float64              `json:"cores_busy"`      // process CPU seconds per second
	Errors      uint64               `json:"errors"`          // all runs, warm-up included
	ErrorsByKey map[string]*errClass `json:"errors_by_class"` // all runs
}

// runBench runs every engine's workloads o.runs times; progress gets one line per
// workload.
func runBench(ctx context.Context, o benchOptions, progress func(string)) (*benchReport, error) {
	rep := &benchReport{
		Version: version, GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Clients: o.clients, DurationSec: o.duration.Seconds(), WarmupSec: o.warmup.Seconds(), Runs: o.runs,
		StartedAt: time.Now().UTC().Truncate(time.Second),
	}
	for _, eng := range o.engines {
		env := benchEnv{engine: eng, pgBase: o.pgURL}
		er := &engineReport{Engine: eng, TargetRatio: targetRatioSQLite, TargetP99Ms: ms(targetP99)}
		if eng == "postgres" {
			er.TargetRatio = targetRatioPostgres
		}
		var paymux, two, one []workloadRun
		for run := 1; run <= o.runs; run++ {
			var prof *benchProfiler
			if o.profile != "" && run == 1 {
				prof = &benchProfiler{prefix: o.profile + "-" + eng}
			}
			progress(fmt.Sprintf("bench %s run %d/%d: paymux create+confirm, %d clients, %s + %s warm-up…", eng, run, o.runs, o.clients, o.duration, o.warmup))
			w, err := benchRunPaymux(ctx, env, o, prof)
			if prof != nil {
				er.Profiles = prof.files
				if err == nil && len(prof.errs) > 0 {
					err = fmt.Errorf("profile: %w", errors.Join(prof.errs...))
				}
			}
			if err != nil {
				return nil, err
			}
			paymux = append(paymux, w)
			progress(fmt.Sprintf("  paymux: %.0f payments/s, p99 %.1f ms, %d errors", opsPerSec(w.load), ms(w.load.hist.quantile(0.99)), w.load.errors.total))

			progress(fmt.Sprintf("bench %s run %d/%d: bare handler, two commits per request…", eng, run, o.runs))
			if w, err = benchRunBare(ctx, env, o, 2); err != nil {
				return nil, err
			}
			two = append(two, w)
			progress(fmt.Sprintf("  bare two commits: %.0f requests/s, p99 %.1f ms, %d errors", opsPerSec(w.load), ms(w.load.hist.quantile(0.99)), w.load.errors.total))

			progress(fmt.Sprintf("bench %s run %d/%d: bare handler, one insert per request…", eng, run, o.runs))
			if w, err = benchRunBare(ctx, env, o, 1); err != nil {
				return nil, err
			}
			one = append(one, w)
			progress(fmt.Sprintf("  bare one insert: %.0f requests/s, p99 %.1f ms, %d errors", opsPerSec(w.load), ms(w.load.hist.quantile(0.99)), w.load.errors.total))
		}
		er.Paymux = summarize("payments", paymux)
		er.BareTwo = summarize("requests", two)
		er.BareOne = summarize("requests", one)
		if er.BareTwo.OpsPerSec > 0 {
			er.RatioVsTwo = er.Paymux.OpsPerSec / er.BareTwo.OpsPerSec
		}
		if er.BareOne.OpsPerSec > 0 {
			er.RatioVsOne = er.Paymux.OpsPerSec / er.BareOne.OpsPerSec
		}
		er.RatioMet = er.RatioVsTwo >= er.TargetRatio
		er.P99Met = er.Paymux.P99Ms <= er.TargetP99Ms
		if o.clients != targetClients {
			er.P99TargetNote = fmt.Sprintf("the p99 target is stated for %d clients; this run used %d", targetClients, o.clients)
		}
		for i := range paymux {
			er.Memory = append(er.Memory, paymux[i].memory)
			er.Logged = append(er.Logged, paymux[i].logged)
			er.RunsDetail = append(er.RunsDetail, map[string]opsPS{
				wlPaymux: runOps(paymux[i]), wlBareTwo: runOps(two[i]), wlBareOne: runOps(one[i]),
			})
		}
		rep.Engines = append(rep.Engines, er)
	}
	return rep, nil
}

func opsPerSec(l loadResult) float64 {
	if l.elapsed <= 0 {
		return 0
	}
	return float64(l.ops) / l.elapsed.Seconds()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func runOps(w workloadRun) opsPS {
	return opsPS{OpsPerSec: round1(opsPerSec(w.load)), P99Ms: round2(ms(w.load.hist.quantile(0.99))), Errors: w.load.errors.total}
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func summarize(unit string, runs []workloadRun) workloadSummary {
	var ops, rate, p50, p90, p99, mx, cpuOp, busy []float64
	sum := workloadSummary{Unit: unit, ErrorsByKey: map[string]*errClass{}}
	var errs errTally
	for _, w := range runs {
		l := w.load
		ops = append(ops, float64(l.ops))
		rate = append(rate, opsPerSec(l))
		p50 = append(p50, ms(l.hist.quantile(0.50)))
		p90 = append(p90, ms(l.hist.quantile(0.90)))
		p99 = append(p99, ms(l.hist.quantile(0.99)))
		mx = append(mx, ms(l.hist.maxDuration()))
		if l.ops > 0 {
			cpuOp = append(cpuOp, l.cpuSecond/float64(l.ops)*1e6)
		}
		if l.elapsed > 0 {
			busy = append(busy, l.cpuSecond/l.elapsed.Seconds())
		}
		errs.merge(&l.errors)
	}
	sum.Ops = uint64(median(ops))
	sum.OpsPerSec = round1(median(rate))
	sum.P50Ms, sum.P90Ms, sum.P99Ms, sum.MaxMs = round2(median(p50)), round2(median(p90)), round2(median(p99)), round2(median(mx))
	sum.CPUPerOpUs = round1(median(cpuOp))
	sum.CoresBusy = round2(median(busy))
	sum.Errors = errs.total
	for k, v := range errs.byClass {
		sum.ErrorsByKey[k] = v
	}
	return sum
}

// writeText prints the report as tables.
func (r *benchReport) writeText(w io.Writer) {
	runs := "1 run"
	if r.Runs > 1 {
		runs = fmt.Sprintf("median of %d runs", r.Runs)
	}
	fmt.Fprintf(w, "\npaymux bench — %s, %s, %d CPUs (GOMAXPROCS %d); %d clients, %s measured after %s warm-up, %s\n",
		r.Version, r.GoVersion, r.CPUs, r.GOMAXPROCS, r.Clients, time.Duration(r.DurationSec*float64(time.Second)),
		time.Duration(r.WarmupSec*float64(time.Second)), runs)
	fmt.Fprintln(w, "paymux = one complete payment (create + confirm pm_card_visa, final status succeeded); bare = one request.")
	fmt.Fprintln(w, "CPU/op and cores busy are the whole process's, load generator included.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\tworkload\tper second\tp50 ms\tp90 ms\tp99 ms\tmax ms\tCPU/op µs\tcores busy\terrors\t")
	for _, e := range r.Engines {
		row := func(name string, s workloadSummary) {
			fmt.Fprintf(tw, "%s\t%s\t%.0f %s\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%.2f\t%d\t\n",
				e.Engine, name, s.OpsPerSec, s.Unit, s.P50Ms, s.P90Ms, s.P99Ms, s.MaxMs, s.CPUPerOpUs, s.CoresBusy, s.Errors)
		}
		row("paymux create+confirm", e.Paymux)
		row("bare, two commits/request", e.BareTwo)
		row("bare, one insert/request", e.BareOne)
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "engine\tpaymux ÷ bare two-commit\ttarget\tpaymux ÷ bare one-insert\tp99\ttarget\t")
	for _, e := range r.Engines {
		p99 := fmt.Sprintf("≤ %.0f ms %s", e.TargetP99Ms, verdict(e.P99Met))
		if e.P99TargetNote != "" {
			p99 += " (target is for 64 clients)"
		}
		fmt.Fprintf(tw, "%s\t%.2f×\t≥ %.1f× %s\t%.2f×\t%.1f ms\t%s\t\n",
			e.Engine, e.RatioVsTwo, e.TargetRatio, verdict(e.RatioMet), e.RatioVsOne, e.Paymux.P99Ms, p99)
	}
	tw.Flush()

	if r.Runs > 1 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "engine\trun\tpaymux/s\tp99 ms\tbare two/s\tp99 ms\tbare one/s\tp99 ms\t")
		for _, e := range r.Engines {
			for i, d := range e.RunsDetail {
				fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.0f\t%.2f\t%.0f\t%.2f\t\n", e.Engine, i+1,
					d[wlPaymux].OpsPerSec, d[wlPaymux].P99Ms, d[wlBareTwo].OpsPerSec, d[wlBareTwo].P99Ms,
					d[wlBareOne].OpsPerSec, d[wlBareOne].P99Ms)
			}
		}
		tw.Flush()
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "paymux memory (whole process; heap live = live heap at the last GC):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\trun\tat\theap in use MiB\theap live MiB\tRSS MiB\tgoroutines\t")
	for _, e := range r.Engines {
		for i, samples := range e.Memory {
			for _, s := range samples {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%.1f\t%.1f\t%.1f\t%d\t\n", e.Engine, i+1, s.At,
					mib(s.HeapInuseBytes), mib(s.HeapLiveBytes), mib(s.RSSBytes), s.Goroutines)
			}
		}
	}
	tw.Flush()

	for _, e := range r.Engines {
		for _, wl := range []struct {
			name string
			s    workloadSummary
		}{{"paymux", e.Paymux}, {"bare two commits", e.BareTwo}, {"bare one insert", e.BareOne}} {
			if wl.s.Errors == 0 {
				continue
			}
			fmt.Fprintf(w, "\nERRORS %s %s: %d (all runs, warm-up included)\n", e.Engine, wl.name, wl.s.Errors)
			var t errTally
			t.byClass = wl.s.ErrorsByKey
			for _, c := range t.classes() {
				fmt.Fprintf(w, "  %6d  %s\n          e.g. %s\n", wl.s.ErrorsByKey[c].Count, c, oneLine(wl.s.ErrorsByKey[c].Example))
			}
		}
		var warns, errs uint64
		for _, l := range e.Logged {
			warns += l.Warnings
			errs += l.Errors
		}
		if warns+errs > 0 {
			fmt.Fprintf(w, "\nLOGGED %s: paymux logged %d warnings and %d errors (first ones were printed to stderr)\n", e.Engine, warns, errs)
		}
		if len(e.Profiles) > 0 {
			fmt.Fprintf(w, "\nprofiles of paymux on %s (run 1, measured window):\n  %s\n", e.Engine, strings.Join(e.Profiles, "\n  "))
			for _, f := range e.Profiles {
				if strings.HasSuffix(f, ".cpu.pprof") {
					fmt.Fprintf(w, "  e.g. go tool pprof -top -tagignore role=loadgen %s\n", f)
				}
			}
		}
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
