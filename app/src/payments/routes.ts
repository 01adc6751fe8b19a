import express, { type Express, type Request, type RequestHandler } from 'express';
import { BadRequestError, NotFoundError, ValidationError } from '../errors';
import { sendJson } from '../http/json-response';
import { methodNotAllowed } from '../http/method-not-allowed';
import { createPaymentSchema, describeValidationIssues } from './schema';
import { decodeCursor, type PaymentService } from './service';

const idempotencyKeyPattern = /^[\x20-\x7E]{1,255}$/;
const paymentIdPattern = /^pay_[0-9a-f]{32}$/;

/** No body at all (curl -X POST without -d) or Content-Length: 0. */
function hasEmptyBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] === undefined && (length === undefined || Number(length) === 0)
  );
}

const requireJson: RequestHandler = (req, _res, next) => {
  // Before the Content-Type check: without a body, req.is() matches nothing, and "must be
  // application/json" would answer a request that says it is.
  if (hasEmptyBody(req)) {
    next(new BadRequestError('empty_body', 'The request body is empty: send a JSON object'));
    return;
  }
  if (!req.is('application/json')) {
    next(
      Object.assign(new Error('Content-Type must be application/json'), {
        status: 415,
        type: 'content_type.unsupported',
      }),
    );
    return;
  }
  next();
};

// express.json runs with strict: false so that null, "str" or 10 (valid JSON) are told apart
// from text that is not JSON at all.
const requireJsonObject: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    next(new BadRequestError('body_not_object', 'The request body must be a JSON object'));
    return;
  }
  next();
};

/** `values`: every Idempotency-Key header line of the request (req.headersDistinct). */
function readIdempotencyKey(values: string[] | undefined): string | undefined {
  if (values === undefined) return undefined;
  // Node joins repeated headers with ", ": "a" and "b" sent twice would become the key "a, b".
  if (values.length > 1) {
    throw new BadRequestError('invalid_idempotency_key', 'Idempotency-Key must be sent only once');
  }
  const key = (values[0] ?? '').trim();
  if (!idempotencyKeyPattern.test(key) || key.length === 0) {
    throw new BadRequestError(
      'invalid_idempotency_key',
      'Idempotency-Key must be 1 to 255 printable ASCII characters',
    );
  }
  return key;
}

function readLimit(raw: unknown): number {
  if (raw === undefined) return 20;
  const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new BadRequestError('invalid_query', 'limit must be an integer between 1 and 100');
  }
  return limit;
}

export function registerPaymentRoutes(
  app: Express,
  payments: PaymentService,
  bodyLimit: string,
): void {
  // requireJson has already matched the Content-Type: the parser need not match it again.
  const jsonBody = express.json({ limit: bodyLimit, strict: false, type: () => true });

  app
    .route('/api/v1/payments')
    .post(requireJson, jsonBody, requireJsonObject, async (req, res) => {
      const idempotencyKey = readIdempotencyKey(req.headersDistinct['idempotency-key']);
      const parsed = createPaymentSchema.safeParse(req.body);
      if (!parsed.success) {
        throw new ValidationError(
          'The payment request is invalid',
          describeValidationIssues(parsed.error),
        );
      }
      const result = await payments.create(parsed.data, idempotencyKey);
      if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
      res.setHeader('Location', `/api/v1/payments/${result.body.id}`);
      sendJson(res, result.status, result.body);
    })
    .get(async (req, res) => {
      const limit = readLimit(req.query.limit);
      const rawCursor = req.query.cursor;
      let cursor;
      if (rawCursor !== undefined) {
        cursor = typeof rawCursor === 'string' ? decodeCursor(rawCursor) : undefined;
        if (!cursor)
          throw new BadRequestError('invalid_query', 'cursor is not a valid page cursor');
      }
      sendJson(res, 200, await payments.list(limit, cursor));
    })
    .all(methodNotAllowed(['GET', 'POST']));

  app
    .route('/api/v1/payments/:id')
    .get(async (req, res) => {
      const id = String(req.params.id);
      if (!paymentIdPattern.test(id)) throw new NotFoundError(`Payment ${id} not found`);
      sendJson(res, 200, await payments.get(id));
    })
    .all(methodNotAllowed(['GET']));
}
