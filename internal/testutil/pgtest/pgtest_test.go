package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paymux/paymux/internal/testutil/pgtest"
)

func TestURL(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var dbURL, name string
	t.Run("fresh database is usable", func(t *testing.T) {
		dbURL = pgtest.URL(t)
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatalf("connect to %s: %v", dbURL, err)
		}
		// Left open on purpose: the drop must force it closed.

		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "paymux_test_") {
			t.Fatalf("current_database() = %q, want a paymux_test_ database", name)
		}

		var tables int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Fatalf("new database has %d tables in public, want 0", tables)
		}

		if _, err := conn.Exec(ctx, "CREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO widgets VALUES (1, 'one'), (2, 'two')"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM widgets").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("count = %d, want 2", n)
		}
	})
	if t.Failed() {
		return
	}

	// The subtest has finished, so its cleanup has dropped the database.
	admin, err := pgx.Connect(ctx, os.Getenv(pgtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("database %s still exists after its test finished", name)
	}
	if conn, err := pgx.Connect(ctx, dbURL); err == nil {
		conn.Close(ctx)
		t.Fatalf("could still connect to %s after its test finished", dbURL)
	}
}

func TestURLDatabasesAreSeparate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	a, b := pgtest.URL(t), pgtest.URL(t)
	if a == b {
		t.Fatalf("two calls returned the same URL %s", a)
	}
	connA, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer connA.Close(ctx)
	connB, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer connB.Close(ctx)

	if _, err := connA.Exec(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := connB.Exec(ctx, "SELECT 1 FROM only_in_a"); err == nil {
		t.Fatal("table created in one test database is visible in another")
	}
}

// fatalTB records Fatalf instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// Not parallel: t.Setenv changes the whole process's environment.
func TestURLWithoutServerFails(t *testing.T) {
	t.Setenv(pgtest.EnvURL, "")
	fake := &fatalTB{TB: t}
	done := make(chan string)
	go func() {
		defer func() { done <- "" }()
		done <- pgtest.URL(fake)
	}()
	if got := <-done; got != "" {
		t.Fatalf("URL returned %q without a server configured, want a test failure", got)
	}
	if !strings.Contains(fake.msg, pgtest.EnvURL) || !strings.Contains(fake.msg, "./scripts/test") {
		t.Fatalf("failure message %q should name %s and ./scripts/test", fake.msg, pgtest.EnvURL)
	}
}
