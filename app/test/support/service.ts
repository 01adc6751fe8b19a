// Builds the real service (real PostgreSQL, real Redis) in-process for supertest.
import { Writable } from 'node:stream';
import { loadConfig, loadPostgresConfig, type AppConfig } from '../../src/config';
import { runMigrations } from '../../src/postgres/migrations';
import { assembleService, type AssembledService } from '../../src/service';
import { createLogger, type Logger } from '../../src/telemetry/logger';
import { testKeyPrefix } from './servers';

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

export async function migrate(databaseUrl: string): Promise<string[]> {
  return runMigrations(
    loadPostgresConfig({ DATABASE_URL: databaseUrl }),
    capturingLogger('silent').logger,
  );
}

export interface InProcessService extends CapturedLogger {
  service: AssembledService;
  config: AppConfig;
  keyPrefix: string;
}

export async function startInProcess(
  databaseUrl: string,
  redisUrl: string,
  env: NodeJS.ProcessEnv = {},
): Promise<InProcessService> {
  const keyPrefix = testKeyPrefix('in_process');
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    APP_VERSION: '9.9.9-test',
    APP_ENV: 'test',
    READINESS_TIMEOUT_MS: '500',
    REDIS_CONNECT_TIMEOUT_MS: '500',
    PG_CONNECTION_TIMEOUT_MS: '1000',
    ...env,
  });
  const captured = capturingLogger();
  const service = await assembleService(config, captured.logger);
  return { ...captured, service, config, keyPrefix };
}
