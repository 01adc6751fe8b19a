-- Up Migration
-- Databases that ran 1764000000000_create-users before it became schema-only hold the six demo
-- users of the SRE brief, production included. They leave here, in every environment; where
-- SEED_DEMO_USERS is on, the migration command inserts them again right after the migrations
-- (src/users/demo-users.ts). Nothing references users, so no other row is affected.
DELETE FROM users
WHERE (email, last_name, first_name) IN (
  ('penelope.claireau@test.local', 'Claireau', 'Penelope'),
  ('ansel.jones@test.local', 'Jones', 'Ansel'),
  ('xavier.buire@test.local', 'Buire', 'Xavier'),
  ('avril.poisson@test.local', 'Poisson', 'Avril'),
  ('nicolas.minot@test.local', 'Minot', 'Nicolas'),
  ('christelle.glairier@test.local', 'Glairier', 'Christelle')
);

-- Down Migration
-- Nothing: seeding is the migration command's job (SEED_DEMO_USERS).
