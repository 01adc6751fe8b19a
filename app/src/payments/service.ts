// Use case: create a payment, exactly once per Idempotency-Key.
import { createHash } from 'node:crypto';
import { NotFoundError, UnprocessableError } from '../errors';
import type { Metrics } from '../metrics';
import {
  newPaymentId,
  toPaymentBody,
  type Payment,
  type PaymentBody,
  type StoredAnswer,
} from './payment';
import type { IdempotencyReplayCache } from './replay-cache';
import type { PageCursor, PaymentRepository } from './repository';
import type { CreatePaymentCommand } from './schema';

export interface CreatePaymentResult {
  status: number;
  body: PaymentBody;
  replayed: boolean;
}

export interface PaymentPage {
  data: PaymentBody[];
  next_cursor: string | null;
}

/** Keys are scoped to the operation: the same key on another endpoint is another key. */
export const idempotencyScope = 'payments.create';

export function requestHash(command: CreatePaymentCommand): string {
  return createHash('sha256')
    .update(JSON.stringify([command.amountMinor, command.currency, command.description]))
    .digest('hex');
}

export function encodeCursor(payment: Payment): string {
  return Buffer.from(`${payment.createdAt.toISOString()}|${payment.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): PageCursor | undefined {
  const [iso, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!iso || !id || rest.length > 0 || !/^pay_[0-9a-f]{32}$/.test(id)) return undefined;
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) return undefined;
  return { createdAt, id };
}

/**
 * Claims of one key that may find it taken by an expired row (deleted, then claimed again) or
 * by a row purged between the claim and the read: two retries cover both.
 */
const claimAttempts = 3;

export class PaymentService {
  constructor(
    private readonly repository: PaymentRepository,
    /** undefined without Redis: PostgreSQL alone answers replays. */
    private readonly replayCache: IdempotencyReplayCache | undefined,
    private readonly metrics: Metrics,
    private readonly idempotencyTtlSeconds: number,
  ) {}

  async create(
    command: CreatePaymentCommand,
    idempotencyKey?: string,
  ): Promise<CreatePaymentResult> {
    const payment: Payment = {
      id: newPaymentId(),
      amountMinor: command.amountMinor,
      currency: command.currency,
      description: command.description,
      status: 'pending',
      createdAt: new Date(),
    };
    const body = toPaymentBody(payment);
    if (idempotencyKey === undefined) {
      await this.repository.insert(payment);
      this.metrics.paymentsCreated.inc({ currency: payment.currency });
      return { status: 201, body, replayed: false };
    }

    // PostgreSQL's primary key is the claim of record: a new key costs this one statement.
    const hash = requestHash(command);
    for (let attempt = 0; attempt < claimAttempts; attempt += 1) {
      const claim = await this.repository.claimKeyAndInsert(
        idempotencyScope,
        idempotencyKey,
        hash,
        payment,
        body,
        this.idempotencyTtlSeconds,
      );
      if (claim.claimed) {
        this.metrics.paymentsCreated.inc({ currency: payment.currency });
        this.replayCache?.remember(
          idempotencyKey,
          { requestHash: hash, status: 201, body },
          claim.expiresAt,
        );
        return { status: 201, body, replayed: false };
      }
      // Taken: the answer comes from the cache when it has it, else from the committed row.
      const cached = await this.replayCache?.lookup(idempotencyKey);
      if (cached) return this.replay(cached, hash);
      const stored = await this.repository.findStoredResponse(idempotencyScope, idempotencyKey);
      if (stored && !stored.expired) {
        this.replayCache?.remember(idempotencyKey, stored, stored.expiresAt);
        return this.replay(stored, hash);
      }
      if (stored) await this.repository.deleteExpiredKey(idempotencyScope, idempotencyKey);
    }
    throw new Error(`idempotency key could not be claimed after ${claimAttempts} attempts`);
  }

  private replay(answer: StoredAnswer, hash: string): CreatePaymentResult {
    if (answer.requestHash !== hash) {
      throw new UnprocessableError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request body',
      );
    }
    this.metrics.idempotencyReplays.inc();
    return { status: answer.status, body: answer.body, replayed: true };
  }

  async get(id: string): Promise<PaymentBody> {
    const payment = await this.repository.findById(id);
    if (!payment) throw new NotFoundError(`Payment ${id} not found`);
    return toPaymentBody(payment);
  }

  async list(limit: number, cursor?: PageCursor): Promise<PaymentPage> {
    const rows = await this.repository.list(limit + 1, cursor);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toPaymentBody),
      next_cursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }
}
