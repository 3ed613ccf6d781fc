-- +goose Up
-- The audit log: every change to a merchant's configuration (provider connections,
-- webhook endpoints, settings) and every operator action that is not itself a
-- payment or refund event, with who did it. Append-only.
CREATE TABLE audit_log (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_list ON audit_log (merchant_id, livemode, seq);
CREATE INDEX audit_log_object ON audit_log (merchant_id, object_id, seq);

-- +goose Down
DROP TABLE audit_log;
