// The six users of the SRE brief (`curl /users`): demonstration data, not schema. The migration
// command inserts them only when SEED_DEMO_USERS asks for it (development by default; refused in
// production), after the schema migrations, as the owner/admin identity.
import type { Client } from 'pg';

export const DEMO_USERS: ReadonlyArray<{ lastName: string; firstName: string; email: string }> = [
  { lastName: 'Claireau', firstName: 'Penelope', email: 'penelope.claireau@test.local' },
  { lastName: 'Jones', firstName: 'Ansel', email: 'ansel.jones@test.local' },
  { lastName: 'Buire', firstName: 'Xavier', email: 'xavier.buire@test.local' },
  { lastName: 'Poisson', firstName: 'Avril', email: 'avril.poisson@test.local' },
  { lastName: 'Minot', firstName: 'Nicolas', email: 'nicolas.minot@test.local' },
  { lastName: 'Glairier', firstName: 'Christelle', email: 'christelle.glairier@test.local' },
];

/** Inserts the users that are missing (by e-mail): safe to run on every deploy. */
export async function seedDemoUsers(client: Client): Promise<number> {
  const result = await client.query(
    `INSERT INTO users (last_name, first_name, email)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ON CONFLICT (email) DO NOTHING`,
    [
      DEMO_USERS.map((user) => user.lastName),
      DEMO_USERS.map((user) => user.firstName),
      DEMO_USERS.map((user) => user.email),
    ],
  );
  return result.rowCount ?? 0;
}
