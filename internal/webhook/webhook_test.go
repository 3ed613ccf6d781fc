package webhook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/pkg/paymuxwebhook"
)

// fakeResolver answers from a table, and can change its answers (DNS rebinding).
type fakeResolver struct {
	mu    sync.Mutex
	hosts map[string][]string
}

func (f *fakeResolver) set(host string, ips ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts[host] = ips
}

func (f *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ips, ok := f.hosts[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

func newResolver() *fakeResolver {
	return &fakeResolver{hosts: map[string][]string{
		"shop.example":     {"93.184.215.14"},
		"internal.example": {"10.1.2.3"},
		"mixed.example":    {"93.184.215.14", "192.168.1.20"},
		"meta.example":     {"169.254.169.254"},
		"v6.example":       {"2606:4700::6810:85e5"},
		"v6local.example":  {"fd00::1"},
	}}
}

func TestBlocked(t *testing.T) {
	t.Parallel()
	for ip, blocked := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::1": true, "10.0.0.1": true, "172.16.0.1": true,
		"172.31.255.255": true, "192.168.0.1": true, "169.254.169.254": true, "fe80::1": true,
		"fc00::1": true, "fd12:3456::1": true, "0.0.0.0": true, "::": true, "100.64.0.1": true,
		"224.0.0.1": true, "255.255.255.255": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true,
		"64:ff9b::a00:1": true, "198.18.0.1": true,
		"93.184.215.14": false, "8.8.8.8": false, "172.32.0.1": false, "2606:4700::6810:85e5": false,
		"64:ff9b::808:808": false, "::ffff:8.8.8.8": false,
	} {
		if got := Blocked(netip.MustParseAddr(ip)) != ""; got != blocked {
			t.Errorf("Blocked(%s) = %q, want blocked %v", ip, Blocked(netip.MustParseAddr(ip)), blocked)
		}
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	c := NewClient(Options{Resolver: newResolver()})
	ctx := context.Background()
	for _, tc := range []struct {
		live bool
		url  string
		want string // "" for accepted, else a part of the message
	}{
		{false, "http://127.0.0.1:8080/hook", ""},
		{false, "http://localhost:3000/webhooks", ""},
		{false, "http://169.254.169.254/latest", ""},
		{false, "https://internal.example/x?token=1", ""},
		{true, "https://shop.example/webhooks/paymux?k=v", ""},
		{true, "https://93.184.215.14/hook", ""},
		{true, "https://v6.example/hook", ""},
		{true, "https://[2606:4700::6810:85e5]:8443/hook", ""},
		{true, "http://shop.example/hook", "must use https:// in live mode"},
		{true, "http://127.0.0.1/hook", "points to 127.0.0.1, a loopback address"},
		{true, "http://169.254.169.254/latest/meta-data", "a link-local address"},
		{true, "http://localhost:3000/hook", "points to localhost"},
		{true, "https://127.0.0.1/hook", "points to 127.0.0.1, a loopback address"},
		{true, "https://169.254.169.254/latest/meta-data", "points to 169.254.169.254, a link-local address"},
		{true, "https://10.0.0.8/hook", "a private network address"},
		{true, "https://[::1]/hook", "points to ::1, a loopback address"},
		{true, "https://[fd00::1]/hook", "a private network address"},
		{true, "https://localhost/hook", "points to localhost"},
		{true, "https://api.localhost/hook", "a name for this machine"},
		{true, "https://internal.example/hook", "internal.example, which resolves to 10.1.2.3, a private network address"},
		{true, "https://mixed.example/hook", "resolves to 192.168.1.20"},
		{true, "https://meta.example/hook", "169.254.169.254, a link-local address"},
		{true, "https://v6local.example/hook", "fd00::1, a private network address"},
		{true, "https://nowhere.example/hook", "does not resolve (no such host)"},
		{false, "", "url is required"},
		{false, "ftp://shop.example/x", "must start with https://"},
		{false, "/relative/path", "must start with https://"},
		{false, "https://user:pw@shop.example/x", "user name or password"},
		{false, "https://shop.example/x#frag", "#fragment"},
		{false, "https:///nohost", "no host"},
		{false, "https://shop.example/" + strings.Repeat("x", MaxURLLength), "at most 2048"},
	} {
		got, err := c.CheckURL(ctx, tc.live, tc.url)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckURL(live=%v, %s): %v", tc.live, tc.url, err)
		case tc.want == "" && got != tc.url:
			t.Errorf("CheckURL(live=%v, %s) = %s", tc.live, tc.url, got)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckURL(live=%v, %s): %v, want an error saying %q", tc.live, tc.url, err, tc.want)
		case tc.want != "" && payment.ErrorKind(err) != payment.KindInvalid:
			t.Errorf("CheckURL(live=%v, %s): %v is not a 400", tc.live, tc.url, err)
		}
		if tc.live && tc.want != "" && strings.Contains(tc.want, "address") && !strings.Contains(err.Error(), "test key (sk_test_…)") {
			t.Errorf("the refusal of %s does not say how to develop locally: %v", tc.url, err)
		}
	}
	// The real resolver: localhost is refused by name before any lookup, and a
	// literal loopback address without one.
	real := NewClient(Options{})
	for _, u := range []string{"https://localhost:8443/x", "https://127.0.0.1/x"} {
		if _, err := real.CheckURL(ctx, true, u); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("live %s: %v", u, err)
		}
	}
}

func TestSendSignsAndRecords(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotBody = r, must(io.ReadAll(r.Body))
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(strings.Repeat("é", 2000))) // 4000 bytes: cut at a character boundary
	}))
	t.Cleanup(srv.Close)
	c := NewClient(Options{})
	body := []byte(`{"id":"evt_1","object":"event","type":"payment.succeeded"}`)
	res := c.Send(context.Background(), Request{URL: srv.URL + "/hook?x=1", Body: body, EventID: "evt_1", DeliveryID: "whd_1",
		Attempt: 3, Secrets: []string{"whsec_new", "whsec_old"}, At: time.Now()})
	if !res.OK() || res.Status != 202 || res.Error != "" || res.Latency <= 0 {
		t.Fatalf("result %+v", res)
	}
	if len(res.Excerpt) > MaxExcerpt || len(res.Excerpt) < MaxExcerpt-1 || !strings.HasPrefix(res.Excerpt, "éé") || strings.ContainsRune(res.Excerpt, '\uFFFD') {
		t.Errorf("excerpt of %d bytes: %q", len(res.Excerpt), res.Excerpt)
	}
	if got.Method != "POST" || got.URL.RawQuery != "x=1" || string(gotBody) != string(body) ||
		got.Header.Get("Content-Type") != "application/json" || got.Header.Get(paymuxwebhook.EventIDHeader) != "evt_1" ||
		got.Header.Get(DeliveryIDHeader) != "whd_1" || got.Header.Get(AttemptHeader) != "3" {
		t.Fatalf("request %s %s %v %s", got.Method, got.URL, got.Header, gotBody)
	}
	sig := got.Header.Get(paymuxwebhook.SignatureHeader)
	if strings.Count(sig, "v1=") != 2 {
		t.Errorf("signature %q: want one v1 per secret", sig)
	}
	for _, s := range []string{"whsec_new", "whsec_old"} {
		if err := paymuxwebhook.Verify(gotBody, sig, s, 0); err != nil {
			t.Errorf("verify with %s: %v", s, err)
		}
	}
	if err := paymuxwebhook.Verify(gotBody, sig, "whsec_other", 0); !errors.Is(err, paymuxwebhook.ErrNoValidSignature) {
		t.Errorf("verify with another secret: %v", err)
	}
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "https://elsewhere.example/hook", http.StatusFound)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/binary":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte{'o', 'k', 0, 0xff, 0xfe, '!'})
		}
	}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	c := NewClient(Options{Timeout: 100 * time.Millisecond})
	send := func(u string) Result {
		return c.Send(context.Background(), Request{URL: u, Body: []byte(`{}`), EventID: "evt_1", Secrets: []string{"whsec_x"}, At: time.Now()})
	}
	if r := send(srv.URL + "/redirect"); r.OK() || r.Status != 302 || !strings.Contains(r.Error, "redirects are not followed") || !strings.Contains(r.Error, "elsewhere.example") {
		t.Errorf("redirect: %+v", r)
	}
	if r := send(srv.URL + "/slow"); r.OK() || r.Status != 0 || !strings.Contains(r.Error, "no answer within 100ms") {
		t.Errorf("slow: %+v", r)
	}
	if r := send(srv.URL + "/binary"); r.OK() || r.Status != 500 || r.Excerpt != "ok\uFFFD!" || !strings.Contains(r.Error, "answered HTTP 500") {
		t.Errorf("binary: %+v", r)
	}
	if r := send(closedURL); r.OK() || r.Status != 0 || !strings.Contains(r.Error, "connection refused") || strings.Contains(r.Error, closedURL) {
		t.Errorf("closed: %+v", r)
	}
}

// In live mode every connection is checked, including one to a name that resolved
// to a public address when the endpoint was saved and to a private one now.
func TestSendLiveRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	res := newResolver()
	c := NewClient(Options{Resolver: res})
	ctx := context.Background()
	if _, err := c.CheckURL(ctx, true, "https://rebind.example/hook"); err == nil {
		t.Fatal("an unknown name was accepted")
	}
	res.set("rebind.example", "93.184.215.14")
	if _, err := c.CheckURL(ctx, true, "https://rebind.example/hook"); err != nil {
		t.Fatal(err)
	}
	res.set("rebind.example", "127.0.0.1")
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	for _, u := range []string{"https://rebind.example" + port + "/hook", srv.URL + "/hook", "https://internal.example/hook"} {
		r := c.Send(ctx, Request{URL: u, Livemode: true, Body: []byte(`{}`), Secrets: []string{"whsec_x"}, At: time.Now()})
		if r.OK() || r.Status != 0 || !strings.Contains(r.Error, "refused to connect") || !strings.Contains(r.Error, "address") {
			t.Errorf("live %s: %+v", u, r)
		}
	}
	if r := c.Send(ctx, Request{URL: "http://shop.example/hook", Livemode: true, Body: []byte(`{}`), At: time.Now()}); !strings.Contains(r.Error, "https only") {
		t.Errorf("live http: %+v", r)
	}
	if hits.Load() != 0 {
		t.Fatalf("the server was reached %d times", hits.Load())
	}
	// Test mode connects anywhere: the same TLS server (with its own certificate) is
	// reached; the certificate is not trusted, which shows the connection was made.
	r := c.Send(ctx, Request{URL: srv.URL + "/hook", Body: []byte(`{}`), At: time.Now()})
	if !strings.Contains(r.Error, "certificate") {
		t.Errorf("test mode: %+v", r)
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	s, err := ParseSchedule(" 50ms, 100ms ,200ms")
	if err != nil || !slices.Equal(s, Schedule{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}) || s.String() != "50ms,100ms,200ms" {
		t.Fatalf("%v %v", s, err)
	}
	for attempt, base := range map[int]time.Duration{1: 50 * time.Millisecond, 2: 100 * time.Millisecond, 3: 200 * time.Millisecond} {
		for range 100 {
			d, ok := s.Next(attempt)
			if !ok || d < base || d > base+base/10 {
				t.Fatalf("Next(%d) = %v %v, want %v plus up to 10%%", attempt, d, ok, base)
			}
		}
	}
	if _, ok := s.Next(4); ok {
		t.Fatal("a fourth retry after a schedule of three")
	}
	for _, bad := range []string{"", "1m,", "1m,-5s", "0s", "soon", strings.Repeat("1s,", MaxScheduleEntries) + "1s"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
	if span := DefaultSchedule.Span(); span < 72*time.Hour || span > 80*time.Hour {
		t.Errorf("the default schedule spans %s, want about 3 days", span)
	}
}

func TestNormalizeEvents(t *testing.T) {
	t.Parallel()
	got, err := NormalizeEvents([]string{"refund.succeeded", "payment.succeeded", "refund.succeeded"})
	if err != nil || !slices.Equal(got, []string{"payment.succeeded", "refund.succeeded"}) {
		t.Fatalf("%v %v", got, err)
	}
	if got, err := NormalizeEvents([]string{"payment.failed", "*"}); err != nil || !slices.Equal(got, []string{"*"}) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range [][]string{nil, {}, {"payment.exploded"}, {"payment.*"}} {
		if _, err := NormalizeEvents(bad); err == nil {
			t.Errorf("NormalizeEvents(%v) accepted", bad)
		}
	}
	if _, err := NormalizeEvents([]string{"payment.nope"}); !strings.Contains(err.Error(), "payment.succeeded") {
		t.Errorf("the message does not list the event types: %v", err)
	}
	if !Matches([]string{"*"}, "refund.failed") || !Matches([]string{"refund.failed"}, "refund.failed") || Matches([]string{"payment.succeeded"}, "payment.failed") {
		t.Error("Matches")
	}
	if s := NewSecret(); !strings.HasPrefix(s, "whsec_") || len(s) != 38 || s == NewSecret() {
		t.Errorf("NewSecret %q", s)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
