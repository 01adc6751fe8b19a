// Data access for payments and their idempotency keys. Parameterized SQL only.
import type { Pool } from 'pg';
import type { Currency } from './currencies';
import type { Payment, PaymentBody, StoredAnswer } from './payment';

/** A key's row in PostgreSQL: the answer to replay, until `expiresAt`. */
export interface StoredResponse extends StoredAnswer {
  expiresAt: Date;
  /** expires_at has passed (by PostgreSQL's clock): the key is free to be claimed again. */
  expired: boolean;
}

export type KeyClaim = { claimed: true; expiresAt: Date } | { claimed: false };

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
  // ON CONFLICT DO NOTHING waits for a concurrent claim of the same key to commit or roll back,
  // then inserts nothing (or claims the key after a rollback): no error, no duplicate.
  claimKeyAndInsert: `WITH claim AS (
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
  deleteExpiredKey:
    'DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at <= now()',
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
   * Claims the key and inserts the payment in ONE statement, hence one round trip and one
   * transaction: either both rows exist or neither does. `claimed: false` when the key was
   * already taken (after waiting for a concurrent claim of it to commit).
   */
  async claimKeyAndInsert(
    scope: string,
    key: string,
    requestHash: string,
    payment: Payment,
    body: PaymentBody,
    ttlSeconds: number,
  ): Promise<KeyClaim> {
    const inserted = await this.pool.query<{ expires_at: Date }>(
      prepared('claimKeyAndInsert', [
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
    return created ? { claimed: true, expiresAt: created.expires_at } : { claimed: false };
  }

  /** The row of a taken key, read in a new snapshot: a claim committed meanwhile is seen. */
  async findStoredResponse(scope: string, key: string): Promise<StoredResponse | undefined> {
    const result = await this.pool.query<{
      request_hash: string;
      response_status: number;
      response_body: PaymentBody;
      expires_at: Date;
      expired: boolean;
    }>(prepared('findStoredResponse', [scope, key]));
    const row = result.rows[0];
    return (
      row && {
        requestHash: row.request_hash,
        status: row.response_status,
        body: row.response_body,
        expiresAt: row.expires_at,
        expired: row.expired,
      }
    );
  }

  /** Frees a key whose row has expired (not yet purged), so that it can be claimed again. */
  async deleteExpiredKey(scope: string, key: string): Promise<void> {
    await this.pool.query(prepared('deleteExpiredKey', [scope, key]));
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
