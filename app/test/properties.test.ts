// Property-based tests (fast-check) of POST /api/v1/payments over real HTTP and PostgreSQL, with
// the Redis replay cache and without: generated bodies and headers, checked against the
// contract rather than examples.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { Client } from 'pg';
import { request } from 'undici';
import { currencyExponents } from '../src/payments/currencies';
import { createTestDatabase, deleteRedisKeys, type TestDatabase } from './support/servers';
import {
  idempotencyModes,
  migrate,
  startInProcess,
  type IdempotencyMode,
  type InProcessService,
  asApiRole,
} from './support/service';

const exponents: Record<string, number> = currencyExponents;
const currencies = Object.keys(exponents);

/** The contract of the body, written from the issue (independent of the API's zod schema). */
function isValidBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { amount, currency = 'EUR', description, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return false;
  if (typeof currency !== 'string' || !(currency in exponents)) return false;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0 || amount > 1_000_000)
    return false;
  const decimals = /^\d+(?:\.(\d+))?$/.exec(String(amount));
  if (!decimals || (decimals[1] ?? '').length > (exponents[currency] ?? 0)) return false;
  if (description === undefined) return true;
  // At most 500 UTF-16 units, no NUL (PostgreSQL text cannot hold it), well-formed Unicode.
  return (
    typeof description === 'string' &&
    description.length <= 500 &&
    !description.includes('\u0000') &&
    !/\p{Cs}/u.test(description)
  );
}

for (const mode of idempotencyModes) {
  describe(`payment properties (fast-check, ${mode.name})`, function () {
    propertiesSuite(this, mode);
  });
}

function propertiesSuite(suite: Mocha.Suite, mode: IdempotencyMode): void {
  suite.timeout(60_000);
  let database: TestDatabase;
  let running: InProcessService;
  let server: Server;
  let db: Client;
  let baseUrl = '';

  const post = async (body: string, headers: Record<string, string> = {}) => {
    const response = await request(`${baseUrl}/api/v1/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      json: JSON.parse(text) as Record<string, unknown> & {
        error?: { code?: unknown; message?: unknown };
      },
      replayed: response.headers['idempotent-replayed'],
    };
  };

  before(async () => {
    database = await createTestDatabase('properties');
    await migrate(database.url);
    running = await startInProcess(asApiRole(database.url), mode.redisUrl());
    server = running.service.app.listen(0, '127.0.0.1');
    // As src/server.ts: with Node's 5 s default, a loaded machine's client could reuse a socket
    // the server was closing (ECONNRESET), failing a property for no fault of the API.
    server.keepAliveTimeout = 65_000;
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  after(async () => {
    await db?.end();
    await new Promise((resolve) => server?.close(resolve));
    await running?.service.close();
    const redisUrl = mode.redisUrl();
    if (running && redisUrl) await deleteRedisKeys(redisUrl, running.keyPrefix);
    await database?.drop();
  });

  it('any JSON body: 201 exactly when the contract allows it, otherwise a 4xx JSON error', async () => {
    const field = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(...currencies, 'XXX', 'eur'),
      fc.string({ maxLength: 20 }),
      fc.constant(null),
      fc.boolean(),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const body = fc.oneof(
      fc.record(
        { amount: field, currency: field, description: field, note: field },
        { requiredKeys: [] },
      ),
      fc.record({
        amount: fc.oneof(
          fc.double({ min: -10, max: 2_000_000 }),
          fc.integer({ min: -5, max: 2_000_000 }),
        ),
        currency: fc.constantFrom(...currencies),
      }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const text = JSON.stringify(value) ?? 'null';
        const response = await post(text);
        const expected = isValidBody(JSON.parse(text));
        if (expected) {
          expect(response.status, text).to.equal(201);
        } else {
          expect(response.status, text).to.be.within(400, 499);
          expect(response.json.error?.code, text).to.be.a('string');
          expect(response.json.error?.message, text).to.be.a('string');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('amounts round-trip exactly: minor units in PostgreSQL, the same number in the response', async () => {
    const amount = fc
      .constantFrom(...currencies)
      .chain((currency) =>
        fc
          .integer({ min: 1, max: 1_000_000 * 10 ** (exponents[currency] ?? 0) })
          .map((minor) => ({ currency, minor, major: minor / 10 ** (exponents[currency] ?? 0) })),
      );
    await fc.assert(
      fc.asyncProperty(amount, async ({ currency, minor, major }) => {
        const response = await post(JSON.stringify({ amount: major, currency }));
        expect(response.status).to.equal(201);
        expect(response.json.amount).to.equal(major);
        const stored = await db.query<{ amount_minor: string; currency: string }>(
          'SELECT amount_minor, currency FROM payments WHERE id = $1',
          [response.json.id],
        );
        expect(stored.rows[0]).to.deep.equal({ amount_minor: String(minor), currency });
      }),
      { numRuns: 100 },
    );
  });

  it('descriptions of any well-formed Unicode round-trip unchanged', async () => {
    const text = fc
      .string({ unit: 'binary', maxLength: 200 })
      .filter((s) => !s.includes('\u0000') && s.length <= 500);
    await fc.assert(
      fc.asyncProperty(text, async (description) => {
        const response = await post(JSON.stringify({ amount: 1, description }));
        expect(response.status).to.equal(201);
        expect(response.json.description).to.equal(description);
        const stored = await db.query<{ description: string }>(
          'SELECT description FROM payments WHERE id = $1',
          [response.json.id],
        );
        expect(stored.rows[0]?.description).to.equal(description);
      }),
      { numRuns: 100 },
    );
  });

  it('a key and a body, sent twice: one payment, the same answer replayed; another body → 422', async () => {
    const key = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 255,
    });
    const cents = fc.integer({ min: 1, max: 100_000 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(key, cents, async (rawKey, amountCents) => {
        const value = amountCents / 100;
        // Keys are global: make each generated key unique to this run and example.
        const idempotencyKey = `${(run++).toString(36)}-${Date.now().toString(36)}-${rawKey}`.slice(
          0,
          255,
        );
        const first = await post(JSON.stringify({ amount: value }), {
          'idempotency-key': idempotencyKey,
        });
        const second = await post(JSON.stringify({ amount: value }), {
          'idempotency-key': idempotencyKey,
        });
        const other = await post(JSON.stringify({ amount: (amountCents + 1) / 100 }), {
          'idempotency-key': idempotencyKey,
        });
        expect(first.status).to.equal(201);
        expect(second.status).to.equal(201);
        expect(second.json.id).to.equal(first.json.id);
        expect(second.replayed).to.equal('true');
        expect(other.status).to.equal(422);
        expect(other.json.error?.code).to.equal('idempotency_key_reused');
        const rows = await db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [
          idempotencyKey,
        ]);
        expect(rows.rowCount).to.equal(1);
      }),
      { numRuns: 60 },
    );
  });

  it('any Idempotency-Key header value: 201 or 400, never a 5xx', async () => {
    // Header values a client can send (RFC 9110 field-value: tab, visible ASCII, space, obs-text).
    const headerValue = fc.string({
      unit: fc
        .integer({ min: 0x09, max: 0xff })
        .filter((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f))
        .map((c) => String.fromCharCode(c)),
      maxLength: 300,
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(headerValue, async (value) => {
        const key = `${(run++).toString(36)}${Date.now().toString(36)}${value}`;
        const response = await post(JSON.stringify({ amount: 2 }), { 'idempotency-key': key });
        const printable = /^[\x20-\x7e]{1,255}$/.test(key.trim());
        expect(response.status, JSON.stringify(key)).to.equal(printable ? 201 : 400);
      }),
      { numRuns: 100 },
    );
  });
}
