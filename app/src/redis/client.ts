import { createClient } from 'redis';
import type { RedisConfig } from '../config';
import { withDeadline } from '../deadline';
import type { Logger } from '../telemetry/logger';
import { elastiCacheIamCredentials } from './iam-token';

export function createRedisClient(config: RedisConfig, logger: Logger) {
  let lastError = '';
  const client = createClient({
    url: config.url,
    // REDIS_AUTH=iam: a new token for every connection, reconnections included. ElastiCache
    // closes an IAM connection after 12 hours; the client reconnects with a fresh token.
    ...(config.iam
      ? {
          credentialsProvider: {
            type: 'async-credentials-provider' as const,
            credentials: elastiCacheIamCredentials(config.iam),
          },
        }
      : {}),
    // Commands issued while disconnected fail at once instead of waiting in a queue and
    // running long after the caller gave up (an idempotency claim must never run late).
    disableOfflineQueue: true,
    // No client-side command timeout: node-redis arms an AbortSignal.timeout per command (a
    // timer and, when it fires, an exception object, even after the reply came). The callers
    // bound their own wait for a reply (withDeadline, REDIS_COMMAND_TIMEOUT_MS).
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

/**
 * Lets commands already sent get their replies, for at most `millis`, then closes the client.
 * The client's own close() waits for those replies without a bound, so a frozen Redis would
 * hold shutdown until the orchestrator kills the process.
 */
export async function closeRedisClient(client: RedisClient, millis: number): Promise<void> {
  if (!client.isOpen) return;
  // Replies come in order: the answer to this PING means every earlier command was answered.
  if (client.isReady) await withDeadline(client.ping(), millis).catch(() => undefined);
  client.destroy();
}
