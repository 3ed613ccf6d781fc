package api_test

import (
	"strings"
	"testing"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

func TestMetricsCountRequestsByRoute(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite")
	id := str(createPayment(t, env, `{"amount":1000,"currency":"EUR"}`), "id")
	env.Secret("GET", "/v1/payments/"+id, nil).MustStatus(t, 200)
	env.Secret("GET", "/v1/payments/pay_missing", nil).MustStatus(t, 404)
	body := string(env.Do("GET", "/metrics", "", nil).MustStatus(t, 200).Body)
	for _, want := range []string{
		`paymux_http_requests_total{code="201",route="POST /v1/payments"} 1`,
		`paymux_http_requests_total{code="200",route="GET /v1/payments/{id}"} 1`,
		`paymux_http_requests_total{code="404",route="GET /v1/payments/{id}"} 1`,
		`paymux_http_request_duration_seconds_bucket`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, id) {
		t.Error("/metrics leaks a payment id into labels")
	}
}
