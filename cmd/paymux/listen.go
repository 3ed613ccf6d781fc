package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/webhook"
	"github.com/paymux/paymux/pkg/paymuxwebhook"
)

const listenUsage = `Usage: paymux listen --forward-to URL [--api-key sk_test_…] [--api URL]
                     [--events type,type] [--secret whsec_…]

Follows your test events live (GET /v1/events/stream) and POSTs each to a URL on
your machine, signed like paymux's webhooks, so that a shop running locally gets
them without a public address. It prints the signing secret to verify them with
(--secret keeps one across sessions), then one line per event and per answer.
Events are forwarded one at a time, in order; a failed forward is reported, not
retried. If the connection drops, it reconnects and resumes where it stopped.

  --forward-to  where to POST events, e.g. http://localhost:3000/hooks (required)
  --api-key     a test secret key (sk_test_…); default $PAYMUX_API_KEY
  --api         paymux's URL; default $PAYMUX_BASE_URL, else http://127.0.0.1:8080
  --events      only these event types, comma-separated (default: every event)
  --secret      sign with this secret instead of a new one
`

// listenConfig is what paymux listen runs with.
type listenConfig struct {
	api, key, forwardTo, secret string
	events                      []string
}

func cmdListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, listenUsage) }
	forward := fs.String("forward-to", "", "")
	key := fs.String("api-key", os.Getenv("PAYMUX_API_KEY"), "")
	api := fs.String("api", "", "")
	events := fs.String("events", "", "")
	secret := fs.String("secret", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, listenUsage)
		return errUsage
	}
	c := listenConfig{api: *api, key: *key, forwardTo: *forward, secret: *secret}
	if c.api == "" {
		c.api = os.Getenv("PAYMUX_BASE_URL")
	}
	if c.api == "" {
		c.api = "http://127.0.0.1:8080"
	}
	if *events != "" {
		for _, e := range strings.Split(*events, ",") {
			c.events = append(c.events, strings.TrimSpace(e))
		}
	}
	if err := c.check(); err != nil {
		return err
	}
	return listen(ctx, c, stdout)
}

// check refuses what cannot work, saying how to fix it.
func (c *listenConfig) check() error {
	switch {
	case c.forwardTo == "":
		return errors.New("--forward-to is required: the local URL to POST events to, e.g. --forward-to http://localhost:3000/hooks")
	case c.key == "":
		return errors.New("no API key: pass --api-key sk_test_… or set PAYMUX_API_KEY")
	case strings.HasPrefix(c.key, "sk_live_"):
		return errors.New("paymux listen forwards test events only: use a test secret key (sk_test_…), not a live one; live events go to webhook endpoints (POST /v1/webhook_endpoints)")
	case !strings.HasPrefix(c.key, "sk_test_"):
		return errors.New("--api-key must be a test secret key (sk_test_…); publishable keys (pk_…) cannot read events")
	}
	for name, raw := range map[string]string{"--forward-to": c.forwardTo, "--api": c.api} {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s %q is not an http(s) URL", name, raw)
		}
	}
	c.api = strings.TrimRight(c.api, "/")
	if c.secret == "" {
		c.secret = webhook.NewSecret()
	} else if !strings.HasPrefix(c.secret, webhook.SecretPrefix) {
		return fmt.Errorf("--secret must start with %s", webhook.SecretPrefix)
	}
	return nil
}

// errStreamRefused is an answer that reconnecting would not change (a bad key, a
// bad event type): listen stops with it.
type errStreamRefused struct{ msg string }

func (e errStreamRefused) Error() string { return e.msg }

// listen follows the stream until ctx ends, reconnecting after failures.
func listen(ctx context.Context, c listenConfig, out io.Writer) error {
	client := &http.Client{} // the stream has no deadline; forwards get their own
	fwd := &http.Client{Timeout: 10 * time.Second}
	last := ""
	wait := time.Second
	ready := false
	for {
		err := follow(ctx, client, c, last, func() {
			if !ready {
				ready = true
				fmt.Fprintf(out, "Ready! Forwarding test events from %s to %s\n", c.api, c.forwardTo)
				fmt.Fprintf(out, "Their signing secret is %s (this session's unless you pass --secret). ^C to stop.\n", c.secret)
			} else {
				fmt.Fprintln(out, "Reconnected.")
			}
			wait = time.Second
		}, func(id, typ string, data []byte) {
			forwardEvent(ctx, fwd, c, id, typ, data, out)
			last = id
		})
		if ctx.Err() != nil {
			return nil
		}
		var refused errStreamRefused
		if errors.As(err, &refused) {
			return err
		}
		fmt.Fprintf(out, "Connection to %s lost (%v); reconnecting in %s…\n", c.api, err, wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// follow reads one connection of the stream, calling onOpen once it is open and
// onEvent for each event. It returns when the stream or ctx ends.
func follow(ctx context.Context, client *http.Client, c listenConfig, after string, onOpen func(), onEvent func(id, typ string, data []byte)) error {
	q := url.Values{}
	if len(c.events) > 0 {
		q.Set("types", strings.Join(c.events, ","))
	}
	if after != "" {
		q.Set("after", after)
	}
	u := c.api + "/v1/events/stream"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = json.Unmarshal(body, &e)
		msg := fmt.Sprintf("paymux answered %s: %s", resp.Status, e.Error.Message)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return errStreamRefused{msg}
		}
		return errors.New(msg)
	}
	onOpen()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var id, typ string
	var data []byte
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != nil {
				onEvent(id, typ, data)
			}
			id, typ, data = "", "", nil
		case strings.HasPrefix(line, "id: "):
			id = line[len("id: "):]
		case strings.HasPrefix(line, "event: "):
			typ = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = []byte(line[len("data: "):])
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// forwardEvent POSTs one event, signed, and reports the answer.
func forwardEvent(ctx context.Context, client *http.Client, c listenConfig, id, typ string, body []byte, out io.Writer) {
	now := time.Now()
	fmt.Fprintf(out, "%s  --> %s [%s]\n", now.Format("2006-01-02 15:04:05"), typ, id)
	req, err := http.NewRequestWithContext(ctx, "POST", c.forwardTo, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(out, "%s  <-- error: %v\n", now.Format("2006-01-02 15:04:05"), err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paymux-listen/"+version)
	req.Header.Set(paymuxwebhook.SignatureHeader, paymuxwebhook.Sign(body, now, c.secret))
	req.Header.Set(paymuxwebhook.EventIDHeader, id)
	resp, err := client.Do(req)
	stamp := time.Now().Format("2006-01-02 15:04:05")
	if err != nil {
		fmt.Fprintf(out, "%s  <-- error forwarding %s to %s: %v\n", stamp, id, c.forwardTo, err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	fmt.Fprintf(out, "%s  <-- [%d] POST %s [%s]\n", stamp, resp.StatusCode, c.forwardTo, id)
}
