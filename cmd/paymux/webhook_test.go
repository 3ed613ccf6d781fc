package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/pkg/paymuxwebhook"
)

func TestWebhookVerifyCommand(t *testing.T) {
	t.Parallel()
	const secret = "whsec_5TqLm2Xk9TzLw1ZcRn8e9f3aQb7YdVx4"
	body := `{"id":"evt_Qm2Xk9TzLw1ZcRn8eYdVb7","object":"event","type":"payment.succeeded","created_at":"2026-11-24T20:18:05Z","livemode":false,"data":{"object":{"id":"pay_1"}}}`
	fresh := paymuxwebhook.Sign([]byte(body), time.Now(), secret)
	stale := paymuxwebhook.Sign([]byte(body), time.Now().Add(-time.Hour), secret)
	for _, tc := range []struct {
		name string
		args []string
		body string
		want error
		out  string
	}{
		{"valid", []string{"verify", "--secret", secret, "--header", fresh}, body, nil, "signature valid: payment.succeeded evt_Qm2Xk9TzLw1ZcRn8eYdVb7"},
		{"second secret of two", []string{"verify", "--secret", secret, "--header", paymuxwebhook.Sign([]byte(body), time.Now(), "whsec_other", secret)}, body, nil, "signature valid"},
		{"forged", []string{"verify", "--secret", "whsec_someoneelse", "--header", fresh}, body, paymuxwebhook.ErrNoValidSignature, "check the secret"},
		{"body changed", []string{"verify", "--secret", secret, "--header", fresh}, body + "\n", paymuxwebhook.ErrNoValidSignature, "exactly as received"},
		{"stale", []string{"verify", "--secret", secret, "--header", stale}, body, paymuxwebhook.ErrTimestampOutsideTolerance, "--tolerance -1"},
		{"stale, wider tolerance", []string{"verify", "--secret", secret, "--header", stale, "--tolerance", "2h"}, body, nil, "signature valid"},
		{"stale, no time check", []string{"verify", "--secret", secret, "--header", stale, "--tolerance", "-1s"}, body, nil, "signature valid"},
		{"malformed header", []string{"verify", "--secret", secret, "--header", "v1=abc"}, body, paymuxwebhook.ErrInvalidHeader, "malformed"},
		{"no secret", []string{"verify", "--header", fresh}, body, errUsage, "Usage: paymux webhook verify"},
		{"no verb", nil, body, errUsage, "Usage: paymux webhook verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := cmdWebhook(context.Background(), tc.args, strings.NewReader(tc.body), &stdout, &stderr)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && tc.want != errUsage && !strings.Contains(err.Error(), tc.want.Error())) || (tc.want == errUsage && err != errUsage) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			got := stdout.String() + stderr.String()
			if err != nil {
				got += err.Error()
			}
			if !strings.Contains(got, tc.out) {
				t.Fatalf("output %q does not say %q", got, tc.out)
			}
		})
	}
}

// The real binary exits 0 for a valid signature and 1 for a bad one.
func TestWebhookVerifyExitCodes(t *testing.T) {
	t.Parallel()
	const secret = "whsec_5TqLm2Xk9TzLw1ZcRn8e9f3aQb7YdVx4"
	body := `{"id":"evt_1","object":"event","type":"refund.succeeded"}`
	for secretUsed, want := range map[string]int{secret: 0, "whsec_wrong": 1} {
		cmd := exec.Command(binary, "webhook", "verify", "--secret", secretUsed, "--header", paymuxwebhook.Sign([]byte(body), time.Now(), secret))
		cmd.Stdin = strings.NewReader(body)
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != want {
			t.Errorf("with %s: exit %d, want %d: %s", secretUsed, code, want, out)
		}
	}
}
