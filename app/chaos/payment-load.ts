// Load for the fault runs: N concurrent clients (undici) sending POST /api/v1/payments with
// Idempotency-Keys, recording for every request when it was sent, when it ended and how.
// autocannon (bench) aggregates; here each answer matters (which key got which payment id).
import { Pool } from 'undici';

export interface RequestOutcome {
  key: string;
  amount: number;
  sentAt: number;
  endedAt: number;
  /** HTTP status, or undefined when no response came back (refused, reset, timed out). */
  status?: number;
  errorCode?: string;
  paymentId?: string;
  replayed: boolean;
  /** The client-side failure (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT…). */
  failure?: string;
}

export interface PaymentLoadOptions {
  baseUrl: string;
  concurrency: number;
  /** Key for the i-th request: reuse keys to exercise replays and concurrent duplicates. */
  keyFor: (index: number) => string;
  shouldStop: () => boolean;
  /** A request still unanswered after this is recorded as a failure ("hang"). */
  requestTimeoutMillis?: number;
  /** Pause after a failed request (refused connections fail in microseconds). */
  pauseAfterFailureMillis?: number;
  /** Called as each request ends, so that a scenario can wait for the load to be under way. */
  onOutcome?: (outcome: RequestOutcome) => void;
}

/** The same key always carries the same body, so a replay is never a 422. */
export function amountForKey(key: string): number {
  let hash = 0;
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) % 100_000;
  return (hash + 1) / 100;
}

export async function runPaymentLoad(options: PaymentLoadOptions): Promise<RequestOutcome[]> {
  const timeout = options.requestTimeoutMillis ?? 15_000;
  const pool = new Pool(options.baseUrl, {
    connections: options.concurrency,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  const outcomes: RequestOutcome[] = [];
  let next = 0;

  const client = async () => {
    while (!options.shouldStop()) {
      const key = options.keyFor(next++);
      const amount = amountForKey(key);
      const outcome: RequestOutcome = {
        key,
        amount,
        sentAt: Date.now(),
        endedAt: 0,
        replayed: false,
      };
      try {
        const response = await pool.request({
          method: 'POST',
          path: '/api/v1/payments',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ amount, currency: 'EUR' }),
        });
        const text = await response.body.text();
        outcome.status = response.statusCode;
        outcome.replayed = response.headers['idempotent-replayed'] === 'true';
        const body = JSON.parse(text) as { id?: string; error?: { code?: string } };
        if (body.id) outcome.paymentId = body.id;
        if (body.error?.code) outcome.errorCode = body.error.code;
      } catch (error) {
        const failure = error as Error & { code?: string };
        outcome.failure = failure.code ?? failure.message;
      }
      outcome.endedAt = Date.now();
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
      if (outcome.status === undefined || outcome.status >= 500) {
        await new Promise((resolve) => setTimeout(resolve, options.pauseAfterFailureMillis ?? 20));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  await pool.close();
  return outcomes;
}

/** Polls GET path every interval and records the status (undefined = no answer). */
export function pollStatus(
  baseUrl: string,
  path: string,
  intervalMillis: number,
): { samples: { at: number; status?: number }[]; stop: () => Promise<void> } {
  const pool = new Pool(baseUrl, { connections: 1, headersTimeout: 3000, bodyTimeout: 3000 });
  const samples: { at: number; status?: number }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        const response = await pool.request({ method: 'GET', path });
        await response.body.dump();
        samples.push({ at, status: response.statusCode });
      } catch {
        samples.push({ at });
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMillis));
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
      await pool.close();
    },
  };
}
