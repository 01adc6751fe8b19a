import { randomBytes } from 'node:crypto';
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

export function newPaymentId(): string {
  return `pay_${randomBytes(16).toString('hex')}`;
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
