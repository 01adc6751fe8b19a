// Migrations: up from an empty database, re-run (nothing to do), concurrent runs, and the
// command's exit codes.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';
import { Client, Pool } from 'pg';
import { migrationNames, migrationsTable, pendingMigrations } from '../src/postgres/migrations';
import { DEMO_USERS } from '../src/users/demo-users';
import { createTestDatabase, spawnEntryPoint, type TestDatabase } from './support/servers';
import { migrate } from './support/service';

/**
 * 1764000000000_create-users.sql as databases created before the seed left the schema ran it:
 * the table and the six demo users, in every environment.
 */
const createUsersWithDemoRows = `-- Up Migration
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
`;

describe('migrations', function () {
  this.timeout(60000);
  const databases: TestDatabase[] = [];
  const fresh = async () => {
    const database = await createTestDatabase('migrations');
    databases.push(database);
    return database;
  };
  const query = async (url: string, text: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  };

  after(async function () {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('applies every migration to an empty database, then finds nothing left to do', async function () {
    const database = await fresh();
    const pool = new Pool({ connectionString: database.url });
    try {
      expect(await pendingMigrations(pool)).to.deep.equal(migrationNames());
      expect(await migrate(database.url)).to.deep.equal(migrationNames());
      expect(await pendingMigrations(pool)).to.deep.equal([]);
      expect(await migrate(database.url)).to.deep.equal([]);
    } finally {
      await pool.end();
    }
    const tables = await query(
      database.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.map((t) => t.table_name)).to.deep.equal([
      'idempotency_keys',
      'payments',
      'pgmigrations',
      'users',
    ]);
    const users = await query(database.url, 'SELECT count(*)::int AS n FROM users');
    expect(users[0]?.n).to.equal(6);
  });

  it('is safe to run concurrently: every run succeeds, each migration is applied once', async function () {
    const database = await fresh();
    const runs = await Promise.all([
      migrate(database.url),
      migrate(database.url),
      migrate(database.url),
    ]);
    const applied = runs.flat();
    expect(applied.sort()).to.deep.equal(migrationNames().sort());
    const recorded = await query(database.url, 'SELECT name FROM pgmigrations ORDER BY name');
    expect(recorded.map((r) => r.name)).to.deep.equal(migrationNames());
    const users = await query(database.url, 'SELECT count(*)::int AS n FROM users');
    expect(users[0]?.n).to.equal(6);
  });

  it('the command (npm run migrate) exits 0 and logs what it applied', async function () {
    const database = await fresh();
    const run = spawnEntryPoint('migrate', { DATABASE_URL: database.url });
    expect(await run.exit).to.equal(0);
    expect(run.stdout.join('\n')).to.include('applied 4 migration(s)');
    const again = spawnEntryPoint('migrate', { DATABASE_URL: database.url });
    expect(await again.exit).to.equal(0);
    expect(again.stdout.join('\n')).to.include('schema is up to date');
  });

  describe('demo users (seed data, not schema)', function () {
    const emails = async (url: string) =>
      (await query(url, 'SELECT email FROM users ORDER BY email')).map((row) => row.email);
    const demoEmails = DEMO_USERS.map((user) => user.email).sort();

    it('production-like settings leave the users table empty; development gets the six users', async function () {
      const production = await fresh();
      await migrate(production.url, { seedDemoUsers: false });
      expect(await emails(production.url)).to.deep.equal([]);

      const development = await fresh();
      await migrate(development.url, { seedDemoUsers: true });
      expect(await emails(development.url)).to.deep.equal(demoEmails);
      // Seeding again on the next deploy inserts nothing more.
      await migrate(development.url, { seedDemoUsers: true });
      expect(await emails(development.url)).to.deep.equal(demoEmails);
    });

    it('a database that ran the old create-users (with the six users) loses them, unless it seeds', async function () {
      const dir = mkdtempSync(join(tmpdir(), 'payflow-old-migrations-'));
      try {
        writeFileSync(join(dir, `${migrationNames()[0]}.sql`), createUsersWithDemoRows);
        const ranOldVersion = async () => {
          const database = await fresh();
          const client = new Client({ connectionString: database.url });
          await client.connect();
          await runner({
            dbClient: client,
            dir,
            direction: 'up',
            migrationsTable,
            count: Infinity,
            logger: {
              debug: () => undefined,
              info: () => undefined,
              warn: () => undefined,
              error: () => undefined,
            },
          });
          await client.end();
          expect(await emails(database.url)).to.deep.equal(demoEmails);
          return database;
        };
        const production = await ranOldVersion();
        expect(await migrate(production.url, { seedDemoUsers: false })).to.deep.equal(
          migrationNames().slice(1),
        );
        expect(await emails(production.url)).to.deep.equal([]);

        const development = await ranOldVersion();
        await migrate(development.url, { seedDemoUsers: true });
        expect(await emails(development.url)).to.deep.equal(demoEmails);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the command seeds by default in development only, and refuses to seed production', async function () {
      const byEnvironment = async (env: NodeJS.ProcessEnv) => {
        const database = await fresh();
        const run = spawnEntryPoint('migrate', { DATABASE_URL: database.url, ...env });
        return { code: await run.exit, run, users: await emails(database.url).catch(() => []) };
      };
      expect((await byEnvironment({})).users).to.deep.equal(demoEmails); // APP_ENV development
      expect((await byEnvironment({ APP_ENV: 'staging' })).users).to.deep.equal([]);
      expect((await byEnvironment({ APP_ENV: 'production' })).users).to.deep.equal([]);
      expect(
        (await byEnvironment({ APP_ENV: 'staging', SEED_DEMO_USERS: 'true' })).users,
      ).to.deep.equal(demoEmails);
      const refused = await byEnvironment({ APP_ENV: 'production', SEED_DEMO_USERS: 'true' });
      expect(refused.code).to.equal(1);
      expect(refused.run.stderr).to.deep.equal([
        'payflow-migrate: invalid configuration: SEED_DEMO_USERS=true is refused with APP_ENV=production: demo users never go to production',
      ]);
      expect(refused.users).to.deep.equal([]);
    });
  });

  it('the command stops with one clear line when the configuration is missing', async function () {
    const run = spawnEntryPoint('migrate', {});
    expect(await run.exit).to.equal(1);
    expect(run.stderr).to.have.length(1);
    expect(run.stderr[0]).to.match(
      /^payflow-migrate: invalid configuration: DATABASE_URL is required/,
    );
  });

  it('the command exits 1 when PostgreSQL refuses the connection', async function () {
    const run = spawnEntryPoint('migrate', {
      DATABASE_URL: 'postgres://postgres:change-me@127.0.0.1:1/none',
      PG_CONNECTION_TIMEOUT_MS: '500',
    });
    expect(await run.exit).to.equal(1);
    expect(run.stdout.join('\n')).to.include('migrations failed');
  });
});
