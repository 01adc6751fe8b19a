// Use case: create a payment, exactly once per Idempotency-Key.
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors';
import type { Metrics } from '../metrics';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency-store';
import { newPaymentId, toPaymentBody, type Payment, type PaymentBody } from './payment';
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

export class PaymentService {
  constructor(
    private readonly repository: PaymentRepository,
    private readonly idempotency: IdempotencyStore,
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

    const hash = requestHash(command);
    const claim = await this.idempotency.claim(idempotencyKey, hash);
    if (claim.kind === 'existing') return this.answerFromRecord(claim.record, hash);

    try {
      const outcome = await this.repository.insertWithIdempotencyKey(
        idempotencyScope,
        idempotencyKey,
        hash,
        payment,
        body,
        this.idempotencyTtlSeconds,
      );
      if (outcome.kind === 'created') {
        this.metrics.paymentsCreated.inc({ currency: payment.currency });
        // Not awaited: the row just committed in PostgreSQL is the answer of record. If this
        // Redis write is lost, a replay finds the claim still "in progress" (409 until the
        // claim expires, then PostgreSQL answers) or nothing (PostgreSQL answers): slower,
        // never a duplicate. complete() never throws.
        void this.idempotency.complete(idempotencyKey, hash, 201, body, outcome.expiresAt);
        return { status: 201, body, replayed: false };
      }
      // PostgreSQL knew the key although Redis did not (flushed, restarted or down): put the
      // answer back into the fast path and replay it.
      const { stored } = outcome;
      void this.idempotency.complete(
        idempotencyKey,
        stored.requestHash,
        stored.status,
        stored.body,
        stored.expiresAt,
      );
      return this.answerFromRecord({ state: 'completed', ...stored }, hash);
    } catch (error) {
      if (claim.kind === 'claimed') await this.idempotency.release(idempotencyKey);
      throw error;
    }
  }

  private answerFromRecord(record: IdempotencyRecord, hash: string): CreatePaymentResult {
    if (record.requestHash !== hash) {
      throw new UnprocessableError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request body',
      );
    }
    if (record.state === 'in_progress') {
      throw new ConflictError(
        'idempotency_key_in_use',
        'A request with this Idempotency-Key is still being processed; retry later',
      );
    }
    this.metrics.idempotencyReplays.inc();
    return { status: record.status, body: record.body, replayed: true };
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
