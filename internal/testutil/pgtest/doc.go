// Package pgtest gives each test its own, empty PostgreSQL database.
//
// Tests that need PostgreSQL call [URL] and connect to the database it returns:
//
//	func TestPaymentsStore(t *testing.T) {
//		t.Parallel()
//		db, err := pgxpool.New(ctx, pgtest.URL(t))
//		...
//	}
//
// The server comes from PAYMUX_TEST_POSTGRES_URL. ./scripts/test sets it by
// starting a throw-away cluster (scripts/pg-start) for the length of the run;
// a developer can start one with `eval "$(scripts/pg-start)"` and reuse it for
// many `go test` runs. Without the variable, URL fails the test: paymux must
// be tested on both SQLite and PostgreSQL, and a skipped PostgreSQL test would
// hide exactly the bugs that only one engine shows.
//
// Why a database per test, rather than one shared database cleaned between
// tests:
//
//   - Isolation under t.Parallel: tests run concurrently (and go test runs
//     packages concurrently), so no test may see, lock or count another
//     test's rows. Separate databases share nothing but the server.
//   - Real migrations: each database starts empty, so every test runs the
//     store's own migrations from scratch, exactly as a new install does.
//   - No clean-up code to get wrong: truncating tables misses sequences,
//     advisory locks, LISTEN channels and job-queue state; dropping the
//     database removes all of it. A failed test cannot poison the next one.
//   - Cheap enough: CREATE DATABASE copies the small template1 in about a
//     tenth of a second, and parallel tests overlap those copies.
//
// Databases are named paymux_test_<random hex> and carry the test's name as
// a comment (\l+ in psql), so a database left behind by a killed test run can
// be traced; they are dropped WITH (FORCE) when the test ends.
package pgtest
