-- +goose Up
-- How many captures the provider accepted and then reported failed (Adyen's
-- CAPTURE_FAILED): the next capture is a new request at the provider, so its
-- idempotency key must differ from the failed one's.
ALTER TABLE payments ADD COLUMN capture_failures INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE payments DROP COLUMN capture_failures;
