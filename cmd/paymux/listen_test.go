package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/pkg/paymuxwebhook"
)

// syncBuffer is an io.Writer tests can read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// paymux listen forwards a running server's test events to a local URL, signed with
// the session's secret, in order; when its connection drops it reconnects and
// forwards what happened meanwhile, each event once.
func TestListenForwardsEventsAndResumes(t *testing.T) {
	t.Parallel()
	s := startServer(t, "PAYMUX_DATA_DIR="+t.TempDir())
	key := s.testKey()
	const secret = "whsec_listenTestSecret0123456789abcdef"

	type got struct{ id, typ, payment string }
	var mu sync.Mutex
	var received []got
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := paymuxwebhook.ConstructEvent(body, r.Header.Get(paymuxwebhook.SignatureHeader), secret, 0)
		if err != nil || r.URL.Path != "/hooks" || r.Header.Get(paymuxwebhook.EventIDHeader) != ev.ID {
			t.Errorf("forwarded request %s does not verify: %v %v", r.URL.Path, err, r.Header)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		received = append(received, got{ev.ID, ev.Type, ev.PaymentID})
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	target, _ := url.Parse(s.base)
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		FlushInterval: -1,
	})
	t.Cleanup(proxy.Close)

	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"listen", "--forward-to", rcv.URL + "/hooks", "--api", proxy.URL,
			"--api-key", key, "--secret", secret, "--events", "payment.created,payment.succeeded"}, out, out)
	}()
	waitOutput := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q from paymux listen after 20s:\n%s", what, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitReceived := func(n int) []got {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			r := append([]got(nil), received...)
			mu.Unlock()
			if len(r) >= n {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d events forwarded after 20s:\n%s", len(r), n, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	pay := func() string {
		t.Helper()
		code, p := call(t, "POST", s.base+"/v1/payments", key, `{"amount":1500,"currency":"EUR"}`)
		if code != 201 {
			t.Fatalf("create: %d %v", code, p)
		}
		id := p["id"].(string)
		if code, p = call(t, "POST", s.base+"/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`); code != 200 {
			t.Fatalf("confirm: %d %v", code, p)
		}
		return id
	}

	waitOutput("Ready!")
	if !strings.Contains(out.String(), secret) {
		t.Errorf("the banner does not show the signing secret:\n%s", out.String())
	}
	first := pay()
	waitReceived(2)
	proxy.CloseClientConnections() // the connection drops…
	second := pay()                // …and this happens while listen is away
	waitOutput("Reconnected.")
	waitReceived(4)
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
	mu.Lock()
	all := append([]got(nil), received...)
	mu.Unlock()
	want := []got{{"", "payment.created", first}, {"", "payment.succeeded", first},
		{"", "payment.created", second}, {"", "payment.succeeded", second}}
	if len(all) != len(want) {
		t.Fatalf("forwarded %v, want %d events", all, len(want))
	}
	for i, w := range want {
		if all[i].typ != w.typ || all[i].payment != w.payment {
			t.Errorf("event %d: %s of %s, want %s of %s", i, all[i].typ, all[i].payment, w.typ, w.payment)
		}
	}
	if !strings.Contains(out.String(), "--> payment.succeeded ["+all[3].id+"]") ||
		!strings.Contains(out.String(), "<-- [200] POST "+rcv.URL+"/hooks ["+all[3].id+"]") {
		t.Errorf("the output does not report the forward of %s:\n%s", all[3].id, out.String())
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit %d after ^C:\n%s", code, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("paymux listen still running 10s after ^C")
	}
}

// paymux listen refuses what cannot work, before connecting, and says what to do.
func TestListenRefusesBadArguments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no forward-to", []string{"--api-key", "sk_test_x"}, 1, "--forward-to is required"},
		{"no key", []string{"--forward-to", "http://localhost:3000/hooks", "--api-key", ""}, 1, "--api-key sk_test_"},
		{"live key", []string{"--forward-to", "http://localhost:3000/hooks", "--api-key", "sk_live_abc"}, 1, "test events only"},
		{"publishable key", []string{"--forward-to", "http://localhost:3000/hooks", "--api-key", "pk_test_abc"}, 1, "publishable keys"},
		{"not a URL", []string{"--forward-to", "localhost:3000", "--api-key", "sk_test_x"}, 1, "not an http(s) URL"},
		{"bad secret", []string{"--forward-to", "http://localhost:3000/hooks", "--api-key", "sk_test_x", "--secret", "abc"}, 1, "whsec_"},
		{"extra argument", []string{"--forward-to", "http://localhost:3000/hooks", "now"}, 2, "Usage: paymux listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			code := run(t.Context(), append([]string{"listen"}, tc.args...), &out, &out)
			if code != tc.code || !strings.Contains(out.String(), tc.says) {
				t.Errorf("exit %d, output %q; want exit %d saying %q", code, out.String(), tc.code, tc.says)
			}
		})
	}
}

// A key paymux does not know ends listen at once with paymux's message, rather than
// reconnecting forever.
func TestListenStopsOnRefusedKey(t *testing.T) {
	t.Parallel()
	s := startServer(t, "PAYMUX_DATA_DIR="+t.TempDir())
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	code := run(ctx, []string{"listen", "--forward-to", "http://127.0.0.1:1/hooks", "--api", s.base,
		"--api-key", "sk_test_unknownunknownunknown"}, &out, &out)
	if code != 1 || !strings.Contains(out.String(), "401") || ctx.Err() != nil {
		t.Errorf("exit %d, output %q; want exit 1 at once with paymux's 401", code, out.String())
	}
}
