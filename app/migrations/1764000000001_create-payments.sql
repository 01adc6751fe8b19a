-- Up Migration
-- Amounts are integer minor units (cents for EUR, yen for JPY): never floating point.
CREATE TABLE payments (
  id text PRIMARY KEY CHECK (id ~ '^pay_[0-9a-f]{32}$'),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  description text CHECK (char_length(description) <= 500),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Keyset pagination walks (created_at, id) newest first.
CREATE INDEX payments_created_at_id_idx ON payments (created_at DESC, id DESC);

-- Down Migration
DROP TABLE payments;
