package main

import (
	"context"
	"fmt"
	"io"

	"github.com/paymux/paymux/internal/app"
)

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprint(stderr, "Usage: paymux migrate\n\nApplies the database migrations (also done by serve).\n\n"+envDoc)
		return errUsage
	}
	c, err := loadConfig()
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, c.app(false))
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "migrations applied (%s)\n", st.Engine())
	return nil
}
