// Small pure pieces: money conversion, page cursors, the OTLP exporter's URL, the Redis
// fast path degrading when Redis is gone.
import { expect } from 'chai';
import nock from 'nock';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { createClient } from 'redis';
import { otlpTracesUrl } from '../src/config';
import { isPostgresUnavailable } from '../src/postgres/pool';
import { toMajorUnits, toMinorUnits } from '../src/payments/currencies';
import { IdempotencyReplayCache } from '../src/payments/replay-cache';
import { decodeCursor, encodeCursor, requestHash } from '../src/payments/service';
import { capturingLogger } from './support/service';

describe('units', function () {
  describe('money', function () {
    const cases: Array<[number, 'EUR' | 'JPY' | 'KWD', number | undefined]> = [
      [0.1, 'EUR', 10],
      [0.29, 'EUR', 29], // 0.29 * 100 = 28.999999999999996 in floating point
      [1234.5, 'EUR', 123450],
      [10.001, 'EUR', undefined],
      [1500, 'JPY', 1500],
      [1.5, 'JPY', undefined],
      [1.234, 'KWD', 1234],
      [1e-7, 'EUR', undefined],
    ];
    for (const [amount, currency, minor] of cases) {
      it(`${amount} ${currency} → ${String(minor)} minor units`, function () {
        expect(toMinorUnits(amount, currency)).to.equal(minor);
        if (minor !== undefined) expect(toMajorUnits(minor, currency)).to.equal(amount);
      });
    }
  });

  describe('page cursors and request hashes', function () {
    it('round-trips a cursor and rejects tampered ones', function () {
      const payment = {
        id: `pay_${'a'.repeat(32)}`,
        createdAt: new Date('2025-01-02T03:04:05.678Z'),
      };
      const cursor = encodeCursor({
        ...payment,
        amountMinor: 1,
        currency: 'EUR',
        description: null,
        status: 'pending',
      });
      expect(decodeCursor(cursor)).to.deep.equal(payment);
      expect(
        decodeCursor(Buffer.from('2025-13-45T00:00:00.000Z|pay_x').toString('base64url')),
      ).to.equal(undefined);
      expect(decodeCursor(Buffer.from(`not-a-date|${payment.id}`).toString('base64url'))).to.equal(
        undefined,
      );
      expect(
        decodeCursor(Buffer.from(`2025-01-02T03:04:05.678Z|${payment.id}|x`).toString('base64url')),
      ).to.equal(undefined);
    });

    it('hashes the validated request, so the same payment gives the same hash', function () {
      const a = requestHash({ amountMinor: 100, currency: 'EUR', description: null });
      expect(a).to.equal(requestHash({ amountMinor: 100, currency: 'EUR', description: null }));
      expect(a).to.not.equal(requestHash({ amountMinor: 100, currency: 'USD', description: null }));
      expect(a).to.not.equal(requestHash({ amountMinor: 100, currency: 'EUR', description: '' }));
    });
  });

  describe('OTLP exporter URL', function () {
    afterEach(() => nock.cleanAll());

    it('posts spans to <host:port>/v1/traces', async function () {
      let names: string[] = [];
      const scope = nock('http://tempo.invalid:4318')
        .post(
          '/v1/traces',
          (body: {
            resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }>;
          }) => {
            names = body.resourceSpans.flatMap((r) =>
              r.scopeSpans.flatMap((s) => s.spans.map((span) => span.name)),
            );
            return true;
          },
        )
        .reply(200, {});
      const provider = new BasicTracerProvider({
        spanProcessors: [
          new SimpleSpanProcessor(
            new OTLPTraceExporter({ url: otlpTracesUrl('tempo.invalid:4318') }),
          ),
        ],
      });
      provider.getTracer('unit').startSpan('unit-span').end();
      await provider.forceFlush();
      await provider.shutdown();
      expect(scope.isDone()).to.equal(true);
      expect(names).to.deep.equal(['unit-span']);
    });
  });

  describe('IdempotencyReplayCache without Redis', function () {
    it('misses, never throws and never queues a command when the client is not connected', async function () {
      const client = createClient({ url: 'redis://127.0.0.1:1', disableOfflineQueue: true });
      const { logger } = capturingLogger('silent');
      const cache = new IdempotencyReplayCache(
        client,
        { keyPrefix: 't:', scope: 's', replyTimeoutMillis: 200 },
        logger,
      );
      expect(await cache.lookup('k')).to.equal(undefined);
      cache.remember(
        'k',
        {
          requestHash: 'h',
          status: 201,
          body: { id: 'pay_x', amount: 1, currency: 'EUR', status: 'pending', created_at: '' },
        },
        new Date(Date.now() + 1000),
      );
      expect(client.isOpen).to.equal(false);
    });
  });

  describe('PostgreSQL availability errors', function () {
    const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

    it('treats connection failures and refused databases as "unavailable" (503), not as bugs', function () {
      for (const code of ['ECONNREFUSED', '57P01', '57P03', '53300', '55000', '08006']) {
        expect(isPostgresUnavailable(pgError(code)), code).to.equal(true);
      }
      expect(isPostgresUnavailable(new Error('timeout exceeded when trying to connect'))).to.equal(
        true,
      );
    });

    it('answers 503 for a refused password: a rotation the mounted file has not caught up with', function () {
      const refused = pgError('28P01', 'password authentication failed for user "payflow"');
      expect(isPostgresUnavailable(refused)).to.equal(true);
    });

    it('keeps real query errors as errors', function () {
      for (const code of ['23505', '42P01', '22P02']) {
        expect(isPostgresUnavailable(pgError(code)), code).to.equal(false);
      }
      expect(isPostgresUnavailable('not an error')).to.equal(false);
    });
  });
});
