// Redis fast path for Idempotency-Key. It answers replays and in-flight retries without
// touching PostgreSQL; PostgreSQL stays the source of truth (see PaymentRepository), so every
// Redis failure here degrades to "unknown" and the request goes on to PostgreSQL.
import { withDeadline } from '../deadline';
import type { RedisClient } from '../redis/client';
import type { Logger } from '../telemetry/logger';
import type { PaymentBody } from './payment';

export type IdempotencyRecord =
  | { state: 'in_progress'; requestHash: string }
  | { state: 'completed'; requestHash: string; status: number; body: PaymentBody };

export type ClaimResult =
  { kind: 'claimed' } | { kind: 'existing'; record: IdempotencyRecord } | { kind: 'unavailable' };

export interface IdempotencyStoreSettings {
  keyPrefix: string;
  scope: string;
  /** How long an in-flight claim blocks retries if its owner dies before completing. */
  inFlightTtlMillis: number;
  /**
   * Longest wait for a reply. node-redis' own command timeout stops counting once the command
   * is written to the socket, so a connection that accepts commands but never answers (a
   * server frozen or killed mid-restart) would hold the request for ever without this.
   */
  replyTimeoutMillis: number;
}

export class IdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly settings: IdempotencyStoreSettings,
    private readonly logger: Logger,
  ) {}

  private redisKey(key: string): string {
    return `${this.settings.keyPrefix}idempotency:${this.settings.scope}:${key}`;
  }

  private usable(): boolean {
    return this.redis.isReady;
  }

  /** The reply of `command`, or an error once replyTimeoutMillis have passed without one. */
  private reply<T>(command: Promise<T>): Promise<T> {
    return withDeadline(command, this.settings.replyTimeoutMillis, 'no reply');
  }

  private degrade(operation: string, error: unknown): void {
    this.logger.warn(
      { err: { message: (error as Error).message }, operation },
      'idempotency store unavailable, falling back to PostgreSQL',
    );
  }

  async claim(key: string, requestHash: string): Promise<ClaimResult> {
    if (!this.usable()) return { kind: 'unavailable' };
    const redisKey = this.redisKey(key);
    try {
      const record: IdempotencyRecord = { state: 'in_progress', requestHash };
      const set = await this.reply(
        this.redis.set(redisKey, JSON.stringify(record), {
          condition: 'NX',
          expiration: { type: 'PX', value: this.settings.inFlightTtlMillis },
        }),
      );
      if (set === 'OK') return { kind: 'claimed' };
      const existing = await this.reply(this.redis.get(redisKey));
      // Gone between SET and GET (expired): let PostgreSQL decide.
      if (existing === null) return { kind: 'unavailable' };
      return { kind: 'existing', record: JSON.parse(existing) as IdempotencyRecord };
    } catch (error) {
      this.degrade('claim', error);
      return { kind: 'unavailable' };
    }
  }

  async complete(
    key: string,
    requestHash: string,
    status: number,
    body: PaymentBody,
    expiresAt: Date,
  ): Promise<void> {
    if (!this.usable()) return;
    const ttl = expiresAt.getTime() - Date.now();
    if (ttl <= 0) return;
    const record: IdempotencyRecord = { state: 'completed', requestHash, status, body };
    try {
      await this.reply(
        this.redis.set(this.redisKey(key), JSON.stringify(record), {
          expiration: { type: 'PX', value: ttl },
        }),
      );
    } catch (error) {
      this.degrade('complete', error);
    }
  }

  /** Frees a claim whose request failed, so that the client's retry is not answered 409. */
  async release(key: string): Promise<void> {
    if (!this.usable()) return;
    try {
      await this.reply(this.redis.del(this.redisKey(key)));
    } catch (error) {
      this.degrade('release', error);
    }
  }
}
