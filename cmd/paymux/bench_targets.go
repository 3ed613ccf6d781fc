package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the bare SQLite baseline uses the same driver as paymux

	"github.com/paymux/paymux/internal/app"
)

// This file holds what paymux bench measures: paymux itself, in process, and the
// bare net/http baselines doing one or two durable commits per request, each on a
// fresh database of the engine under test.

// workload names, as they appear in the report.
const (
	wlPaymux  = "paymux"
	wlBareTwo = "bare_two_commits"
	wlBareOne = "bare_one_insert"
)

// memSample is the process's memory at one moment of a paymux run. The bench runs
// in the same process as paymux, so this includes the load generator (whose memory
// is fixed) and, from the second workload on, what earlier workloads left behind.
type memSample struct {
	At             string `json:"at"`
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"`
	HeapLiveBytes  uint64 `json:"heap_live_bytes"` // live heap as of the last GC
	RSSBytes       uint64 `json:"rss_bytes"`       // VmRSS from /proc/self/status; 0 where unavailable
	Goroutines     int    `json:"goroutines"`
}

func sampleMemory(at string) memSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	var live uint64
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = s[0].Value.Uint64()
	}
	return memSample{At: at, HeapInuseBytes: ms.HeapInuse, HeapLiveBytes: live, RSSBytes: readRSS(), Goroutines: runtime.NumGoroutine()}
}

// readRSS returns the process's resident set size from /proc/self/status (VmRSS).
func readRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// processCPUSeconds is the CPU time (user + system) the process has used.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// benchEnv is one engine's database server (PostgreSQL) or nothing (SQLite).
type benchEnv struct {
	engine string
	pgBase string // the server URL; fresh databases are created on it
}

// freshDatabase makes an empty database for one workload: a temporary directory for
// SQLite (also used for paymux's key file), plus a new database on the server for
// PostgreSQL. cleanup removes both.
func (e benchEnv) freshDatabase(ctx context.Context) (dir, pgURL string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "paymux-bench-*")
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	if e.engine != "postgres" {
		return dir, "", cleanup, nil
	}
	name := "paymux_bench_" + randomHex(8)
	pgURL, err = withDatabase(e.pgBase, name)
	if err != nil {
		cleanup()
		return "", "", nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, e.pgBase)
	if err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("connect to PostgreSQL to create a bench database: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(cctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("create bench database (the user needs CREATEDB): %w", err)
	}
	rmDir := cleanup
	cleanup = func() {
		rmDir()
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(dctx, e.pgBase)
		if err != nil {
			fmt.Fprintf(os.Stderr, "paymux bench: could not drop database %s: %v\n", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(dctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "paymux bench: could not drop database %s: %v\n", name, err)
		}
	}
	return dir, pgURL, cleanup, nil
}

// withDatabase returns base (a postgres:// URL or a keyword/value string) naming
// database name instead.
func withDatabase(base, name string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("PostgreSQL URL: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	if _, err := pgx.ParseConfig(base); err != nil {
		return "", fmt.Errorf("PostgreSQL connection string: %w", err)
	}
	return base + " dbname=" + name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b)
}

// serveOn serves h on ln and returns a stop function that shuts the server down
// gracefully.
func serveOn(ln net.Listener, h http.Handler) (stop func()) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	done := make(chan struct{})
	// Connection goroutines inherit the label, so a profile can focus on the server
	// (go tool pprof -tagfocus role=server).
	go pprof.Do(context.Background(), pprof.Labels("role", "server"), func(context.Context) {
		defer close(done)
		_ = srv.Serve(ln)
	})
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}
}

// workloadRun is one workload's measurement in one run.
type workloadRun struct {
	load   loadResult
	memory []memSample // paymux only
	logged logCounts   // paymux only: warnings and errors it logged
}

// benchRunPaymux starts paymux on a fresh database, creates a merchant and drives
// create + confirm(pm_card_visa) payments through its HTTP API.
func benchRunPaymux(ctx context.Context, env benchEnv, o benchOptions, prof *benchProfiler) (workloadRun, error) {
	dir, pgURL, cleanup, err := env.freshDatabase(ctx)
	if err != nil {
		return workloadRun{}, err
	}
	defer cleanup()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return workloadRun{}, err
	}
	base := "http://" + ln.Addr().String()
	logs := newCountingHandler(o.stderr, slog.LevelWarn, 5)
	cfg := app.Config{
		DataDir: dir, DatabaseURL: pgURL, BaseURL: base, MasterKey: randomHex(32),
		SandboxLatency: 0, SandboxSettle: 5 * time.Second, PaymentExpiry: 24 * time.Hour,
		Exclusive: true, Version: version,
	}
	appCtx, stopApp := context.WithCancel(context.WithoutCancel(ctx))
	defer stopApp()
	// Goroutines paymux starts while it is built (the SQLite writer, pool openers)
	// carry role=app in profiles.
	var a *app.App
	pprof.Do(appCtx, pprof.Labels("role", "app"), func(ctx context.Context) {
		a, err = app.New(ctx, cfg, slog.New(logs))
	})
	if err != nil {
		ln.Close()
		return workloadRun{}, fmt.Errorf("start paymux on %s: %w", env.engine, err)
	}
	defer a.Close()
	var runnerDone sync.WaitGroup
	runnerDone.Add(1)
	go pprof.Do(appCtx, pprof.Labels("role", "jobs"), func(ctx context.Context) {
		defer runnerDone.Done()
		a.Runner.Run(ctx)
	})
	defer runnerDone.Wait()
	defer stopApp() // runs before the Wait above
	if err := a.Engine.SchedulePeriodic(appCtx); err != nil {
		ln.Close()
		return workloadRun{}, fmt.Errorf("schedule periodic jobs: %w", err)
	}
	keys, err := a.Engine.CreateMerchant(appCtx, "Bench Shop")
	if err != nil {
		ln.Close()
		return workloadRun{}, fmt.Errorf("create merchant: %w", err)
	}
	defer serveOn(ln, a.Handler())()

	tr := newTransport(o.clients)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	op := paymuxOp(base, keys.TestSecretKey)

	// One payment first, so that a broken setup fails fast and clearly.
	if err := op(ctx, &benchClient{http: client}); err != nil {
		return workloadRun{}, fmt.Errorf("paymux on %s: a first payment failed: %w", env.engine, err)
	}

	run := workloadRun{memory: []memSample{sampleMemory("start")}}
	plan := loadPlan{clients: o.clients, warmup: o.warmup, duration: o.duration,
		atMeasureStart: func() {
			run.memory = append(run.memory, sampleMemory("after_warmup"))
			if prof != nil {
				prof.start(o.duration)
			}
		},
		atMeasureEnd: func() {
			if prof != nil {
				prof.stop()
			}
			run.memory = append(run.memory, sampleMemory("end"))
		},
	}
	run.load, err = runLoad(ctx, plan, client, op)
	if prof != nil {
		prof.stop() // interrupted before the window closed
	}
	if err != nil {
		return workloadRun{}, err
	}
	run.logged = logs.counts()
	return run, nil
}

// paymuxOp is one complete payment: create, then confirm with pm_card_visa, and the
// final status must be succeeded.
func paymuxOp(base, key string) benchOp {
	createURL := base + "/v1/payments"
	createBody := []byte(`{"amount":1000,"currency":"EUR"}`)
	confirmBody := []byte(`{"payment_method":"pm_card_visa"}`)
	auth := "Bearer " + key
	return func(ctx context.Context, cl *benchClient) error {
		var p struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if err := cl.postJSON(ctx, "create", createURL, auth, createBody, http.StatusCreated, &p); err != nil {
			return err
		}
		if p.ID == "" {
			return &opError{"create: no id in response", string(cl.buf)}
		}
		id := p.ID
		p = struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}{}
		if err := cl.postJSON(ctx, "confirm", createURL+"/"+id+"/confirm", auth, confirmBody, http.StatusOK, &p); err != nil {
			return err
		}
		if p.Status != "succeeded" {
			return &opError{"confirm: status " + p.Status + " (want succeeded)", string(cl.buf)}
		}
		return nil
	}
}

// bareOp is one request to a bare handler.
func bareOp(base string) benchOp {
	u := base + "/bare"
	body := []byte(`{"amount":1000,"currency":"EUR"}`)
	return func(ctx context.Context, cl *benchClient) error {
		var p struct {
			ID string `json:"id"`
		}
		if err := cl.postJSON(ctx, "bare", u, "", body, http.StatusCreated, &p); err != nil {
			return err
		}
		if p.ID == "" {
			return &opError{"bare: no id in response", string(cl.buf)}
		}
		return nil
	}
}

// postJSON posts body and decodes a response with status want into out.
func (cl *benchClient) postJSON(ctx context.Context, step, u, auth string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return &opError{step + ": request", err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return &opError{step + ": transport error", err.Error()}
	}
	buf := bytes.NewBuffer(cl.buf[:0])
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	cl.buf = buf.Bytes()
	if err != nil {
		return &opError{step + ": reading response", err.Error()}
	}
	if resp.StatusCode != want {
		var e struct {
			Error struct {
				Type string `json:"type"`
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(cl.buf, &e)
		class := fmt.Sprintf("%s: HTTP %d", step, resp.StatusCode)
		if e.Error.Code != "" {
			class += " " + e.Error.Code
		}
		return &opError{class, string(cl.buf)}
	}
	if err := json.Unmarshal(cl.buf, out); err != nil {
		return &opError{step + ": response is not JSON", err.Error()}
	}
	return nil
}

// bareHandler is the baseline: a plain net/http handler that records a payment-like
// row with one durable commit per request, or two (insert, then update, each its own
// commit: the shape of create + confirm).
type bareHandler struct {
	db      *sql.DB
	insert  *sql.Stmt
	update  *sql.Stmt
	commits int
}

const bareSchema = `CREATE TABLE bare_payments (
  id TEXT PRIMARY KEY,
  amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL)`

// openBare opens the baseline's database the way DESIGN describes: SQLite through
// modernc.org/sqlite in WAL mode with synchronous=FULL, a busy timeout and a pool of
// one writer connection; PostgreSQL through pgx's database/sql driver with a pool of
// 16 connections.
func openBare(ctx context.Context, engine, dir, pgURL string, commits int) (*bareHandler, error) {
	var (
		db       *sql.DB
		ins, upd string
	)
	switch engine {
	case "postgres":
		cfg, err := pgx.ParseConfig(pgURL)
		if err != nil {
			return nil, err
		}
		db = stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		ins = `INSERT INTO bare_payments (id, amount, currency, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`
		upd = `UPDATE bare_payments SET status = $1, updated_at = $2 WHERE id = $3`
	default:
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		var err error
		db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "bare.db")+"?"+q.Encode())
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		ins = `INSERT INTO bare_payments (id, amount, currency, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)`
		upd = `UPDATE bare_payments SET status = ?1, updated_at = ?2 WHERE id = ?3`
	}
	h := &bareHandler{db: db, commits: commits}
	fail := func(err error) (*bareHandler, error) {
		db.Close()
		return nil, err
	}
	if _, err := db.ExecContext(ctx, bareSchema); err != nil {
		return fail(fmt.Errorf("bare %s schema: %w", engine, err))
	}
	var err error
	if h.insert, err = db.PrepareContext(ctx, ins); err != nil {
		return fail(err)
	}
	if h.update, err = db.PrepareContext(ctx, upd); err != nil {
		return fail(err)
	}
	return h, nil
}

func (h *bareHandler) Close() error { return h.db.Close() }

func (h *bareHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/bare" {
		http.NotFound(w, r)
		return
	}
	var in struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || in.Amount <= 0 || in.Currency == "" {
		http.Error(w, `{"error":{"type":"invalid_request_error","code":"parameter_invalid"}}`, http.StatusBadRequest)
		return
	}
	id := "pay_" + randomHex(12)
	now := time.Now().UnixMicro()
	status := "requires_payment_method"
	if _, err := h.insert.ExecContext(r.Context(), id, in.Amount, in.Currency, status, now); err != nil {
		bareError(w, err)
		return
	}
	if h.commits >= 2 {
		status = "succeeded"
		if _, err := h.update.ExecContext(r.Context(), status, time.Now().UnixMicro(), id); err != nil {
			bareError(w, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(struct {
		ID       string `json:"id"`
		Object   string `json:"object"`
		Status   string `json:"status"`
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	}{id, "payment", status, in.Amount, in.Currency})
}

func bareError(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	msg, _ := json.Marshal(err.Error())
	fmt.Fprintf(w, `{"error":{"type":"api_error","code":"database_error","message":%s}}`, msg)
}

// benchRunBare measures the bare handler with the given number of commits per request
// on a fresh database.
func benchRunBare(ctx context.Context, env benchEnv, o benchOptions, commits int) (workloadRun, error) {
	dir, pgURL, cleanup, err := env.freshDatabase(ctx)
	if err != nil {
		return workloadRun{}, err
	}
	defer cleanup()
	h, err := openBare(ctx, env.engine, dir, pgURL, commits)
	if err != nil {
		return workloadRun{}, err
	}
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return workloadRun{}, err
	}
	defer serveOn(ln, h)()
	base := "http://" + ln.Addr().String()
	tr := newTransport(o.clients)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	op := bareOp(base)
	if err := op(ctx, &benchClient{http: client}); err != nil {
		return workloadRun{}, fmt.Errorf("bare handler on %s: a first request failed: %w", env.engine, err)
	}
	load, err := runLoad(ctx, loadPlan{clients: o.clients, warmup: o.warmup, duration: o.duration}, client, op)
	if err != nil {
		return workloadRun{}, err
	}
	return workloadRun{load: load}, nil
}

// countingHandler counts the warnings and errors paymux logs during a run (any is
// worth a look) and prints only the first few.
type countingHandler struct {
	inner slog.Handler
	warns atomic.Uint64
	errs  atomic.Uint64
	shown atomic.Int64
	limit int64
}

type logCounts struct {
	Warnings uint64 `json:"warnings"`
	Errors   uint64 `json:"errors"`
}

func newCountingHandler(w io.Writer, level slog.Level, show int) *countingHandler {
	if w == nil {
		w = io.Discard
	}
	return &countingHandler{inner: slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}), limit: int64(show)}
}

func (h *countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.errs.Add(1)
	} else {
		h.warns.Add(1)
	}
	if h.shown.Add(1) <= h.limit {
		return h.inner.Handle(ctx, r)
	}
	return nil
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &derivedHandler{root: h, inner: h.inner.WithAttrs(attrs)}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &derivedHandler{root: h, inner: h.inner.WithGroup(name)}
}

func (h *countingHandler) counts() logCounts {
	return logCounts{Warnings: h.warns.Load(), Errors: h.errs.Load()}
}

// derivedHandler shares its root's counters.
type derivedHandler struct {
	root  *countingHandler
	inner slog.Handler
}

func (d *derivedHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return d.inner.Enabled(ctx, l)
}

func (d *derivedHandler) Handle(ctx context.Context, r slog.Record) error {
	h := d.root
	if r.Level >= slog.LevelError {
		h.errs.Add(1)
	} else {
		h.warns.Add(1)
	}
	if h.shown.Add(1) <= h.limit {
		return d.inner.Handle(ctx, r)
	}
	return nil
}

func (d *derivedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &derivedHandler{root: d.root, inner: d.inner.WithAttrs(attrs)}
}

func (d *derivedHandler) WithGroup(name string) slog.Handler {
	return &derivedHandler{root: d.root, inner: d.inner.WithGroup(name)}
}
