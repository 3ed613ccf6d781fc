-- +goose Up
-- A deleted provider connection keeps its row (payments made through it can still be
-- refunded), disabled and marked here; 0 means not deleted.
ALTER TABLE provider_connections ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX provider_connections_list ON provider_connections (merchant_id, livemode, created_at, id);

-- +goose Down
DROP INDEX provider_connections_list;
ALTER TABLE provider_connections DROP COLUMN deleted_at;
