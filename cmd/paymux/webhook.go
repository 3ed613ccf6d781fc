package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/paymux/paymux/pkg/paymuxwebhook"
)

const webhookUsage = `Usage: paymux webhook verify --secret whsec_… --header 't=…,v1=…' [--tolerance 5m] < body

Checks that a webhook body (read from standard input, byte for byte as received)
is signed by the endpoint's secret with the given Paymux-Signature header, and
that the signature is recent. Exits 0 and names the event if it is, 1 and says why
if it is not. --tolerance 0 uses the default (5m); a negative one skips the time
check (for a body saved earlier).
`

// cmdWebhook runs the webhook helpers; verify is the one there is.
func cmdWebhook(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, webhookUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("webhook verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, webhookUsage) }
	secret := fs.String("secret", "", "the endpoint's signing secret (whsec_…)")
	header := fs.String("header", "", "the Paymux-Signature header's value")
	tolerance := fs.Duration("tolerance", paymuxwebhook.DefaultTolerance, "how old the signature may be")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *secret == "" || *header == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, webhookUsage)
		return errUsage
	}
	body, err := io.ReadAll(io.LimitReader(stdin, 16<<20))
	if err != nil {
		return fmt.Errorf("read the body from standard input: %w", err)
	}
	ev, err := paymuxwebhook.ConstructEvent(body, *header, *secret, *tolerance)
	switch {
	case errors.Is(err, paymuxwebhook.ErrTimestampOutsideTolerance):
		return fmt.Errorf("signature not accepted: %w (pass --tolerance -1 to check a saved body)", err)
	case errors.Is(err, paymuxwebhook.ErrNoValidSignature):
		return fmt.Errorf("signature not valid: %w: check the secret, and that the body is exactly as received (no reformatting, no added newline)", err)
	case err != nil:
		return fmt.Errorf("signature not valid: %w", err)
	}
	fmt.Fprintf(stdout, "signature valid: %s %s (created %s, livemode %v)\n", ev.Type, ev.ID, ev.CreatedAt.Format(time.RFC3339), ev.Livemode)
	return nil
}
