// Command paymux is the payment hub: one binary that serves the API, checkout and
// backoffice (serve), applies database migrations (migrate), manages merchants, keys
// and operators from scripts (admin), and prints its version (version).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `paymux — self-hosted payment integration hub

Usage:
  paymux serve                 run the API, checkout and backoffice (see: paymux serve -h)
  paymux migrate               apply database migrations and exit
  paymux admin merchant create --name NAME
  paymux admin key create --merchant ID [--live] [--publishable]
  paymux admin key revoke KEY_OR_ID
  paymux admin user create --email E --role admin|manager|operator|viewer [--merchant ID]
  paymux webhook verify --secret whsec_… --header 't=…,v1=…' < body
                               check a webhook's Paymux-Signature (exit 0 valid, 1 not)
  paymux listen --forward-to URL [--api-key sk_test_…]
                               forward test events live to a local URL (see: paymux listen -h)
  paymux bench [flags]         measure payments per second against a baseline (see: paymux bench -h)
  paymux version
`

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr)
	case "admin":
		err = cmdAdmin(ctx, args[1:], stdout, stderr)
	case "webhook":
		err = cmdWebhook(ctx, args[1:], os.Stdin, stdout, stderr)
	case "listen":
		err = cmdListen(ctx, args[1:], stdout, stderr)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "paymux", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "paymux: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err == errUsage {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "paymux:", err)
		return 1
	}
	return 0
}

// tuneGC lets the heap grow to five times the live data between collections unless
// GOGC says otherwise. paymux keeps only a few MiB live, so the default (100) runs
// the collector hundreds of times a second under load; measured with paymux bench,
// 400 gives about a fifth more payments per second at the same p99.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
