// Validation of POST /api/v1/payments bodies.
import { z } from 'zod';
import {
  currencyExponents,
  defaultCurrency,
  maxAmountMajor,
  supportedCurrencies,
  toMinorUnits,
  type Currency,
} from './currencies';

export interface CreatePaymentCommand {
  amountMinor: number;
  currency: Currency;
  description: string | null;
}

const currencySchema = z.enum(supportedCurrencies as [Currency, ...Currency[]], {
  error: `must be one of ${supportedCurrencies.join(', ')}`,
});

export const createPaymentSchema = z
  .strictObject(
    {
      amount: z
        .number({ error: 'must be a JSON number in major units, e.g. 12.5' })
        .positive({ error: 'must be greater than 0' })
        .max(maxAmountMajor, { error: `must be at most ${maxAmountMajor}` }),
      currency: currencySchema.optional().default(defaultCurrency),
      description: z
        .string({ error: 'must be a string' })
        .max(500, { error: 'must be at most 500 characters' })
        // PostgreSQL text cannot hold U+0000: refused here rather than failing the INSERT (500).
        .refine((text) => !text.includes('\u0000'), { error: 'must not contain NUL characters' })
        // A lone surrogate ("\ud800" in JSON) would be stored as U+FFFD: the payment read back
        // would differ from the one acknowledged.
        .refine((text) => !/\p{Cs}/u.test(text), { error: 'must be well-formed Unicode' })
        .optional(),
    },
    {
      error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a JSON object'),
    },
  )
  .transform((body, ctx): CreatePaymentCommand => {
    const amountMinor = toMinorUnits(body.amount, body.currency);
    if (amountMinor === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: `${body.currency} allows at most ${currencyExponents[body.currency]} decimal(s)`,
      });
      return z.NEVER;
    }
    return { amountMinor, currency: body.currency, description: body.description ?? null };
  });

export interface FieldIssue extends Record<string, unknown> {
  field: string;
  message: string;
}

export function describeValidationIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { field: issue.keys.join(','), message: 'unknown field' };
    }
    return { field: issue.path.join('.') || '(body)', message: issue.message };
  });
}
