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

-- Schema only. This file once also inserted the six demo users of the SRE brief, in every
-- environment; they are now seed data (src/users/demo-users.ts, SEED_DEMO_USERS), and
-- 1764000000003_remove-demo-users takes them out of the databases that ran that version.

-- Down Migration
DROP TABLE users;
