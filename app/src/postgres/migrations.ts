// The migration command's work, as the owner/admin identity: the schema migrations (versioned
// SQL files in app/migrations applied by node-pg-migrate), then the API's own role and its
// grants, then the demo users where SEED_DEMO_USERS asks for them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';
import { Client, type Pool } from 'pg';
import type { MigrationSettings, PostgresConfig } from '../config';
import type { Logger } from '../telemetry/logger';
import { seedDemoUsers } from '../users/demo-users';
import { applyApiRole } from './api-role';
import { postgresClientConfig } from './pool';
import { describeConnectionFailure, negotiateSsl } from './ssl';

/** app/migrations, both from src/postgres (tsx) and from dist/postgres (built image). */
export const migrationsDir = join(__dirname, '..', '..', 'migrations');
export const migrationsTable = 'pgmigrations';

// node-pg-migrate only *tries* its advisory lock and fails when another run holds it. Runs
// that start together (two deploys, a Job retried while the first is still going) should
// instead wait their turn and then find nothing left to do, so we queue on our own lock.
const payflowMigrationLock = 0x70617966; // "payf"

export function migrationNames(dir = migrationsDir): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.replace(/\.sql$/, ''))
    .sort();
}

export async function runMigrations(
  configured: PostgresConfig,
  settings: MigrationSettings,
  logger: Logger,
): Promise<string[]> {
  const config = await negotiateSsl(configured, logger);
  const client = new Client({
    ...postgresClientConfig(config, 'payflow-migrate'),
    connectionTimeoutMillis: config.connectionTimeoutMillis,
  });
  client.on('error', (error) =>
    logger.warn({ err: { message: error.message } }, 'migration connection error'),
  );
  try {
    await client.connect();
  } catch (error) {
    const explained = describeConnectionFailure(error, config);
    throw explained === (error as Error).message ? error : new Error(explained, { cause: error });
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [payflowMigrationLock]);
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable,
      count: Infinity,
      checkOrder: true,
      logger: {
        debug: () => undefined,
        info: (message: string) => logger.info(message.trim()),
        warn: (message: string) => logger.warn(message.trim()),
        error: (message: string) => logger.error(message.trim()),
      },
    });
    await applyApiRole(
      client,
      { role: settings.apiRole, password: settings.apiPassword, migrationsTable },
      logger,
    );
    if (settings.seedDemoUsers) {
      const inserted = await seedDemoUsers(client);
      logger.info({ inserted }, 'demo users seeded (SEED_DEMO_USERS)');
    }
    await client.query('SELECT pg_advisory_unlock($1)', [payflowMigrationLock]);
    return applied.map((migration) => migration.name);
  } finally {
    await client.end();
  }
}

/** Migrations present on disk but not recorded as applied in the database. */
export async function pendingMigrations(pool: Pool, dir = migrationsDir): Promise<string[]> {
  const exists = await pool.query<{ table: string | null }>('SELECT to_regclass($1) AS table', [
    migrationsTable,
  ]);
  const applied = new Set<string>();
  if (exists.rows[0]?.table) {
    const rows = await pool.query<{ name: string }>(`SELECT name FROM ${migrationsTable}`);
    for (const row of rows.rows) applied.add(row.name);
  }
  return migrationNames(dir).filter((name) => !applied.has(name));
}
