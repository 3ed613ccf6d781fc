package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgconnConfig parses url and sets what paymux relies on: a connect timeout so that an
// outage answers 503 quickly instead of hanging requests.
func pgconnConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("PAYMUX_DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	return cfg, nil
}
