-- Up Migration
-- The users table of the Jump Go API, kept column for column so GET /users stays a drop-in
-- replacement. gen_random_uuid() is built into PostgreSQL 13+.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_name text NOT NULL,
  first_name text NOT NULL,
  email text NOT NULL
);

CREATE UNIQUE INDEX users_email_key ON users (email);

INSERT INTO users (last_name, first_name, email) VALUES
  ('Claireau', 'Penelope', 'penelope.claireau@test.local'),
  ('Jones', 'Ansel', 'ansel.jones@test.local'),
  ('Buire', 'Xavier', 'xavier.buire@test.local'),
  ('Poisson', 'Avril', 'avril.poisson@test.local'),
  ('Minot', 'Nicolas', 'nicolas.minot@test.local'),
  ('Glairier', 'Christelle', 'christelle.glairier@test.local');

-- Down Migration
DROP TABLE users;
