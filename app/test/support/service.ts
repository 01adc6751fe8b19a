// Builds the real service (real PostgreSQL, and Redis unless the test runs without) in-process
// for supertest.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  loadConfig,
  loadPostgresConfig,
  type AppConfig,
  type MigrationSettings,
} from '../../src/config';
import { runMigrations } from '../../src/postgres/migrations';
import type { RedisClient } from '../../src/redis/client';
import { assembleService, type AssembledService } from '../../src/service';
import { createLogger, type Logger } from '../../src/telemetry/logger';
import { sharedServers, testKeyPrefix } from './servers';

export interface CapturedLogger {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

export function capturingLogger(level = 'info'): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ level, appVersion: '9.9.9-test', appEnv: 'test' }, sink), lines };
}

/**
 * The API's own role on the test server: one role for every test database of the cluster, as on
 * RDS. Its password derives from the admin's (random per CI run), so that it is the same in
 * every process of one run and never written anywhere.
 */
export function testApiRole(databaseUrl: string): { role: string; password: string } {
  const admin = new URL(databaseUrl);
  const password = createHash('sha256')
    .update(`payflow-api-role:${decodeURIComponent(admin.password)}`)
    .digest('hex')
    .slice(0, 32);
  return { role: 'payflow_api_test', password };
}

/** The same database, as the API's own role (what the API connects as everywhere). */
export function asApiRole(databaseUrl: string): string {
  const { role, password } = testApiRole(databaseUrl);
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

/** What `npm run migrate` does in development: schema, the API's role, the demo users. */
export function testMigrationSettings(
  databaseUrl: string,
  overrides: Partial<MigrationSettings> = {},
): MigrationSettings {
  const { role, password } = testApiRole(databaseUrl);
  return { apiRole: role, apiPassword: password, seedDemoUsers: true, ...overrides };
}

export async function migrate(
  databaseUrl: string,
  overrides: Partial<MigrationSettings> = {},
): Promise<string[]> {
  return runMigrations(
    loadPostgresConfig({ DATABASE_URL: databaseUrl }),
    testMigrationSettings(databaseUrl, overrides),
    capturingLogger('silent').logger,
  );
}

export interface InProcessService extends CapturedLogger {
  service: AssembledService;
  config: AppConfig;
  keyPrefix: string;
}

/**
 * The two ways the API runs: with a Redis replay cache, and on PostgreSQL alone (no REDIS_URL).
 * Suites whose guarantees must hold in both loop over these.
 */
export interface IdempotencyMode {
  name: 'with Redis' | 'PostgreSQL only';
  /** The shared Redis, or undefined for PostgreSQL alone. */
  redisUrl(): string | undefined;
}

export const idempotencyModes: IdempotencyMode[] = [
  { name: 'with Redis', redisUrl: () => sharedServers().redisUrl },
  { name: 'PostgreSQL only', redisUrl: () => undefined },
];

/** `redisUrl` undefined: no Redis setting at all, as a deployment without Redis runs. */
export async function startInProcess(
  databaseUrl: string,
  redisUrl: string | undefined,
  env: NodeJS.ProcessEnv = {},
): Promise<InProcessService> {
  const keyPrefix = testKeyPrefix('in_process');
  const redisEnv =
    redisUrl === undefined
      ? {}
      : { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: keyPrefix, REDIS_CONNECT_TIMEOUT_MS: '500' };
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ...redisEnv,
    APP_VERSION: '9.9.9-test',
    APP_ENV: 'test',
    READINESS_TIMEOUT_MS: '500',
    PG_CONNECTION_TIMEOUT_MS: '1000',
    ...env,
  });
  const captured = capturingLogger();
  const service = await assembleService(config, captured.logger);
  return { ...captured, service, config, keyPrefix };
}

/** The Redis client of a service started with Redis (a test's precondition, checked). */
export function redisOf(running: InProcessService): RedisClient {
  const client = running.service.redis;
  if (!client) throw new Error('this service was started without Redis');
  return client;
}

/**
 * Made-up AWS credentials in the environment, where the SDK's default chain finds them: a real
 * signer signs with them, nothing leaves the machine. Returns them and what restores the
 * environment as it was.
 */
export function fakeAwsCredentials(): { accessKeyId: string; restore(): void } {
  const values = {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFORSIGNING00',
    AWS_SECRET_ACCESS_KEY: 'not-a-secret-only-signs-test-tokens',
  };
  const saved = Object.keys(values).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, values);
  return {
    accessKeyId: values.AWS_ACCESS_KEY_ID,
    restore() {
      for (const [name, value] of saved) {
        if (value === undefined) Reflect.deleteProperty(process.env, name);
        else process.env[name] = value;
      }
    },
  };
}
