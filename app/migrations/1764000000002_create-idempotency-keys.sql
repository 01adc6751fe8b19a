-- Up Migration
-- The source of truth for Idempotency-Key: the primary key makes a second payment under the
-- same key impossible, whatever happens to Redis (the fast path). A row is written in the same
-- statement as its payment, so a committed key always carries the response to replay.
CREATE TABLE idempotency_keys (
  scope text NOT NULL,
  key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  payment_id text REFERENCES payments (id) DEFERRABLE INITIALLY DEFERRED,
  response_status smallint NOT NULL,
  response_body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

-- Down Migration
DROP TABLE idempotency_keys;
