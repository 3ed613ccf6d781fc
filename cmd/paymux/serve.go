package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/paymux/paymux/internal/app"
)

var errUsage = errors.New("usage")

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: paymux serve\n\nRuns the API, the public pages and the background jobs.\n\n"+envDoc)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	c, err := loadConfig()
	if err != nil {
		return err
	}
	log := c.logger(os.Stderr)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	defer ln.Close()
	if c.BaseURL == "" {
		c.BaseURL = "http://" + ln.Addr().String()
	}
	a, err := app.New(ctx, c.app(true), log)
	if err != nil {
		return err
	}
	defer a.Close()
	boot, err := bootstrap(ctx, a)
	if err != nil {
		return err
	}
	if err := a.Engine.SchedulePeriodic(ctx); err != nil {
		return fmt.Errorf("schedule periodic jobs: %w", err)
	}
	printBanner(stdout, c, a.Store.Engine(), boot)

	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	srv.RegisterOnShutdown(a.API.CloseStreams)
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Runner.Run(jobsCtx)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down: finishing requests in flight")
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	stopJobs()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
