-- +goose Up
-- Emails: a merchant's settings per mode, and one row per email paymux sends (or
-- chose not to), inserted in the transaction of the change that causes it together
-- with the job that sends it.
CREATE TABLE notification_settings (
  merchant_id TEXT NOT NULL,
  livemode INTEGER NOT NULL,
  kinds TEXT NOT NULL, -- {"kind": on/off} for the kinds switched from their default
  reminder_delay_ms INTEGER NOT NULL,
  default_locale TEXT NOT NULL,
  brand_name TEXT NOT NULL,
  brand_color TEXT NOT NULL,
  logo_url TEXT NOT NULL,
  reply_to TEXT NOT NULL,
  operator_email TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (merchant_id, livemode)
);

CREATE TABLE notifications (
  merchant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  livemode INTEGER NOT NULL,
  payment_id TEXT NOT NULL,
  related_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  locale TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  data TEXT NOT NULL, -- what the email shows; the body is rendered when sent, never stored
  actor_type TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (merchant_id, id)
);
CREATE INDEX notifications_payment ON notifications (merchant_id, payment_id, created_at, id);

-- +goose Down
DROP TABLE notifications;
DROP TABLE notification_settings;
