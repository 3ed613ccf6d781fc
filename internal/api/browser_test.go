package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

// chromium finds Debian's headless-capable Chromium; CI installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on PATH: install Debian's chromium package (.ci/run does)")
	return ""
}

func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// TestShopperPassesThreeDSecureInABrowser walks the challenge as a shopper would: a
// real browser opens the redirect, clicks, and lands back on the shop.
func TestShopperPassesThreeDSecureInABrowser(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite")
	shopHits := make(chan string, 4)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shopHits <- r.URL.RawQuery
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!doctype html><title>Thanks</title><h1 id="thanks">Thank you for your order</h1>`))
	}))
	t.Cleanup(shop.Close)

	p := createPayment(t, env, `{"amount":4990,"currency":"EUR","return_url":"`+shop.URL+`/thanks"}`)
	id := str(p, "id")
	p = confirm(t, env, id, "pm_card_threeDSecureRequired")
	challenge := str(p["next_action"].(map[string]any), "redirect_url")

	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(challenge)); err != nil {
		t.Fatalf("open the challenge: %v", err)
	}
	amount, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#amount")))
	if err != nil {
		t.Fatalf("read the amount: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#complete")), chromedp.WaitVisible(chromedp.CSS("#thanks"))); err != nil {
		t.Fatalf("complete the challenge: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#thanks")))
	if err != nil {
		t.Fatal(err)
	}
	landed, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if amount != "€49.90" {
		t.Errorf("challenge page shows %q, want €49.90", amount)
	}
	if !strings.HasPrefix(landed, shop.URL+"/thanks?") || !strings.Contains(landed, "payment_id="+id) ||
		!strings.Contains(landed, "status=succeeded") || heading == "" {
		t.Fatalf("shopper landed on %q (%q)", landed, heading)
	}
	if got := str(env.Secret("GET", "/v1/payments/"+id, nil).JSON(t), "status"); got != "succeeded" {
		t.Fatalf("payment %s after the challenge", got)
	}
}
