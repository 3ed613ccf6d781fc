package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/paymux/paymux/internal/app"
)

// cmdAdmin runs administrative commands against the configured database. Each prints
// one JSON object, so scripts and tests can read it.
func cmdAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	what, verb, rest := args[0], args[1], args[2:]
	fs := flag.NewFlagSet("admin "+what+" "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		name        = fs.String("name", "", "merchant name")
		merchant    = fs.String("merchant", "", "merchant id")
		live        = fs.Bool("live", false, "create a live-mode key (default test)")
		publishable = fs.Bool("publishable", false, "create a publishable key (default secret)")
		email       = fs.String("email", "", "operator email")
		role        = fs.String("role", "", "operator role: admin, manager, operator or viewer")
	)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	c, err := loadConfig()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(ctx, c.app(false), log)
	if err != nil {
		return err
	}
	defer a.Close()
	var out any
	switch what + " " + verb {
	case "merchant create":
		out, err = a.Engine.CreateMerchant(ctx, *name)
	case "key create":
		if *merchant == "" {
			return errors.New("--merchant is required: the id of the merchant (mer_…)")
		}
		kind := "secret"
		if *publishable {
			kind = "publishable"
		}
		out, err = a.Engine.CreateAPIKey(ctx, *merchant, *live, kind)
	case "key revoke":
		if fs.NArg() != 1 {
			return errors.New("give the key or its id: paymux admin key revoke KEY_OR_ID")
		}
		var id string
		if id, err = a.Engine.RevokeAPIKey(ctx, fs.Arg(0)); err == nil {
			out = map[string]any{"id": id, "revoked": true}
		}
	case "user create":
		if *email == "" || *role == "" {
			return errors.New("--email and --role are required")
		}
		out, err = a.Engine.CreateUser(ctx, *email, strings.ToLower(*role), *merchant)
	default:
		return fmt.Errorf("unknown admin command %q\n\n%s", what+" "+verb, usage)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	return enc.Encode(out)
}
