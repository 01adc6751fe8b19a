// Supported ISO 4217 currencies and their minor-unit exponent (decimals allowed in amounts).
export const currencyExponents = {
  EUR: 2,
  USD: 2,
  GBP: 2,
  CHF: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  CAD: 2,
  AUD: 2,
  JPY: 0,
  KWD: 3,
} as const;

export type Currency = keyof typeof currencyExponents;
export const supportedCurrencies = Object.keys(currencyExponents) as Currency[];
export const defaultCurrency: Currency = 'EUR';

/** Upper bound for one payment, in major units (1 000 000.00 EUR); fraud and typo guard. */
export const maxAmountMajor = 1_000_000;

/**
 * Converts a JSON number in major units to integer minor units through its decimal text, so
 * that binary floating point never rounds a cent. Returns undefined when the number has more
 * decimals than the currency allows.
 */
export function toMinorUnits(amount: number, currency: Currency): number | undefined {
  const exponent = currencyExponents[currency];
  const text = String(amount);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text); // exponent forms (1e-7, 1e21) never match
  if (!match) return undefined;
  const [, whole = '', fraction = ''] = match;
  if (fraction.length > exponent) return undefined;
  return Number(whole + fraction.padEnd(exponent, '0'));
}

export function toMajorUnits(minor: number, currency: Currency): number {
  const exponent = currencyExponents[currency];
  return exponent === 0 ? minor : Number((minor / 10 ** exponent).toFixed(exponent));
}
