package main

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// privatePostgres starts a PostgreSQL cluster of the test's own, so that the test
// can stop and restart it without disturbing other tests.
type privatePostgres struct {
	t      *testing.T
	dir    string
	bindir string
	url    string
}

func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bindir, err := exec.Command("../../scripts/pg-start", "--check").Output()
	if err != nil {
		t.Fatalf("no PostgreSQL binaries (install Debian's postgresql): %v", err)
	}
	dir, err := os.MkdirTemp("", "paymux-pg.")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("../../scripts/pg-start", dir).Output()
	if err != nil {
		t.Fatalf("pg-start: %v", err)
	}
	m := regexp.MustCompile(`PAYMUX_TEST_POSTGRES_URL='([^']+)'`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pg-start printed no URL: %s", out)
	}
	pg := &privatePostgres{t: t, dir: dir, bindir: strings.TrimSpace(string(bindir)), url: string(m[1])}
	t.Cleanup(func() { _ = exec.Command("../../scripts/pg-stop", dir).Run() })
	return pg
}

func (pg *privatePostgres) ctl(args ...string) {
	pg.t.Helper()
	argv := append([]string{filepath.Join(pg.bindir, "pg_ctl"), "-D", filepath.Join(pg.dir, "data")}, args...)
	if os.Geteuid() == 0 {
		argv = append([]string{"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"}, argv...)
	}
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		pg.t.Fatalf("pg_ctl %v: %v\n%s", args, err, out)
	}
}

func (pg *privatePostgres) stop() { pg.ctl("stop", "-m", "immediate", "-w") }

func (pg *privatePostgres) start() {
	u, _ := url.Parse(pg.url)
	pg.ctl("start", "-w", "-l", filepath.Join(pg.dir, "postgres.log"), "-o", "-p "+u.Port())
}

func TestDatabaseOutageAnswers503AndRecovers(t *testing.T) {
	t.Parallel()
	pg := startPrivatePostgres(t)
	s := startServer(t, "PAYMUX_DATA_DIR="+t.TempDir(), "PAYMUX_DATABASE_URL="+pg.url)
	key := s.testKey()
	code, p := call(t, "POST", s.base+"/v1/payments", key, `{"amount":1000,"currency":"EUR"}`)
	if code != 201 {
		t.Fatalf("create before outage: %d %v", code, p)
	}
	id := p["id"].(string)

	pg.stop()
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/readyz", ""},
		{"POST", "/v1/payments", `{"amount":1000,"currency":"EUR"}`},
		{"POST", "/v1/payments/" + id + "/confirm", `{"payment_method":"pm_card_visa"}`},
		{"GET", "/v1/payments/" + id, ""},
	} {
		code, body := call(t, c.method, s.base+c.path, key, c.body)
		if code != 503 {
			t.Fatalf("%s %s during the outage: %d %v", c.method, c.path, code, body)
		}
		if c.path != "/readyz" {
			e, _ := body["error"].(map[string]any)
			if e["type"] != "api_error" || e["code"] != "database_unavailable" {
				t.Fatalf("%s %s error: %v", c.method, c.path, body)
			}
		}
	}

	pg.start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := call(t, "GET", s.base+"/readyz", "", ""); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready 30s after the database came back:\n%s", s.output())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, p := call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`); code != 200 || p["status"] != "succeeded" {
		t.Fatalf("confirm after recovery: %d %v", code, p)
	}
	_, list := call(t, "GET", s.base+"/v1/payments", key, "")
	if data, _ := list["data"].([]any); len(data) != 1 {
		t.Fatalf("the outage left %d payments, want exactly the one created before it", len(data))
	}
}
