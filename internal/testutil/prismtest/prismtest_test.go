package prismtest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPrismValidatesRequests is the canary: a request that breaks the spec must be
// refused, or every contract test passing on Prism would mean nothing.
func TestPrismValidatesRequests(t *testing.T) {
	t.Parallel()
	base := Start(t, Spec(t, "paypal/checkout_orders_v2.fixed.json"))
	c := &http.Client{Timeout: 20 * time.Second}
	req, _ := http.NewRequest("POST", base+"/v2/checkout/orders", strings.NewReader(`{"intent":"NOT_AN_INTENT","purchase_units":[]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer x")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 && resp.StatusCode != 400 {
		t.Fatalf("Prism accepted a request that breaks the spec: %d", resp.StatusCode)
	}
}
