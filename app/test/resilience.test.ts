// Dependency outages: a private redis-server we stop and start, and a TCP proxy in front of the
// real PostgreSQL that we cut and restore. The API instance is never restarted.
import { expect } from 'chai';
import { Client } from 'pg';
import request from 'supertest';
import {
  PrivateRedis,
  TcpProxy,
  createTestDatabase,
  hangGuardMillis,
  proxied,
  sharedServers,
  type TestDatabase,
  waitFor,
} from './support/servers';
import {
  idempotencyModes,
  migrate,
  redisOf,
  startInProcess,
  type InProcessService,
} from './support/service';

describe('resilience: PostgreSQL and Redis outages', function () {
  this.timeout(60000);
  let database: TestDatabase;
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let running: InProcessService;
  let sql: Client;

  let databaseViaProxy: string;

  const post = (body: unknown, key?: string, on: InProcessService = running) => {
    const call = request(on.service.app)
      .post('/api/v1/payments')
      .set('Content-Type', 'application/json');
    if (key) call.set('Idempotency-Key', key);
    return call.send(JSON.stringify(body));
  };
  const rowsForKey = async (key: string) =>
    (await sql.query('SELECT payment_id FROM idempotency_keys WHERE key = $1', [key])).rows.length;
  const ready = (on: InProcessService = running) => request(on.service.app).get('/readiness');

  before(async function () {
    sharedServers();
    database = await createTestDatabase('resilience');
    await migrate(database.url);
    redis = await PrivateRedis.start();
    const viaProxy = await proxied(database.url);
    proxy = viaProxy.proxy;
    databaseViaProxy = viaProxy.url;
    running = await startInProcess(viaProxy.url, redis.url, {
      PG_STATEMENT_TIMEOUT_MS: '2000',
      REDIS_COMMAND_TIMEOUT_MS: '200',
    });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  after(async function () {
    await sql?.end();
    await running?.service.close();
    await redis?.kill();
    await proxy?.cut();
    await database?.drop();
  });

  describe('Redis stopped', function () {
    before(async function () {
      await post({ amount: 1 }, 'before-outage').expect(201);
      await redis.kill();
      await waitFor(() => !redisOf(running).isReady, hangGuardMillis, 'the client to notice');
    });

    it('readiness reports redis failed (503) while liveness stays 200', async function () {
      const response = await ready().expect(503);
      expect(response.body.status).to.equal('not ready');
      expect(response.body.checks).to.deep.equal({ postgres: 'ok', redis: 'failed' });
      expect(response.body.reasons.redis).to.be.a('string').and.not.equal('');
      await request(running.service.app).get('/liveness').expect(200);
      const metrics = await request(running.service.app).get('/metrics');
      expect(metrics.text).to.include('redis_connected 0');
      expect(metrics.text).to.include('dependency_up{dependency="redis"} 0');
    });

    it('keeps serving POSTs with PostgreSQL-only idempotency: a retry never duplicates', async function () {
      const first = await post({ amount: 5 }, 'during-outage').expect(201);
      const retry = await post({ amount: 5 }, 'during-outage').expect(201);
      expect(retry.body).to.deep.equal(first.body);
      expect(await rowsForKey('during-outage')).to.equal(1);
      await post({ amount: 6 }, 'during-outage').expect(422);
      const replayOfOld = await post({ amount: 1 }, 'before-outage').expect(201);
      expect(replayOfOld.headers['idempotent-replayed']).to.equal('true');
    });

    it('50 concurrent POSTs with one key still create exactly one payment', async function () {
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => post({ amount: 50 }, 'concurrent-no-redis')),
      );
      const ids = new Set(responses.map((r) => r.body.id));
      expect(responses.every((r) => r.status === 201)).to.equal(true);
      expect(ids.size).to.equal(1);
      expect(await rowsForKey('concurrent-no-redis')).to.equal(1);
      const payments = await sql.query('SELECT 1 FROM payments WHERE id = $1', [[...ids][0]]);
      expect(payments.rows).to.have.length(1);
    });

    it('recovers when Redis comes back, without restarting the API', async function () {
      await redis.startAgain(); // a fresh, empty Redis: as if flushed
      await waitFor(
        async () => (await ready()).status === 200,
        hangGuardMillis,
        'readiness to recover',
      );
      const response = await ready().expect(200);
      expect(response.body.checks).to.deep.equal({ postgres: 'ok', redis: 'ok' });
      const retry = await post({ amount: 5 }, 'during-outage').expect(201);
      expect(retry.headers['idempotent-replayed']).to.equal('true');
      expect(await rowsForKey('during-outage')).to.equal(1);
      const metrics = await request(running.service.app).get('/metrics');
      expect(metrics.text).to.include('redis_connected 1');
    });
  });

  describe('Redis frozen (connections open, no reply)', function () {
    // node-redis' command timeout stops counting once a command is written: only the replay
    // cache's own reply deadline (REDIS_COMMAND_TIMEOUT_MS, 200 ms here) keeps a replay from
    // waiting for ever on a server that never answers.
    // A second instance, connected before the freeze, for the shutdown check, and a third
    // whose reply deadline (60 s) outlasts the test, for the new-key path.
    let second: InProcessService;
    let patient: InProcessService;

    before(async function () {
      await waitFor(
        async () => (await ready()).status === 200,
        hangGuardMillis,
        'Redis to be ready',
      );
      second = await startInProcess(database.url, redis.url, { REDIS_COMMAND_TIMEOUT_MS: '200' });
      patient = await startInProcess(database.url, redis.url, {
        REDIS_COMMAND_TIMEOUT_MS: '60000',
      });
      await waitFor(
        () => redisOf(second).isReady && redisOf(patient).isReady,
        hangGuardMillis,
        'the other instances',
      );
      redis.freeze();
    });
    after(async function () {
      redis.thaw();
      if (second?.service.redis?.isOpen) await second.service.close();
      await patient?.service.close();
    });

    it('answers a new key without waiting for Redis: the cache write is not awaited', async function () {
      // Awaiting any Redis reply here would hold the POST for 60 s, past this test's timeout.
      this.timeout(20000);
      const created = await post({ amount: 4 }, 'frozen-new-key', patient).expect(201);
      expect(created.headers['idempotent-replayed']).to.equal(undefined);
      expect(await rowsForKey('frozen-new-key')).to.equal(1);
    });

    it('answers POSTs from PostgreSQL after the reply deadline, without duplicates', async function () {
      // The server stays frozen until after(): answering at all proves the deadline, and the
      // warning below says which one. How long it took depends on the machine, not on the code.
      const first = await post({ amount: 7 }, 'while-frozen').expect(201);
      const retry = await post({ amount: 7 }, 'while-frozen').expect(201);
      expect(retry.body.id).to.equal(first.body.id);
      expect(await rowsForKey('while-frozen')).to.equal(1);
      const warnings = running.lines.filter(
        (line) =>
          line.msg === 'idempotency store unavailable, falling back to PostgreSQL' &&
          (line.err as { message?: string } | undefined)?.message === 'no reply within 200 ms',
      );
      expect(warnings.map((line) => line.operation)).to.include('lookup');
    });

    it('closes instead of waiting for the frozen server', async function () {
      // Still frozen: close() returning at all (before mocha's timeout) is the claim.
      const unanswered = redisOf(second)
        .get('never-answered')
        .catch(() => 'rejected');
      await second.service.close();
      expect(await unanswered).to.equal('rejected');
      expect(redisOf(second).isOpen).to.equal(false);
    });

    it('reports Redis failed on readiness, and ready again once it answers', async function () {
      const response = await ready().expect(503);
      expect(response.body.checks.redis).to.equal('failed');
      redis.thaw();
      await waitFor(
        async () => (await ready()).status === 200,
        hangGuardMillis,
        'readiness to recover',
      );
    });
  });

  for (const mode of idempotencyModes) {
    describe(`PostgreSQL stopped (${mode.name})`, function () {
      let target: InProcessService;

      before(async function () {
        target =
          mode.name === 'with Redis'
            ? running
            : await startInProcess(databaseViaProxy, undefined, {
                PG_STATEMENT_TIMEOUT_MS: '2000',
              });
        await proxy.cut();
      });
      after(async function () {
        await proxy.restore();
        if (target !== running) await target?.service.close();
      });

      it('readiness reports postgres failed (503)', async function () {
        const response = await ready(target).expect(503);
        expect(response.body.checks).to.deep.equal({
          postgres: 'failed',
          redis: mode.name === 'with Redis' ? 'ok' : 'disabled',
        });
        expect(response.body.reasons.postgres).to.be.a('string');
        const metrics = await request(target.service.app).get('/metrics');
        expect(metrics.text).to.include('dependency_up{dependency="postgres"} 0');
      });

      it('answers 503 JSON without leaking driver messages', async function () {
        const response = await post({ amount: 9 }, `pg-down-${mode.name}`, target).expect(503);
        expect(response.body).to.deep.equal({
          error: {
            code: 'dependency_unavailable',
            message: 'the database is unavailable, retry later',
          },
        });
        expect(response.headers['retry-after']).to.equal('1');
        await request(target.service.app).get('/users').expect(503);
      });

      it('the retry after recovery succeeds once', async function () {
        await proxy.restore();
        await waitFor(
          async () => (await ready(target)).status === 200,
          hangGuardMillis,
          'readiness to recover',
        );
        await post({ amount: 9 }, `pg-down-${mode.name}`, target).expect(201);
        await post({ amount: 9 }, `pg-down-${mode.name}`, target).expect(201);
        expect(await rowsForKey(`pg-down-${mode.name}`)).to.equal(1);
      });
    });
  }

  describe('Redis connection reset during the reconnection handshake', function () {
    // @redis/client 5.9 (in redis 5.9.0) declared itself ready on a socket that died during its
    // handshake and never reconnected: readiness stayed 503 for ever and close() waited for
    // ever. Seen in CI as a Redis restart whose listener closed just after accepting the
    // client's reconnection. redis 5.12.1 bundles @redis/client 5.12.1, which reconnects.
    let redisProxy: TcpProxy;
    let viaProxy: InProcessService;
    let closed = false;

    after(async function () {
      if (!closed) await viaProxy?.service.close();
      await redisProxy?.cut();
    });

    it('reconnects, answers PING again and closes', async function () {
      const redisViaProxy = await proxied(sharedServers().redisUrl);
      redisProxy = redisViaProxy.proxy;
      viaProxy = await startInProcess(database.url, redisViaProxy.url);
      const app = viaProxy.service.app;
      await waitFor(
        async () => (await request(app).get('/ready')).status === 200,
        hangGuardMillis,
        'ready',
      );

      redisProxy.resetConnections(2);
      // No isReady poll here: the faulty client was "ready" again within milliseconds.
      await waitFor(
        () => viaProxy.lines.some((line) => line.msg === 'redis connection error'),
        hangGuardMillis,
        'the client to notice',
      );
      await waitFor(
        async () => (await request(app).get('/ready')).status === 200,
        hangGuardMillis,
        'readiness after the failed handshakes',
      );
      expect(await redisOf(viaProxy).ping()).to.equal('PONG');
      expect(viaProxy.lines.some((line) => line.msg === 'redis connection restored')).to.equal(
        true,
      );
      // The faulty client's close() never returned: returning at all is the claim.
      await viaProxy.service.close();
      closed = true;
    });
  });

  describe('Redis down when the API starts', function () {
    let lateRedis: PrivateRedis;
    let late: InProcessService;

    after(async function () {
      await late?.service.close();
      await lateRedis?.kill();
    });

    it('starts and serves anyway, then connects once Redis appears', async function () {
      lateRedis = await PrivateRedis.start();
      await lateRedis.kill();
      late = await startInProcess(database.url, lateRedis.url);
      const app = late.service.app;
      expect((await request(app).get('/ready').expect(503)).body.checks.redis).to.equal('failed');
      await request(app)
        .post('/api/v1/payments')
        .set('Content-Type', 'application/json')
        .set('Idempotency-Key', 'late-redis')
        .send('{"amount":2}')
        .expect(201);
      await lateRedis.startAgain();
      await waitFor(
        async () => (await request(app).get('/ready')).status === 200,
        hangGuardMillis,
        'redis connection',
      );
      const replay = await request(app)
        .post('/api/v1/payments')
        .set('Content-Type', 'application/json')
        .set('Idempotency-Key', 'late-redis')
        .send('{"amount":2}')
        .expect(201);
      expect(replay.headers['idempotent-replayed']).to.equal('true');
      expect(await rowsForKey('late-redis')).to.equal(1);
    });
  });
});
