// Wires the dependencies (pools, stores, use cases) into the Express app and owns their
// lifecycle. Loaded only after tracing has started (see server.ts).
import type { Express } from 'express';
import type { Pool } from 'pg';
import type { AppConfig } from './config';
import { ReadinessProbe } from './health/readiness';
import { createApp } from './http/app';
import { createMetrics, type Metrics } from './metrics';
import { IdempotencyKeyPurger } from './payments/idempotency-purge';
import { IdempotencyStore } from './payments/idempotency-store';
import { PaymentRepository } from './payments/repository';
import { PaymentService, idempotencyScope } from './payments/service';
import { pendingMigrations } from './postgres/migrations';
import { createPostgresPool } from './postgres/pool';
import { describeConnectionFailure, negotiateSsl } from './postgres/ssl';
import { closeRedisClient, createRedisClient, type RedisClient } from './redis/client';
import type { Logger } from './telemetry/logger';
import { UserRepository } from './users/repository';

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export interface AssembledService {
  app: Express;
  pool: Pool;
  redis: RedisClient;
  metrics: Metrics;
  readiness: ReadinessProbe;
  purger: IdempotencyKeyPurger;
  /** Stops the purge, then closes the PostgreSQL pool and the Redis client. */
  close(): Promise<void>;
}

export async function assembleService(
  config: AppConfig,
  logger: Logger,
): Promise<AssembledService> {
  const postgres = await negotiateSsl(config.postgres, logger);
  const pool = createPostgresPool(postgres, logger);
  let pending: string[];
  try {
    pending = await pendingMigrations(pool);
  } catch (error) {
    await pool.end();
    throw new StartupError(
      `cannot read the database schema version: ${describeConnectionFailure(error, postgres)}`,
    );
  }
  if (pending.length > 0) {
    await pool.end();
    throw new StartupError(
      `database schema is behind: ${pending.length} pending migration(s) (${pending.join(', ')}); ` +
        'run "npm run migrate" (in the image: node dist/migrate.js) first',
    );
  }

  const redis = createRedisClient(config.redis, logger);
  // Redis is optional for serving: connect in the background, keep retrying for ever.
  const connecting = redis.connect().catch((error: Error) => {
    logger.warn({ err: { message: error.message } }, 'redis connect failed');
  });
  await Promise.race([
    connecting,
    new Promise((resolve) => setTimeout(resolve, config.redis.connectTimeoutMillis).unref()),
  ]);

  const metrics = createMetrics({
    appVersion: config.appVersion,
    pool: () => pool,
    redisConnected: () => redis.isReady,
  });
  const readiness = new ReadinessProbe(
    pool,
    redis,
    metrics,
    config.readinessTimeoutMillis,
    config.readinessRequiresRedis,
  );
  const store = new IdempotencyStore(
    redis,
    {
      keyPrefix: config.redis.keyPrefix,
      scope: idempotencyScope,
      inFlightTtlMillis: config.postgres.statementTimeoutMillis * 2 + 1000,
      replyTimeoutMillis: config.redis.commandTimeoutMillis,
    },
    logger,
  );
  const payments = new PaymentService(
    new PaymentRepository(pool),
    store,
    metrics,
    config.idempotencyTtlSeconds,
  );
  const purger = new IdempotencyKeyPurger(
    pool,
    config.idempotencyPurge,
    {
      purged: (count) => metrics.idempotencyKeysPurged.inc(count),
      failed: () => metrics.idempotencyPurgeFailures.inc(),
    },
    logger,
  );
  purger.start();
  const app = createApp({
    logger,
    metrics,
    readiness,
    payments,
    users: new UserRepository(pool),
    appVersion: config.appVersion,
  });

  return {
    app,
    pool,
    redis,
    metrics,
    readiness,
    purger,
    async close() {
      // Before the pool ends: a batch under way finishes instead of failing on a closed pool.
      await purger.stop();
      await Promise.allSettled([
        pool.end(),
        closeRedisClient(redis, config.redis.commandTimeoutMillis),
      ]);
    },
  };
}
