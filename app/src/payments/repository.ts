// Data access for payments and their idempotency keys. Parameterized SQL only.
import type { Pool } from 'pg';
import type { Currency } from './currencies';
import type { Payment, PaymentBody } from './payment';

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: PaymentBody;
  expiresAt: Date;
}

export type CreateWithKeyOutcome =
  { kind: 'created'; expiresAt: Date } | { kind: 'existing'; stored: StoredResponse };

interface PaymentRow {
  id: string;
  amount_minor: string; // bigint arrives as a string from node-postgres
  currency: string;
  description: string | null;
  status: Payment['status'];
  created_at: Date;
}

export interface PageCursor {
  createdAt: Date;
  id: string;
}

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    amountMinor: Number(row.amount_minor),
    currency: row.currency as Currency,
    description: row.description,
    status: row.status,
    createdAt: row.created_at,
  };
}

const paymentColumns = 'id, amount_minor, currency, description, status, created_at';

// Named statements: each pooled connection parses and plans them once, then only binds and
// executes (less PostgreSQL CPU per request, which shares the machine with the API).
const statements = {
  insertPayment: `INSERT INTO payments (id, amount_minor, currency, description, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
  insertWithKey: `WITH claim AS (
           INSERT INTO idempotency_keys
             (scope, key, request_hash, payment_id, response_status, response_body, expires_at)
           VALUES ($1, $2, $3, $4, 201, $5, now() + make_interval(secs => $6))
           ON CONFLICT (scope, key) DO NOTHING
           RETURNING expires_at
         ), payment AS (
           INSERT INTO payments (id, amount_minor, currency, description, status, created_at)
           SELECT $4, $7, $8, $9, $10, $11 FROM claim
           RETURNING id
         )
         SELECT claim.expires_at FROM claim, payment`,
  findStoredResponse: `SELECT request_hash, response_status, response_body, expires_at, expires_at <= now() AS expired
         FROM idempotency_keys WHERE scope = $1 AND key = $2`,
  findById: `SELECT ${paymentColumns} FROM payments WHERE id = $1`,
} as const;

function prepared(name: keyof typeof statements, values: unknown[]) {
  return { name: `payflow.${name}`, text: statements[name], values };
}

export class PaymentRepository {
  constructor(private readonly pool: Pool) {}

  async insert(payment: Payment): Promise<void> {
    await this.pool.query(
      prepared('insertPayment', [
        payment.id,
        payment.amountMinor,
        payment.currency,
        payment.description,
        payment.status,
        payment.createdAt,
      ]),
    );
  }

  /**
   * Claims the key and inserts the payment in ONE statement (hence one transaction): either
   * both exist or neither does. Concurrent claims of the same key queue on the primary key;
   * the losers get nothing back and read the winner's stored response.
   */
  async insertWithIdempotencyKey(
    scope: string,
    key: string,
    requestHash: string,
    payment: Payment,
    body: PaymentBody,
    ttlSeconds: number,
  ): Promise<CreateWithKeyOutcome> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const inserted = await this.pool.query<{ expires_at: Date }>(
        prepared('insertWithKey', [
          scope,
          key,
          requestHash,
          payment.id,
          JSON.stringify(body),
          ttlSeconds,
          payment.amountMinor,
          payment.currency,
          payment.description,
          payment.status,
          payment.createdAt,
        ]),
      );
      const created = inserted.rows[0];
      if (created) return { kind: 'created', expiresAt: created.expires_at };

      const existing = await this.pool.query<{
        request_hash: string;
        response_status: number;
        response_body: PaymentBody;
        expires_at: Date;
        expired: boolean;
      }>(prepared('findStoredResponse', [scope, key]));
      const row = existing.rows[0];
      if (row && !row.expired) {
        return {
          kind: 'existing',
          stored: {
            requestHash: row.request_hash,
            status: row.response_status,
            body: row.response_body,
            expiresAt: row.expires_at,
          },
        };
      }
      // Expired (or deleted meanwhile): the key is free again; drop the stale row and retry.
      await this.pool.query(
        'DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at <= now()',
        [scope, key],
      );
    }
    throw new Error('idempotency key could not be claimed after 3 attempts');
  }

  async findById(id: string): Promise<Payment | undefined> {
    const result = await this.pool.query<PaymentRow>(prepared('findById', [id]));
    const row = result.rows[0];
    return row ? toPayment(row) : undefined;
  }

  /** Newest first; keyset pagination on (created_at, id), stable under concurrent inserts. */
  async list(limit: number, after?: PageCursor): Promise<Payment[]> {
    const result = after
      ? await this.pool.query<PaymentRow>(
          `SELECT ${paymentColumns} FROM payments
           WHERE (created_at, id) < ($1, $2)
           ORDER BY created_at DESC, id DESC LIMIT $3`,
          [after.createdAt, after.id, limit],
        )
      : await this.pool.query<PaymentRow>(
          `SELECT ${paymentColumns} FROM payments ORDER BY created_at DESC, id DESC LIMIT $1`,
          [limit],
        );
    return result.rows.map(toPayment);
  }
}
