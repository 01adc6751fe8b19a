import { createClient } from '@redis/client';
import type { RedisConfig } from '../config';
import type { Logger } from '../telemetry/logger';

export function createRedisClient(config: RedisConfig, logger: Logger) {
  let lastError = '';
  const client = createClient({
    url: config.url,
    // Commands issued while disconnected fail at once instead of waiting in a queue and
    // running long after the caller gave up (an idempotency claim must never run late).
    disableOfflineQueue: true,
    commandOptions: { timeout: config.commandTimeoutMillis },
    socket: {
      connectTimeout: config.connectTimeoutMillis,
      // Keep retrying for ever, backing off to 2 s: the API serves without Redis and picks
      // it up again on its own when it comes back.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2000),
    },
  });
  client.on('error', (error: Error) => {
    // One line per distinct failure, not one per reconnect attempt.
    if (error.message !== lastError) {
      lastError = error.message;
      logger.warn({ err: { message: error.message } }, 'redis connection error');
    }
  });
  client.on('ready', () => {
    if (lastError !== '') logger.info('redis connection restored');
    lastError = '';
  });
  return client;
}

export type RedisClient = ReturnType<typeof createRedisClient>;
