-- +goose Up
CREATE TABLE merchants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  kind TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  hint TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE provider_connections (
  id TEXT PRIMARY KEY,
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  provider TEXT NOT NULL,
  enabled BOOLEAN NOT NULL,
  methods TEXT NOT NULL,
  credentials BYTEA,
  hint TEXT NOT NULL,
  base_url TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX provider_connections_merchant ON provider_connections (merchant_id, livemode, provider);

CREATE TABLE payments (
  merchant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY, -- ids are random and global; every query also filters by merchant_id
  livemode BOOLEAN NOT NULL,
  status TEXT NOT NULL,
  amount BIGINT NOT NULL,
  amount_capturable BIGINT NOT NULL,
  amount_captured BIGINT NOT NULL,
  amount_refunded BIGINT NOT NULL,
  refund_status TEXT NOT NULL,
  currency TEXT NOT NULL,
  order_id TEXT NOT NULL,
  description TEXT NOT NULL,
  provider TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  provider_reference TEXT NOT NULL,
  payment_method_type TEXT NOT NULL,
  card_brand TEXT NOT NULL,
  card_last4 TEXT NOT NULL,
  capture_method TEXT NOT NULL,
  channel TEXT NOT NULL,
  customer TEXT NOT NULL,
  items TEXT NOT NULL,
  metadata TEXT NOT NULL,
  return_url TEXT NOT NULL,
  checkout_url TEXT NOT NULL,
  next_action TEXT NOT NULL,
  failure_code TEXT NOT NULL,
  failure_message TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  attempt_pending BOOLEAN NOT NULL,
  version BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CHECK (amount > 0),
  CHECK (amount_captured <= amount),
  CHECK (amount_refunded >= 0 AND amount_refunded <= amount_captured)
);
CREATE INDEX payments_list ON payments (merchant_id, livemode, created_at, id);
CREATE INDEX payments_order ON payments (merchant_id, order_id);
CREATE INDEX payments_attempt_pending ON payments (updated_at) WHERE attempt_pending = true;
CREATE INDEX payments_provider_ref ON payments (merchant_id, provider, provider_reference);
CREATE INDEX payments_expiry ON payments (expires_at)
  WHERE status IN ('requires_payment_method', 'requires_action', 'failed');

CREATE TABLE refunds (
  merchant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY,
  livemode BOOLEAN NOT NULL,
  payment_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  provider_reference TEXT NOT NULL,
  failure_code TEXT NOT NULL,
  failure_message TEXT NOT NULL,
  metadata TEXT NOT NULL,
  submitted BOOLEAN NOT NULL,
  idem_key TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CHECK (amount > 0)
);
CREATE INDEX refunds_payment ON refunds (merchant_id, payment_id);
CREATE INDEX refunds_idem ON refunds (merchant_id, livemode, idem_key);
CREATE INDEX refunds_list ON refunds (merchant_id, livemode, created_at, id);

CREATE TABLE events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  merchant_id TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  livemode BOOLEAN NOT NULL,
  type TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX events_payment ON events (merchant_id, payment_id, seq);
CREATE INDEX events_stream ON events (merchant_id, livemode, seq);

CREATE TABLE idempotency_keys (
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  token TEXT NOT NULL,
  locked_until BIGINT NOT NULL,
  response_code BIGINT NOT NULL,
  response_body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (merchant_id, livemode, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE jobs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  args TEXT NOT NULL,
  unique_key TEXT UNIQUE,
  state TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  max_attempts BIGINT NOT NULL,
  run_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL,
  last_error TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_lease ON jobs (state, locked_until);

CREATE TABLE inbound_webhooks (
  connection_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (connection_id, event_id)
);

CREATE TABLE sandbox_transactions (
  id TEXT PRIMARY KEY,
  connection_id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  method TEXT NOT NULL,
  status TEXT NOT NULL,
  amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  capture_method TEXT NOT NULL,
  amount_captured BIGINT NOT NULL,
  amount_refunded BIGINT NOT NULL,
  return_url TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (connection_id, idempotency_key)
);

CREATE TABLE sandbox_refunds (
  id TEXT PRIMARY KEY,
  txn_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  amount BIGINT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (txn_id, idempotency_key)
);

-- +goose Down
DROP TABLE sandbox_refunds;
DROP TABLE sandbox_transactions;
DROP TABLE inbound_webhooks;
DROP TABLE jobs;
DROP TABLE idempotency_keys;
DROP TABLE events;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE provider_connections;
DROP TABLE users;
DROP TABLE api_keys;
DROP TABLE merchants;
