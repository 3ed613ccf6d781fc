package pgtest

import "testing"

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/paymux_test_x?sslmode=disable"},
		{"postgresql://u:p@db.example/other", "postgresql://u:p@db.example/paymux_test_x"},
		{"postgres://u@h:5432?dbname=postgres&sslmode=disable", "postgres://u@h:5432/paymux_test_x?sslmode=disable"},
		{"postgres://u@/postgres?host=/tmp/pg&port=5433", "postgres://u@/paymux_test_x?host=/tmp/pg&port=5433"},
		{"host=/tmp/pg port=5433 dbname=postgres", "host=/tmp/pg port=5433 dbname=postgres dbname=paymux_test_x"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.base, "paymux_test_x")
		if err != nil {
			t.Errorf("withDatabase(%q): %v", tt.base, err)
			continue
		}
		if got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.base, got, tt.want)
		}
	}
}
