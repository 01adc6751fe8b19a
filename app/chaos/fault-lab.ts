// The fault runs' private world: one PostgreSQL cluster and one redis-server of our own (so that
// they can be stopped and killed), a migrated database per scenario, and API processes on them.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadMigrationSettings, loadPostgresConfig } from '../src/config';
import { runMigrations } from '../src/postgres/migrations';
import { createLogger } from '../src/telemetry/logger';
import { freePort } from './network';
import { PrivatePostgres } from './private-postgres';
import { PrivateRedis } from './private-redis';
import { apiArguments, ServerProcess } from './server-process';

export type ApiEntry = 'dist' | 'src';

export const redisKeyPrefix = 'chaos:';

export interface ApiTimeouts {
  PG_CONNECTION_TIMEOUT_MS: number;
  PG_STATEMENT_TIMEOUT_MS: number;
  REDIS_COMMAND_TIMEOUT_MS: number;
  READINESS_TIMEOUT_MS: number;
  SHUTDOWN_TIMEOUT_MS: number;
}

/** Timeouts of `make chaos`, from which its "no hang" bounds are derived. */
export const apiTimeouts: ApiTimeouts = {
  PG_CONNECTION_TIMEOUT_MS: 1000,
  PG_STATEMENT_TIMEOUT_MS: 2000,
  REDIS_COMMAND_TIMEOUT_MS: 500,
  READINESS_TIMEOUT_MS: 500,
  SHUTDOWN_TIMEOUT_MS: 10_000,
};

/**
 * Timeouts of the short form in `make test`. On a machine loaded by other work, waiting for a
 * pooled PostgreSQL connection alone took over a second: with the tight values above, healthy
 * requests then answer 503, and "nothing accepted fails" would depend on the machine's speed.
 * An outage still fails fast: a stopped server refuses connections at once.
 */
export const loadedMachineTimeouts: ApiTimeouts = {
  PG_CONNECTION_TIMEOUT_MS: 10_000,
  PG_STATEMENT_TIMEOUT_MS: 10_000,
  REDIS_COMMAND_TIMEOUT_MS: 2000,
  READINESS_TIMEOUT_MS: 2000,
  SHUTDOWN_TIMEOUT_MS: 30_000,
};

/**
 * The longest a POST may take when a dependency misbehaves: waiting for a PostgreSQL
 * connection, then the statement and its client-side guard (statement + 1 s), a replay's Redis
 * lookup, plus one second of scheduling slack on a busy machine.
 */
export function maxRequestMillis(timeouts: ApiTimeouts): number {
  return (
    timeouts.REDIS_COMMAND_TIMEOUT_MS +
    timeouts.PG_CONNECTION_TIMEOUT_MS +
    timeouts.PG_STATEMENT_TIMEOUT_MS +
    1000 +
    1000
  );
}

export class FaultLab {
  private readonly apis: ServerProcess[] = [];

  private constructor(
    readonly postgres: PrivatePostgres,
    readonly redis: PrivateRedis,
    readonly entry: ApiEntry,
    readonly timeouts: ApiTimeouts,
  ) {}

  static async start(entry: ApiEntry, timeouts: ApiTimeouts = apiTimeouts): Promise<FaultLab> {
    const postgres = await PrivatePostgres.start();
    try {
      return new FaultLab(postgres, await PrivateRedis.start(), entry, timeouts);
    } catch (error) {
      await postgres.destroy();
      throw error;
    }
  }

  /** A fresh database on the private cluster, migrated like production (npm run migrate). */
  async database(label: string): Promise<string> {
    const url = await this.postgres.createDatabase(
      `payflow_${label}_${randomBytes(3).toString('hex')}`,
    );
    await runMigrations(
      loadPostgresConfig({ DATABASE_URL: url }),
      loadMigrationSettings({ APP_ENV: 'test' }),
      createLogger({ level: 'silent', appVersion: 'chaos', appEnv: 'test' }),
    );
    return url;
  }

  /** `env` overrides the defaults below; a variable set to undefined is left out. */
  async startApi(databaseUrl: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
    const merged: NodeJS.ProcessEnv = {
      NODE_ENV: 'production',
      APP_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      REDIS_URL: this.redis.url,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      ...Object.fromEntries(Object.entries(this.timeouts).map(([k, v]) => [k, String(v)])),
      ...env,
    };
    const api = await ServerProcess.start({
      args: apiArguments(this.entry),
      port: await freePort(),
      readyPath: '/ready',
      stdout: 'capture',
      env: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
    });
    this.apis.push(api);
    return api;
  }

  /** Overrides for startApi: the API on PostgreSQL alone (no Redis setting at all). */
  static readonly withoutRedis: NodeJS.ProcessEnv = {
    REDIS_URL: undefined,
    REDIS_KEY_PREFIX: undefined,
    REDIS_COMMAND_TIMEOUT_MS: undefined,
  };

  async query<T extends object>(databaseUrl: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.apis.map((api) => api.stop(5000)));
    await this.redis.kill();
    await this.postgres.destroy();
  }
}
