// Every endpoint and error path of the API, in-process, against the real PostgreSQL, in both
// modes: with the Redis replay cache and on PostgreSQL alone (no REDIS_URL).
import { expect } from 'chai';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createClient } from 'redis';
import request from 'supertest';
import { requestHash } from '../src/payments/service';
import {
  PrivateRedis,
  createTestDatabase,
  deleteRedisKeys,
  hangGuardMillis,
  proxied,
  type TcpProxy,
  type TestDatabase,
  waitFor,
} from './support/servers';
import {
  idempotencyModes,
  migrate,
  startInProcess,
  type IdempotencyMode,
  type InProcessService,
  asApiRole,
} from './support/service';
import { sendRaw } from '../chaos/malformed-run';

for (const mode of idempotencyModes) {
  describe(`PayFlow API (real PostgreSQL, ${mode.name})`, () => apiSuite(mode));
}

function apiSuite(mode: IdempotencyMode): void {
  let database: TestDatabase;
  let running: InProcessService;
  let sql: Client;
  const redisUrl = mode.redisUrl();
  /** What readiness reports for Redis in this mode. */
  const redisCheck = redisUrl ? 'ok' : 'disabled';

  const post = (body: unknown, key?: string) => {
    const call = request(running.service.app)
      .post('/api/v1/payments')
      .set('Content-Type', 'application/json');
    if (key !== undefined) call.set('Idempotency-Key', key);
    return call.send(JSON.stringify(body));
  };
  const countPayments = async () =>
    Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM payments')).rows[0]?.n);

  before(async function () {
    database = await createTestDatabase('api');
    await migrate(database.url);
    // As the API's own role, like every deployment (test/api-role.test.ts: what else it may not do).
    running = await startInProcess(asApiRole(database.url), redisUrl);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  after(async function () {
    await sql?.end();
    await running?.service.close();
    if (running && redisUrl) await deleteRedisKeys(redisUrl, running.keyPrefix);
    await database?.drop();
  });

  describe('probes', function () {
    it('says once at start-up when Redis is disabled', function () {
      const disabled = running.lines.filter((line) =>
        String(line.msg).startsWith('Redis disabled (no REDIS_URL)'),
      );
      expect(disabled).to.have.length(redisUrl ? 0 : 1);
    });

    for (const path of ['/health', '/liveness']) {
      it(`GET ${path} answers healthy with the version`, async function () {
        const response = await request(running.service.app).get(path).expect(200);
        expect(response.body).to.include({ status: 'healthy', version: '9.9.9-test' });
        expect(new Date(response.body.timestamp).toString()).to.not.equal('Invalid Date');
      });
    }

    for (const path of ['/ready', '/readiness']) {
      it(`GET ${path} is ready when PostgreSQL and Redis (if configured) answer`, async function () {
        const response = await request(running.service.app).get(path).expect(200);
        expect(response.body).to.deep.equal({
          status: 'ready',
          checks: { postgres: 'ok', redis: redisCheck },
        });
      });
    }

    it('answers 405 with Allow for other methods on a probe', async function () {
      const response = await request(running.service.app).post('/health').expect(405);
      expect(response.headers.allow).to.equal('GET, HEAD');
      expect(response.body.error.code).to.equal('method_not_allowed');
    });
  });

  describe('GET /users', function () {
    it('returns the six seeded users in the Go API shape, without emails', async function () {
      const response = await request(running.service.app).get('/users').expect(200);
      expect(response.body).to.have.length(6);
      for (const user of response.body) {
        expect(Object.keys(user)).to.deep.equal(['ID', 'Created_at', 'LastName', 'FirstName']);
        expect(user.ID).to.match(/^[0-9a-f-]{36}$/);
      }
      const names = response.body.map(
        (u: { FirstName: string; LastName: string }) => `${u.FirstName} ${u.LastName}`,
      );
      expect(names).to.have.members([
        'Penelope Claireau',
        'Ansel Jones',
        'Xavier Buire',
        'Avril Poisson',
        'Nicolas Minot',
        'Christelle Glairier',
      ]);
      expect(JSON.stringify(response.body)).to.not.include('@test.local');
      const emails = await sql.query<{ email: string }>('SELECT email FROM users');
      expect(emails.rows.every((row) => row.email.endsWith('@test.local'))).to.equal(true);
    });
  });

  describe('POST /api/v1/payments', function () {
    it('creates a pending payment, stored in integer minor units', async function () {
      const response = await post({
        amount: 12.34,
        currency: 'EUR',
        description: 'coffee',
      }).expect(201);
      expect(response.body).to.include({
        amount: 12.34,
        currency: 'EUR',
        status: 'pending',
        description: 'coffee',
      });
      expect(response.body.id).to.match(/^pay_[0-9a-f]{32}$/);
      expect(response.headers.location).to.equal(`/api/v1/payments/${response.body.id}`);
      const row = await sql.query('SELECT amount_minor, currency FROM payments WHERE id = $1', [
        response.body.id,
      ]);
      expect(row.rows[0]).to.deep.equal({ amount_minor: '1234', currency: 'EUR' });
    });

    it('defaults the currency to EUR and honours currency exponents (JPY 0, KWD 3)', async function () {
      expect((await post({ amount: 5 }).expect(201)).body.currency).to.equal('EUR');
      const yen = await post({ amount: 1500, currency: 'JPY' }).expect(201);
      const dinar = await post({ amount: 1.234, currency: 'KWD' }).expect(201);
      const rows = await sql.query<{ id: string; amount_minor: string }>(
        'SELECT id, amount_minor FROM payments WHERE id = ANY($1)',
        [[yen.body.id, dinar.body.id]],
      );
      const byId = Object.fromEntries(rows.rows.map((r) => [r.id, r.amount_minor]));
      expect(byId[yen.body.id]).to.equal('1500');
      expect(byId[dinar.body.id]).to.equal('1234');
      expect(dinar.body.amount).to.equal(1.234);
    });

    const invalidBodies: Array<[string, unknown, string]> = [
      ['amount as a string', { amount: '10.00' }, 'amount'],
      ['a missing amount', { currency: 'EUR' }, 'amount'],
      ['a zero amount', { amount: 0 }, 'amount'],
      ['a negative amount', { amount: -5 }, 'amount'],
      ['too many decimals for EUR', { amount: 10.001 }, 'amount'],
      ['decimals for JPY', { amount: 10.5, currency: 'JPY' }, 'amount'],
      ['an exponent-form amount', { amount: 1e-7 }, 'amount'],
      ['an amount over the maximum', { amount: 1000000.01 }, 'amount'],
      ['an unsupported currency', { amount: 10, currency: 'XXX' }, 'currency'],
      ['a lower-case currency', { amount: 10, currency: 'eur' }, 'currency'],
      [
        'a description over 500 characters',
        { amount: 10, description: 'x'.repeat(501) },
        'description',
      ],
      ['a non-string description', { amount: 10, description: 42 }, 'description'],
      ['an unknown field', { amount: 10, card_number: '4111111111111111' }, 'card_number'],
    ];
    for (const [name, body, field] of invalidBodies) {
      it(`rejects ${name} with 422 naming ${field}`, async function () {
        const response = await post(body).expect(422);
        expect(response.body.error.code).to.equal('validation_failed');
        expect(response.body.error.details.map((d: { field: string }) => d.field)).to.include(
          field,
        );
        expect(JSON.stringify(response.body)).to.not.include('4111111111111111');
      });
    }

    it('accepts a description of exactly 500 characters', async function () {
      await post({ amount: 1, description: 'é'.repeat(500) }).expect(201);
    });

    it('answers 400 to malformed JSON', async function () {
      const response = await request(running.service.app)
        .post('/api/v1/payments')
        .set('Content-Type', 'application/json')
        .send('{"amount": 10,')
        .expect(400);
      expect(response.body).to.deep.equal({
        error: { code: 'malformed_json', message: 'The request body is not valid JSON' },
      });
    });

    // What `curl -X POST -H 'Content-Type: application/json' URL` sends (no Content-Length),
    // and what most HTTP clients send for an empty body (Content-Length: 0).
    for (const [how, headers] of [
      ['without Content-Length', [['Content-Type', 'application/json']]],
      [
        'with Content-Length: 0',
        [
          ['Content-Type', 'application/json'],
          ['Content-Length', '0'],
        ],
      ],
    ] as Array<[string, Array<[string, string]>]>) {
      it(`answers 400 empty_body to a JSON POST without a body (${how})`, async function () {
        const server = running.service.app.listen(0, '127.0.0.1');
        await once(server, 'listening');
        try {
          const answer = await sendRaw((server.address() as AddressInfo).port, {
            category: 'broken JSON',
            name: 'empty body',
            method: 'POST',
            path: '/api/v1/payments',
            headers,
            body: Buffer.alloc(0),
          });
          expect([answer.status, JSON.parse(answer.body)]).to.deep.equal([
            400,
            {
              error: {
                code: 'empty_body',
                message: 'The request body is empty: send a JSON object',
              },
            },
          ]);
        } finally {
          server.close();
        }
      });
    }

    for (const [name, body] of [
      ['null', null],
      ['a string', 'str'],
      ['a number', 10],
      ['true', true],
      ['an array', [{ amount: 10 }]],
    ] as Array<[string, unknown]>) {
      it(`answers 400 body_not_object to valid JSON that is not an object: ${name}`, async function () {
        const response = await post(body).expect(400);
        expect(response.body).to.deep.equal({
          error: { code: 'body_not_object', message: 'The request body must be a JSON object' },
        });
      });
    }

    it('answers 413 to a body over the limit', async function () {
      const response = await post({ amount: 1, description: 'x'.repeat(20000) }).expect(413);
      expect(response.body.error.code).to.equal('payload_too_large');
    });

    it('answers 415 to a non-JSON content type', async function () {
      const response = await request(running.service.app)
        .post('/api/v1/payments')
        .set('Content-Type', 'text/plain')
        .send('amount=10')
        .expect(415);
      expect(response.body.error.code).to.equal('unsupported_media_type');
    });

    it('answers 415 to an unsupported charset', async function () {
      const response = await request(running.service.app)
        .post('/api/v1/payments')
        .set('Content-Type', 'application/json; charset=latin-9000')
        .send('{"amount":1}')
        .expect(415);
      expect(response.body.error.code).to.equal('unsupported_media_type');
    });

    it('answers 405 with Allow to other methods', async function () {
      const response = await request(running.service.app).put('/api/v1/payments').expect(405);
      expect(response.headers.allow).to.equal('GET, POST, HEAD');
    });
  });

  describe('Idempotency-Key', function () {
    it('replays the original response for the same key and body, without a second row', async function () {
      const before = await countPayments();
      const first = await post({ amount: 20, currency: 'USD' }, 'key-replay').expect(201);
      const second = await post({ amount: 20, currency: 'USD' }, 'key-replay').expect(201);
      expect(second.body).to.deep.equal(first.body);
      expect(second.headers['idempotent-replayed']).to.equal('true');
      expect(await countPayments()).to.equal(before + 1);
    });

    it('answers 422 when the key is reused with another body', async function () {
      await post({ amount: 30 }, 'key-mismatch').expect(201);
      const response = await post({ amount: 31 }, 'key-mismatch').expect(422);
      expect(response.body.error.code).to.equal('idempotency_key_reused');
    });

    it('rejects keys over 255 characters and empty keys with 400', async function () {
      expect((await post({ amount: 1 }, 'k'.repeat(256)).expect(400)).body.error.code).to.equal(
        'invalid_idempotency_key',
      );
      await post({ amount: 1 }, ' ').expect(400);
      await post({ amount: 1 }, 'k'.repeat(255)).expect(201);
    });

    it('50 concurrent POSTs with one key create exactly one payment; every answer is that 201 or 409', async function () {
      const key = 'key-concurrent-50';
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => post({ amount: 99.99, currency: 'EUR' }, key)),
      );
      const rows = await sql.query<{ payment_id: string }>(
        'SELECT payment_id FROM idempotency_keys WHERE key = $1',
        [key],
      );
      expect(rows.rows).to.have.length(1);
      const created = rows.rows[0]?.payment_id;
      const payments = await sql.query('SELECT id FROM payments WHERE id = $1', [created]);
      expect(payments.rows).to.have.length(1);
      for (const response of responses) {
        expect([201, 409]).to.include(response.status);
        if (response.status === 201) expect(response.body.id).to.equal(created);
        else expect(response.body.error.code).to.equal('idempotency_key_in_use');
      }
      expect(responses.filter((r) => r.status === 201).length).to.be.greaterThan(0);
    });

    it('never duplicates when Redis lost the key (flushed): PostgreSQL replays it', async function () {
      const first = await post({ amount: 42 }, 'key-flushed').expect(201);
      const before = await countPayments();
      if (redisUrl) {
        const deleted = await deleteRedisKeys(redisUrl, running.keyPrefix);
        expect(deleted).to.be.greaterThan(0);
      }
      const retry = await post({ amount: 42 }, 'key-flushed').expect(201);
      expect(retry.body).to.deep.equal(first.body);
      expect(await countPayments()).to.equal(before);
      // …and the replay refilled the fast path.
      const third = await post({ amount: 43 }, 'key-flushed').expect(422);
      expect(third.body.error.code).to.equal('idempotency_key_reused');
    });

    it('treats an expired key as new (keys expire after the TTL)', async function () {
      const first = await post({ amount: 7 }, 'key-expired').expect(201);
      await sql.query(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1",
        ['key-expired'],
      );
      if (redisUrl) await deleteRedisKeys(redisUrl, running.keyPrefix);
      const again = await post({ amount: 7 }, 'key-expired').expect(201);
      expect(again.body.id).to.not.equal(first.body.id);
      const expiry = await sql.query<{ hours: number }>(
        "SELECT round(extract(epoch FROM expires_at - created_at) / 3600) AS hours FROM idempotency_keys WHERE key = 'key-expired'",
      );
      expect(Number(expiry.rows[0]?.hours)).to.equal(24);
    });

    describe('a key being claimed by another request (in flight)', function () {
      // The claim of record is PostgreSQL's primary key: a second request with the same key
      // waits for the first one's transaction, then answers from its committed row (no 409).
      let holder: Client;
      const waitingOnLocks = async () =>
        Number(
          (
            await sql.query<{ n: string }>(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
          ).rows[0]?.n,
        );
      /** Holds the key's row uncommitted, as a request still in flight would. */
      const holdKey = async (key: string, hash: string, paymentId: string) => {
        holder = new Client({ connectionString: database.url });
        await holder.connect();
        await holder.query('BEGIN');
        const body = {
          id: paymentId,
          amount: 8,
          currency: 'EUR',
          status: 'pending',
          created_at: '2026-01-01T00:00:00.000Z',
        };
        await holder.query(
          `INSERT INTO payments (id, amount_minor, currency, status, created_at)
         VALUES ($1, 800, 'EUR', 'pending', '2026-01-01T00:00:00Z')`,
          [paymentId],
        );
        await holder.query(
          `INSERT INTO idempotency_keys (scope, key, request_hash, payment_id, response_status, response_body, expires_at)
         VALUES ('payments.create', $1, $2, $3, 201, $4, now() + interval '1 day')`,
          [key, hash, paymentId, JSON.stringify(body)],
        );
      };
      const sameKeyTwice = async (key: string) => {
        const pending = [post({ amount: 8 }, key), post({ amount: 8 }, key)].map((call) =>
          call.then((response) => response),
        );
        await waitFor(
          async () => (await waitingOnLocks()) >= 2,
          hangGuardMillis,
          'both requests to wait',
        );
        return pending;
      };
      const rowsForKey = async (key: string) =>
        (await sql.query('SELECT payment_id FROM idempotency_keys WHERE key = $1', [key])).rows;

      afterEach(async function () {
        await holder?.end();
      });

      it('waits for its commit, then replays the committed answer', async function () {
        const paymentId = `pay_${'ab'.repeat(16)}`;
        const hash = requestHash({ amountMinor: 800, currency: 'EUR', description: null });
        await holdKey('key-inflight-commit', hash, paymentId);
        const pending = await sameKeyTwice('key-inflight-commit');
        await holder.query('COMMIT');
        for (const response of await Promise.all(pending)) {
          expect(response.status).to.equal(201);
          expect(response.body.id).to.equal(paymentId);
          expect(response.headers['idempotent-replayed']).to.equal('true');
        }
        expect(await rowsForKey('key-inflight-commit')).to.have.length(1);
      });

      it('waits for its rollback, then one request claims the key and the other replays it', async function () {
        await holdKey('key-inflight-rollback', 'x', `pay_${'cd'.repeat(16)}`);
        const pending = await sameKeyTwice('key-inflight-rollback');
        await holder.query('ROLLBACK');
        const responses = await Promise.all(pending);
        expect(responses.map((r) => r.status)).to.deep.equal([201, 201]);
        expect(responses[0]?.body.id).to.equal(responses[1]?.body.id);
        expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).to.have.length(
          1,
        );
        const rows = await rowsForKey('key-inflight-rollback');
        expect(rows).to.deep.equal([{ payment_id: responses[0]?.body.id }]);
      });
    });
  });

  describe('GET /api/v1/payments/:id and keyset pagination', function () {
    it('returns a stored payment and 404 for unknown or malformed ids', async function () {
      const created = await post({ amount: 3.5, currency: 'GBP' }).expect(201);
      const found = await request(running.service.app)
        .get(`/api/v1/payments/${created.body.id}`)
        .expect(200);
      expect(found.body).to.deep.equal(created.body);
      const missing = await request(running.service.app)
        .get(`/api/v1/payments/pay_${'0'.repeat(32)}`)
        .expect(404);
      expect(missing.body.error.code).to.equal('not_found');
      await request(running.service.app).get('/api/v1/payments/nope').expect(404);
      await request(running.service.app).delete(`/api/v1/payments/${created.body.id}`).expect(405);
    });

    it('walks every payment exactly once, newest first', async function () {
      const total = await countPayments();
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Record<string, string> = { limit: '7' };
        if (cursor) query.cursor = cursor;
        const response = await request(running.service.app)
          .get('/api/v1/payments')
          .query(query)
          .expect(200);
        expect(response.body.data.length).to.be.at.most(7);
        seen.push(...response.body.data.map((p: { id: string }) => p.id));
        cursor = response.body.next_cursor;
        pages += 1;
      } while (cursor && pages < 100);
      expect(seen).to.have.length(total);
      expect(new Set(seen).size).to.equal(total);
      const all = await request(running.service.app).get('/api/v1/payments?limit=100').expect(200);
      const dates = all.body.data.map((p: { created_at: string }) => p.created_at);
      expect([...dates].sort().reverse()).to.deep.equal(dates);
    });

    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=garbage',
      'cursor=' + Buffer.from('x|y').toString('base64url'),
    ]) {
      it(`answers 400 to ${query}`, async function () {
        const response = await request(running.service.app)
          .get(`/api/v1/payments?${query}`)
          .expect(400);
        expect(response.body.error.code).to.equal('invalid_query');
      });
    }
  });

  describe('HTTP basics', function () {
    it('answers 404 JSON to an unknown route', async function () {
      const response = await request(running.service.app).get('/does-not-exist').expect(404);
      expect(response.body).to.deep.equal({
        error: { code: 'not_found', message: 'Route GET /does-not-exist not found' },
      });
    });

    it("sets a JSON API's security headers and hides x-powered-by", async function () {
      const response = await request(running.service.app).get('/health');
      expect(response.headers['x-powered-by']).to.equal(undefined);
      expect(response.headers).to.include({
        'content-security-policy': "default-src 'none';frame-ancestors 'none'",
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
      });
    });

    it('logs one JSON line per request with route and status, never the body', async function () {
      running.lines.length = 0;
      await post({ amount: 11, description: 'secret-description' }).expect(201);
      const line = running.lines.find((l) => l.msg === 'request completed');
      expect(line).to.include({
        method: 'POST',
        route: '/api/v1/payments',
        status_code: 201,
        service: 'payflow-api',
        version: '9.9.9-test',
        env: 'test',
      });
      expect(line?.duration_ms).to.be.a('number');
      expect(JSON.stringify(running.lines)).to.not.include('secret-description');
    });
  });

  describe('GET /metrics', function () {
    it('exposes the contract metrics with real values', async function () {
      await request(running.service.app).get('/nowhere');
      await request(running.service.app).get('/ready');
      const response = await request(running.service.app).get('/metrics').expect(200);
      expect(response.headers['content-type']).to.match(/^text\/plain/);
      const text: string = response.text;
      expect(text).to.match(
        /http_requests_total\{method="POST",route="\/api\/v1\/payments",status_code="201"\} \d+/,
      );
      expect(text).to.match(
        /http_requests_total\{method="GET",route="unmatched",status_code="404"\} \d+/,
      );
      expect(text).to.include('route="/api/v1/payments/:id"');
      expect(text).to.match(
        /http_request_duration_seconds_bucket\{le="0.5",method="POST",route="\/api\/v1\/payments",status_code="201"\} \d+/,
      );
      expect(text).to.match(/payments_created_total\{currency="EUR"\} [1-9]\d*/);
      expect(text).to.match(/payments_created_total\{currency="JPY"\} 1/);
      expect(text).to.match(/idempotency_replays_total [1-9]\d*/);
      expect(text).to.include('app_info{version="9.9.9-test"} 1');
      expect(text).to.match(/pg_pool_connections\{state="total"\} [1-9]/);
      expect(text).to.include('pg_pool_connections{state="idle"}');
      expect(text).to.include('pg_pool_connections{state="waiting"} 0');
      expect(text).to.include('dependency_up{dependency="postgres"} 1');
      if (redisUrl) {
        expect(text).to.include('redis_enabled 1');
        expect(text).to.include('redis_connected 1');
        expect(text).to.include('dependency_up{dependency="redis"} 1');
      } else {
        // Nothing that could read as a Redis outage (the DependencyDown alert).
        expect(text).to.include('redis_enabled 0');
        expect(text).to.not.match(/^redis_connected /m);
        expect(text).to.not.include('dependency="redis"');
      }
      expect(text).to.include('process_cpu_seconds_total');
      expect(text).to.include('process_resident_memory_bytes');
      expect(text).to.include('nodejs_eventloop_lag_seconds');
    });
  });

  describe('round trips per request (counted on the wire)', function () {
    // PostgreSQL round trips through a counting proxy; Redis commands from the server's own
    // statistics (a private Redis, so that nothing else is counted).
    let proxy: TcpProxy;
    let cache: PrivateRedis | undefined;
    let counted: InProcessService;

    const redisCalls = async (command: 'get' | 'set') => {
      if (!cache) return 0;
      const client = createClient({ url: cache.url });
      await client.connect();
      const stats = await client.info('commandstats');
      client.destroy();
      return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
    };
    /** PostgreSQL round trips and Redis GETs and SETs of one request, and its response. */
    const measure = async (body: unknown, key?: string) => {
      const [pgBefore, getsBefore, setsBefore] = [
        proxy.postgresRoundTrips,
        await redisCalls('get'),
        await redisCalls('set'),
      ];
      const call = request(counted.service.app)
        .post('/api/v1/payments')
        .set('Content-Type', 'application/json');
      if (key) call.set('Idempotency-Key', key);
      const response = await call.send(JSON.stringify(body));
      const postgres = proxy.postgresRoundTrips - pgBefore;
      // The cache write is not awaited by the request: wait for it to land before counting.
      if (
        cache &&
        key !== undefined &&
        response.status === 201 &&
        response.headers['idempotent-replayed'] !== 'true'
      ) {
        await waitFor(
          async () => (await redisCalls('set')) > setsBefore,
          hangGuardMillis,
          'the cache write',
        );
      }
      return {
        status: response.status,
        replayed: response.headers['idempotent-replayed'] === 'true',
        postgres,
        redisGets: (await redisCalls('get')) - getsBefore,
        redisSets: (await redisCalls('set')) - setsBefore,
      };
    };

    before(async function () {
      const viaProxy = await proxied(asApiRole(database.url));
      proxy = viaProxy.proxy;
      if (redisUrl) cache = await PrivateRedis.start();
      // Purge off: its statements would be counted too.
      counted = await startInProcess(viaProxy.url, cache?.url, {
        IDEMPOTENCY_PURGE_INTERVAL_SECONDS: '0',
      });
    });

    after(async function () {
      await counted?.service.close();
      await cache?.kill();
      await proxy?.cut();
    });

    it('a new payment with a key: one PostgreSQL round trip; the cache write is not awaited', async function () {
      expect(await measure({ amount: 1 }, 'trips-new')).to.deep.equal({
        status: 201,
        replayed: false,
        postgres: 1,
        redisGets: 0,
        redisSets: redisUrl ? 1 : 0,
      });
    });

    it('a replay: the claim, then the cache (with Redis) or the stored row (PostgreSQL only)', async function () {
      expect(await measure({ amount: 1 }, 'trips-new')).to.deep.equal({
        status: 201,
        replayed: true,
        postgres: redisUrl ? 1 : 2,
        redisGets: redisUrl ? 1 : 0,
        redisSets: 0,
      });
      expect(await measure({ amount: 2 }, 'trips-new')).to.include({
        status: 422,
        postgres: redisUrl ? 1 : 2,
      });
    });

    it('a payment without a key: one PostgreSQL round trip, no Redis', async function () {
      expect(await measure({ amount: 1 })).to.deep.equal({
        status: 201,
        replayed: false,
        postgres: 1,
        redisGets: 0,
        redisSets: 0,
      });
    });
  });

  if (redisUrl) {
    describe('the Redis replay cache', function () {
      const cacheKey = (key: string) => `${running.keyPrefix}idempotency:payments.create:${key}`;
      const openRedis = () => createClient({ url: redisUrl }).connect();
      const withRedis = async <T>(
        work: (client: Awaited<ReturnType<typeof openRedis>>) => Promise<T>,
      ) => {
        const client = await openRedis();
        try {
          return await work(client);
        } finally {
          client.destroy();
        }
      };

      it('answers a replay from the copy written after the commit, until the key expires', async function () {
        const first = await post({ amount: 61 }, 'key-cached').expect(201);
        const record = await withRedis(async (client) => {
          await waitFor(
            async () => (await client.exists(cacheKey('key-cached'))) === 1,
            hangGuardMillis,
            'the copy',
          );
          return {
            value: JSON.parse((await client.get(cacheKey('key-cached'))) ?? '{}'),
            expiresAt: await client.pExpireTime(cacheKey('key-cached')),
          };
        });
        expect(record.value).to.deep.include({
          state: 'completed',
          status: 201,
          body: first.body,
        });
        const stored = await sql.query<{ expires_at: Date }>(
          'SELECT expires_at FROM idempotency_keys WHERE key = $1',
          ['key-cached'],
        );
        expect(record.expiresAt).to.equal(stored.rows[0]?.expires_at.getTime());
        // Served from the copy: PostgreSQL's row is not read (changed here, the answer is not).
        await sql.query(`UPDATE idempotency_keys SET response_body = '{}' WHERE key = $1`, [
          'key-cached',
        ]);
        const replay = await post({ amount: 61 }, 'key-cached').expect(201);
        expect(replay.body).to.deep.equal(first.body);
      });

      it('ignores an "in progress" marker of an older version: PostgreSQL answers', async function () {
        const first = await post({ amount: 62 }, 'key-marker').expect(201);
        await withRedis((client) =>
          client.set(
            cacheKey('key-marker'),
            JSON.stringify({ state: 'in_progress', requestHash: 'x' }),
          ),
        );
        const replay = await post({ amount: 62 }, 'key-marker').expect(201);
        expect(replay.body).to.deep.equal(first.body);
        expect(replay.headers['idempotent-replayed']).to.equal('true');
      });
    });
  }
}
