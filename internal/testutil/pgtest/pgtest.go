package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding the URL of the PostgreSQL
// server tests run against. The URL must let its user create databases; the
// database it names is only used to issue CREATE and DROP DATABASE.
const EnvURL = "PAYMUX_TEST_POSTGRES_URL"

// namePrefix starts the name of every database this package creates.
const namePrefix = "paymux_test_"

// adminTimeout bounds each CREATE or DROP DATABASE round, connection included.
const adminTimeout = 30 * time.Second

// URL creates a fresh, empty database on the server named by
// PAYMUX_TEST_POSTGRES_URL and returns a URL for it (same host, user and
// options, another database). The database is dropped, even with sessions
// still open, when t and its subtests finish. If the variable is unset, URL
// fails the test with a message saying how to get a server.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Fatalf("pgtest: %s is not set. Run the tests with ./scripts/test, which starts "+
			"a throw-away PostgreSQL, or start one yourself with "+
			"`eval \"$(scripts/pg-start)\"` (or point %s at a server whose user "+
			"may CREATE DATABASE) and run go test again.", EnvURL, EnvURL)
	}

	name := namePrefix + randomHex(t, 8)
	dbURL, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connecting to %s (%s): %v", EnvURL, redact(base), err)
	}
	defer conn.Close(context.Background())

	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(t, base, name) })

	// Only a label for finding leftovers; failing to set it is not worth a test failure.
	_, _ = conn.Exec(ctx, "COMMENT ON DATABASE "+ident+" IS "+quoteLiteral("paymux test "+t.Name()))
	return dbURL
}

// drop removes the database, closing any sessions the test left open.
func drop(t testing.TB, base, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("pgtest: connecting to drop database %s: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: dropping database %s: %v", name, err)
	}
}

// withDatabase returns base with its database replaced by name. base may be
// a postgres:// URL or a keyword/value string ("host=... user=..."), the two
// forms pgx accepts.
func withDatabase(base, name string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		if q := u.Query(); q.Has("dbname") { // would override the path
			q.Del("dbname")
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// In keyword/value form the last setting of a keyword wins.
	return base + " dbname=" + name, nil
}

// redact hides a password in a URL before it goes into a test log.
func redact(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.User == nil {
		if strings.Contains(base, "://") {
			return "(unparsable URL)"
		}
		return "(keyword/value connection string)"
	}
	return u.Redacted()
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("pgtest: random name: %v", err)
	}
	return hex.EncodeToString(b)
}
