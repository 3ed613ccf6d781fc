package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paymux/paymux/pkg/paymuxwebhook"
)

// Limits of one delivery attempt.
const (
	// DefaultTimeout bounds one attempt: connection, request and response headers.
	DefaultTimeout = 10 * time.Second
	// MaxExcerpt is how much of the endpoint's answer is kept with the attempt.
	MaxExcerpt = 1024
)

// Headers set on every webhook besides the signature and the event id.
const (
	// DeliveryIDHeader names the delivery (whd_…); it stays the same on retries.
	DeliveryIDHeader = "Paymux-Delivery-Id"
	// AttemptHeader is the attempt's number, from 1.
	AttemptHeader = "Paymux-Attempt"
)

// Options configure a Client.
type Options struct {
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Resolver looks up live endpoints' hosts; nil means net.DefaultResolver.
	Resolver Resolver
	// UserAgent is sent with every request.
	UserAgent string
}

// Client checks endpoint URLs and sends signed webhooks. Live-mode requests connect
// only to public addresses: the host is resolved at every connection and each
// address is checked before it is dialled, so a name that changed to a private
// address since the endpoint was saved (DNS rebinding) is refused. Redirects are not
// followed and no proxy from the environment is used.
type Client struct {
	resolver  Resolver
	timeout   time.Duration
	userAgent string
	live      *http.Client
	test      *http.Client
}

// NewClient builds a client.
func NewClient(o Options) *Client {
	c := &Client{resolver: o.Resolver, timeout: o.Timeout, userAgent: o.UserAgent}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.userAgent == "" {
		c.userAgent = "paymux-webhooks/1"
	}
	dialer := &net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}
	transport := func(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
		return &http.Transport{
			Proxy:                 nil,
			DialContext:           dial,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   c.timeout,
			ExpectContinueTimeout: time.Second,
		}
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.test = &http.Client{Transport: transport(dialer.DialContext), CheckRedirect: noRedirect, Timeout: c.timeout}
	c.live = &http.Client{Transport: transport(c.publicDialer(dialer)), CheckRedirect: noRedirect, Timeout: c.timeout}
	return c
}

// RefusedError is a live-mode connection refused because the endpoint's host
// resolves to an address that may not receive webhooks.
type RefusedError struct {
	Host string
	IP   netip.Addr
	Why  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect: %s resolves to %s, %s (live webhooks go only to public internet addresses)", e.Host, e.IP, e.Why)
}

// publicDialer resolves the host itself and dials only addresses Blocked accepts,
// so the address checked is the address connected to.
func (c *Client) publicDialer(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip}
		} else {
			addrs, err := c.resolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, err
			}
			for _, a := range addrs {
				if ip, ok := netip.AddrFromSlice(a.IP); ok {
					ips = append(ips, ip.Unmap())
				}
			}
			if len(ips) == 0 {
				return nil, fmt.Errorf("%s has no addresses", host)
			}
		}
		var firstErr error
		for _, ip := range ips {
			if why := Blocked(ip); why != "" {
				if firstErr == nil {
					firstErr = &RefusedError{Host: host, IP: ip, Why: why}
				}
				continue
			}
			conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return conn, nil
			}
			var re *RefusedError
			if firstErr == nil || errors.As(firstErr, &re) {
				firstErr = err
			}
		}
		return nil, firstErr
	}
}

// Request is one attempt to deliver an event.
type Request struct {
	URL      string
	Livemode bool
	// Body is the event's JSON; it is the same on every attempt.
	Body       []byte
	EventID    string
	DeliveryID string
	Attempt    int
	// Secrets sign the body, each adding a v1 signature: the endpoint's secret, then
	// its previous one while a rotation's grace period lasts.
	Secrets []string
	// At is the signing time.
	At time.Time
}

// Result is what an attempt came to.
type Result struct {
	// Status is the HTTP status the endpoint answered; 0 if it did not answer.
	Status int
	// Latency is from sending the request to the response headers (or the failure).
	Latency time.Duration
	// Excerpt is the start of the answer's body: at most MaxExcerpt bytes of valid UTF-8.
	Excerpt string
	// Error says why the attempt failed; "" when the endpoint answered 2xx.
	Error string
}

// OK reports a 2xx answer: the only answer that counts as delivered.
func (r Result) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Send makes one attempt. It never returns an error: every failure is an outcome to
// record and retry, described in Result.Error.
func (c *Client) Send(ctx context.Context, r Request) Result {
	client := c.test
	if r.Livemode {
		client = c.live
		if !strings.HasPrefix(r.URL, "https://") {
			return Result{Error: "refused: live webhooks are sent over https only"}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{Error: "bad endpoint URL: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set(paymuxwebhook.SignatureHeader, paymuxwebhook.Sign(r.Body, r.At, r.Secrets...))
	req.Header.Set(paymuxwebhook.EventIDHeader, r.EventID)
	req.Header.Set(DeliveryIDHeader, r.DeliveryID)
	req.Header.Set(AttemptHeader, strconv.Itoa(r.Attempt))
	start := time.Now()
	resp, err := client.Do(req)
	latency := time.Since(start)
	if err != nil {
		return Result{Latency: latency, Error: c.describe(err)}
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, MaxExcerpt))
	// Read a little more so that the connection can be reused; never much.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res := Result{Status: resp.StatusCode, Latency: latency, Excerpt: Excerpt(excerpt)}
	switch {
	case res.OK():
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Error = fmt.Sprintf("answered HTTP %d: redirects are not followed; set the endpoint's url to where it redirects (%s)",
			resp.StatusCode, Excerpt([]byte(resp.Header.Get("Location"))))
	default:
		res.Error = fmt.Sprintf("answered HTTP %d: only a 2xx answer counts as delivered", resp.StatusCode)
	}
	return res
}

// describe turns a transport failure into a short message without the URL (which
// the delivery names already).
func (c *Client) describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var re *RefusedError
	var ne net.Error
	switch {
	case errors.As(err, &re):
		return re.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within %s", c.timeout)
	case errors.Is(err, context.Canceled):
		return "canceled: paymux was shutting down"
	}
	return Excerpt([]byte(err.Error()))
}

// Excerpt returns b as text fit to store: valid UTF-8 without NUL bytes, cut to at
// most MaxExcerpt bytes on a character boundary.
func Excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) <= MaxExcerpt {
		return s
	}
	cut := MaxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
