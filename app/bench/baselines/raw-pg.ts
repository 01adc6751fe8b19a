// Baseline: the ceiling of the database path. A bare node:http server that does exactly the
// API's PostgreSQL work, through the API's own PaymentRepository (same SQL: one statement that
// claims the idempotency key and inserts the payment) and a pg pool of the same size and
// settings, but without Express, validation, Redis, logging, metrics or tracing.
// POST /payments (Idempotency-Key header) → INSERT; GET /payments/<id> → SELECT by id.
import http from 'node:http';
import { loadPostgresConfig } from '../../src/config';
import { newPaymentId, toPaymentBody, type Payment } from '../../src/payments/payment';
import { PaymentRepository } from '../../src/payments/repository';
import { createPostgresPool } from '../../src/postgres/pool';
import { createLogger } from '../../src/telemetry/logger';

const port = Number(process.env.PORT ?? 3000);
const pool = createPostgresPool(
  loadPostgresConfig(),
  createLogger({ level: 'warn', appVersion: 'baseline', appEnv: 'test' }),
);
const repository = new PaymentRepository(pool);

function send(res: http.ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function create(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { amount: number };
  const payment: Payment = {
    id: newPaymentId(),
    amountMinor: Math.round(input.amount * 100),
    currency: 'EUR',
    description: null,
    status: 'pending',
    createdAt: new Date(),
  };
  const body = toPaymentBody(payment);
  const key = String(req.headers['idempotency-key'] ?? payment.id);
  const claim = await repository.claimKeyAndInsert('baseline', key, 'hash', payment, body, 3600);
  // A taken key: the stored answer, as the API without Redis reads it.
  const stored = claim.claimed ? undefined : await repository.findStoredResponse('baseline', key);
  send(res, 201, stored ? stored.body : body);
}

async function read(id: string, res: http.ServerResponse): Promise<void> {
  const payment = await repository.findById(id);
  if (payment) send(res, 200, toPaymentBody(payment));
  else send(res, 404, { error: 'not found' });
}

http
  .createServer((req, res) => {
    const work =
      req.method === 'POST'
        ? create(req, res)
        : req.url?.startsWith('/payments/')
          ? read(req.url.slice('/payments/'.length), res)
          : Promise.resolve(send(res, 200, { status: 'ok' }));
    work.catch((error: Error) => send(res, 500, { error: error.message }));
  })
  .listen(port, '127.0.0.1');
