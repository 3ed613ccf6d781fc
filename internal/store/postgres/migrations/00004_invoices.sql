-- +goose Up
-- Invoices and credit notes: the merchant's settings per mode, one counter row per
-- series (merchant, mode, type, year) that the issuing transaction locks and
-- increments, and the documents, each stored once with its PDF.
CREATE TABLE invoice_settings (
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  enabled BOOLEAN NOT NULL,
  legal_name TEXT NOT NULL,
  address_lines TEXT NOT NULL,
  country TEXT NOT NULL,
  tax_id TEXT NOT NULL,
  email TEXT NOT NULL,
  locale TEXT NOT NULL,
  default_tax_rate BIGINT, -- basis points; NULL until set
  category_tax_rates TEXT NOT NULL, -- {"books": "4"}: rates as decimal percentages
  number_prefix TEXT NOT NULL,
  footer TEXT NOT NULL,
  timezone TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (merchant_id, livemode)
);

CREATE TABLE invoice_counters (
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  type TEXT NOT NULL,
  year INTEGER NOT NULL,
  last_sequence BIGINT NOT NULL,
  PRIMARY KEY (merchant_id, livemode, type, year)
);

CREATE TABLE invoices (
  merchant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  type TEXT NOT NULL,
  number TEXT NOT NULL,
  year INTEGER NOT NULL,
  sequence BIGINT NOT NULL,
  payment_id TEXT NOT NULL,
  refund_id TEXT NOT NULL, -- credit notes only, '' otherwise
  credited_invoice_id TEXT NOT NULL, -- credit notes only, '' otherwise
  currency TEXT NOT NULL,
  total BIGINT NOT NULL,
  data TEXT NOT NULL, -- the document as issued (JSON)
  pdf BYTEA, -- rendered once from data; NULL until then
  created_at BIGINT NOT NULL,
  PRIMARY KEY (merchant_id, id),
  UNIQUE (merchant_id, livemode, type, year, sequence),
  UNIQUE (merchant_id, livemode, number)
);
CREATE UNIQUE INDEX invoices_payment ON invoices (merchant_id, livemode, payment_id) WHERE type = 'invoice';
CREATE UNIQUE INDEX invoices_refund ON invoices (merchant_id, livemode, refund_id) WHERE type = 'credit_note';
CREATE INDEX invoices_credited ON invoices (merchant_id, credited_invoice_id) WHERE type = 'credit_note';
CREATE INDEX invoices_list ON invoices (merchant_id, livemode, created_at, id);

-- +goose Down
DROP TABLE invoices;
DROP TABLE invoice_counters;
DROP TABLE invoice_settings;
