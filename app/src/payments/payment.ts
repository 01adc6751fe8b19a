import { randomUUID } from 'node:crypto';
import { toMajorUnits, type Currency } from './currencies';

export interface Payment {
  id: string;
  amountMinor: number;
  currency: Currency;
  description: string | null;
  status: 'pending' | 'succeeded' | 'failed';
  createdAt: Date;
}

/** The public JSON representation: amount back in major units, as the client sent it. */
export interface PaymentBody {
  id: string;
  amount: number;
  currency: Currency;
  description?: string;
  status: Payment['status'];
  created_at: string;
}

/** What a replay of an Idempotency-Key answers: the first response and its body's hash. */
export interface StoredAnswer {
  requestHash: string;
  status: number;
  body: PaymentBody;
}

/**
 * pay_ + 32 hex digits (122 random bits). From randomUUID, which draws on a cached entropy
 * pool, rather than randomBytes(16), which asks the kernel for every id.
 */
export function newPaymentId(): string {
  return `pay_${randomUUID().replaceAll('-', '')}`;
}

export function toPaymentBody(payment: Payment): PaymentBody {
  return {
    id: payment.id,
    amount: toMajorUnits(payment.amountMinor, payment.currency),
    currency: payment.currency,
    ...(payment.description === null ? {} : { description: payment.description }),
    status: payment.status,
    created_at: payment.createdAt.toISOString(),
  };
}
