// Migrations: up from an empty database, re-run (nothing to do), concurrent runs, and the
// command's exit codes.
import { expect } from 'chai';
import { Client, Pool } from 'pg';
import { migrationNames, pendingMigrations } from '../src/postgres/migrations';
import { createTestDatabase, spawnEntryPoint, type TestDatabase } from './support/servers';
import { migrate } from './support/service';

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
    expect(run.stdout.join('\n')).to.include('applied 3 migration(s)');
    const again = spawnEntryPoint('migrate', { DATABASE_URL: database.url });
    expect(await again.exit).to.equal(0);
    expect(again.stdout.join('\n')).to.include('schema is up to date');
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
