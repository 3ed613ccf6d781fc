-- +goose Up
-- Outbound webhooks: merchants' endpoints, one delivery per event and endpoint
-- (inserted in the transaction that appends the event), and every attempt.
CREATE TABLE webhook_endpoints (
  merchant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  url TEXT NOT NULL,
  description TEXT NOT NULL,
  enabled_events TEXT NOT NULL,
  ordered BOOLEAN NOT NULL,
  status TEXT NOT NULL,
  disabled_reason TEXT NOT NULL,
  secret BYTEA NOT NULL,
  secret_hint TEXT NOT NULL,
  previous_secret BYTEA,
  previous_secret_expires_at BIGINT NOT NULL,
  failing_since BIGINT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT NOT NULL,
  PRIMARY KEY (merchant_id, id)
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (merchant_id, livemode, created_at, id);

CREATE TABLE webhook_deliveries (
  merchant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_seq BIGINT NOT NULL,
  event_type TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  status TEXT NOT NULL,
  manual BOOLEAN NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  last_attempt_at BIGINT NOT NULL,
  last_http_status INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  delivered_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (merchant_id, id),
  UNIQUE (merchant_id, endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (merchant_id, endpoint_id, event_seq);
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (merchant_id, endpoint_id, payment_id, event_seq)
  WHERE status IN ('pending', 'waiting');

CREATE TABLE webhook_attempts (
  merchant_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  attempted_at BIGINT NOT NULL,
  http_status INTEGER NOT NULL,
  latency_ms BIGINT NOT NULL,
  response_excerpt TEXT NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY (merchant_id, delivery_id, attempt)
);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
