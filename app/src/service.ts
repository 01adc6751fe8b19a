// Wires the dependencies (pools, stores, use cases) into the Express app and owns their
// lifecycle. Loaded only after tracing has started (see server.ts).
import type { Express } from 'express';
import type { Pool } from 'pg';
import type { AppConfig, RedisConfig } from './config';
import { ReadinessProbe } from './health/readiness';
import { createApp } from './http/app';
import { createMetrics, type Metrics } from './metrics';
import { IdempotencyKeyPurger } from './payments/idempotency-purge';
import { IdempotencyReplayCache } from './payments/replay-cache';
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
  /** undefined without REDIS_URL: PostgreSQL alone. */
  redis: RedisClient | undefined;
  metrics: Metrics;
  readiness: ReadinessProbe;
  purger: IdempotencyKeyPurger;
  /** Stops the purge, then closes the PostgreSQL pool and the Redis client (if any). */
  close(): Promise<void>;
}

/** What the API does with Redis, when REDIS_URL is set. */
interface RedisParts {
  client: RedisClient;
  replayCache: IdempotencyReplayCache;
  close(): Promise<void>;
}

/**
 * Connects in the background and keeps retrying for ever: Redis is never needed to serve.
 * Waits at most the connect timeout, so that a reachable Redis is ready for the first requests.
 */
async function startRedis(
  config: RedisConfig | undefined,
  logger: Logger,
): Promise<RedisParts | undefined> {
  if (!config) {
    logger.info('Redis disabled (no REDIS_URL): idempotency is served by PostgreSQL alone');
    return undefined;
  }
  const client = createRedisClient(config, logger);
  const connecting = client.connect().catch((error: Error) => {
    logger.warn({ err: { message: error.message } }, 'redis connect failed');
  });
  await Promise.race([
    connecting,
    new Promise((resolve) => setTimeout(resolve, config.connectTimeoutMillis).unref()),
  ]);
  const replayCache = new IdempotencyReplayCache(
    client,
    {
      keyPrefix: config.keyPrefix,
      scope: idempotencyScope,
      replyTimeoutMillis: config.commandTimeoutMillis,
    },
    logger,
  );
  return {
    client,
    replayCache,
    close: () => closeRedisClient(client, config.commandTimeoutMillis),
  };
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

  const redis = await startRedis(config.redis, logger);

  const metrics = createMetrics({
    appVersion: config.appVersion,
    pool: () => pool,
    redisConnected: redis && (() => redis.client.isReady),
  });
  const readiness = new ReadinessProbe(
    pool,
    redis?.client,
    metrics,
    config.readinessTimeoutMillis,
    config.readinessRequiresRedis,
  );
  const payments = new PaymentService(
    new PaymentRepository(pool),
    redis?.replayCache,
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
    redis: redis?.client,
    metrics,
    readiness,
    purger,
    async close() {
      // Before the pool ends: a batch under way finishes instead of failing on a closed pool.
      await purger.stop();
      await Promise.allSettled([pool.end(), redis?.close()]);
    },
  };
}
