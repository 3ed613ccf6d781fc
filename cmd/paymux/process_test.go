package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/testutil/pgtest"
)

// These tests run the real binary as a separate process, so that kill -9 is a real
// crash: no deferred cleanup, no graceful shutdown, the OS drops the locks.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paymux-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "paymux")
	if out, err := exec.Command("go", "build", "-race", "-o", binary, ".").CombinedOutput(); err != nil {
		// -race needs cgo; fall back to a plain build rather than skip the tests.
		if out2, err2 := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err2 != nil {
			fmt.Fprintf(os.Stderr, "build paymux: %v\n%s\n%s", err2, out, out2)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a paymux serve process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

var apiLineRE = regexp.MustCompile(`API\s+(http://127\.0\.0\.1:\d+)/v1`)

// startServer starts paymux serve on a port of its own choosing (the banner says
// which), with env added to the test's environment, and waits until it is ready.
// Letting the server pick the port avoids two parallel tests being handed the same
// "free" port.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	s := &server{t: t, done: make(chan struct{})}
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Env = append(os.Environ(), append([]string{"PAYMUX_ADDR=127.0.0.1:0", "PAYMUX_LOG_LEVEL=warn",
		"PAYMUX_MASTER_KEY=" + strings.Repeat("cd", 32)}, env...)...)
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	go func() { s.cmd.Wait(); pw.Close(); close(s.done) }()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := apiLineRE.FindStringSubmatch(s.output()); m != nil {
			s.base = m[1]
			if resp, err := http.Get(s.base + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return s
				}
			}
		}
		select {
		case <-s.done:
			t.Fatalf("paymux exited before it was ready:\n%s", s.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("paymux not ready after 30s:\n%s", s.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// kill crashes the process the hard way.
func (s *server) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
	}
}

var testKeyRE = regexp.MustCompile(`Test secret key\s+(sk_test_\w+)`)

func (s *server) testKey() string {
	s.t.Helper()
	m := testKeyRE.FindStringSubmatch(s.output())
	if m == nil {
		s.t.Fatalf("no test key in the banner:\n%s", s.output())
	}
	return m[1]
}

func call(t *testing.T, method, url, key, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// databases runs fn on a fresh SQLite data directory and a fresh PostgreSQL database.
func databases(t *testing.T, fn func(t *testing.T, env []string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, []string{"PAYMUX_DATA_DIR=" + t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, []string{"PAYMUX_DATA_DIR=" + t.TempDir(), "PAYMUX_DATABASE_URL=" + pgtest.URL(t)})
	})
}

func eventTypes(t *testing.T, base, key, id string) []string {
	t.Helper()
	_, list := call(t, "GET", base+"/v1/payments/"+id+"/events", key, "")
	var out []string
	data, _ := list["data"].([]any)
	for _, e := range data {
		out = append(out, e.(map[string]any)["type"].(string))
	}
	return out
}

func TestKill9WhileProcessingStillSettles(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, env []string) {
		env = append(env, "PAYMUX_SANDBOX_SETTLE_AFTER=2s")
		s := startServer(t, env...)
		key := s.testKey()
		code, p := call(t, "POST", s.base+"/v1/payments", key, `{"amount":1000,"currency":"EUR"}`)
		if code != 201 {
			t.Fatalf("create: %d %v", code, p)
		}
		id := p["id"].(string)
		if code, p = call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_processing"}`); code != 200 || p["status"] != "processing" {
			t.Fatalf("confirm: %d %v", code, p)
		}
		s.kill()
		s = startServer(t, env...)
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, p = call(t, "GET", s.base+"/v1/payments/"+id, key, "")
			if p["status"] == "succeeded" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("payment %v 60s after restart\n%s", p["status"], s.output())
			}
			time.Sleep(100 * time.Millisecond)
		}
		got := strings.Join(eventTypes(t, s.base, key, id), ",")
		if got != "payment.created,payment.processing,payment.succeeded" {
			t.Fatalf("history after crash: %s", got)
		}
	})
}

func TestIdempotencyKeyLeftByACrashCompletesOnce(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, env []string) {
		s := startServer(t, append(env, "PAYMUX_SANDBOX_LATENCY=3s")...)
		key := s.testKey()
		_, p := call(t, "POST", s.base+"/v1/payments", key, `{"amount":1000,"currency":"EUR"}`)
		id := p["id"].(string)
		go call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`, "Idempotency-Key", "confirm-1")
		time.Sleep(time.Second) // the confirm is now waiting on the sandbox
		s.kill()
		crashed := time.Now()
		s = startServer(t, env...)
		for {
			code, p := call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`, "Idempotency-Key", "confirm-1")
			if code == 200 {
				if p["status"] != "succeeded" {
					t.Fatalf("retried confirm: %v", p)
				}
				break
			}
			if code != 409 {
				t.Fatalf("retry answered %d %v", code, p)
			}
			if time.Since(crashed) > 90*time.Second {
				t.Fatal("the key left by the crash still blocks 90s later")
			}
			time.Sleep(time.Second)
		}
		// A replay now returns the same answer, and the payment was confirmed once.
		code, p := call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`, "Idempotency-Key", "confirm-1")
		if code != 200 || p["status"] != "succeeded" {
			t.Fatalf("replay: %d %v", code, p)
		}
		if got := strings.Join(eventTypes(t, s.base, key, id), ","); got != "payment.created,payment.succeeded" {
			t.Fatalf("history: %s", got)
		}
	})
}

func TestSecondServerOnOneDataDirExitsAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	startServer(t, "PAYMUX_DATA_DIR="+dir)
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "PAYMUX_DATA_DIR="+dir, "PAYMUX_ADDR=127.0.0.1:0", "PAYMUX_MASTER_KEY="+strings.Repeat("cd", 32))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("second serve on the same data dir did not fail:\n%s", out)
	}
	if time.Since(start) > 10*time.Second || !strings.Contains(string(out), "another paymux process") {
		t.Fatalf("second serve took %s and said:\n%s", time.Since(start), out)
	}
}

func TestAdminCommandsPrintJSONAgainstTheRunningDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, "PAYMUX_DATA_DIR="+dir)
	admin := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"admin"}, args...)...)
		cmd.Env = append(os.Environ(), "PAYMUX_DATA_DIR="+dir, "PAYMUX_MASTER_KEY="+strings.Repeat("cd", 32))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("admin %v: %v\n%s", args, err, stderr.String())
		}
		var m map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
			t.Fatalf("admin %v printed no JSON object: %q", args, stdout.String())
		}
		return m
	}
	m := admin("merchant", "create", "--name", "Second Shop")
	for _, k := range []string{"id", "test_secret_key", "test_publishable_key", "live_secret_key", "live_publishable_key"} {
		if v, _ := m[k].(string); v == "" {
			t.Fatalf("merchant create lacks %s: %v", k, m)
		}
	}
	key := m["test_secret_key"].(string)
	if code, _ := call(t, "POST", s.base+"/v1/payments", key, `{"amount":100,"currency":"EUR"}`); code != 201 {
		t.Fatalf("new merchant's key refused by the running server: %d", code)
	}
	k := admin("key", "create", "--merchant", m["id"].(string))
	if code, _ := call(t, "GET", s.base+"/v1/payments", k["key"].(string), ""); code != 200 {
		t.Fatalf("created key refused: %d", code)
	}
	admin("key", "revoke", k["key"].(string))
	// The server caches keys for up to two seconds; a revocation by another process
	// must take effect within that.
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := call(t, "GET", s.base+"/v1/payments", k["key"].(string), "")
		if code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked key still works after 5s: %d", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	u := admin("user", "create", "--email", "ops@shop.example", "--role", "operator")
	if u["email"] != "ops@shop.example" || u["password"] == "" {
		t.Fatalf("user create: %v", u)
	}
}

func TestKill9DuringTheProviderCallEndsInTheTrueState(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, env []string) {
		// The sandbox takes 2s to hear the call and 2s to answer: at 3s it has
		// charged the card and paymux has not heard of it.
		s := startServer(t, append(env, "PAYMUX_SANDBOX_LATENCY=4s")...)
		key := s.testKey()
		_, p := call(t, "POST", s.base+"/v1/payments", key, `{"amount":1000,"currency":"EUR"}`)
		id := p["id"].(string)
		go call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`)
		time.Sleep(3 * time.Second)
		s.kill()
		crashed := time.Now()
		s = startServer(t, env...)
		for {
			_, p = call(t, "GET", s.base+"/v1/payments/"+id, key, "")
			if p["status"] == "succeeded" {
				break
			}
			if time.Since(crashed) > 90*time.Second {
				t.Fatalf("payment still %v 90s after the crash", p["status"])
			}
			time.Sleep(500 * time.Millisecond)
		}
		if got := strings.Join(eventTypes(t, s.base, key, id), ","); got != "payment.created,payment.succeeded" {
			t.Fatalf("history: %s", got)
		}
	})
}
