package providertest

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Return is the shopper's way back to paymux, as the provider sends it: a GET of the
// return URL with the provider's parameters, or a POST of a form to it.
type Return struct {
	Method string
	URL    string
	Form   url.Values
}

// shopper walks the provider's pages as a browser would, without JavaScript: it
// follows redirects, answers a page's form (action=complete to pass 3-D Secure or
// approve, action=fail to fail or cancel), submits auto-posting forms, and stops at
// the first step back to paymux, which it returns for the test to take when it
// chooses (before or after the provider's webhooks, once or twice).
type shopper struct {
	paymuxURL string
	client    *http.Client
}

func newShopper(paymuxURL string) *shopper {
	s := &shopper{paymuxURL: paymuxURL}
	s.client = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		// Stop before paymux's return, and where paymux sends the shopper on (the
		// merchant's shop, not a server in this test).
		if s.toPaymux(req.URL.String()) || s.toPaymux(via[len(via)-1].URL.String()) || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return s
}

// toPaymux reports whether u is paymux's return page (its hosted pages, such as the
// sandbox's challenge, are the provider's side).
func (s *shopper) toPaymux(u string) bool { return strings.HasPrefix(u, s.paymuxURL+"/pay/") }

var (
	reForm   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	reAction = regexp.MustCompile(`(?i)\baction="([^"]*)"`)
	reMethod = regexp.MustCompile(`(?i)\bmethod="([^"]*)"`)
	reHidden = regexp.MustCompile(`(?i)<input\b[^>]*\btype="hidden"[^>]*>`)
	reName   = regexp.MustCompile(`(?i)\bname="([^"]*)"`)
	reValue  = regexp.MustCompile(`(?i)\bvalue="([^"]*)"`)
	reButton = regexp.MustCompile(`(?i)<button\b[^>]*\bname="action"[^>]*\bvalue="([^"]*)"`)
)

// walk opens start (a next_action.redirect_url) and goes through the provider's
// pages, answering them with approve, until the provider sends the shopper back to
// paymux.
func (s *shopper) walk(t testing.TB, start string, approve bool) Return {
	t.Helper()
	method, target, form := http.MethodGet, start, url.Values(nil)
	for range 10 {
		if s.toPaymux(target) {
			return Return{Method: method, URL: target, Form: form}
		}
		resp := s.do(t, method, target, form)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			next, err := resp.Request.URL.Parse(loc)
			if err != nil {
				t.Fatalf("shopper: bad redirect %q: %v", loc, err)
			}
			method, target, form = http.MethodGet, next.String(), nil
			continue
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("shopper: %s %s answered %d: %s", method, target, resp.StatusCode, body)
		}
		m := reForm.FindSubmatch(body)
		if m == nil {
			t.Fatalf("shopper: the page at %s has no form to answer:\n%s", target, body)
		}
		attrs, inner := string(m[1]), string(m[2])
		if mm := reMethod.FindStringSubmatch(attrs); mm != nil && !strings.EqualFold(mm[1], "post") {
			t.Fatalf("shopper: the form at %s is not a POST form", target)
		}
		action := resp.Request.URL
		if a := reAction.FindStringSubmatch(attrs); a != nil {
			u, err := resp.Request.URL.Parse(html.UnescapeString(a[1]))
			if err != nil {
				t.Fatalf("shopper: bad form action %q: %v", a[1], err)
			}
			action = u
		}
		form = url.Values{}
		for _, in := range reHidden.FindAllString(inner, -1) {
			n, v := reName.FindStringSubmatch(in), reValue.FindStringSubmatch(in)
			if n != nil {
				val := ""
				if v != nil {
					val = html.UnescapeString(v[1])
				}
				form.Add(html.UnescapeString(n[1]), val)
			}
		}
		if buttons := reButton.FindAllStringSubmatch(inner, -1); len(buttons) > 0 {
			choice := map[bool]string{true: "complete", false: "fail"}[approve]
			found := false
			for _, b := range buttons {
				found = found || b[1] == choice
			}
			if !found {
				t.Fatalf("shopper: the page at %s offers no %q button", target, choice)
			}
			form.Set("action", choice)
		}
		method, target = http.MethodPost, action.String()
	}
	t.Fatalf("shopper: no way back to paymux after 10 pages from %s", start)
	return Return{}
}

// back takes the way back to paymux and returns where paymux sends the shopper:
// the merchant's return_url, with payment_id and status. It may run on any
// goroutine: it reports failures as errors.
func (s *shopper) back(r Return) (*url.URL, error) {
	var body io.Reader
	if r.Method == http.MethodPost {
		body = strings.NewReader(r.Form.Encode())
	}
	req, err := http.NewRequest(r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	if r.Method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("shopper: %s %s: %w", r.Method, r.URL, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("shopper: paymux's return %s %s answered %d, want 303 to the shop: %s", r.Method, r.URL, resp.StatusCode, b)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, fmt.Errorf("shopper: paymux sent the shopper to %q: %w", resp.Header.Get("Location"), err)
	}
	return u, nil
}

func (s *shopper) do(t testing.TB, method, target string, form url.Values) *http.Response {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatalf("shopper: %v", err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	resp, err := s.client.Do(req)
	if err != nil && !errors.Is(err, http.ErrUseLastResponse) {
		t.Fatalf("shopper: %s %s: %v", method, target, err)
	}
	return resp
}
