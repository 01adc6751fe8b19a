// Optional Redis copy of the stored answers of Idempotency-Keys. PostgreSQL claims every key
// (PaymentRepository); this cache is read only once PostgreSQL has said a key is taken, to
// answer the replay without a second PostgreSQL query, and written without waiting, after the
// commit. Every Redis failure here is a cache miss: PostgreSQL answers instead.
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { withDeadline } from '../deadline';
import type { RedisClient } from '../redis/client';
import type { Logger } from '../telemetry/logger';
import type { PaymentBody } from './payment';

/** What a replay answers: the first request's response and the hash of its body. */
export interface StoredAnswer {
  requestHash: string;
  status: number;
  body: PaymentBody;
}

/**
 * The JSON kept in Redis. `state` tells these records from the "in_progress" markers that
 * versions before the PostgreSQL-first claim wrote under the same keys (a rolling deploy runs
 * both): a marker is a miss.
 */
type CachedRecord = { state: 'completed' } & StoredAnswer;

export interface ReplayCacheSettings {
  keyPrefix: string;
  scope: string;
  /**
   * Longest wait for a reply. node-redis' own command timeout stops counting once the command
   * is written to the socket, so a connection that accepts commands but never answers (a
   * server frozen or killed mid-restart) would hold the request for ever without this.
   */
  replyTimeoutMillis: number;
}

export class IdempotencyReplayCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly settings: ReplayCacheSettings,
    private readonly logger: Logger,
  ) {}

  private redisKey(key: string): string {
    return `${this.settings.keyPrefix}idempotency:${this.settings.scope}:${key}`;
  }

  private degrade(operation: 'lookup' | 'remember', error: unknown): void {
    this.logger.warn(
      { err: { message: (error as Error).message }, operation },
      'idempotency store unavailable, falling back to PostgreSQL',
    );
  }

  /** The stored answer of a key PostgreSQL reports taken, or undefined (miss or Redis failure). */
  async lookup(key: string): Promise<StoredAnswer | undefined> {
    if (!this.redis.isReady) return undefined;
    try {
      const text = await withDeadline(
        this.redis.get(this.redisKey(key)),
        this.settings.replyTimeoutMillis,
        'no reply',
      );
      if (text === null) return undefined;
      const record = JSON.parse(text) as CachedRecord | { state: 'in_progress' };
      if (record.state !== 'completed') return undefined;
      return { requestHash: record.requestHash, status: record.status, body: record.body };
    } catch (error) {
      this.degrade('lookup', error);
      return undefined;
    }
  }

  /**
   * Copies a committed answer into Redis until the key's PostgreSQL expiry. Not awaited by the
   * request and never rejects. PXAT (an absolute time) keeps a write that Redis runs late, after
   * a freeze, from outliving the PostgreSQL row it copies.
   */
  remember(key: string, answer: StoredAnswer, expiresAt: Date): void {
    if (!this.redis.isReady || expiresAt.getTime() <= Date.now()) return;
    const { requestHash, status, body } = answer;
    const record: CachedRecord = { state: 'completed', requestHash, status, body };
    // Untraced: the write runs after the answer has left, outside the request's span, and says
    // nothing a reader of the trace needs (a failure is logged, with the trace id).
    const write = context.with(suppressTracing(context.active()), () =>
      this.redis.set(this.redisKey(key), JSON.stringify(record), {
        expiration: { type: 'PXAT', value: expiresAt.getTime() },
      }),
    );
    withDeadline(write, this.settings.replyTimeoutMillis, 'no reply').catch((error: unknown) =>
      this.degrade('remember', error),
    );
  }
}
